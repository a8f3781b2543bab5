"""The LogiSense v8 objects the emulator serves: fields, references, child collections, lookups.

Field lists follow reference/logisense-api.md §9 (the v8 object pages and the seed Package
page). Read-only system fields (`identity`, `ownerId`, `created`, `updated`) and the `xxxName`
companions of every `xxxId` are produced on output and ignored on input, as the object pages
mark them READ-ONLY.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "LOOKUP_SEED",
    "MAX_PATH_DEPTH",
    "RESOURCES",
    "Field",
    "Kind",
    "Resource",
    "companion_name",
    "resource_at",
    "resource_named",
]


class Kind(Enum):
    """A field's JSON type; SQLite stores booleans as 0/1."""

    INT = "int"
    NUMBER = "number"
    BOOL = "bool"
    STRING = "string"
    DATE = "date"

    @property
    def sql_type(self) -> str:
        return {"int": "INTEGER", "number": "REAL", "bool": "INTEGER"}.get(self.value, "TEXT")


@dataclass(frozen=True)
class Field:
    """One writable field. `ref` names the resource an `xxxId` must point to (checked)."""

    name: str
    kind: Kind
    required: bool = False
    ref: str | None = None
    default: Any = None


@dataclass(frozen=True)
class Resource:
    """One object type: its URL path, `dtoTypeKey`, table and fields.

    A child resource (`parent` set) belongs to a Package through `packageId` and appears in
    the Package's `details` and PATCH body under `collection`. `unique_together` lists the
    field sets no two records of one parent may share.
    """

    key: str
    path: str
    dto: str
    fields: tuple[Field, ...]
    lookup: bool = False
    parent: str | None = None
    collection: str | None = None
    has_updated: bool = False
    unique_together: tuple[tuple[str, ...], ...] = ()
    #: Whether the API shows `created` (the v8 pages: not on lookups, nor Package/Currency).
    shows_created: bool = True

    @property
    def table(self) -> str:
        return self.key

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def companion_name(field: str) -> str:
    """`packageCategoryId` -> `packageCategoryName` (every `xxxId` has an `xxxName`)."""
    return field[:-2] + "Name"


def _lookup(key: str, dto: str, *extra: Field, path: str = "") -> Resource:
    """A read-only lookup table served at `path` (its key when the path is flat)."""
    fields = (Field("name", Kind.STRING, required=True), *extra)
    return Resource(key, path or key, dto, fields, True, shows_created=False)


_FK_PACKAGE = Field("packageId", Kind.INT, required=True, ref="Package")

RESOURCES: dict[str, Resource] = {
    r.key: r
    for r in (
        _lookup("ServiceBaseType", "serviceBaseType"),
        _lookup(
            "ServiceType",
            "serviceType",
            Field("serviceBaseTypeId", Kind.INT, ref="ServiceBaseType"),
        ),
        _lookup("FrequencyType", "frequencyType", Field("sortOrder", Kind.INT)),
        # [INFERRED] the v8 Currency page was not read; `code` is what Package detail
        # output calls `currencyCode`.
        _lookup("Currency", "currency", Field("code", Kind.STRING)),
        # The nested paths are the vendor's (v8 Package-Category and Account-Package-
        # StatusType pages; Service/StatusType from the v4 page): see docs/vendor-api.md.
        _lookup(
            "PackageCategory",
            "packageCategory",
            Field("sortOrder", Kind.INT),
            Field("visible", Kind.BOOL, default=True),
            path="Package/Category",
        ),
        _lookup(
            "AccountPackageStatusType",
            "accountPackageStatusType",
            Field("preventChanges", Kind.BOOL, default=False),
            path="Account/Package/StatusType",
        ),
        _lookup("ServiceStatusType", "serviceStatusType", path="Service/StatusType"),
        Resource(
            "Service",
            "Service",
            "service",
            (
                Field("name", Kind.STRING, required=True),
                Field("serviceTypeId", Kind.INT, required=True, ref="ServiceType"),
                Field("usageFrequency", Kind.INT),
                Field("usageFrequencyTypeId", Kind.INT, ref="FrequencyType"),
                # [INFERRED] a new service is active unless told otherwise.
                Field("isActive", Kind.BOOL, default=True),
                Field("isTaxExempt", Kind.BOOL, default=False),
                Field("isTaxInclusive", Kind.BOOL, default=False),
                Field("generalLedgerId", Kind.INT),
                Field("defaultServiceStatusTypeId", Kind.INT, ref="ServiceStatusType"),
                Field("serviceCategoryId", Kind.INT),
                Field("description", Kind.STRING),
            ),
        ),
        Resource(
            "Package",
            "Package",
            "package",
            (
                Field("name", Kind.STRING, required=True),
                Field("start", Kind.DATE),
                Field("expiry", Kind.DATE),
                Field("fullPeriod", Kind.BOOL, default=False),
                Field("invoiceDetail", Kind.STRING),
                Field("postPaid", Kind.BOOL, default=False),
                Field("billOnAccountBillDay", Kind.BOOL, default=False),
                Field(
                    "defaultAccountPackageStatusTypeId", Kind.INT, ref="AccountPackageStatusType"
                ),
                Field("packageCategoryId", Kind.INT, ref="PackageCategory"),
                Field("chargeRecurringIfUsage", Kind.BOOL, default=False),
                Field("isGlobalAddOnEligible", Kind.BOOL, default=False),
                Field("description", Kind.STRING),
                Field("isQuantityAllowed", Kind.BOOL, default=False),
            ),
        ),
        Resource(
            "PackageService",
            "Package/Service",
            "packageService",
            (
                _FK_PACKAGE,
                Field("serviceId", Kind.INT, required=True, ref="Service"),
                # [INFERRED] defaults: one instance, no minimum, no maximum (null).
                Field("defaultInstances", Kind.INT, default=1),
                Field("minimumInstances", Kind.INT, default=0),
                Field("maximumInstances", Kind.INT),
                Field("termId", Kind.INT),
                Field("isUsageBucketSharePlanPackageService", Kind.BOOL, default=False),
                Field("usageClassDynamicId", Kind.INT),
            ),
            parent="Package",
            collection="services",
            has_updated=True,
            # [INFERRED] duplicates of one service in a package are [GAP]; refused.
            unique_together=(("packageId", "serviceId"),),
        ),
        Resource(
            "PackageFrequency",
            "Package/Frequency",
            "packageFrequency",
            (
                _FK_PACKAGE,
                Field("frequency", Kind.INT, default=1),
                Field("frequencyTypeId", Kind.INT, required=True, ref="FrequencyType"),
                Field("isActive", Kind.BOOL, default=True),
                Field("termId", Kind.INT),
                Field("sku", Kind.STRING),
                Field("name", Kind.STRING),
                Field("isUsageBucketSharePlanPackageFrequency", Kind.BOOL, default=False),
                Field("countingRuleId", Kind.INT),
            ),
            parent="Package",
            collection="frequencies",
            has_updated=True,
            # [INFERRED] the same billing frequency twice in a package is refused.
            unique_together=(("packageId", "frequency", "frequencyTypeId"),),
        ),
        Resource(
            "PackageCurrency",
            "Package/Currency",
            "packageCurrency",
            (_FK_PACKAGE, Field("currencyId", Kind.INT, required=True, ref="Currency")),
            parent="Package",
            collection="currencies",
            shows_created=False,  # v8 Package-Currency page; seed 004:478-486
            # [INFERRED] a package lists each currency once.
            unique_together=(("packageId", "currencyId"),),
        ),
    )
}

_BY_PATH = {r.path.lower(): r for r in RESOURCES.values()}
_BY_NAME = _BY_PATH | {k.lower(): r for k, r in RESOURCES.items()}
#: The most `/`-separated segments a resource path has (`Account/Package/StatusType`).
MAX_PATH_DEPTH = max(r.path.count("/") + 1 for r in RESOURCES.values())


def resource_named(name: str) -> Resource | None:
    """A resource by key (`PackageService`) or path (`Package/Service`), any case (for the
    emulator's Python helpers)."""
    return _BY_NAME.get(name.strip("/").lower())


def resource_at(path: str) -> Resource | None:
    """The resource served at a URL path (`Package/Category`), any case; keys that are not
    paths (`PackageCategory`) are not served: the vendor has no such route."""
    return _BY_PATH.get(path.strip("/").lower())


#: [INFERRED] Seeded lookup rows (identity, fields). The object pages give no list; names
#: follow the UI help and the v8 samples ("Default" category 2, "Enable" status 99).
LOOKUP_SEED: dict[str, tuple[tuple[int, dict[str, Any]], ...]] = {
    "ServiceBaseType": (
        (1, {"name": "Recurring"}),
        (2, {"name": "Non-Recurring"}),
        (3, {"name": "Usage"}),
    ),
    "ServiceType": (
        (1, {"name": "Recurring", "serviceBaseTypeId": 1}),
        (2, {"name": "One-Time", "serviceBaseTypeId": 2}),
        (3, {"name": "Usage", "serviceBaseTypeId": 3}),
    ),
    "FrequencyType": (
        (1, {"name": "Day", "sortOrder": 1}),
        (2, {"name": "Week", "sortOrder": 2}),
        (3, {"name": "Month", "sortOrder": 3}),
        (4, {"name": "Year", "sortOrder": 4}),
    ),
    "Currency": (
        (1, {"name": "US Dollar", "code": "USD"}),
        (2, {"name": "Canadian Dollar", "code": "CAD"}),
        (3, {"name": "Euro", "code": "EUR"}),
        (4, {"name": "Pound Sterling", "code": "GBP"}),
    ),
    "PackageCategory": (
        (2, {"name": "Default", "sortOrder": 2}),
        (3, {"name": "Residential", "sortOrder": 3}),
        (4, {"name": "Business", "sortOrder": 4}),
    ),
    "AccountPackageStatusType": (
        (99, {"name": "Enable"}),
        (100, {"name": "Disable"}),
        (101, {"name": "Suspend"}),
    ),
    "ServiceStatusType": (
        (1, {"name": "Active"}),
        (2, {"name": "Inactive"}),
        (3, {"name": "Suspended"}),
    ),
}
