"""The BillingPlatform entities the emulator serves, with their fields and rules.

Field lists follow the vendor's generated API reference (seed pages 000-003 and
reference/billingplatform-api.md §10). Types there differ between schema snapshots, so
`Kind` records how the emulator *stores and compares* a field, not a wire type: on the wire
every scalar is a string.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "ENTITIES",
    "REQUIRED_KEYS",
    "SYSTEM_FIELDS",
    "Entity",
    "Field",
    "Kind",
    "entity_named",
]


class Kind(Enum):
    """How a field is stored in SQLite and compared in queries."""

    TEXT = "text"  # stored as given
    ID = "id"  # an integer (Id and lookups to other records)
    DECIMAL = "decimal"  # stored as its decimal text (no float rounding), compared numerically
    FLAG = "flag"  # 0 or 1
    CHOICE = "choice"  # one of `choices`, stored in canonical spelling
    DATETIME = "datetime"  # ISO-8601 UTC text; system fields only


@dataclass(frozen=True)
class Field:
    """One field of an entity."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    #: Maintained by the server; ignored when a client sends it.
    system: bool = False
    #: No two records may share a non-empty value.
    unique: bool = False
    #: The entity an ID field points to.
    references: str | None = None
    choices: tuple[str, ...] = ()
    #: The value a create stores when the field is not sent.
    default: str | int | None = None

    @property
    def sql_type(self) -> str:
        """The SQLite column type; its affinity makes `Id = '12'` match Id 12."""
        return "INTEGER" if self.kind in (Kind.ID, Kind.FLAG) else "TEXT"


@dataclass(frozen=True)
class Entity:
    """An entity: its canonical name, fields, upsert keys and whether clients may write it."""

    name: str
    fields: tuple[Field, ...]
    upsert_keys: tuple[str, ...] = ()
    writable: bool = True

    def field(self, name: str) -> Field | None:
        """The field called `name`, compared case-insensitively (as BP does)."""
        return _FIELD_INDEX[self.name].get(name.lower())

    @property
    def field_names(self) -> tuple[str, ...]:
        """Canonical field names, in declaration order."""
        return tuple(f.name for f in self.fields)

    def references_to(self, target: str) -> list[Field]:
        """The ID fields of this entity that point to entity `target`."""
        return [f for f in self.fields if f.references == target]


SYSTEM_FIELDS: tuple[Field, ...] = (
    Field("Created", Kind.DATETIME, system=True),
    Field("Updated", Kind.DATETIME, system=True),
    Field("CreatedUserId", Kind.ID, system=True),
    Field("UpdatedUserId", Kind.ID, system=True),
)

_ID = Field("Id", Kind.ID, system=True)

PACKAGE_STATUSES = ("Production", "In Development")
OVERRIDE_PERMISSIONS = (
    "No Restriction",
    "Restrict Rating Method Override",
    "Restrict Rate Override",
)

PACKAGE = Entity(
    "PACKAGE",
    (
        _ID,
        Field("Name", required=True, unique=True),  # unique: support article S19
        Field("PackageStatus", Kind.CHOICE, choices=PACKAGE_STATUSES, default="Production"),
        *SYSTEM_FIELDS,
    ),
    upsert_keys=("Name",),
)

PRODUCT = Entity(
    "PRODUCT",
    (
        _ID,
        Field("Name", required=True, unique=True),  # unique: support article S18
        # [INFERRED] A real export shows "ACTIVE"; the inactive spelling is undocumented,
        # so Status is free text with ACTIVE as its default.
        Field("Status", default="ACTIVE"),
        Field(
            "OverridePermissions",
            Kind.CHOICE,
            choices=OVERRIDE_PERMISSIONS,
            default="Restrict Rating Method Override",
        ),
        Field("RatingMethodId", Kind.ID, references="RATING_METHOD"),
        Field("Rate", Kind.DECIMAL),
        Field("ExternalKey"),
        # A string (seed 001: `brmObjects.OrderOfExecution (string)`), kept as sent: "+5"
        # stays "+5" (it was stored as a number, and came back "5").
        Field("OrderOfExecution"),
        Field("CustomizeTaxRules", Kind.FLAG, default=0),
        Field("ContractRequiredFlag", Kind.FLAG, default=0),
        Field("DefaultRateFlag", Kind.FLAG, default=0),
        Field("UseFormulaSSP", Kind.FLAG, default=0),
        Field("SSPFormula"),
        Field("RestrictUseOfUnreferencedContracts", Kind.FLAG, default=0),
        Field("Ranking"),
        Field("SfRecordId"),
        Field("SfSyncBatchId"),
        Field("SfStatusError"),
        Field("SfLastSync"),
        *SYSTEM_FIELDS,
    ),
    # No document shows an upsert (PATCH) for PRODUCT, only POST save (seed 001): none here.
    # The "product-upsert" profile accepts Name (profiles.py).
    upsert_keys=(),
)

PACKAGE_PRODUCT = Entity(
    "PACKAGE_PRODUCT",
    (
        _ID,
        # Deliberately NOT unique: two packages may hold the same product under the same
        # name, which is what makes Name-keyed upserts of package-products ambiguous.
        Field("Name", required=True),
        Field("PackageId", Kind.ID, required=True, references="PACKAGE"),
        Field("ProductId", Kind.ID, references="PRODUCT"),
        Field("MinQty", Kind.DECIMAL, required=True),
        Field("MaxQty", Kind.DECIMAL),
        Field("Rate", Kind.DECIMAL),
        Field("RateOverride", Kind.DECIMAL),
        Field("RatingMethodId", Kind.ID, references="RATING_METHOD"),
        Field("AllowPriceOverride", Kind.FLAG, default=0),  # "not checked by default"
        Field("ParentPackageProductId", Kind.ID, references="PACKAGE_PRODUCT"),
        Field("ParentComponentLabel"),
        Field("LinkPackageId", Kind.ID, references="PACKAGE"),
        Field("LinkPackageProductId", Kind.ID, references="PACKAGE_PRODUCT"),
        *SYSTEM_FIELDS,
    ),
    upsert_keys=("Name",),
)

# RATING_METHOD: the vendor's schema pages (reference §10.5; POST / retrieve RATING_METHOD)
# show per-product configuration rows (`RatingMethodType`, `AccountProductId`,
# `QuoteProductId`, …) and no `Name`. The type names the method; clients save a row of the
# type they want (POST) and point a product's `RatingMethodId` at it. A few rows are seeded
# so that a new org is not empty. Only the fields catalogsync and its tests touch are here.
RATING_METHOD = Entity(
    "RATING_METHOD",
    (
        _ID,
        Field("RatingMethodType", required=True),
        Field("AccountProductId"),
        Field("QuoteProductId"),
        Field("ExternalKey"),
        *SYSTEM_FIELDS,
    ),
)

#: Rating methods seeded into a new database: (Id, RatingMethodType) (types: support S17).
RATING_METHOD_SEED: tuple[tuple[int, str], ...] = (
    (1, "Usage"),
    (2, "Subscription"),
    (3, "One Time Charge"),
    (4, "Formula"),
    (5, "Discount"),
)

#: The fields a request must carry, per (entity, operation), even when unchanged: the seeds
#: mark them "required" (000: PACKAGE POST Id, Name; 001: PRODUCT POST Id, Name; 002/003:
#: PACKAGE_PRODUCT PUT and PATCH Id, Name, MinQty, PackageId; the vendor's PACKAGE PATCH
#: page: Id, Name). [INFERRED] The generated pages mark the same fields on every operation
#: of an entity, so PUT PRODUCT / PACKAGE and POST PACKAGE_PRODUCT want them too. On a
#: create the Id is sent empty ("Id": "", as public client code does).
REQUIRED_KEYS: dict[tuple[str, str], tuple[str, ...]] = {
    **{("PACKAGE", op): ("Id", "Name") for op in ("create", "update", "upsert")},
    **{("PRODUCT", op): ("Id", "Name") for op in ("create", "update", "upsert")},
    **{
        ("PACKAGE_PRODUCT", op): ("Id", "Name", "MinQty", "PackageId")
        for op in ("create", "update", "upsert")
    },
    ("RATING_METHOD", "create"): ("Id",),  # the vendor's POST RATING_METHOD page: Id required
}

#: Every entity by canonical (upper-case) name; creation order respects references.
ENTITIES: dict[str, Entity] = {
    e.name: e for e in (RATING_METHOD, PACKAGE, PRODUCT, PACKAGE_PRODUCT)
}

#: [INFERRED] Each entity's ids start in their own range, so a client that puts a PRODUCT
#: id into PackageId gets a reference error instead of silently hitting another record.
ID_START: dict[str, int] = {
    "RATING_METHOD": 1,
    "PACKAGE": 1_000_001,
    "PRODUCT": 2_000_001,
    "PACKAGE_PRODUCT": 3_000_001,
}

_FIELD_INDEX: dict[str, dict[str, Field]] = {
    e.name: {f.name.lower(): f for f in e.fields} for e in ENTITIES.values()
}


def entity_named(name: str) -> Entity | None:
    """The entity called `name`, compared case-insensitively."""
    return ENTITIES.get(name.upper())
