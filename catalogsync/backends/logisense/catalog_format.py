"""The LogiSense catalog format: services, packages and their package services.

Field names are the vendor's v8 field names in snake_case (`isTaxExempt` → `is_tax_exempt`,
`minimumInstances` → `minimum_instances`), minus the read-only ones (identity, owner,
created, updated) and minus the `Id` suffix of lookups, which are written by name, never by
id: `service_type: Recurring`, `package_category: Residential`. catalogsync kinds map as
product = `Service`, package = `Package` (with its `Package/Frequency` and
`Package/Currency` children written as lists of names), package-product = `Package/Service`.

v8 PackageService carries no price fields (prices live in PackageServicePricePlan, whose
amounts the reference could not find), so this format has no money; LogiSense packages
service a catalog Service at most once, so package services do not nest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, time
from itertools import repeat
from operator import attrgetter, le
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from catalogsync.catalog import Kind, Resource, Value, package_product_refs
from catalogsync.catalog_format import Locate
from catalogsync.catalog_yaml import (
    FormatModel,
    Name,
    Names,
    YamlCatalogFormat,
    greater_than,
    items_located,
    none_as_empty,
)
from catalogsync.errors import Issue
from catalogsync.yamlio import YamlPath

_FREQUENCY = re.compile(r"(?:(?P<count>[0-9]+) +)?(?P<type>[^\s0-9](?:.*\S)?)")


def normalise_frequency(text: str) -> str:
    """A billing frequency as `[count ]FrequencyType`: `Month`, `3 Month`; `1 Month` is `Month`.

    A package frequency is a count of a frequency type (`frequency: 3`,
    `frequencyTypeName: Month`); one of a type is written as the type alone.
    """
    match = _FREQUENCY.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not a billing frequency like 'Month' or '3 Month'")
    count = int(match["count"] or 1)
    if not 1 <= count <= 9999:
        raise ValueError(f"'{text}': the count of a billing frequency is between 1 and 9999")
    return match["type"] if count == 1 else f"{count} {match['type']}"


def split_frequency(text: str) -> tuple[int, str]:
    """`3 Month` → (3, "Month"); `Month` → (1, "Month")."""
    normal = normalise_frequency(text)
    count, _, rest = normal.partition(" ")
    return (int(count), rest) if rest and count.isdigit() else (1, normal)


def normalise_datetime(text: str) -> str:
    """An ISO 8601 date or date-time in one spelling, so equal instants compare equal.

    Midnight UTC is written as the date alone (`2026-01-01`); other instants as UTC
    `2026-01-01T12:30:00Z` (fractions of a second kept only when not zero). A value
    without a zone is taken as UTC, as LogiSense's samples (`…587Z`) are.
    """
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO 8601 date or date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed.time() == time(0):
        return parsed.date().isoformat()
    spec = "milliseconds" if parsed.microsecond else "seconds"
    return parsed.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _currency_code(text: str) -> str:
    if re.fullmatch(r"[A-Z]{3}", text) is None:
        raise ValueError(f"'{text}' is not a currency code like USD (three capital letters)")
    return text


def _sorted_unique(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """A set of names in a stable order: the order in YAML is not managed."""
    if values is None:
        return None
    if len(set(values)) != len(values):
        duplicates = sorted({v for v in values if values.count(v) > 1})
        raise ValueError(f"listed more than once: {', '.join(duplicates)}")
    return tuple(sorted(values))


# LogiSense's integer properties are 32-bit in its samples' ranges (docs/vendor-api.md,
# "Decimal bounds", assumed): a larger count is a typo, refused with its location.
Instances = Annotated[int, Field(ge=0, le=2**31 - 1)]
Frequency = Annotated[str, AfterValidator(normalise_frequency)]
CurrencyCode = Annotated[str, AfterValidator(_currency_code)]
# ISO 8601 date or date-time, kept as text: `2026-01-01` or `2026-01-01T00:00:00Z`.
DateTime = Annotated[str, AfterValidator(normalise_datetime)]


class Service(FormatModel):
    """A Service: a chargeable item that can be attached to a package."""

    name: Name = Field(description="Service name (unique); the service's identity.")
    renamed_from: Names = Field((), description="Earlier names: plan a rename, not a new service.")
    protect: bool = Field(False, description="Refuse to delete this service.")
    service_type: Name = Field(
        description="Service type, by name (serviceTypeId; required by LogiSense): "
        "e.g. Recurring, One-Time, Usage."
    )
    description: str | None = Field(None, description="description.")
    is_active: bool | None = Field(
        None, description="isActive: whether the service can be added to a package."
    )
    is_tax_exempt: bool | None = Field(None, description="isTaxExempt.")
    is_tax_inclusive: bool | None = Field(None, description="isTaxInclusive.")
    default_service_status_type: Name | None = Field(
        None,
        description="Status an account service starts in, by name "
        "(defaultServiceStatusTypeId): e.g. Active.",
    )
    usage_frequency: Instances | None = Field(
        None, description="usageFrequency: how many usage_frequency_type periods."
    )
    usage_frequency_type: Name | None = Field(
        None, description="Usage frequency type, by name (usageFrequencyTypeId): e.g. Month."
    )


class PackageService(FormatModel):
    """A Package/Service: a service inside a package, with its instance counts."""

    service: Name = Field(description="The service, by name (serviceId).")
    protect: bool = Field(False, description="Refuse to delete this package service.")
    default_instances: Instances | None = Field(
        None, description="defaultInstances: quantity added when the package goes on an account."
    )
    minimum_instances: Instances | None = Field(None, description="minimumInstances.")
    maximum_instances: Instances | None = Field(None, description="maximumInstances.")


class Package(FormatModel):
    """A Package with its billing frequencies, currencies and package services."""

    name: Name = Field(description="Package name (unique); the package's identity.")
    renamed_from: Names = Field((), description="Earlier names: plan a rename, not a new package.")
    protect: bool = Field(False, description="Refuse to delete this package.")
    package_category: Name | None = Field(
        None, description="Package category, by name (packageCategoryId)."
    )
    default_account_package_status_type: Name | None = Field(
        None,
        description="Status an account package starts in, by name "
        "(defaultAccountPackageStatusTypeId): e.g. Enable.",
    )
    description: str | None = Field(None, description="description.")
    invoice_detail: str | None = Field(None, description="invoiceDetail: text for invoices.")
    start: DateTime | None = Field(None, description="start: available for purchase from (ISO).")
    expiry: DateTime | None = Field(None, description="expiry: no longer available from (ISO).")
    full_period: bool | None = Field(None, description="fullPeriod: charge full periods.")
    post_paid: bool | None = Field(None, description="postPaid.")
    bill_on_account_bill_day: bool | None = Field(None, description="billOnAccountBillDay.")
    charge_recurring_if_usage: bool | None = Field(None, description="chargeRecurringIfUsage.")
    is_global_add_on_eligible: bool | None = Field(None, description="isGlobalAddOnEligible.")
    is_quantity_allowed: bool | None = Field(None, description="isQuantityAllowed.")
    frequencies: Annotated[tuple[Frequency, ...] | None, AfterValidator(_sorted_unique)] = Field(
        None,
        description="Billing frequencies (Package/Frequency) as '[count ]FrequencyType': "
        "Month, 3 Month, Year. Absent: not managed.",
    )
    currencies: Annotated[tuple[CurrencyCode, ...] | None, AfterValidator(_sorted_unique)] = Field(
        None,
        description="Currency codes the package is sold in (Package/Currency): USD, EUR. "
        "Absent: not managed.",
    )
    services: Annotated[tuple[PackageService, ...], BeforeValidator(none_as_empty)] = Field(
        (), description="The package's package services."
    )


class CatalogFile(FormatModel):
    """One LogiSense catalog file."""

    services: Annotated[tuple[Service, ...], BeforeValidator(none_as_empty)] = Field(
        (), description="Services (the catalog's products)."
    )
    packages: Annotated[tuple[Package, ...], BeforeValidator(none_as_empty)] = Field(
        (), description="Packages, with their frequencies, currencies and package services."
    )


# Keys that shape the catalog rather than being fields of the remote record.
_STRUCTURAL = frozenset({"name", "renamed_from", "protect", "service", "services"})
_MODELS: Mapping[Kind, type[BaseModel]] = MappingProxyType(
    {Kind.PRODUCT: Service, Kind.PACKAGE: Package, Kind.PACKAGE_PRODUCT: PackageService}
)
# Managed fields per kind (what a backend reads and writes).
FIELDS: dict[Kind, tuple[str, ...]] = {
    kind: tuple(f for f in model.model_fields if f not in _STRUCTURAL)
    for kind, model in _MODELS.items()
}


_SERVICE = attrgetter("service")


class LogiSenseFormat(YamlCatalogFormat):
    """LogiSense's catalog format (see the module docstring)."""

    backend = "logisense"
    kind_names: ClassVar[Mapping[Kind, str]] = MappingProxyType(
        {Kind.PRODUCT: "service", Kind.PACKAGE: "package", Kind.PACKAGE_PRODUCT: "package service"}
    )
    document_model = CatalogFile
    models = _MODELS
    lists: ClassVar[Mapping[Kind, str]] = MappingProxyType(
        {Kind.PRODUCT: "services", Kind.PACKAGE: "packages", Kind.PACKAGE_PRODUCT: "services"}
    )
    item_key = "service"
    structural = _STRUCTURAL

    # Money-aware review: no prices here (see the module docstring), and no package status,
    # so every package counts as in production (the default). A service is active per
    # isActive; its package services' instance counts are the quantity bounds.

    def quantity_bounds(self) -> tuple[str, str] | None:
        return ("minimum_instances", "maximum_instances")

    def product_active(self, fields: Mapping[str, Value]) -> bool | None:
        active = fields.get("is_active")
        return active if isinstance(active, bool) else None

    def package_items(self, package: Any, where: YamlPath, locate: Locate) -> Iterator[Resource]:
        assert isinstance(package, Package)
        items = package.services
        count = len(items)
        refs = list(package_product_refs(repeat(package.name, count), map(_SERVICE, items)))
        places = items_located((*where, "services"), count, locate)
        return iter(self.declared_all(items, refs, places))

    def columns_pass(
        self, kind: Kind, keys: Sequence[Any], fields: Mapping[str, list[Any]]
    ) -> bool:
        """`check` looks at package services alone, and at their instance counts only."""
        if kind is not Kind.PACKAGE_PRODUCT:
            return True
        nothing = [None] * len(keys)
        low = fields.get("minimum_instances", nothing)
        high = fields.get("maximum_instances", nothing)
        default = fields.get("default_instances", nothing)
        if None in low or None in high or None in default:
            return not any(map(_instances_say, default, low, high))
        # (each item's `_instances_say`, in C where every count is given)
        return (
            all(map(le, low, high)) and all(map(le, low, default)) and all(map(le, default, high))
        )

    def check(self, document: BaseModel, locate: Locate) -> Iterator[Issue]:
        assert isinstance(document, CatalogFile)
        for p_index, package in enumerate(document.packages):
            for index, item in enumerate(package.services):
                # (only an item with something to say is asked: its message and path are
                # made for it, not for each of an L catalog's 150,000 package services)
                says = _instances_say(
                    item.default_instances, item.minimum_instances, item.maximum_instances
                )
                if says:
                    here: YamlPath = ("packages", p_index, "services", index)
                    yield from _check_instances(item, here, locate)


def _instances_say(default: int | None, low: int | None, high: int | None) -> bool:
    """Whether `check` has something to say of a package service's instance counts."""
    says = low is not None and high is not None and not low <= high
    if default is not None and not says:
        says = (low is not None and default < low) or (high is not None and default > high)
    return says


def _check_instances(item: PackageService, here: YamlPath, locate: Locate) -> Iterator[Issue]:
    low, high, default = item.minimum_instances, item.maximum_instances, item.default_instances
    what = f"service '{item.service}'"
    issue = greater_than(item, "minimum_instances", "maximum_instances", what, here, locate)
    if issue is not None:
        yield issue
        return
    if default is None:
        return
    if low is not None and default < low:
        yield Issue(
            f"default_instances ({default}) is below minimum_instances ({low}) "
            f"for service '{item.service}'",
            locate((*here, "default_instances")),
        )
    if high is not None and default > high:
        yield Issue(
            f"default_instances ({default}) is above maximum_instances ({high}) "
            f"for service '{item.service}'",
            locate((*here, "default_instances")),
        )


FORMAT = LogiSenseFormat()
