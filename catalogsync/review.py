"""What a plan says to the people who review it: risk, price moves, reach, policy overrides.

Plain data, stored in the plan file (format_version 2, `review`) and covered by its hash,
so `show plan.json` renders the same review and an override cannot be added afterwards.
It is computed once, at plan time, from the desired and live catalogs (`assess.py`):
which packages inherit a product's price is not visible from the changes alone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from catalogsync.catalog import Ref
from catalogsync.money import PriceMove


class Risk(StrEnum):
    """How carefully a change deserves to be read."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Risk.LOW: 0, Risk.MEDIUM: 1, Risk.HIGH: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a change is risky, with the grade that reason alone deserves."""

    risk: Risk
    reason: str


@dataclass(frozen=True)
class Effective:
    """A package-product's effective rate before and after: its own, or its product's."""

    move: PriceMove
    before_from: str  # "own", "product" or "none"
    after_from: str


@dataclass(frozen=True, slots=True)
class ChangeReview:
    """The review of one change of the plan."""

    ref: Ref
    findings: tuple[Finding, ...] = ()
    prices: tuple[PriceMove, ...] = ()
    inherited_by: tuple[str, ...] = ()  # where the product's price applies unchanged
    overridden_in: tuple[tuple[str, Decimal], ...] = ()  # where an own rate wins
    effective: Effective | None = None

    @property
    def risk(self) -> Risk:
        if not self.findings:  # (nearly every change of a large plan: asked 4 times each)
            return Risk.LOW
        return max((f.risk for f in self.findings), key=lambda r: r.rank, default=Risk.LOW)

    @property
    def graded_moves(self) -> tuple[PriceMove, ...]:
        """The price moves that grade and police this change: its fields' moves, with a
        package-product's own rate replaced by its effective rate (what is charged)."""
        if self.effective is None:
            return self.prices
        own = self.effective.move
        return (*(m for m in self.prices if m.field != own.field), own)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ref": self.ref.to_json(),
            "risk": self.risk.value,
            "findings": [{"risk": f.risk.value, "reason": f.reason} for f in self.findings],
            "prices": [_move_json(m) for m in self.prices],
        }
        if self.inherited_by or self.overridden_in:
            data["inherited_by"] = list(self.inherited_by)
            data["overridden_in"] = [
                {"where": where, "rate": format(rate, "f")} for where, rate in self.overridden_in
            ]
        if self.effective is not None:
            data["effective"] = {
                **_move_json(self.effective.move),
                "before_from": self.effective.before_from,
                "after_from": self.effective.after_from,
            }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeReview:
        effective = data.get("effective")
        return cls(
            ref=Ref.from_json(data["ref"]),
            findings=tuple(Finding(Risk(f["risk"]), f["reason"]) for f in data["findings"]),
            prices=tuple(_move_from(m) for m in data["prices"]),
            inherited_by=tuple(data.get("inherited_by", ())),
            overridden_in=tuple(
                (o["where"], Decimal(o["rate"])) for o in data.get("overridden_in", ())
            ),
            effective=(
                None
                if effective is None
                else Effective(
                    _move_from(effective), effective["before_from"], effective["after_from"]
                )
            ),
        )


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _move_json(move: PriceMove) -> dict[str, Any]:
    """Decimals as strings (exact, and readable by any JSON consumer)."""
    return {
        "field": move.field,
        "before": _dec(move.before),
        "after": _dec(move.after),
        "delta": _dec(move.delta),
        "percent": _dec(move.percent),
        "direction": move.direction,
    }


def _move_from(data: Mapping[str, Any]) -> PriceMove:
    def dec(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return PriceMove(data["field"], dec(data["before"]), dec(data["after"]))


@dataclass(frozen=True)
class PolicyOverride:
    """A policy the plan violates, let through by `--override-policy NAME`."""

    policy: str
    rule: str
    violations: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"policy": self.policy, "rule": self.rule, "violations": list(self.violations)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyOverride:
        return cls(data["policy"], data["rule"], tuple(data["violations"]))


@dataclass(frozen=True)
class PlanReview:
    """The review of a whole plan: one entry per change (plan order), and the overrides."""

    currency: str | None = None
    changes: tuple[ChangeReview, ...] = ()
    policy_overrides: tuple[PolicyOverride, ...] = ()

    @functools.cached_property
    def _by_ref(self) -> dict[Ref, ChangeReview]:
        return {review.ref: review for review in self.changes}

    def of(self, ref: Ref) -> ChangeReview | None:
        return self._by_ref.get(ref)

    def count(self, risk: Risk) -> int:
        return sum(1 for review in self.changes if review.risk is risk)

    def to_json(self, with_changes: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "currency": self.currency,
            "policy_overrides": [o.to_json() for o in self.policy_overrides],
        }
        if with_changes:
            data["changes"] = [review.to_json() for review in self.changes]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlanReview:
        return cls(
            currency=data.get("currency"),
            changes=tuple(ChangeReview.from_json(c) for c in data["changes"]),
            policy_overrides=tuple(PolicyOverride.from_json(o) for o in data["policy_overrides"]),
        )
