"""Reviewing a plan at plan time: price moves, reach, risk grades, then the policies.

`assess_plan` is what `plan` and `apply` (without a saved plan) call after the planner:
it attaches a `PlanReview` to the plan, or refuses the plan (exit 3) when it breaks a
policy that was not overridden by name. Pure: the catalogs are passed in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from decimal import Decimal

from catalogsync.catalog import Catalog, Kind, Value
from catalogsync.catalog_format import CatalogFormat
from catalogsync.errors import PolicyRefusedError, UsageError
from catalogsync.live import LiveCatalog
from catalogsync.money import PriceMove
from catalogsync.plan import Action, Change, Plan
from catalogsync.policies import Violation, evaluate
from catalogsync.pricing import CatalogStates, catalog_states, effective_move, product_reach
from catalogsync.review import ChangeReview, PlanReview, PolicyOverride
from catalogsync.review_config import Policy, Pricing, RiskSettings
from catalogsync.risk import grade


def review_plan(
    plan: Plan,
    states: CatalogStates,
    fmt: CatalogFormat,
    pricing: Pricing,
    risk: RiskSettings,
) -> PlanReview:
    """One `ChangeReview` per change of the plan, in plan order."""
    currency = pricing.currency
    return PlanReview(
        currency=currency,
        changes=tuple(_review(c, states, fmt, risk, currency) for c in plan.changes),
    )


def _review(
    change: Change,
    states: CatalogStates,
    fmt: CatalogFormat,
    risk: RiskSettings,
    currency: str | None,
) -> ChangeReview:
    prices = price_moves(change, fmt.money_fields(change.ref.kind))
    if not prices and change.action is Action.CREATE:
        # Nothing to grade, no reach (what a create of no price finds below): a cold
        # plan's package-products and packages, three quarters of its changes.
        return ChangeReview(change.ref)
    own = fmt.own_rate_field()
    moves_own = own is not None and any(m.field == own for m in prices)
    inherited: tuple[str, ...] = ()
    overridden: tuple[tuple[str, Decimal], ...] = ()
    effective = None
    if moves_own and change.ref.kind is Kind.PRODUCT:
        inherited, overridden = product_reach(change.ref, states, fmt)
    if moves_own and change.ref.kind is Kind.PACKAGE_PRODUCT:
        effective = effective_move(change.ref, states, fmt)
    graded = (
        prices
        if effective is None  # (`graded_moves` of a review without an effective move)
        else ChangeReview(change.ref, prices=prices, effective=effective).graded_moves
    )
    return ChangeReview(
        change.ref,
        findings=grade(change, states, fmt, risk, graded, currency),
        prices=prices,
        inherited_by=inherited,
        overridden_in=overridden,
        effective=effective,
    )


def price_moves(change: Change, money_fields: Collection[str]) -> tuple[PriceMove, ...]:
    """The money fields a change moves: set by a create, changed by an update, removed by a
    delete (a delete shows the price that goes)."""
    if not money_fields:
        return ()
    if change.action is Action.CREATE:
        return tuple(
            PriceMove(name, None, _decimal(value))
            for name, value in sorted(change.values.items())
            if name in money_fields and _decimal(value) is not None
        )
    moves = (
        PriceMove(f.field, _decimal(f.before), _decimal(f.after))
        for f in change.fields
        if f.field in money_fields
    )
    if change.action is Action.DELETE:
        return tuple(PriceMove(m.field, m.before, None) for m in moves if m.before is not None)
    return tuple(m for m in moves if m.before != m.after)


def _decimal(value: Value) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def assess_plan(
    plan: Plan,
    desired: Catalog,
    live: LiveCatalog,
    fmt: CatalogFormat,
    *,
    pricing: Pricing,
    risk: RiskSettings,
    policies: tuple[Policy, ...],
    overrides: Collection[str] = (),
) -> Plan:
    """The plan with its review attached, overridden policy violations recorded in it.

    Raises:
        UsageError: an override names no policy of catalogsync.yaml.
        PolicyRefusedError: the plan breaks a policy that is not overridden (exit 3).
    """
    known = {p.name for p in policies}
    unknown = sorted(set(overrides) - known)
    if unknown:
        listed = ", ".join(sorted(known)) or "none defined"
        raise UsageError(
            f"--override-policy {', '.join(unknown)}: no such policy in catalogsync.yaml "
            f"(policies: {listed})"
        )
    states = catalog_states(plan, desired, live)
    review = review_plan(plan, states, fmt, pricing, risk)
    violations = evaluate(policies, plan, review, states, fmt)
    refused = [v for v in violations if v.policy.name not in overrides]
    if refused:
        raise PolicyRefusedError(refusal_message(refused))
    recorded = tuple(PolicyOverride(v.policy.name, v.rule_text, v.changes) for v in violations)
    return dataclasses.replace(plan, review=dataclasses.replace(review, policy_overrides=recorded))


def refusal_message(violations: list[Violation]) -> str:
    lines = ["refused by policies of catalogsync.yaml:"]
    for violation in violations:
        lines.append(f"  policy '{violation.policy.name}' ({violation.rule_text}):")
        lines += [f"    {text}" for text in violation.changes]
    names = " ".join(f"--override-policy {v.policy.name}" for v in violations)
    lines.append(f"Fix the YAML, or let a reviewed exception through with {names}.")
    return "\n".join(lines)
