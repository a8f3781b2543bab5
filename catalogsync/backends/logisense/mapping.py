"""Pure translation between LogiSense v8 records and catalog vocabulary. No HTTP.

LogiSense sends real JSON types (numbers, booleans, null), so decoding is mostly renaming.
Lookups (service type, frequency type, currency, package category, status types) are
written by name in YAML and by id on the wire; `Lookups` holds the id ↔ name tables,
fetched once per run. A package's frequencies and currencies are child records on the wire
and a sorted tuple of names in the catalog.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from itertools import chain, repeat
from operator import attrgetter, itemgetter, setitem
from types import MappingProxyType
from typing import Any, Protocol

from catalogsync.backends.logisense.catalog_format import (
    normalise_datetime,
    normalise_frequency,
    split_frequency,
)
from catalogsync.backends.logisense.reads import LOOKUP_PATHS
from catalogsync.catalog import (
    Kind,
    Ref,
    Value,
    package_product_ref,
    package_product_refs,
    package_ref,
    product_ref,
    product_refs,
)
from catalogsync.http.tables import record_type
from catalogsync.live import LiveResource, in_ref_order, ref_of

#: A record as decoded JSON (a dict); a Package Detail record may also be a typed one
#: (`PACKAGE_DETAIL`, see "Package Detail records read typed" below).
Record = Mapping[str, Any]


class FieldType(Enum):
    """How a field's value is converted."""

    TEXT = "text"
    INT = "int"
    FLAG = "flag"
    DATE = "date"
    LOOKUP = "lookup"  # a name in YAML, an id on the wire (FieldSpec.lookup names the table)


@dataclass(frozen=True)
class FieldSpec:
    """One catalog field and its wire counterpart."""

    name: str
    wire: str
    type: FieldType = FieldType.TEXT
    lookup: str = ""


_T, _I, _F, _D = FieldType.TEXT, FieldType.INT, FieldType.FLAG, FieldType.DATE


def _lookup(name: str, wire: str, table: str) -> FieldSpec:
    return FieldSpec(name, wire, FieldType.LOOKUP, table)


# The REST resources (paths under /ResourceServer/api/v8/) of each kind.
RESOURCE = {
    Kind.PRODUCT: "Service",
    Kind.PACKAGE: "Package",
    Kind.PACKAGE_PRODUCT: "Package/Service",
}
# Lookup tables fetched once per run (`GET {path}/`), by the object name the field pages
# give (`packageCategoryId`: "the associated PackageCategory object") and the path its own
# page documents (docs/vendor-api.md, "LogiSense REST v8", lookups): `reads.LOOKUP_PATHS`.
LOOKUP_TABLES = tuple(LOOKUP_PATHS)

FIELDS: dict[Kind, tuple[FieldSpec, ...]] = {
    Kind.PRODUCT: (
        _lookup("service_type", "serviceTypeId", "ServiceType"),
        FieldSpec("description", "description"),
        FieldSpec("is_active", "isActive", _F),
        FieldSpec("is_tax_exempt", "isTaxExempt", _F),
        FieldSpec("is_tax_inclusive", "isTaxInclusive", _F),
        _lookup("default_service_status_type", "defaultServiceStatusTypeId", "ServiceStatusType"),
        FieldSpec("usage_frequency", "usageFrequency", _I),
        _lookup("usage_frequency_type", "usageFrequencyTypeId", "FrequencyType"),
    ),
    Kind.PACKAGE: (
        _lookup("package_category", "packageCategoryId", "PackageCategory"),
        _lookup(
            "default_account_package_status_type",
            "defaultAccountPackageStatusTypeId",
            "AccountPackageStatusType",
        ),
        FieldSpec("description", "description"),
        FieldSpec("invoice_detail", "invoiceDetail"),
        FieldSpec("start", "start", _D),
        FieldSpec("expiry", "expiry", _D),
        FieldSpec("full_period", "fullPeriod", _F),
        FieldSpec("post_paid", "postPaid", _F),
        FieldSpec("bill_on_account_bill_day", "billOnAccountBillDay", _F),
        FieldSpec("charge_recurring_if_usage", "chargeRecurringIfUsage", _F),
        FieldSpec("is_global_add_on_eligible", "isGlobalAddOnEligible", _F),
        FieldSpec("is_quantity_allowed", "isQuantityAllowed", _F),
    ),
    Kind.PACKAGE_PRODUCT: (
        FieldSpec("default_instances", "defaultInstances", _I),
        FieldSpec("minimum_instances", "minimumInstances", _I),
        FieldSpec("maximum_instances", "maximumInstances", _I),
    ),
}
SPECS: dict[Kind, dict[str, FieldSpec]] = {k: {s.name: s for s in v} for k, v in FIELDS.items()}
# Package fields that are child collections on the wire, not fields of the Package record.
CHILD_FIELDS = ("currencies", "frequencies")


@dataclass
class Lookups:
    """Id → name tables of the lookup resources; currencies are named by their code."""

    names: dict[str, dict[int, str]] = field(default_factory=dict)

    @classmethod
    def from_records(cls, tables: Mapping[str, Iterable[Record]]) -> Lookups:
        names: dict[str, dict[int, str]] = {}
        for table, records in tables.items():
            label = "code" if table == "Currency" else "name"
            names[table] = {
                int(r["identity"]): str(r.get(label) or r.get("name") or "") for r in records
            }
        return cls(names)

    def name(self, table: str, identity: Any) -> str:
        """The name of a looked-up id; an id we cannot name still shows as a difference."""
        if identity is None:
            return ""
        return self.names.get(table, {}).get(int(identity), f"#{identity}")

    def known(self, table: str) -> frozenset[str]:
        """Every name of a table."""
        return frozenset(self.names.get(table, {}).values())

    def id(self, table: str, name: str) -> int:
        """The id of a name. Raises KeyError naming the unknown value."""
        for identity, known in sorted(self.names.get(table, {}).items()):
            if known == name:
                return identity
        readable = "currency code" if table == "Currency" else _spaced(table)
        raise KeyError(f"unknown {readable} '{name}'")


def _spaced(table: str) -> str:
    """`PackageCategory` → `package category`."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in table).strip()


def decode_value(value: Any, spec: FieldSpec, lookups: Lookups) -> Value:
    """A wire value as a catalog value (null is None)."""
    if value is None:
        return None
    if spec.type is FieldType.FLAG:
        return bool(value) if not isinstance(value, str) else value.lower() in ("1", "true")
    if spec.type is FieldType.INT:
        return int(value) if isinstance(value, (int, float)) else str(value)
    if spec.type is FieldType.LOOKUP:
        return lookups.name(spec.lookup, value)
    if spec.type is FieldType.DATE:
        try:
            return normalise_datetime(str(value))
        except ValueError:
            return str(value)  # shown as a change rather than silently equal
    return str(value)


def decode_fields(kind: Kind, record: Record, lookups: Lookups) -> dict[str, Value]:
    """A record's managed fields in catalog vocabulary (children not included)."""
    return _decoded(record, field_decoders(lookups)[kind])


#: (catalog field, wire field, decode) for each field of a kind: `decode_value` with the
#: field's type (and lookup table) settled once for a whole read instead of once a value.
FieldDecoders = tuple[tuple[str, str, Callable[[Any], Value]], ...]


def field_decoders(lookups: Lookups) -> dict[Kind, FieldDecoders]:
    return {
        kind: tuple((s.name, s.wire, _decoder(s, lookups)) for s in specs)
        for kind, specs in FIELDS.items()
    }


def _decoder(spec: FieldSpec, lookups: Lookups) -> Callable[[Any], Value]:
    if spec.type is FieldType.LOOKUP:
        names = lookups.names.get(spec.lookup, {})

        def lookup(value: Any) -> Value:  # Lookups.name, its table found once
            return None if value is None else names.get(int(value), f"#{value}")

        return lookup
    if spec.type is FieldType.DATE:
        return partial(decode_value, spec=spec, lookups=lookups)
    return _SCALAR_DECODERS[spec.type]


# Each first returns a value that is already what it decodes to (nearly every one: the JSON
# type the field documents, or null) as it is: hundreds of thousands of values a large read.


def _text(value: Any) -> Value:
    if value is None or type(value) is str:
        return value
    return str(value)


def _flag(value: Any) -> Value:
    if value is None or type(value) is bool:
        return value
    return bool(value) if not isinstance(value, str) else value.lower() in ("1", "true")


def _int(value: Any) -> Value:
    if value is None or type(value) is int:
        return value
    return int(value) if isinstance(value, (int, float)) else str(value)


_SCALAR_DECODERS: dict[FieldType, Callable[[Any], Value]] = {
    FieldType.TEXT: _text,
    FieldType.FLAG: _flag,
    FieldType.INT: _int,
}


def _decoded(record: Record, decoders: FieldDecoders) -> dict[str, Value]:
    get = record.get
    return {name: decode(get(wire)) for name, wire, decode in decoders}


def encode_fields(
    kind: Kind, values: Iterable[tuple[str, Value]], lookups: Lookups
) -> dict[str, Any]:
    """Catalog fields → wire fields (children skipped).

    Raises:
        KeyError: a lookup name is unknown (the message names it).
    """
    record: dict[str, Any] = {}
    for name, value in values:
        spec = SPECS[kind].get(name)
        if spec is None:
            continue
        if value is None:
            record[spec.wire] = None
        elif spec.type is FieldType.LOOKUP:
            record[spec.wire] = lookups.id(spec.lookup, str(value))
        elif spec.type is FieldType.DATE:
            record[spec.wire] = _wire_datetime(str(value))
        else:
            record[spec.wire] = value
    return record


def _wire_datetime(text: str) -> str:
    """A normalised catalog date as an ISO 8601 UTC timestamp (`2026-01-01T00:00:00Z`)."""
    return text if "T" in text else f"{text}T00:00:00Z"


def details(record: Record, collection: str) -> list[Record]:
    """A Detail record's child collection (`services`, `frequencies`, `currencies`)."""
    found = (record.get("details") or {}).get(collection) or []
    # `type(…) is dict` first: what a decoded answer holds, told without the ABC check
    # (150,000 services a read at L).
    return [child for child in found if type(child) is dict or isinstance(child, Mapping)]


def frequency_name(child: Record, lookups: Lookups) -> str:
    """A Package/Frequency record as the catalog writes it: `Month`, `3 Month`."""
    return _frequency(child.get("frequency"), child.get("frequencyTypeId"), lookups)


def _frequency(count: Any, frequency_type_id: Any, lookups: Lookups) -> str:
    kind = lookups.name("FrequencyType", frequency_type_id)
    return normalise_frequency(f"{count or 1} {kind}")


def currency_code(child: Record, lookups: Lookups) -> str:
    """A Package/Currency record's currency code."""
    return _currency(child.get("currencyCode"), child.get("currencyId"), lookups)


def _currency(code: Any, currency_id: Any, lookups: Lookups) -> str:
    return str(code) if code else lookups.name("Currency", currency_id)


@dataclass(frozen=True)
class PackageChildren:
    """The live ids of a package's frequency and currency records, by catalog name."""

    frequencies: Mapping[str, int]
    currencies: Mapping[str, int]


def package_children(record: Record, lookups: Lookups) -> PackageChildren:
    if type(record) is not dict and not isinstance(record, Mapping):
        return _typed_children(record, lookups)
    return PackageChildren(
        {frequency_name(c, lookups): int(c["identity"]) for c in details(record, "frequencies")},
        {currency_code(c, lookups): int(c["identity"]) for c in details(record, "currencies")},
    )


def taken(records: list[Record]) -> Iterator[Record]:
    """The records in order, each removed from `records` as it is handed out (the list ends
    empty): a large read's records are let go while its live rows are built, rather than all
    held until the last row is (at L ~200,000 records: the peak of a read-only run)."""
    records.reverse()
    while records:
        yield records.pop()


def live_resources(
    services: Iterable[Record],
    packages: Iterable[Record],
    lookups: Lookups,
    service_names: dict[int, str] | None = None,
) -> list[LiveResource]:
    """Live resources from Service records and Package Detail records, record by record
    (`service_names`: identity → name of the services read, filled in as they are).

    `live_rows.LiveRows` builds the same while the read goes on; this is its reference,
    and what it falls back on."""
    decoders = field_decoders(lookups)
    names = {} if service_names is None else service_names
    resources: list[LiveResource] = []
    typed: _TypedMapping | None = None
    for run in _runs(services):
        if type(run) is list:  # `SERVICE` records, built a run at a time
            typed = typed or _TypedMapping(decoders, names)
            resources += typed.products(run, names)
            continue
        record: Record = run
        names[int(record["identity"])] = str(record["name"])
        fields = _decoded(record, decoders[Kind.PRODUCT])
        resources.append(_live(product_ref(str(record["name"])), record, fields))
    # in the live catalog's order of kinds (`Kind` values): packages, their services, services
    return package_resources(packages, lookups, names, decoders) + resources


class Appends(Protocol):
    """Where live resources go as they are built: a list, or what hands each on."""

    def append(self, resource: LiveResource, /) -> None: ...


def package_resources(
    packages: Iterable[Record],
    lookups: Lookups,
    service_names: Mapping[int, str],
    decoders: dict[Kind, FieldDecoders] | None = None,
    children_of: Iterable[PackageChildren] | None = None,
    into: Appends | None = None,
    services_built: list[LiveResource] | None = None,
) -> list[LiveResource]:
    """`live_resources` of Package Detail records, their services named by `service_names`
    (`children_of`: each record's `package_children`, when they are known already).

    The packages come first, then the package services: a listing in name order (as
    LogiSense pages are) is then already in the live catalog's order, which sorts it in
    one pass rather than merging a package and its services at a time (at L 0.1–0.3 s).
    With `into`, each resource is appended to it as it is built, in record order, and the
    list returned is empty (a read that keeps none of them: `LiveRows.finish_into`).
    With `services_built` (what `package_service_resources` built of these same records,
    not with `into`), only the packages are built, and those services follow them."""
    if services_built is not None:
        return _packages_alone(packages, lookups, decoders, children_of) + services_built
    decoders = decoders or field_decoders(lookups)
    known = iter(children_of) if children_of is not None else None
    resources: list[LiveResource] = []
    listed: list[LiveResource] = []  # the package services, after the packages
    services: Appends = listed if into is None else into
    package = resources.append if into is None else into.append
    typed: _TypedMapping | None = None
    for run in _runs(packages):
        if type(run) is list:  # `PACKAGE_DETAIL` records, built a run at a time
            typed = typed or _TypedMapping(decoders, service_names)
            if known is not None:
                kids = [next(known) for _ in run]
            else:
                kids = [_typed_children(record, lookups) for record in run]
            built = typed.packages(run, kids)
            if built is None:  # a package service named otherwise: record by record
                for one, children in zip(run, kids, strict=True):
                    package(typed.package(one, children))
                    typed.services(one, services)
                continue
            made, made_services, counts = built
            if into is None:
                resources += made
                listed += made_services
                continue
            start = 0
            for its_package, count in zip(made, counts, strict=True):
                into.append(its_package)
                for its_service in made_services[start : start + count]:
                    into.append(its_service)
                start += count
            continue
        record: Record = run
        name = str(record["name"])
        fields = _decoded(record, decoders[Kind.PACKAGE])
        children = next(known) if known is not None else package_children(record, lookups)
        fields["frequencies"] = tuple(sorted(children.frequencies))
        fields["currencies"] = tuple(sorted(children.currencies))
        package(_live(package_ref(name), record, fields))
        for child in details(record, "services"):
            service_id = child.get("serviceId")
            service = service_names.get(int(service_id)) if service_id is not None else None
            service = service or child.get("serviceName")
            if service:
                ref = package_product_ref(name, str(service))
                child_fields = _decoded(child, decoders[Kind.PACKAGE_PRODUCT])
                services.append(_live(ref, child, child_fields))
    resources += listed
    return resources


def package_service_resources(
    packages: Sequence[Any], service_names: Mapping[int, str]
) -> list[LiveResource] | None:
    """The package services `package_resources` builds of `packages` (typed
    `PACKAGE_DETAIL` records, each service named by `service_names`: every service read),
    in its order, built before the lookup tables are in: no field of a package service
    names a lookup row (`_NO_LOOKUP`). None when a record is a dict (mapped whole later,
    so that a malformed one raises where it did)."""
    listed: list[LiveResource] = []
    typed = _TypedMapping(_NO_LOOKUP, service_names)
    for run in _runs(packages):
        if type(run) is not list:
            return None
        built = typed.package_services(run)
        if built is None:  # a package service named otherwise: record by record
            for one in run:
                typed.services(one, listed)
        else:
            listed += built[0]
    return listed


def unnamed_products(
    records: list[Any], service_names: dict[int, str]
) -> tuple[list[LiveResource], list[dict[str, Value]]]:
    """The live resources `live_resources` builds of `SERVICE` records (products), built
    before the lookup tables are in: their lookup fields hold the ids read until
    `name_products` names them in the dicts (each distinct one once) returned beside them,
    before anyone reads them. Each one's name is kept in `service_names` as there."""
    identities, names = list(map(_IDENTITY, records)), list(map(_NAME, records))
    service_names.update(zip(identities, names, strict=True))
    values: list[list[Any]] = []
    for (_, _, decode), spec in zip(_NO_LOOKUP[Kind.PRODUCT], FIELDS[Kind.PRODUCT], strict=True):
        column = list(map(attrgetter(spec.wire), records))
        if spec.type is FieldType.DATE:  # (none yet) decoded as `_TypedMapping._columns` does
            decoded = {value: decode(value) for value in dict.fromkeys(column)}
            column = list(map(decoded.__getitem__, column))
        values.append(column)
    rows = list(zip(*values, strict=True))
    labels = tuple(spec.name for spec in FIELDS[Kind.PRODUCT])
    dicts = {row: dict(zip(labels, row, strict=True)) for row in dict.fromkeys(rows)}
    views = {row: MappingProxyType(found) for row, found in dicts.items()}
    made = LiveResource.made(
        product_refs(names),
        map(str, identities),
        map(views.__getitem__, rows),
        _updated_at(records),
    )
    return made, list(dicts.values())


def name_products(dicts: list[dict[str, Value]], lookups: Lookups) -> None:
    """Name the lookup fields of `unnamed_products`' dicts, as `_decoder` does."""
    for (name, _, decode), spec in zip(
        field_decoders(lookups)[Kind.PRODUCT], FIELDS[Kind.PRODUCT], strict=True
    ):
        if spec.type is not FieldType.LOOKUP:
            continue
        ids = list(map(itemgetter(name), dicts))
        decoded = {value: decode(value) for value in dict.fromkeys(ids)}
        # In C: each dict gets its name (its key is already in place).
        deque(map(setitem, dicts, repeat(name), map(decoded.__getitem__, ids)), 0)


class UnnamedPackages:
    """The packages `package_resources` builds of typed `PACKAGE_DETAIL` records (without
    their services: `package_service_resources`), built before the lookup tables are in and
    sorted by ref (`resources`, `in_order`): each one's two lookup fields hold the ids read,
    its frequencies and currencies nothing, until `name` names them in place, before anyone
    reads them. What naming needs of each record is kept here (its identity, lookup ids, and
    its frequencies' and currencies' values and ids), so the records can go meanwhile: at L
    5,000 packages holding 150,000 package services, ~0.02 s of CPU to free."""

    def __init__(self, records: Sequence[Any]) -> None:
        fields_of = _TypedMapping._fields(Kind.PACKAGE, {Kind.PACKAGE: _PACKAGE_IDS_KEPT})
        resources: list[LiveResource] = []
        #: (identity, fields, what names them, frequency ids, currency ids), record order.
        self._unnamed: list[tuple[str, dict[str, Value], Any, tuple[Any, ...], tuple[Any, ...]]]
        self._unnamed = []
        for record in records:
            fields = fields_of(record)
            fields["frequencies"] = fields["currencies"] = ()  # (named: `name`)
            updated_at = record.updated or record.created or None
            identity = str(record.identity)
            resources.append(
                LiveResource.adopting(package_ref(record.name), identity, fields, updated_at)
            )
            details = record.details
            frequencies = (details.frequencies if details is not None else None) or ()
            currencies = (details.currencies if details is not None else None) or ()
            named_by = (
                tuple(map(fields.__getitem__, _PACKAGE_LOOKUPS)),
                tuple((c.frequency, c.frequencyTypeId) for c in frequencies),
                tuple((c.currencyCode, c.currencyId) for c in currencies),
            )
            frequency_ids = tuple(c.identity for c in frequencies)
            currency_ids = tuple(c.identity for c in currencies)
            self._unnamed.append((identity, fields, named_by, frequency_ids, currency_ids))
        resources.sort(key=ref_of)  # (stable: records of one ref keep their order)
        self.resources = resources
        self.in_order = in_ref_order(resources)

    def name(self, lookups: Lookups) -> dict[str, PackageChildren]:
        """Name the packages' lookup fields, frequencies and currencies, as
        `_TypedMapping.package` and `package_children` do (each distinct set of values once,
        in the records' order: the first error raised is the one `package_children` raises
        of the records in turn); the packages' children by identity, in record order."""
        decoders = dict((name, decode) for name, _, decode in field_decoders(lookups)[Kind.PACKAGE])
        named: dict[Any, tuple[dict[str, Value], list[str], list[str]]] = {}
        children: dict[str, PackageChildren] = {}
        for identity, fields, named_by, frequency_ids, currency_ids in self._unnamed:
            found = named.get(named_by)
            if found is None:
                ids, frequencies, currencies = named_by
                frequency_names = [_frequency(n, kind, lookups) for n, kind in frequencies]
                currency_names = [_currency(code, id_, lookups) for code, id_ in currencies]
                values = {
                    name: decoders[name](id_)
                    for name, id_ in zip(_PACKAGE_LOOKUPS, ids, strict=True)
                }
                values["frequencies"] = tuple(sorted(set(frequency_names)))
                values["currencies"] = tuple(sorted(set(currency_names)))
                found = named[named_by] = (values, frequency_names, currency_names)
            values, frequency_names, currency_names = found
            fields.update(values)
            children[identity] = PackageChildren(
                dict(zip(frequency_names, frequency_ids, strict=True)),
                dict(zip(currency_names, currency_ids, strict=True)),
            )
        self._unnamed = []
        return children


def _packages_alone(
    packages: Iterable[Record],
    lookups: Lookups,
    decoders: dict[Kind, FieldDecoders] | None,
    children_of: Iterable[PackageChildren] | None,
) -> list[LiveResource]:
    """The packages `package_resources` builds of typed `PACKAGE_DETAIL` records (as
    `package_service_resources` takes them), without their services."""
    typed = _TypedMapping(decoders or field_decoders(lookups), {})
    known = iter(children_of) if children_of is not None else None
    made: list[LiveResource] = []
    for record in packages:
        children = next(known) if known is not None else _typed_children(record, lookups)
        made.append(typed.package(record, children))
    return made


#: How many typed records `_runs` hands out at once: a few thousand live resources built
#: together, the run's records let go of before the next (a large read's records are not
#: all held while its live resources are built: see `taken`).
RUN = 256


def _runs(records: Iterable[Any]) -> Iterator[Any]:
    """The records in order: a dict record alone, typed records (`SERVICE`,
    `PACKAGE_DETAIL`) together in lists of up to `RUN` of them."""
    run: list[Any] = []
    for record in records:
        if type(record) is dict or isinstance(record, Mapping):
            if run:
                yield run
                run = []
            yield record
            continue
        run.append(record)
        if len(run) >= RUN:
            yield run
            run = []
    if run:
        yield run


def _live(ref: Ref, record: Record, fields: dict[str, Value]) -> LiveResource:
    updated_at = str(record.get("updated") or record.get("created") or "") or None
    return LiveResource.adopting(ref, str(record["identity"]), fields, updated_at)


def identity_of(record: Record) -> Any:
    """`record["identity"]` (a KeyError without one), of a dict or a typed record alike."""
    if type(record) is dict or isinstance(record, Mapping):
        return record["identity"]
    return record.identity


# -- Package Detail records read typed --------------------------------------------------
#
# At L the page of package details is 63 MB (5,000 packages carrying 150,000 package
# services), nearly always the read's last answer: its decoding and mapping is CPU spent
# after the last answer. Read as dicts (every key of every record, ~15 a service) and then
# value by value through the field decoders, it was ~1 s of CPU. `PACKAGE_DETAIL` reads a
# record for the fields mapped here only, each value already of the JSON type its field
# documents (`_WIRE_TYPES`), so no value needs decoding but lookups and dates, and a
# package service's fields are one dict made in C. A page with any other value (a string
# for a number, a record without its identity, …) is read as dicts, as before
# (`LogiSenseClient.paged`), and mapped above, which says what is wrong with it. Both give
# the same live resources and children for the same page
# (tests/backends/logisense/test_typed_details.py).

_WIRE_TYPES: dict[FieldType, Any] = {
    FieldType.TEXT: str | None,
    FieldType.FLAG: bool | None,  # JSON true/false only: `_flag` keeps them as they are
    FieldType.INT: int | None,  # not true/false, not 1.0: `_int` keeps these as they are
    FieldType.LOOKUP: int | None,
    FieldType.DATE: str | None,
}
#: What `_live` reads for `updated_at`.
_STAMPS = (("created", str | None, None), ("updated", str | None, None))


def _typed_fields(kind: Kind) -> list[tuple[str, Any, Any]]:
    return [(spec.wire, _WIRE_TYPES[spec.type], None) for spec in FIELDS[kind]]


_FREQUENCY = record_type(
    "PackageFrequency",
    [("identity", int), ("frequency", int | None, None), ("frequencyTypeId", int | None, None)],
)
_CURRENCY = record_type(
    "PackageCurrency",
    [("identity", int), ("currencyCode", str | None, None), ("currencyId", int | None, None)],
)
_SERVICE = record_type(
    "PackageService",
    [
        ("identity", int),
        ("serviceId", int | None, None),
        ("serviceName", str | None, None),
        *_typed_fields(Kind.PACKAGE_PRODUCT),
        *_STAMPS,
    ],
)
_DETAILS = record_type(
    "PackageDetails",
    [
        ("services", list[_SERVICE] | None, None),  # type: ignore[valid-type]
        ("frequencies", list[_FREQUENCY] | None, None),  # type: ignore[valid-type]
        ("currencies", list[_CURRENCY] | None, None),  # type: ignore[valid-type]
    ],
)
#: A Service record read typed (`LogiSenseClient.paged("Service", ..., record=SERVICE)`):
#: at L 50,000 of them, which a read holds until its end, as dicts of every key ~65 MB.
SERVICE = record_type(
    "Service", [("identity", int), ("name", str), *_typed_fields(Kind.PRODUCT), *_STAMPS]
)
#: A Package Detail record read typed (`LogiSenseClient.paged(..., record=PACKAGE_DETAIL)`).
PACKAGE_DETAIL = record_type(
    "PackageDetail",
    [
        ("identity", int),
        ("name", str),
        *_typed_fields(Kind.PACKAGE),
        *_STAMPS,
        ("details", _DETAILS | None, None),
    ],
)
_TYPED_KINDS = (FieldType.LOOKUP, FieldType.DATE)  # the values that still need decoding
#: Field decoders without lookup tables: a package service's are those of any read (it has
#: no lookup field; a test holds this).
_NO_LOOKUP = field_decoders(Lookups())


def _as_read(value: Any) -> Value:
    return value  # type: ignore[no-any-return]


#: A package's field decoders that keep a lookup field's id as read (`UnnamedPackages`),
#: and its lookup fields.
_PACKAGE_IDS_KEPT: FieldDecoders = tuple(
    (name, wire, _as_read if spec.type is FieldType.LOOKUP else decode)
    for (name, wire, decode), spec in zip(
        _NO_LOOKUP[Kind.PACKAGE], FIELDS[Kind.PACKAGE], strict=True
    )
)
_PACKAGE_LOOKUPS = tuple(s.name for s in FIELDS[Kind.PACKAGE] if s.type is FieldType.LOOKUP)


def _typed_children(record: Any, lookups: Lookups) -> PackageChildren:
    details = record.details
    frequencies = (details.frequencies if details is not None else None) or ()
    currencies = (details.currencies if details is not None else None) or ()
    return PackageChildren(
        {_frequency(c.frequency, c.frequencyTypeId, lookups): c.identity for c in frequencies},
        {_currency(c.currencyCode, c.currencyId, lookups): c.identity for c in currencies},
    )


_UPDATED, _CREATED = attrgetter("updated"), attrgetter("created")
_IDENTITY, _NAME, _SERVICE_ID = attrgetter("identity"), attrgetter("name"), attrgetter("serviceId")


def _updated_at(records: Sequence[Any]) -> list[str | None]:
    """`record.updated or record.created or None` of each typed record, in C when each has
    its `updated` (as nearly every record read has)."""
    updated = list(map(_UPDATED, records))
    if all(updated):
        return updated
    created = map(_CREATED, records)
    return [at or made or None for at, made in zip(updated, created, strict=True)]


def _children_of(record: Any) -> Sequence[Any]:
    details = record.details
    return (details.services if details is not None else None) or ()


class _TypedMapping:
    """`package_resources` of `PACKAGE_DETAIL` records: the same resources, from values
    that are already of their types (only lookups and dates go through their decoders).

    A run of records is built a column at a time (`products`, `packages`): each field's
    values read out of every record, each distinct lookup id or date decoded once, refs,
    ids and field dicts made by C-level `map`s (record by record, the package services
    were ~1 s of CPU at L once the last answer was in); records alike in every field
    share one read-only view of their fields."""

    def __init__(self, decoders: dict[Kind, FieldDecoders], service_names: Mapping[int, str]):
        self._service_names = service_names
        self._package = self._fields(Kind.PACKAGE, decoders)
        self._service = self._fields(Kind.PACKAGE_PRODUCT, decoders)
        self._products = self._columns(Kind.PRODUCT, decoders)
        self._services = self._columns(Kind.PACKAGE_PRODUCT, decoders)

    @staticmethod
    def _fields(
        kind: Kind, decoders: dict[Kind, FieldDecoders]
    ) -> Callable[[Any], dict[str, Value]]:
        names = tuple(name for name, _, _ in decoders[kind])
        wires = [wire for _, wire, _ in decoders[kind]]
        values = attrgetter(*wires) if len(wires) > 1 else lambda r: (getattr(r, wires[0]),)
        decoded = [
            (name, decode)
            for (name, _, decode), spec in zip(decoders[kind], FIELDS[kind], strict=True)
            if spec.type in _TYPED_KINDS
        ]

        def fields(record: Any) -> dict[str, Value]:
            found = dict(zip(names, values(record), strict=True))
            for name, decode in decoded:
                found[name] = decode(found[name])
            return found

        return fields

    @staticmethod
    def _columns(
        kind: Kind, decoders: dict[Kind, FieldDecoders]
    ) -> Callable[[Sequence[Any]], list[MappingProxyType[str, Value]]]:
        """The fields of each of a run of records (`_fields`'), a column at a time; records
        alike in every field get the same view. Alike is equal: a typed record's values
        are of one JSON type a field (no `1` beside a `true`, `_WIRE_TYPES`), and what a
        lookup or a date decodes to is a text or None."""
        names = tuple(name for name, _, _ in decoders[kind])
        columns = [
            (attrgetter(wire), decode if spec.type in _TYPED_KINDS else None)
            for (_, wire, decode), spec in zip(decoders[kind], FIELDS[kind], strict=True)
        ]

        def fields(records: Sequence[Any]) -> list[MappingProxyType[str, Value]]:
            values: list[list[Any]] = []
            for value_of, decode in columns:
                column = list(map(value_of, records))
                if decode is not None:
                    decoded = {value: decode(value) for value in dict.fromkeys(column)}
                    column = list(map(decoded.__getitem__, column))
                values.append(column)
            rows = list(zip(*values, strict=True))
            views = {
                row: MappingProxyType(dict(zip(names, row, strict=True)))
                for row in dict.fromkeys(rows)
            }
            return list(map(views.__getitem__, rows))

        return fields

    def products(self, records: list[Any], service_names: dict[int, str]) -> list[LiveResource]:
        """The live resources of a run of `SERVICE` records (products), each one's name
        kept in `service_names` under its identity."""
        identities, names = list(map(_IDENTITY, records)), list(map(_NAME, records))
        service_names.update(zip(identities, names, strict=True))
        refs = product_refs(names)
        remote_ids = map(str, identities)
        fields, updated_at = self._products(records), _updated_at(records)
        return LiveResource.made(refs, remote_ids, fields, updated_at)

    def packages(
        self, records: list[Any], children: list[PackageChildren]
    ) -> tuple[list[LiveResource], list[LiveResource], list[int]] | None:
        """The live resources of a run of `PACKAGE_DETAIL` records (`package`'s), those of
        their services (`services`'), and how many services each package has; None when a
        package service is not named by the service it names (then record by record)."""
        services = self.package_services(records)
        if services is None:
            return None
        made = list(map(self.package, records, children))
        return made, *services

    def package_services(self, records: list[Any]) -> tuple[list[LiveResource], list[int]] | None:
        """`packages`' live resources of the services of a run of `PACKAGE_DETAIL`
        records and how many each package has (None likewise): no lookup table needed."""
        services = list(map(_children_of, records))
        flat = list(chain.from_iterable(services))
        named: list[Any] = list(map(self._service_names.get, map(_SERVICE_ID, flat)))
        if not all(named):
            return None
        counts = list(map(len, services))
        owners = chain.from_iterable(map(repeat, map(_NAME, records), counts))
        refs = package_product_refs(owners, named)
        remote_ids = map(str, map(_IDENTITY, flat))
        fields, updated_at = self._services(flat), _updated_at(flat)
        return LiveResource.made(refs, remote_ids, fields, updated_at), counts

    def package(self, record: Any, children: PackageChildren) -> LiveResource:
        fields = self._package(record)
        fields["frequencies"] = tuple(sorted(children.frequencies))
        fields["currencies"] = tuple(sorted(children.currencies))
        updated_at = record.updated or record.created or None
        return LiveResource.adopting(
            package_ref(record.name), str(record.identity), fields, updated_at
        )

    def services(self, record: Any, into: Appends) -> None:
        """The live resources of the package's services, appended to `into`."""
        children = _children_of(record)
        name, names, fields_of = record.name, self._service_names, self._service
        adopting, append = LiveResource.adopting, into.append
        for child in children:
            service_id = child.serviceId
            service = names.get(service_id) if service_id is not None else None
            service = service or child.serviceName
            if service:
                updated_at = child.updated or child.created or None
                ref = package_product_ref(name, service)
                append(adopting(ref, str(child.identity), fields_of(child), updated_at))


@dataclass(frozen=True)
class ChildItem:
    """One PATCH item of a package's child collection (`services`, `frequencies`,
    `currencies`): `wire` holds `patchType`, `identity` (update/delete) and the fields;
    `label` names it in messages. `package_patch.PackagePatch` adds `packageId`."""

    collection: str
    wire: Mapping[str, Any]
    label: str = ""

    @property
    def kind(self) -> str:
        return str(self.wire["patchType"])

    @property
    def identity(self) -> int | None:
        found = self.wire.get("identity")
        return int(found) if found is not None else None


def child_patch_items(
    collection: str,
    before: tuple[str, ...],
    after: tuple[str, ...],
    live_ids: Mapping[str, int],
    lookups: Lookups,
) -> list[ChildItem]:
    """PATCH items that turn a package's frequencies or currencies from `before` to `after`.

    Raises:
        KeyError: a frequency type or currency code is unknown, or a removed name has no
            live record id.
    """
    noun = "frequency" if collection == "frequencies" else "currency"
    items: list[ChildItem] = []
    for name in sorted(set(before) - set(after)):
        if name not in live_ids:
            raise KeyError(f"{noun} '{name}' has no live record to delete")
        wire = {"patchType": "delete", "identity": live_ids[name]}
        items.append(ChildItem(collection, wire, f"{noun} '{name}'"))
    for name in sorted(set(after) - set(before)):
        if collection == "frequencies":
            count, kind = split_frequency(name)
            fields = {"frequency": count, "frequencyTypeId": lookups.id("FrequencyType", kind)}
        else:
            fields = {"currencyId": lookups.id("Currency", name)}
        items.append(ChildItem(collection, {"patchType": "create", **fields}, f"{noun} '{name}'"))
    return items
