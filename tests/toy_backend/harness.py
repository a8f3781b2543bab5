"""The contract suite's harness of the toy billing system (see tests/contract/harness.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from catalogsync.catalog import Kind
from tests.contract.harness import Harness, Spec
from tests.toy_backend.emulator import ToyEmulator


class ToyHarness(Harness):
    backend = "toy"
    product_create = ("POST", "/toy/products")
    user_env, password_env = "CONTRACT_TOY_USER", "CONTRACT_TOY_PASSWORD"
    env: ClassVar[dict[str, str]] = {user_env: "ci", password_env: "contract-secret"}
    doctor_variants: ClassVar[dict[str, set[str]]] = {"strict": set()}
    doctor_typo = ("unit: each", "unit: eahc")
    lookup_typos: ClassVar[list[tuple[str, str, str]]] = [
        ("unit: each", "unit: eahc", "unknown unit 'eahc' (did you mean 'each'?)"),
    ]
    wire_field = "value"
    unclear_create = ("POST", "/toy/items")
    empty_product_fields: ClassVar[dict[str, Any]] = {"active": None, "note": ""}

    @property
    def _toy(self) -> ToyEmulator:
        assert isinstance(self.emulator, ToyEmulator)
        return self.emulator

    def catalog(self, spec: Spec) -> dict[str, Any]:
        return {
            "products": [{"name": n, "value": v, "unit": "each"} for n, v in spec.products.items()],
            "packages": [
                {"name": p, "products": [{"product": n} for n in products]}
                for p, products in spec.packages.items()
            ],
        }

    def _id(self, table: str, name: str) -> int:
        (found,) = [r["id"] for r in self._toy.records(table) if r["name"] == name]
        return int(found)

    def edit_product(self, name: str, value: str) -> None:
        self._toy.update("products", self._id("products", name), value=value)

    def create_product(self, name: str) -> None:
        self._toy.create("products", name=name, value="1.00")

    def rename_product(self, name: str, new_name: str) -> None:
        self._toy.update("products", self._id("products", name), name=new_name)

    def add_package_product(self, package: str, product: str) -> None:
        ids = {
            "package_id": self._id("packages", package),
            "product_id": self._id("products", product),
        }
        self._toy.create("items", **ids)

    def delete_package_product(self, package: str, product: str) -> None:
        package_id, product_id = self._id("packages", package), self._id("products", product)
        (item,) = [
            r["id"]
            for r in self._toy.records("items")
            if (r["package_id"], r["product_id"]) == (package_id, product_id)
        ]
        self._toy.delete("items", item)

    def names(self, kind: Kind) -> list[str]:
        products = {r["id"]: r["name"] for r in self._toy.records("products")}
        packages = {r["id"]: r["name"] for r in self._toy.records("packages")}
        if kind is Kind.PRODUCT:
            return list(products.values())
        if kind is Kind.PACKAGE:
            return list(packages.values())
        return [
            f"{packages[r['package_id']]} / {products[r['product_id']]}"
            for r in self._toy.records("items")
        ]
