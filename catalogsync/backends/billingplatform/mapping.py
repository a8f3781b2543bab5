"""Pure translation between BillingPlatform records and catalog vocabulary. No HTTP.

BillingPlatform returns every scalar as a string and "" for empty; the catalog speaks
Decimal, bool, str and None. Lookups (rating methods, packages, package-products) are
written by name in YAML and by Id on the wire.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from catalogsync.backends.billingplatform.catalog_format import normalise_number_text
from catalogsync.catalog import Kind, Ref, Value, package_product_ref, package_ref, product_ref
from catalogsync.live import LiveResource


class FieldType(Enum):
    """How a field's value is converted."""

    TEXT = "text"
    NUMBER_TEXT = "number_text"  # a string holding a number: compared as the number
    DECIMAL = "decimal"
    FLAG = "flag"
    RATING_METHOD = "rating_method"  # name in YAML, RatingMethodId on the wire
    PACKAGE = "package"  # name in YAML, a PACKAGE Id on the wire
    LINKED_PRODUCT = "linked_product"  # product name in YAML, a PACKAGE_PRODUCT Id on the wire


@dataclass(frozen=True)
class FieldSpec:
    """One catalog field and its wire counterpart."""

    name: str
    wire: str
    type: FieldType = FieldType.TEXT


#: The rating method types the vendor documents (support article "Rating Methods Overview",
#: https://support.billingplatform.com/hc/en-us/articles/204146815, and the Formula article;
#: "Revenue Commitment" from a real org's export, reference §10.5). A catalog names a rating
#: method by its type: RATING_METHOD.RatingMethodType.
RATING_METHOD_TYPES = (
    "One Time Charge",
    "Usage",
    "Conditional Product Charge",
    "Subscription",
    "Variable Interval Subscription",
    "Discount",
    "Trial",
    "Late Fee",
    "Per Invoice",
    "Formula",
    "Revenue Commitment",
)

ENTITY = {Kind.PRODUCT: "PRODUCT", Kind.PACKAGE: "PACKAGE", Kind.PACKAGE_PRODUCT: "PACKAGE_PRODUCT"}

_T, _D, _F = FieldType.TEXT, FieldType.DECIMAL, FieldType.FLAG
_N = FieldType.NUMBER_TEXT
FIELDS: dict[Kind, tuple[FieldSpec, ...]] = {
    Kind.PRODUCT: (
        FieldSpec("status", "Status"),
        FieldSpec("rate", "Rate", _D),
        FieldSpec("rating_method", "RatingMethodId", FieldType.RATING_METHOD),
        FieldSpec("override_permissions", "OverridePermissions"),
        FieldSpec("external_key", "ExternalKey"),
        FieldSpec("order_of_execution", "OrderOfExecution", FieldType.NUMBER_TEXT),
        FieldSpec("ranking", "Ranking"),
        FieldSpec("customize_tax_rules", "CustomizeTaxRules", _F),
        FieldSpec("contract_required_flag", "ContractRequiredFlag", _F),
        FieldSpec("default_rate_flag", "DefaultRateFlag", _F),
        FieldSpec("use_formula_ssp", "UseFormulaSSP", _F),
        FieldSpec("ssp_formula", "SSPFormula"),
        FieldSpec(
            "restrict_use_of_unreferenced_contracts", "RestrictUseOfUnreferencedContracts", _F
        ),
    ),
    Kind.PACKAGE: (FieldSpec("status", "PackageStatus"),),
    Kind.PACKAGE_PRODUCT: (
        FieldSpec("name", "Name"),
        FieldSpec("min_qty", "MinQty", _D),
        FieldSpec("max_qty", "MaxQty", _D),
        FieldSpec("rate", "Rate", _D),
        FieldSpec("rate_override", "RateOverride", _D),
        FieldSpec("rating_method", "RatingMethodId", FieldType.RATING_METHOD),
        FieldSpec("allow_price_override", "AllowPriceOverride", _F),
        FieldSpec("parent_component_label", "ParentComponentLabel"),
        FieldSpec("link_package", "LinkPackageId", FieldType.PACKAGE),
        FieldSpec("link_product", "LinkPackageProductId", FieldType.LINKED_PRODUCT),
    ),
}
SPECS: dict[Kind, dict[str, FieldSpec]] = {k: {s.name: s for s in v} for k, v in FIELDS.items()}
_PP_KEYS = ("PackageId", "ProductId", "ParentPackageProductId")
SYSTEM = ("Updated", "UpdatedUserId")


def select_fields(kind: Kind) -> list[str]:
    """The columns to query for a kind."""
    keys = list(_PP_KEYS) if kind is Kind.PACKAGE_PRODUCT else ["Name"]
    return ["Id", *keys, *dict.fromkeys(s.wire for s in FIELDS[kind]), *SYSTEM]


def decode_value(text: str, field_type: FieldType) -> Value:
    """A wire string as a catalog value ("" is None)."""
    if text == "":
        return None
    if field_type is FieldType.DECIMAL:
        try:
            return Decimal(text)
        except InvalidOperation:
            # shown as a change rather than silently equal, unless it is display text
            return display_amount(text) or text
    if field_type is FieldType.FLAG:
        return text.strip().lower() in ("1", "true", "yes")
    if field_type is FieldType.NUMBER_TEXT:
        return normalise_number_text(text)
    return text


_AMOUNT = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


def display_amount(text: str) -> Decimal | None:
    """The amount in a rate shown as display text, or None.

    Public code reads PRODUCT `Rate` from queries as `<br/>`-separated display lines and
    keeps the one with a currency sign (G3, docs/vendor-api.md). One amount in the whole
    text is the rate; with none or several (one per currency) there is no single rate.
    """
    amounts = [m.group(0) for line in text.split("<br/>") for m in _AMOUNT.finditer(line)]
    if len(amounts) != 1:
        return None
    try:
        return Decimal(amounts[0].replace(",", ""))
    except InvalidOperation:
        return None


def encode_value(value: Value) -> str:
    """A catalog value as BillingPlatform expects it: a string, "" to clear."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@dataclass
class Lookups:
    """Id ↔ name tables needed to translate references."""

    rating_method_names: dict[str, str]  # Id → Name
    package_names: dict[str, str]  # Id → Name
    package_product_products: dict[str, str]  # PACKAGE_PRODUCT Id → product name

    def rating_method_ids(self) -> dict[str, str]:
        return {name: rid for rid, name in sorted(self.rating_method_names.items())}


def _reference_name(text: str, table: Mapping[str, str]) -> str:
    # An id we cannot name (deleted, hidden by sharing rules) still shows as a difference.
    return table.get(text, f"#{text}")


def decode_fields(kind: Kind, row: Mapping[str, str], lookups: Lookups) -> dict[str, Value]:
    """A queried row's managed fields in catalog vocabulary."""
    return _decoded(row, _field_decoders(lookups)[kind])


#: (catalog field, wire column, decode) for each field of a kind; decode sees non-empty text.
_FieldDecoders = tuple[tuple[str, str, Callable[[str], Value]], ...]


def _field_decoders(lookups: Lookups) -> dict[Kind, _FieldDecoders]:
    """How each field of each kind is decoded, for the rows of one fetch.

    Each distinct text is decoded once and the value shared: a large catalog repeats a few
    statuses, rates and quantities over tens of thousands of rows, and each row of the
    answer holds its own copy of every text (a third of the live catalog's memory).
    """
    by_type: dict[FieldType, Callable[[str], Value]] = {
        _T: _shared(str),
        _N: _shared(normalise_number_text),
        _D: _shared(lambda text: decode_value(text, _D)),
        _F: lambda text: decode_value(text, _F),
        FieldType.RATING_METHOD: lambda text: _reference_name(text, lookups.rating_method_names),
        FieldType.PACKAGE: lambda text: _reference_name(text, lookups.package_names),
        FieldType.LINKED_PRODUCT: lambda text: _reference_name(
            text, lookups.package_product_products
        ),
    }
    return {
        kind: tuple((spec.name, spec.wire, by_type[spec.type]) for spec in specs)
        for kind, specs in FIELDS.items()
    }


def _shared(decode: Callable[[str], Value]) -> Callable[[str], Value]:
    """`decode`, answering each distinct text once (with the same value object)."""
    seen: dict[str, Value] = {}

    def shared(text: str) -> Value:
        try:
            return seen[text]
        except KeyError:
            value = seen[text] = decode(text)
            return value

    return shared


def _decoded(row: Mapping[str, str], decoders: _FieldDecoders) -> dict[str, Value]:
    # "" is None whatever the type (decode_value's rule), so decoders only see text.
    get = row.get
    return {
        name: decode(text) if (text := get(wire, "")) else None for name, wire, decode in decoders
    }


def live_resources(
    rows: Mapping[Kind, list[dict[str, str]]], rating_methods: Mapping[str, str]
) -> list[LiveResource]:
    """Live resources from the rows of the three entities (rating methods: Id → Name)."""
    products = {r["Id"]: r["Name"] for r in rows[Kind.PRODUCT]}
    packages = {r["Id"]: r["Name"] for r in rows[Kind.PACKAGE]}
    pp_rows = {r["Id"]: r for r in rows[Kind.PACKAGE_PRODUCT]}
    lookups = Lookups(
        dict(rating_methods),
        packages,
        {i: products.get(r.get("ProductId", ""), "") for i, r in pp_rows.items()},
    )
    decoders = _field_decoders(lookups)
    resources = [
        _live(product_ref(r["Name"]), r, decoders[Kind.PRODUCT]) for r in rows[Kind.PRODUCT]
    ]
    resources += [
        _live(package_ref(r["Name"]), r, decoders[Kind.PACKAGE]) for r in rows[Kind.PACKAGE]
    ]
    for row in pp_rows.values():
        ref = package_product_key(row, pp_rows, products, packages)
        if ref is not None:
            resources.append(_live(ref, row, decoders[Kind.PACKAGE_PRODUCT]))
    return resources


def _live(ref: Ref, row: Mapping[str, str], decoders: _FieldDecoders) -> LiveResource:
    return LiveResource(
        ref=ref,
        remote_id=row["Id"],
        fields=_decoded(row, decoders),
        updated_at=row.get("Updated") or None,
        updated_by=row.get("UpdatedUserId") or None,
    )


def package_product_key(
    row: Mapping[str, str],
    rows: Mapping[str, Mapping[str, str]],
    products: Mapping[str, str],
    packages: Mapping[str, str],
) -> Ref | None:
    """(package, product path) of a package-product; None if a link in the chain is broken."""
    path: list[str] = []
    seen: set[str] = set()
    current: Mapping[str, str] | None = row
    while current is not None:
        if current["Id"] in seen or current.get("ProductId", "") not in products:
            return None
        seen.add(current["Id"])
        path.append(products[current["ProductId"]])
        parent = current.get("ParentPackageProductId", "")
        current = rows.get(parent) if parent else None
        if parent and current is None:
            return None
    package = packages.get(row.get("PackageId", ""))
    return None if package is None else package_product_ref(package, *reversed(path))


def encode_fields(
    kind: Kind, values: Iterable[tuple[str, Value]], resolve: Mapping[FieldType, Mapping[str, str]]
) -> dict[str, str]:
    """Catalog fields → wire fields; `resolve` maps reference names to ids per field type.

    Raises:
        KeyError: a referenced name has no id (the message names it).
    """
    record: dict[str, str] = {}
    for name, value in values:
        spec = SPECS[kind][name]
        if spec.type in (_T, _N, _D, _F) or value is None:
            record[spec.wire] = encode_value(value)
            continue
        table = resolve[spec.type]
        if str(value) not in table:
            raise KeyError(f"unknown {name.replace('_', ' ')} '{value}'")
        record[spec.wire] = table[str(value)]
    return record
