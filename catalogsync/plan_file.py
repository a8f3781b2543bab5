"""Reading a plan file fast: typed, in C, one change at a time into a `Plan`.

`Plan.loads` reads the file with `json.loads` into one tree of dicts and lists, then makes
the plan from it: a cold plan at L (205,000 changes, 261 MB) took 33 s of CPU and 1.4 GB.
Here msgspec decodes the file straight into compact records of the shapes a plan file
has (`_ChangeJSON` ...), and each becomes its change as the next is made.

This reading only ever agrees with `Plan.loads`: it accepts a file only when every value
has the type `Plan.loads` gives it without conversion (a `str` where it calls `str()`, an
`int` where it calls `int()`: msgspec refuses a bool or a float for an int), the small
parts go through `Plan.loads`' own code, and the plan's hash must match. Anything else
(`None` from `decoded`: a malformed or edited file, NaN, a lone surrogate, a BOM, bytes
that are not UTF-8, a value of another type) is read again by `Plan.loads`, which accepts
it or refuses it exactly as it always has.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

import msgspec

from catalogsync import collector
from catalogsync.catalog import Kind, Ref, Value
from catalogsync.money import PriceMove
from catalogsync.plan import (
    READABLE_VERSIONS,
    Action,
    ApplyNeeds,
    Change,
    FieldChange,
    Plan,
    load_value,
)
from catalogsync.review import ChangeReview, Effective, Finding, PlanReview, PolicyOverride, Risk

T = TypeVar("T")


# gc=False: these records hold no cycles, so the collector need not track 2 million of
# them (each of its passes over a growing heap was most of json.loads' time here).
class _RefJSON(msgspec.Struct, gc=False):
    kind: Kind
    key: tuple[str, ...]


class _FieldJSON(msgspec.Struct, gc=False):
    field: str
    before: Any
    after: Any


class _ChangeJSON(msgspec.Struct, gc=False):
    action: Action
    ref: _RefJSON
    # Their text as it is in the file: alike ones are read once (`_Alike`).
    fields: msgspec.Raw
    values: msgspec.Raw
    remote_id: str | None
    live_fingerprint: str
    depends_on: tuple[_RefJSON, ...]
    wave: int
    renamed_from: str | None
    reason: str = ""
    protected: bool = False


class _MoveJSON(msgspec.Struct, gc=False):
    field: str
    before: str | None
    after: str | None


class _EffectiveJSON(msgspec.Struct, gc=False):
    field: str
    before: str | None
    after: str | None
    before_from: str
    after_from: str


class _FindingJSON(msgspec.Struct, gc=False):
    risk: Risk
    reason: str


class _OverriddenJSON(msgspec.Struct, gc=False):
    where: str
    rate: str


class _ChangeReviewJSON(msgspec.Struct, gc=False):
    ref: _RefJSON
    findings: msgspec.Raw
    prices: msgspec.Raw
    inherited_by: tuple[str, ...] = ()
    overridden_in: tuple[_OverriddenJSON, ...] = ()
    effective: _EffectiveJSON | None = None


class _ReviewJSON(msgspec.Struct, gc=False):
    changes: list[msgspec.Raw]  # each read as it is made into a `ChangeReview`
    policy_overrides: Any
    currency: str | None = None


class _TargetJSON(msgspec.Struct, gc=False):
    name: str
    url: str


class _PlanJSON(msgspec.Struct, gc=False):
    format_version: int
    tool_version: str
    backend: str
    target: _TargetJSON
    catalog_digest: str
    live_counts: Any
    unmanaged: tuple[_RefJSON, ...]
    # Each change's text, read as it is made into its `Change`: the file's text and the
    # plan are held at once, but not a third copy of the plan in records.
    changes: list[msgspec.Raw]
    plan_hash: str
    review: _ReviewJSON | None = None
    apply_needs: Any = msgspec.UNSET
    selection: Any = ()


_DECODER = msgspec.json.Decoder(_PlanJSON)
_CHANGE = msgspec.json.Decoder(_ChangeJSON)
_CHANGE_REVIEW = msgspec.json.Decoder(_ChangeReviewJSON)
_FIELDS = msgspec.json.Decoder(tuple[_FieldJSON, ...])
_VALUES = msgspec.json.Decoder(dict[str, Any])
_FINDINGS = msgspec.json.Decoder(tuple[_FindingJSON, ...])
_PRICES = msgspec.json.Decoder(tuple[_MoveJSON, ...])


def decoded(data: bytes | str) -> Plan | None:
    """The plan in the plan file `data`, as `Plan.loads` reads it; None when this reading
    does not vouch for it (then `Plan.loads` decides)."""
    try:
        with collector.paused():
            raw = _DECODER.decode(data)
            del data  # the caller's copy aside, the text is no longer needed
            plan = _plan(raw)
    except Exception:  # whatever it is, `Plan.loads` says it as it always has
        return None
    return plan if plan.plan_hash == raw.plan_hash else None


class _Alike:
    """What the changes of a plan hold alike, made once: one `Ref` per object (as the
    planner makes them), and one copy of each text of fields, values, findings or prices
    (a cold plan at L: 205,000 changes, 501 contents of values). The same text always
    reads as the same thing, so sharing it changes nothing but memory."""

    def __init__(self) -> None:
        self.refs: dict[Ref, Ref] = {}
        self.fields: dict[bytes, tuple[FieldChange, ...]] = {}
        self.values: dict[bytes, MappingProxyType[str, Value]] = {}
        self.findings: dict[bytes, tuple[Finding, ...]] = {}
        self.prices: dict[bytes, tuple[PriceMove, ...]] = {}

    def ref(self, raw: _RefJSON) -> Ref:
        ref = Ref(raw.kind, raw.key)
        return self.refs.setdefault(ref, ref)

    def change(self, text: msgspec.Raw) -> Change:
        raw = _CHANGE.decode(text)
        fields, values = bytes(raw.fields), bytes(raw.values)
        if (made_fields := self.fields.get(fields)) is None:
            made_fields = self.fields[fields] = tuple(
                FieldChange(f.field, load_value(f.before), load_value(f.after))
                for f in _FIELDS.decode(fields)
            )
        if (made_values := self.values.get(values)) is None:
            made_values = self.values[values] = MappingProxyType(
                {key: load_value(value) for key, value in _VALUES.decode(values).items()}
            )
        return Change(
            action=raw.action,
            ref=self.ref(raw.ref),
            fields=made_fields,
            values=made_values,
            remote_id=raw.remote_id,
            live_fingerprint=raw.live_fingerprint,
            depends_on=tuple(self.ref(ref) for ref in raw.depends_on),
            wave=raw.wave,
            renamed_from=raw.renamed_from,
            reason=raw.reason,
            protected=raw.protected,
        )

    def review(self, text: msgspec.Raw) -> ChangeReview:
        raw = _CHANGE_REVIEW.decode(text)
        findings, prices = bytes(raw.findings), bytes(raw.prices)
        if (made_findings := self.findings.get(findings)) is None:
            made_findings = self.findings[findings] = tuple(
                Finding(f.risk, f.reason) for f in _FINDINGS.decode(findings)
            )
        if (made_prices := self.prices.get(prices)) is None:
            made_prices = self.prices[prices] = tuple(_price(m) for m in _PRICES.decode(prices))
        effective = raw.effective
        return ChangeReview(
            ref=self.ref(raw.ref),
            findings=made_findings,
            prices=made_prices,
            inherited_by=raw.inherited_by,
            overridden_in=tuple((o.where, Decimal(o.rate)) for o in raw.overridden_in),
            effective=None
            if effective is None
            else Effective(_price(effective), effective.before_from, effective.after_from),
        )


def _plan(raw: _PlanJSON) -> Plan:
    version = raw.format_version
    if version not in READABLE_VERSIONS:
        raise ValueError(version)
    alike = _Alike()
    review = raw.review if version >= 2 else None
    return Plan(
        backend=raw.backend,
        target=raw.target.name,
        target_url=raw.target.url,
        catalog_digest=raw.catalog_digest,
        changes=tuple(alike.change(change) for change in _each(raw.changes)),
        unmanaged=tuple(alike.ref(ref) for ref in raw.unmanaged),
        live_counts={Kind(k): int(v) for k, v in raw.live_counts.items()},
        tool_version=raw.tool_version,
        review=None
        if review is None
        else PlanReview(
            currency=review.currency,
            changes=tuple(alike.review(change) for change in _each(review.changes)),
            policy_overrides=tuple(PolicyOverride.from_json(o) for o in review.policy_overrides),
        ),
        format_version=version,
        needs=ApplyNeeds()
        if raw.apply_needs is msgspec.UNSET
        else ApplyNeeds.from_json(raw.apply_needs),
        selection=tuple(str(s) for s in raw.selection),
    )


def _each(records: list[T]) -> Iterator[T]:
    """The records in order, each let go once the next is asked for (the file's text goes
    when the last is)."""
    records.reverse()
    while records:
        yield records.pop()


def _price(raw: _MoveJSON | _EffectiveJSON) -> PriceMove:
    before, after = raw.before, raw.after
    return PriceMove(
        raw.field,
        None if before is None else Decimal(before),
        None if after is None else Decimal(after),
    )
