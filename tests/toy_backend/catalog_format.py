"""The toy billing system's catalog YAML: products with a value, packages holding products.

products:
  - {name: Voice, value: "1.50", unit: minute, active: true, note: ...}
packages:
  - {name: Gold, products: [{product: Voice}]}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from catalogsync.catalog import Kind, Ref, Resource, package_product_ref, package_ref, product_ref
from catalogsync.catalog_format import CatalogFormat, Locate, declared_values

Name = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Product(_Model):
    name: Name
    renamed_from: tuple[Name, ...] = ()
    protect: bool = False
    value: str | None = None
    unit: Name | None = Field(None, description="A unit of the toy system's unit table.")
    active: bool | None = None
    note: str | None = None


class PackageProduct(_Model):
    product: Name
    protect: bool = False


class Package(_Model):
    name: Name
    renamed_from: tuple[Name, ...] = ()
    protect: bool = False
    products: Annotated[tuple[PackageProduct, ...], BeforeValidator(_none_as_empty)] = ()


class CatalogFile(_Model):
    products: Annotated[tuple[Product, ...], BeforeValidator(_none_as_empty)] = ()
    packages: Annotated[tuple[Package, ...], BeforeValidator(_none_as_empty)] = ()


_STRUCTURAL = frozenset({"name", "renamed_from", "protect", "product", "products"})
FIELDS = {
    Kind.PRODUCT: ("value", "unit", "active", "note"),
    Kind.PACKAGE: (),
    Kind.PACKAGE_PRODUCT: (),
}


class ToyFormat(CatalogFormat):
    backend = "toy"
    document_model = CatalogFile

    def to_resources(self, document: BaseModel, locate: Locate) -> Iterator[Resource]:
        assert isinstance(document, CatalogFile)
        for index, product in enumerate(document.products):
            yield Resource(
                ref=product_ref(product.name),
                fields=declared_values(product, _STRUCTURAL),
                renamed_from=product.renamed_from,
                protect=product.protect,
                location=locate(("products", index)),
            )
        for index, package in enumerate(document.packages):
            yield Resource(
                ref=package_ref(package.name),
                renamed_from=package.renamed_from,
                protect=package.protect,
                location=locate(("packages", index)),
            )
            for p_index, item in enumerate(package.products):
                yield Resource(
                    ref=package_product_ref(package.name, item.product),
                    protect=item.protect,
                    location=locate(("packages", index, "products", p_index)),
                )

    def export_fields(self, ref: Ref, fields: Any) -> dict[str, Any]:
        return {k: v for k, v in fields.items() if v is not None and not (k == "active" and not v)}

    def item(self, resource: Resource) -> dict[str, Any]:
        head = "product" if resource.ref.kind is Kind.PACKAGE_PRODUCT else "name"
        mapping: dict[str, Any] = {head: resource.ref.name}
        if resource.renamed_from:
            mapping["renamed_from"] = list(resource.renamed_from)
        if resource.protect:
            mapping["protect"] = True
        mapping.update(sorted(resource.fields.items()))
        return mapping

    def document(self, resources: Iterable[Resource]) -> dict[str, Any]:
        ordered = sorted(resources, key=lambda r: r.ref)
        items = {r.ref: self.item(r) for r in ordered}
        document: dict[str, Any] = {}
        for resource in ordered:
            ref = resource.ref
            if ref.kind is Kind.PACKAGE_PRODUCT:
                assert ref.package is not None
                items[ref.package].setdefault("products", []).append(items[ref])
            else:
                document.setdefault(f"{ref.kind.value}s", []).append(items[ref])
        return document


FORMAT = ToyFormat()
