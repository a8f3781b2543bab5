"""Risk grades of changes: low, medium or high, each with its reasons. Pure, no I/O.

| finding | grade |
| --- | --- |
| delete or deactivate what a Production package uses (product, package-product, package) | high |
| a price decrease (for a package-product: its effective rate) | high |
| a price increase above `risk.high_increase_percent` (default 10 %) | high |
| any other delete or deactivation | medium |
| a price increase up to the threshold, a price removed | medium |
| a rename | medium |
| narrowing quantity bounds (minimum up, maximum down or newly set) | medium |
| anything else (creates, other updates, a new price) | low |

A change's grade is its highest finding's. "In production" and "active" are the backend
format's to say (`CatalogFormat.package_in_production`, `.product_active`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from catalogsync.catalog import Kind, Ref, Value
from catalogsync.catalog_format import CatalogFormat
from catalogsync.money import PriceMove, describe_move
from catalogsync.plan import Action, Change
from catalogsync.pricing import CatalogStates, where
from catalogsync.review import Finding, Risk
from catalogsync.review_config import RiskSettings


def production_users(ref: Ref, states: CatalogStates, fmt: CatalogFormat) -> tuple[str, ...]:
    """The Production packages that use `ref` in the live catalog (names, sorted).

    A product is used by the packages of its package-products; a package-product by its
    package; a package by itself.
    """
    before = states.before

    def sold(package: str) -> bool:
        fields = before.get(Ref(Kind.PACKAGE, (package,)))
        return fields is not None and fmt.package_in_production(fields)

    if ref.kind is Kind.PRODUCT:
        packages = {pp.key[0] for pp in states.package_products_of(ref.name, after=False)}
    else:
        packages = {ref.key[0]}
    return tuple(sorted(p for p in packages if sold(p)))


def grade(
    change: Change,
    states: CatalogStates,
    fmt: CatalogFormat,
    settings: RiskSettings,
    moves: tuple[PriceMove, ...],
    currency: str | None = None,
) -> tuple[Finding, ...]:
    """Every risk finding of one change; `moves` are the price moves to grade (for a
    package-product's own rate, its effective rate)."""
    findings: list[Finding] = []
    if change.action is Action.DELETE:
        findings.append(_deletion(change.ref, states, fmt))
    elif change.action is Action.UPDATE:
        findings += _deactivation(change, states, fmt)
        if change.renamed_from is not None:
            findings.append(Finding(Risk.MEDIUM, f'renamed from "{change.renamed_from}"'))
        findings += _narrowing(change, fmt)
    if change.action is not Action.DELETE:
        findings += (f for f in (_price(m, settings, currency) for m in moves) if f)
    return tuple(findings)


def _deletion(ref: Ref, states: CatalogStates, fmt: CatalogFormat) -> Finding:
    users = production_users(ref, states, fmt)
    if not users:
        return Finding(Risk.MEDIUM, "deletes an object no Production package uses")
    if ref.kind is Kind.PACKAGE:
        return Finding(Risk.HIGH, "deletes a Production package")
    if ref.kind is Kind.PACKAGE_PRODUCT:
        return Finding(Risk.HIGH, f"removes {ref.name} from Production package {where(ref)}")
    return Finding(Risk.HIGH, "deletes a product used by Production package(s) " + ", ".join(users))


def _deactivation(change: Change, states: CatalogStates, fmt: CatalogFormat) -> Iterator[Finding]:
    ref = change.ref
    # States are keyed by the names after renames: the new name finds the live record.
    before = states.before.get(ref, {})
    after = states.after.get(ref, {})
    if ref.kind is Kind.PACKAGE:
        if fmt.package_in_production(before) and not fmt.package_in_production(after):
            yield Finding(Risk.HIGH, "takes a Production package out of production")
        return
    if ref.kind is not Kind.PRODUCT:
        return
    if fmt.product_active(before) is True and fmt.product_active(after) is False:
        users = production_users(ref, states, fmt)
        if users:
            yield Finding(
                Risk.HIGH,
                "deactivates a product used by Production package(s) " + ", ".join(users),
            )
        else:
            yield Finding(Risk.MEDIUM, "deactivates a product")


def _narrowing(change: Change, fmt: CatalogFormat) -> Iterator[Finding]:
    bounds = fmt.quantity_bounds()
    if bounds is None or change.ref.kind is not Kind.PACKAGE_PRODUCT:
        return
    low, high = bounds
    for f in change.fields:
        old, new = _num(f.before), _num(f.after)
        raised_min = f.field == low and new is not None and new > (old or 0)
        lowered_max = f.field == high and new is not None and (old is None or new < old)
        if raised_min or lowered_max:
            yield Finding(Risk.MEDIUM, f"narrows {f.field} {_show(f.before)} → {_show(f.after)}")


def _num(value: Value) -> Decimal | None:
    if isinstance(value, bool) or value is None or not isinstance(value, (int, Decimal)):
        return None
    return Decimal(value)


def _show(value: Value) -> str:
    number = _num(value)
    return "none" if number is None else format(number, "f")


def _price(move: PriceMove, settings: RiskSettings, currency: str | None) -> Finding | None:
    text = f"{move.field} {describe_move(move, currency)}"
    direction = move.direction
    if direction == "decrease":
        return Finding(Risk.HIGH, f"price decrease: {text}")
    if direction == "increase":
        percent = move.percent
        if percent is None or percent > settings.high_increase_percent:
            limit = format(settings.high_increase_percent, "f")
            return Finding(Risk.HIGH, f"price increase above {limit} %: {text}")
        return Finding(Risk.MEDIUM, f"price increase: {text}")
    if direction == "removed":
        return Finding(Risk.MEDIUM, f"price removed: {text}")
    return None
