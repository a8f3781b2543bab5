"""The BillingPlatform catalog format: products, packages and their package-products.

Field names are the vendor's PRODUCT / PACKAGE / PACKAGE_PRODUCT fields in snake_case
(`OverridePermissions` → `override_permissions`), minus the system-controlled ones (Id,
Created, Updated, CreatedUserId, UpdatedUserId) and the Salesforce-sync bookkeeping (Sf*).
Lookups are written by name, never by id: `rating_method: Usage`, `link_package: Gold`.
Package-products are written inside their package; nesting (`ParentPackageProductId`) is
written as `children`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from itertools import compress, repeat
from operator import and_, is_, is_not, le
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from catalogsync.backends.billingplatform.bounded_decimal import Money, Quantity
from catalogsync.catalog import (
    Kind,
    Ref,
    Resource,
    Value,
    made_ref,
    owned_resource,
    package_product_ref,
    package_ref,
)
from catalogsync.catalog_format import Locate
from catalogsync.catalog_yaml import (
    FormatModel,
    Name,
    Names,
    YamlCatalogFormat,
    greater_than,
    none_as_empty,
)
from catalogsync.errors import Issue
from catalogsync.yamlio import YamlPath


class PackageStatus(StrEnum):
    """PACKAGE.PackageStatus: Production is available for provisioning (the default)."""

    PRODUCTION = "Production"
    IN_DEVELOPMENT = "In Development"


class OverridePermissions(StrEnum):
    """PRODUCT.OverridePermissions: what a package-product may override."""

    NO_RESTRICTION = "No Restriction"
    RESTRICT_RATING_METHOD_OVERRIDE = "Restrict Rating Method Override"
    RESTRICT_RATE_OVERRIDE = "Restrict Rate Override"


def normalise_number_text(text: str) -> str:
    """A text field that holds a number (OrderOfExecution), in one spelling per number.

    The API documents the field as a string, so a value may come back as it was sent or
    re-spelt ("5.0" saved in the UI for 5): `+5`, `5.`, `05`, `5.0` and `1e1`... are
    compared and written as `5`, `5`, `5`, `5`, `10`. Text that is not a number stays as
    it is.
    """
    stripped = text.strip()
    try:
        number = Decimal(stripped)
    except ArithmeticError:
        return text
    if not number.is_finite():
        return text
    return "0" if number == 0 else format(number.normalize(), "f")


def _number_text(value: Any) -> Any:
    """An unquoted YAML number (`5`, `5.5`) is its text; then normalised."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return value


NumberText = Annotated[str, BeforeValidator(_number_text), AfterValidator(normalise_number_text)]


class Product(FormatModel):
    """A PRODUCT: the thing that is rated and billed."""

    name: Name = Field(description="Product name (unique); the product's identity.")
    renamed_from: Names = Field((), description="Earlier names: plan a rename, not a new product.")
    protect: bool = Field(False, description="Refuse to delete this product.")
    status: Name | None = Field(None, description="PRODUCT.Status, e.g. ACTIVE.")
    rate: Money | None = Field(None, description="Default rate (Rate).")
    rating_method: Name | None = Field(None, description="Rating method, by name (RatingMethodId).")
    override_permissions: OverridePermissions | None = Field(
        None, description="What package-products may override (OverridePermissions)."
    )
    external_key: str | None = Field(None, description="ExternalKey.")
    order_of_execution: NumberText | None = Field(
        None,
        description="OrderOfExecution: calculation order at invoice close, lowest first "
        "(compared as a number when it is one: '5' and '5.0' are equal).",
    )
    ranking: str | None = Field(None, description="Ranking.")
    customize_tax_rules: bool | None = Field(None, description="CustomizeTaxRules flag.")
    contract_required_flag: bool | None = Field(
        None, description="ContractRequiredFlag: contractual rate source required."
    )
    default_rate_flag: bool | None = Field(None, description="DefaultRateFlag.")
    use_formula_ssp: bool | None = Field(None, description="UseFormulaSSP flag.")
    ssp_formula: str | None = Field(None, description="SSPFormula.")
    restrict_use_of_unreferenced_contracts: bool | None = Field(
        None, description="RestrictUseOfUnreferencedContracts flag."
    )


class PackageProduct(FormatModel):
    """A PACKAGE_PRODUCT: a product inside a package, optionally nested under another."""

    product: Name = Field(description="The product, by name (ProductId).")
    name: Name | None = Field(
        None, description="PACKAGE_PRODUCT.Name; defaults to 'package / product path'."
    )
    protect: bool = Field(False, description="Refuse to delete this package-product.")
    min_qty: Quantity = Field(description="Minimum quantity when provisioned (MinQty).")
    max_qty: Quantity | None = Field(None, description="Maximum quantity (MaxQty).")
    rate: Money | None = Field(None, description="Rate.")
    rate_override: Money | None = Field(None, description="RateOverride.")
    rating_method: Name | None = Field(None, description="Rating method, by name (RatingMethodId).")
    allow_price_override: bool | None = Field(None, description="AllowPriceOverride flag.")
    parent_component_label: str | None = Field(None, description="ParentComponentLabel.")
    link_package: Name | None = Field(
        None, description="Source package of a linked product, by name (LinkPackageId)."
    )
    link_product: Name | None = Field(
        None,
        description="Source package-product in link_package, by product name "
        "(LinkPackageProductId); needs link_package.",
    )
    children: Annotated[tuple[PackageProduct, ...], BeforeValidator(none_as_empty)] = Field(
        (), description="Nested package-products (ParentPackageProductId)."
    )


class Package(FormatModel):
    """A PACKAGE (bundle) and the package-products it contains."""

    name: Name = Field(description="Package name (unique); the package's identity.")
    renamed_from: Names = Field((), description="Earlier names: plan a rename, not a new package.")
    protect: bool = Field(False, description="Refuse to delete this package.")
    status: PackageStatus | None = Field(None, description="PackageStatus.")
    products: Annotated[tuple[PackageProduct, ...], BeforeValidator(none_as_empty)] = Field(
        (), description="The package's package-products."
    )


class CatalogFile(FormatModel):
    """One BillingPlatform catalog file."""

    products: Annotated[tuple[Product, ...], BeforeValidator(none_as_empty)] = ()
    packages: Annotated[tuple[Package, ...], BeforeValidator(none_as_empty)] = ()


# Quantities are written as YAML integers when whole (`min_qty: 1`); money stays a quoted
# string so its precision ("10.50") is kept.
_QUANTITIES = frozenset({"min_qty", "max_qty"})


#: The structural key a package-product declares as a field (`declared_fields`' `keep`).
_NAME = frozenset({"name"})
_PACKAGE_PRODUCT = Kind.PACKAGE_PRODUCT  # (an enum member looked up once, not per item)


#: The PACKAGE_PRODUCT.Name of a key (`default_package_product_name`), in C.
_DEFAULT_NAME = " / ".join


def default_package_product_name(ref: Ref) -> str:
    """The PACKAGE_PRODUCT.Name given when the YAML declares none: unique per key."""
    return _DEFAULT_NAME(ref.key)


#: What `export` leaves out of a package-product when equal (`export_defaults`).
_PACKAGE_PRODUCT_DEFAULTS: Mapping[str, Callable[[tuple[str, ...]], Value]] = MappingProxyType(
    {"name": _DEFAULT_NAME}
)


class BillingPlatformFormat(YamlCatalogFormat):
    """BillingPlatform's catalog format (see the module docstring)."""

    backend = "billingplatform"
    document_model = CatalogFile
    models: ClassVar[Mapping[Kind, type[BaseModel]]] = MappingProxyType(
        {Kind.PRODUCT: Product, Kind.PACKAGE: Package, Kind.PACKAGE_PRODUCT: PackageProduct}
    )
    lists: ClassVar[Mapping[Kind, str]] = MappingProxyType(
        {Kind.PRODUCT: "products", Kind.PACKAGE: "packages", Kind.PACKAGE_PRODUCT: "products"}
    )
    item_key = "product"
    children_key = "children"
    # A package-product's resources (its nested ones with it) depend on its own lines, its
    # package's name and its parents' products; a package's own on its lines before
    # `products` (`_package_products`, `check`: each package-product alone).
    nested_items_alone = True
    structural = frozenset({"name", "renamed_from", "protect", "product", "children", "products"})
    item_fields_kept = _NAME
    # A package-product links the package-product at `link_package / link_product`.
    link_fields: ClassVar[Mapping[str, Kind]] = MappingProxyType(
        {"link_package": Kind.PACKAGE, "link_product": Kind.PRODUCT}
    )

    def linked_refs(self, fields: Mapping[str, Value]) -> tuple[Ref, ...]:
        """Its link package, and the package-product it links inside that package."""
        link_package, link_product = fields.get("link_package"), fields.get("link_product")
        if not isinstance(link_package, str):
            return ()
        if not isinstance(link_product, str):
            return (package_ref(link_package),)
        return (package_ref(link_package), package_product_ref(link_package, link_product))

    def export_defaults(self, kind: Kind) -> Mapping[str, Callable[[tuple[str, ...]], Value]]:
        """A package-product's default Name (`default_package_product_name`)."""
        return _PACKAGE_PRODUCT_DEFAULTS if kind is Kind.PACKAGE_PRODUCT else {}

    def yaml_value(self, key: str, value: Value) -> Any:
        if key in _QUANTITIES and isinstance(value, Decimal) and value == value.to_integral_value():
            return int(value)
        return super().yaml_value(key, value)

    # Money-aware review: PRODUCT.Rate is the list price; a PACKAGE_PRODUCT's own Rate
    # overrides it for that package (without one, the package-product is rated at the
    # product's rate). PackageStatus Production is what customers can be sold, and is the
    # vendor's default; PRODUCT.Status is ACTIVE when sellable (the inactive spelling is
    # not documented, so anything else counts as inactive).

    def money_fields(self, kind: Kind) -> tuple[str, ...]:
        return {Kind.PRODUCT: ("rate",), Kind.PACKAGE_PRODUCT: ("rate", "rate_override")}.get(
            kind, ()
        )

    def own_rate_field(self) -> str | None:
        return "rate"

    def quantity_bounds(self) -> tuple[str, str] | None:
        return ("min_qty", "max_qty")

    def package_in_production(self, fields: Mapping[str, Value]) -> bool:
        return fields.get("status") in (None, PackageStatus.PRODUCTION.value)

    def product_active(self, fields: Mapping[str, Value]) -> bool | None:
        status = fields.get("status")
        return None if not isinstance(status, str) else status.strip().upper() == "ACTIVE"

    def is_discount(self, name: str, fields: Mapping[str, Value]) -> bool:
        method = fields.get("rating_method")
        texts = (name, method if isinstance(method, str) else "")
        return any("discount" in text.lower() for text in texts)

    def package_items(self, package: Any, where: YamlPath, locate: Locate) -> Iterator[Resource]:
        assert isinstance(package, Package)
        return self._package_products(package.name, (), package.products, where, locate)

    def _package_products(
        self,
        package: str,
        parents: tuple[str, ...],
        items: Iterable[PackageProduct],
        where: YamlPath,
        locate: Locate,
    ) -> Iterator[Resource]:
        # (`Ref`s and `Resource`s made in C: `made_ref`, `owned_resource`; an M catalog
        # has 30,000 package-products, read by every uncached load and export's proof.)
        key = "products" if not parents else "children"
        for index, item in enumerate(items):
            item_path: YamlPath = (*where, key, index)
            path = (*parents, item.product)
            ref = made_ref(_PACKAGE_PRODUCT, (package, *path))
            fields = self.declared_fields(item, keep=_NAME)
            if "name" in fields and fields["name"] is None:
                # A package-product always has a Name: `name: null` asks for the default.
                fields["name"] = default_package_product_name(ref)
            requires: tuple[Ref, ...] = ()
            if item.link_package is not None:  # (without one, it links nothing)
                links = {"link_package": item.link_package, "link_product": item.link_product}
                requires = self.linked_refs(links)
            yield owned_resource(ref, fields, requires, (), item.protect, locate(item_path))
            if item.children:
                yield from self._package_products(package, path, item.children, item_path, locate)

    def columns_pass(
        self, kind: Kind, keys: Sequence[Any], fields: Mapping[str, list[Any]]
    ) -> bool:
        """`check` looks at package-products alone: their quantities and links."""
        if kind is not Kind.PACKAGE_PRODUCT:
            return True
        if "link_product" in fields:
            return False  # (unsure: `check` asks whether each has its link package)
        low, high = fields.get("min_qty"), fields.get("max_qty")
        if low is None or high is None:
            return True
        if len(low) != len(high):
            raise ValueError("a column per field of the same items")
        # (None told by identity, in C: `None in` a column of Decimals asks each whether
        # it equals None, through the numbers ABCs; a child holds no maximum)
        if any(map(is_, low, repeat(None))) or any(map(is_, high, repeat(None))):
            both = list(map(and_, map(is_not, low, repeat(None)), map(is_not, high, repeat(None))))
            low, high = list(compress(low, both)), list(compress(high, both))
        return all(map(le, low, high))  # (each pair that gives both, in C)

    def check(self, document: BaseModel, locate: Locate) -> Iterator[Issue]:
        assert isinstance(document, CatalogFile)
        for p_index, package in enumerate(document.packages):
            yield from self._check_items(
                package.products, ("packages", p_index, "products"), locate
            )

    def _check_items(
        self, items: Iterable[PackageProduct], where: YamlPath, locate: Locate
    ) -> Iterator[Issue]:
        for index, item in enumerate(items):
            low, high = item.min_qty, item.max_qty
            unlinked = item.link_product is not None and item.link_package is None
            # (the message and path made only for an item with something to say: an L
            # catalog has 150,000 package-products, each asked by every proof and load)
            if unlinked or (low is not None and high is not None and not low <= high):
                here: YamlPath = (*where, index)
                issue = greater_than(
                    item, "min_qty", "max_qty", f"product '{item.product}'", here, locate
                )
                if issue is not None:
                    yield issue
                if unlinked:
                    yield Issue("link_product needs link_package", locate((*here, "link_product")))
            if item.children:
                yield from self._check_items(item.children, (*where, index, "children"), locate)


FORMAT = BillingPlatformFormat()
