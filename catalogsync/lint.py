"""Pricing lint: offline checks of the desired catalog that `validate` runs. Pure, no I/O.

Each rule has a switch in catalogsync.yaml (`lint: {RULE: off | warning | error}`):

| rule | default | finds |
| --- | --- | --- |
| product_in_no_package | warning | a product no package sells |
| package_without_products | warning | a package with no package-products |
| inactive_product_in_production | error | a Production package selling an inactive product |
| rate_precision | warning | a price with more decimals than the currency has (`pricing`) |
| negative_rate | error | a negative price on anything but a discount |
| duplicate_package_product | error | a product twice in a package; one explicit `name` used twice |

Rules about prices find nothing in a format without prices.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from catalogsync.catalog import Catalog, Kind, Ref, Resource
from catalogsync.catalog_format import CatalogFormat
from catalogsync.errors import Issue, SourceLocation
from catalogsync.money import decimals, minor_units
from catalogsync.review_config import LintLevel, LintSwitches, Pricing


@dataclass(frozen=True)
class LintFinding:
    """One finding of one rule, at the place its object is declared."""

    rule: str
    level: LintLevel
    message: str
    location: SourceLocation | None

    def issue(self) -> Issue:
        """`file:line:col: warning: … [lint rate_precision]` as an Issue."""
        return Issue(f"{self.level.value}: {self.message} [lint {self.rule}]", self.location)


def lint_catalog(
    catalog: Catalog, fmt: CatalogFormat, switches: LintSwitches, pricing: Pricing
) -> list[LintFinding]:
    """Every finding of the rules that are not off, in file order."""
    checks = {
        "product_in_no_package": _products_in_no_package,
        "package_without_products": _packages_without_products,
        "inactive_product_in_production": _inactive_in_production,
        "rate_precision": _rate_precision,
        "negative_rate": _negative_rates,
        "duplicate_package_product": _duplicates,
    }
    findings = []
    for rule, check in checks.items():
        level = LintLevel(getattr(switches, rule))
        if level is LintLevel.OFF:
            continue
        findings += [
            LintFinding(rule, level, message, resource.location)
            for resource, message in check(catalog, fmt, pricing)
        ]
    return sorted(findings, key=lambda f: f.issue().sort_key())


Found = Iterator[tuple[Resource, str]]


def _package_products(catalog: Catalog) -> list[Resource]:
    return list(catalog.of_kind(Kind.PACKAGE_PRODUCT))


def _products_in_no_package(catalog: Catalog, fmt: CatalogFormat, pricing: Pricing) -> Found:
    sold = {r.ref.key[-1] for r in _package_products(catalog)}
    for product in catalog.of_kind(Kind.PRODUCT):
        if product.ref.name not in sold:
            what = fmt.kind_names[Kind.PRODUCT]
            yield product, f"{what} '{product.ref.name}' is in no {fmt.kind_names[Kind.PACKAGE]}"


def _packages_without_products(catalog: Catalog, fmt: CatalogFormat, pricing: Pricing) -> Found:
    filled = {r.ref.key[0] for r in _package_products(catalog)}
    for package in catalog.of_kind(Kind.PACKAGE):
        if package.ref.name not in filled:
            what = fmt.kind_names[Kind.PACKAGE]
            yield package, f"{what} '{package.ref.name}' has no {fmt.plural(Kind.PRODUCT)}"


def _inactive_in_production(catalog: Catalog, fmt: CatalogFormat, pricing: Pricing) -> Found:
    resources = catalog.by_ref()
    for item in _package_products(catalog):
        package = resources.get(Ref(Kind.PACKAGE, item.ref.key[:1]))
        product = resources.get(Ref(Kind.PRODUCT, item.ref.key[-1:]))
        if package is None or product is None:
            continue
        if (
            fmt.package_in_production(package.fields)
            and fmt.product_active(product.fields) is False
        ):
            yield (
                item,
                f"Production {fmt.kind_names[Kind.PACKAGE]} '{package.ref.name}' contains "
                f"inactive {fmt.kind_names[Kind.PRODUCT]} '{product.ref.name}'",
            )


def _prices(catalog: Catalog, fmt: CatalogFormat) -> Iterator[tuple[Resource, str, Decimal]]:
    for resource in catalog:
        for field in fmt.money_fields(resource.ref.kind):
            value = resource.fields.get(field)
            if isinstance(value, Decimal):
                yield resource, field, value


def _rate_precision(catalog: Catalog, fmt: CatalogFormat, pricing: Pricing) -> Found:
    allowed = (
        pricing.max_decimals if pricing.max_decimals is not None else minor_units(pricing.currency)
    )
    currency = pricing.currency or "the currency (default: 2 decimals)"
    for resource, field, value in _prices(catalog, fmt):
        if decimals(value) > allowed:
            yield (
                resource,
                f"{resource.ref}: {field} {format(value, 'f')} has {decimals(value)} decimals; "
                f"{currency} allows {allowed}",
            )


def _negative_rates(catalog: Catalog, fmt: CatalogFormat, pricing: Pricing) -> Found:
    resources = catalog.by_ref()
    for resource, field, value in _prices(catalog, fmt):
        if value >= 0:
            continue
        product = resources.get(Ref(Kind.PRODUCT, resource.ref.key[-1:]))
        fields = product.fields if product else resource.fields
        if not fmt.is_discount(resource.ref.key[-1], fields):
            yield (
                resource,
                f"{resource.ref}: negative {field} {format(value, 'f')} on a "
                f"{fmt.kind_names[Kind.PRODUCT]} that is not a discount",
            )


def _duplicates(catalog: Catalog, fmt: CatalogFormat, pricing: Pricing) -> Found:
    items = _package_products(catalog)
    seen: set[tuple[str, str]] = set()
    for item in items:
        pair = (item.ref.key[0], item.ref.key[-1])
        if pair in seen:
            yield (
                item,
                f"{fmt.kind_names[Kind.PRODUCT]} '{pair[1]}' is in "
                f"{fmt.kind_names[Kind.PACKAGE]} '{pair[0]}' more than once "
                f"(again at {item.ref.label})",
            )
        seen.add(pair)
    names = Counter(n for item in items if isinstance(n := item.fields.get("name"), str))
    for item in items:
        name = item.fields.get("name")
        if isinstance(name, str) and names[name] > 1:
            what = fmt.kind_names[Kind.PACKAGE_PRODUCT]
            yield (
                item,
                f"{what} name '{name}' is used by {fmt.counted(names[name], Kind.PACKAGE_PRODUCT)}",
            )
