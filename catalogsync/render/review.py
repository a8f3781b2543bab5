"""The money-aware review as every renderer shows it: risk notes, price suffixes, reach.

Text, Markdown and HTML differ in layout only; the words come from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from catalogsync.money import money, signed
from catalogsync.plan import Change, Plan
from catalogsync.review import ChangeReview, PlanReview, Risk

# How many risky changes a plan lists up front (the rest are still graded in their block).
RISK_LIST_MAX = 20


def review_of(plan: Plan, change: Change) -> ChangeReview | None:
    return plan.review.of(change.ref) if plan.review else None


def risk_counts_line(review: PlanReview) -> str:
    """`Risk: 1 high, 2 medium, 5 low.`"""
    return "Risk: " + ", ".join(f"{review.count(r)} {r.value}" for r in _RISKS_DOWN) + "."


_RISKS_DOWN = (Risk.HIGH, Risk.MEDIUM, Risk.LOW)


def risky_changes(plan: Plan) -> list[tuple[Change, ChangeReview]]:
    """High-risk changes, then medium, each in plan order: what a reviewer reads first."""
    if plan.review is None:
        return []
    pairs = [(c, r) for c in plan.changes if (r := plan.review.of(c.ref)) is not None]
    risky = [(c, r) for c, r in pairs if r.risk is not Risk.LOW]
    return sorted(risky, key=lambda pair: -pair[1].risk.rank)


def by_risk(plan: Plan, changes: Iterable[Change]) -> list[Change]:
    """`changes` with the riskiest first (stable: plan order within a grade)."""

    def rank(change: Change) -> int:
        entry = review_of(plan, change)
        return -(entry.risk.rank if entry else 0)

    return sorted(changes, key=rank)


def risk_note(entry: ChangeReview) -> str:
    """`risk high: price decrease: rate 2.00 → 1.50 (-0.50, -25.0 %)`."""
    reasons = "; ".join(f.reason for f in entry.findings)
    return f"risk {entry.risk.value}" + (f": {reasons}" if reasons else "")


def price_suffix(plan: Plan, change: Change, field: str) -> str:
    """What follows a money field's value: ` USD (+0.01, +20.0 %)`, ` (new price)`."""
    entry = review_of(plan, change)
    move = next((m for m in entry.prices if m.field == field), None) if entry else None
    if move is None:
        return ""
    assert plan.review is not None
    unit = f" {plan.review.currency}" if plan.review.currency else ""
    direction = move.direction
    if direction == "new":
        return f"{unit} (new price)"
    if direction == "removed":
        return f"{unit} (price removed)"
    delta, percent = move.delta, move.percent
    assert delta is not None
    share = "from zero" if percent is None else f"{signed(percent)} %"
    return f"{unit} ({signed(delta)}, {share})"


def reach_note(entry: ChangeReview, currency: str | None) -> str | None:
    """`inherited by Silver Plan; overridden in Gold Plan (0.04)` for a product's price."""
    if not entry.inherited_by and not entry.overridden_in:
        return None
    parts = []
    if entry.inherited_by:
        parts.append("inherited by " + ", ".join(entry.inherited_by))
    if entry.overridden_in:
        parts.append(
            "overridden in "
            + ", ".join(f"{where} ({money(rate, currency)})" for where, rate in entry.overridden_in)
        )
    return "; ".join(parts)


_FROM = {"own": "own rate", "product": "product's rate", "none": "no rate"}


def effective_note(entry: ChangeReview, currency: str | None) -> str | None:
    """`effective rate 0.04 (own rate) → 0.05 (product's rate)` for a package-product."""
    eff = entry.effective
    if eff is None:
        return None

    def side(value: Decimal | None, source: str) -> str:
        return _FROM["none"] if value is None else f"{money(value, currency)} ({_FROM[source]})"

    return (
        f"effective rate {side(eff.move.before, eff.before_from)} → "
        f"{side(eff.move.after, eff.after_from)}"
    )


def override_lines(review: PlanReview) -> list[str]:
    """`policy 'cap' (max_price_increase 15 %) overridden: product "X": rate …`."""
    return [
        f"policy '{o.policy}' ({o.rule}) overridden: {text}"
        for o in review.policy_overrides
        for text in o.violations
    ]
