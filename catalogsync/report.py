"""The outcome of an apply: what succeeded, failed and was skipped, object by object."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from catalogsync.catalog import Ref
from catalogsync.errors import EXIT_APPLY_FAILED, EXIT_OK, EXIT_REFUSED


class Outcome(StrEnum):
    """How one change ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """The result of one change: its outcome, the remote id it has now, and why it failed."""

    ref: Ref
    outcome: Outcome
    remote_id: str | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref.to_json(),
            "outcome": self.outcome.value,
            "remote_id": self.remote_id,
            "message": self.message,
        }


@dataclass(frozen=True)
class ApplyReport:
    """Every change of the applied plan with its result, in plan order.

    `refused` says why the apply stopped before a wave (its objects moved under it: another
    writer, exit 3); `verified` whether the results were checked against a re-read of the
    live catalog (a change not in effect is then FAILED).
    """

    plan_hash: str
    results: tuple[ChangeResult, ...]
    refused: str = ""
    verified: bool = False

    def of(self, outcome: Outcome) -> tuple[ChangeResult, ...]:
        return tuple(r for r in self.results if r.outcome is outcome)

    @property
    def exit_code(self) -> int:
        """0 when everything succeeded, 3 when refused mid-way, 4 when anything failed or was
        skipped."""
        if self.refused:
            return EXIT_REFUSED
        ok = all(r.outcome is Outcome.SUCCEEDED for r in self.results)
        return EXIT_OK if ok else EXIT_APPLY_FAILED

    def counts(self) -> dict[str, int]:
        return {outcome.value: len(self.of(outcome)) for outcome in Outcome}

    def to_json(self) -> dict[str, Any]:
        return {
            "plan_hash": self.plan_hash,
            "summary": self.counts(),
            "refused": self.refused or None,
            "verified": self.verified,
            "results": [r.to_json() for r in self.results],
        }

    @classmethod
    def build(
        cls,
        plan_hash: str,
        results: Iterable[ChangeResult],
        *,
        refused: str = "",
        verified: bool = False,
    ) -> ApplyReport:
        return cls(plan_hash, tuple(results), refused=refused, verified=verified)
