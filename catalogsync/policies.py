"""`policies:` of catalogsync.yaml, evaluated on a reviewed plan. Pure, no I/O.

Each rule looks only at the plan's changes (an existing catalog that already breaks a rule
does not block unrelated plans):

- `max_price_increase` / `max_price_decrease` (`percent`): a price (for a package-product,
  its effective rate) moves up / down by more than `percent`; an increase from zero counts.
- `no_delete_used_by_production`: a delete of a product, package-product or package that a
  Production package uses.
- `rate_required_in_production`: a created or updated package-product of a Production
  package, or a package created or updated into production, leaves a package-product
  without a rate of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from catalogsync.catalog import Kind, Ref
from catalogsync.catalog_format import CatalogFormat
from catalogsync.money import describe_move
from catalogsync.plan import Action, Change, Plan
from catalogsync.pricing import CatalogStates
from catalogsync.review import ChangeReview, PlanReview
from catalogsync.review_config import Policy, PolicyRule
from catalogsync.risk import production_users


@dataclass(frozen=True)
class Violation:
    """The changes of a plan that break one policy, as people read them."""

    policy: Policy
    changes: tuple[str, ...]

    @property
    def rule_text(self) -> str:
        """`max_price_increase 15 %` or `no_delete_used_by_production`."""
        rule = self.policy.rule.value
        return rule if self.policy.percent is None else f"{rule} {self.policy.percent} %"


def evaluate(
    policies: Sequence[Policy],
    plan: Plan,
    review: PlanReview,
    states: CatalogStates,
    fmt: CatalogFormat,
) -> list[Violation]:
    """Every policy the plan breaks, with the changes that break it (policy order)."""
    violations = []
    for policy in policies:
        found = [
            text
            for change in plan.changes
            if change.ref.kind in policy.kinds
            for text in _breaches(policy, change, review.of(change.ref), states, fmt, review)
        ]
        if found:
            violations.append(Violation(policy, tuple(found)))
    return violations


def _breaches(
    policy: Policy,
    change: Change,
    entry: ChangeReview | None,
    states: CatalogStates,
    fmt: CatalogFormat,
    review: PlanReview,
) -> Iterator[str]:
    title = f"{change.ref}"
    rule = policy.rule
    if rule in (PolicyRule.MAX_PRICE_INCREASE, PolicyRule.MAX_PRICE_DECREASE):
        assert policy.percent is not None
        for move in entry.graded_moves if entry else ():
            percent = move.percent
            if rule is PolicyRule.MAX_PRICE_INCREASE:
                broken = move.direction == "increase" and (
                    percent is None or percent > policy.percent
                )
            else:
                broken = move.direction == "decrease" and (
                    percent is not None and -percent > policy.percent
                )
            if broken:
                yield f"{title}: {move.field} {describe_move(move, review.currency)}"
    elif rule is PolicyRule.NO_DELETE_USED_BY_PRODUCTION:
        if change.action is Action.DELETE:
            users = production_users(change.ref, states, fmt)
            if users:
                yield f"{title}: deleted, used by Production package(s) {', '.join(users)}"
    elif rule is PolicyRule.RATE_REQUIRED_IN_PRODUCTION and change.action is not Action.DELETE:
        yield from (f"{title}: {text}" for text in _missing_rates(change.ref, states, fmt))


def _missing_rates(ref: Ref, states: CatalogStates, fmt: CatalogFormat) -> Iterator[str]:
    field = fmt.own_rate_field()
    if field is None:
        return
    package = ref.key[0] if ref.kind is not Kind.PRODUCT else None
    if package is None:
        return
    fields = states.after.get(Ref(Kind.PACKAGE, (package,)))
    if fields is None or not fmt.package_in_production(fields):
        return
    if ref.kind is Kind.PACKAGE_PRODUCT:
        if states.after.get(ref, {}).get(field) is None:
            yield f"no {field} of its own in Production package {package}"
        return
    for pp in states.package_products_in(package):
        if states.after[pp].get(field) is None:
            yield f"package-product {' / '.join(pp.key[1:])} has no {field} of its own"
