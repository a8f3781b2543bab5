"""Pure translation between BillingPlatform records and catalog vocabulary. No HTTP.

BillingPlatform returns every scalar as a string and "" for empty; the catalog speaks
Decimal, bool, str and None. Lookups (rating methods, packages, package-products) are
written by name in YAML and by Id on the wire.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from catalogsync.backends.billingplatform.catalog_format import normalise_number_text
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.reads import COLUMNS
from catalogsync.catalog import Kind, Ref, Value, package_ref, product_ref
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
    """The columns to query for a kind: `reads.COLUMNS`, the columns the login thread asks
    too (`catalogsync.early_login`), which imports no mapping: Id, the keys (`_PP_KEYS`,
    or Name), the wire names of `FIELDS` in order, then `SYSTEM`."""
    return list(COLUMNS[ENTITY[kind]])


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


def reference_name(text: str, table: Mapping[str, str]) -> str:
    # An id we cannot name (deleted, hidden by sharing rules) still shows as a difference.
    return table.get(text, f"#{text}")


#: (catalog field, wire column, decode) for each field of a kind; decode sees non-empty text.
_FieldDecoders = tuple[tuple[str, str, Callable[[str], Value]], ...]


def _field_decoders(lookups: Lookups) -> dict[Kind, _FieldDecoders]:
    """How each field of each kind is decoded, for the rows of one fetch."""
    by_type: dict[FieldType, Callable[[str], Value]] = {
        _T: str,
        _N: normalise_number_text,
        _D: lambda text: decode_value(text, _D),
        _F: lambda text: decode_value(text, _F),
        FieldType.RATING_METHOD: lambda text: reference_name(text, lookups.rating_method_names),
        FieldType.PACKAGE: lambda text: reference_name(text, lookups.package_names),
        FieldType.LINKED_PRODUCT: lambda text: reference_name(
            text, lookups.package_product_products
        ),
    }
    return {
        kind: tuple((spec.name, spec.wire, by_type[spec.type]) for spec in specs)
        for kind, specs in FIELDS.items()
    }


def _decoded_column(texts: Sequence[str], decode: Callable[[str], Value]) -> list[Value]:
    """Each text of a column as a catalog value ("" is None, decode_value's rule).

    Each distinct text is decoded once and the value shared: a large catalog repeats a few
    statuses, rates and quantities over tens of thousands of rows.
    """
    values = {text: decode(text) if text else None for text in dict.fromkeys(texts)}
    return list(map(values.__getitem__, texts))


def live_resources(
    rows: Mapping[Kind, Columns],
    rating_methods: Mapping[str, str],
    kinds: Collection[Kind] = frozenset(Kind),
) -> list[LiveResource]:
    """Live resources of `kinds` from the rows of the three entities (rating methods: Id →
    Name); the rows of the other kinds only name what package-products refer to (a re-check
    of package-products names products and packages from the ids the apply knows)."""
    product_rows, package_rows = rows[Kind.PRODUCT], rows[Kind.PACKAGE]
    products = dict(zip(product_rows.column("Id"), product_rows.column("Name"), strict=True))
    packages = dict(zip(package_rows.column("Id"), package_rows.column("Name"), strict=True))
    # One row per Id (the last one read), as a table keyed by Id would keep.
    pp_rows = rows[Kind.PACKAGE_PRODUCT].last_of_each("Id")
    pp_ids = pp_rows.column("Id")
    lookups = Lookups(
        dict(rating_methods),
        packages,
        {i: products.get(p, "") for i, p in zip(pp_ids, pp_rows.column("ProductId"), strict=True)},
    )
    decoders = _field_decoders(lookups)
    resources: list[LiveResource] = []
    if Kind.PRODUCT in kinds:
        product_refs = map(product_ref, product_rows.column("Name"))
        resources += _live(product_refs, product_rows, decoders[Kind.PRODUCT])
    if Kind.PACKAGE in kinds:
        package_refs = map(package_ref, package_rows.column("Name"))
        resources += _live(package_refs, package_rows, decoders[Kind.PACKAGE])
    if Kind.PACKAGE_PRODUCT in kinds:
        pp_refs = package_product_refs(pp_rows, products, packages)
        resources += _live(pp_refs, pp_rows, decoders[Kind.PACKAGE_PRODUCT])
    return resources


def _live(
    refs: Iterable[Ref | None], rows: Columns, decoders: _FieldDecoders
) -> Iterator[LiveResource]:
    """A live resource for each row that has a ref, its fields decoded column by column."""
    names = tuple(name for name, _, _ in decoders)
    values = zip(
        *(_decoded_column(rows.column(wire), decode) for _, wire, decode in decoders), strict=True
    )
    system = zip(
        rows.column("Id"), rows.column("Updated"), rows.column("UpdatedUserId"), strict=True
    )
    for ref, fields, (remote_id, updated_at, updated_by) in zip(refs, values, system, strict=True):
        if ref is not None:
            yield LiveResource.adopting(
                ref,
                remote_id,
                dict(zip(names, fields, strict=True)),
                updated_at or None,
                updated_by or None,
            )


def package_product_refs(
    rows: Columns, products: Mapping[str, str], packages: Mapping[str, str]
) -> list[Ref | None]:
    """The ref (package, product path) of each package-product row (one row per Id), None
    where a link in its chain is broken: a product or parent that is not live, or a cycle."""
    ids, product_column = rows.column("Id"), rows.column("ProductId")
    parent_column = rows.column("ParentPackageProductId")
    product_ids = dict(zip(ids, product_column, strict=True))
    parents = dict(zip(ids, parent_column, strict=True))
    paths: dict[str, tuple[str, ...] | None] = {}  # product path of each Id, root first
    refs: list[Ref | None] = []
    append = refs.append
    kind = Kind.PACKAGE_PRODUCT
    columns = (ids, rows.column("PackageId"), product_column, parent_column)
    path: tuple[str, ...] | None
    for remote_id, package_id, product_id, parent in zip(*columns, strict=True):
        package = packages.get(package_id)
        if not parent:  # a top-level row (most of them): its path is its product alone
            name = products.get(product_id)
            path = paths[remote_id] = None if name is None else (name,)
        else:
            path = product_path(remote_id, product_ids, parents, products, paths)
        append(None if path is None or package is None else Ref(kind, (package, *path)))
    return refs


def product_path(
    start: str,
    product_ids: Mapping[str, str],
    parents: Mapping[str, str],
    products: Mapping[str, str],
    paths: dict[str, tuple[str, ...] | None],
) -> tuple[str, ...] | None:
    """The product names from the top of `start`'s chain of parents down to it; `paths`
    remembers every row's answer (siblings share their parents' walk)."""
    chain: list[str] = []
    path: tuple[str, ...] | None = ()
    current = start
    while True:
        if current in paths:
            path = paths[current]
            break
        if current in chain or product_ids[current] not in products:
            path = None  # a cycle, or a product that is not live
            chain.append(current)
            break
        chain.append(current)
        parent = parents[current]
        if not parent:
            break
        if parent not in product_ids:
            path = None  # the parent is not a live package-product
            break
        current = parent
    for remote_id in reversed(chain):
        if path is not None:
            path = (*path, products[product_ids[remote_id]])
        paths[remote_id] = path
    return paths[start]


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
