"""One small harness per backend, so one contract suite runs against both.

A harness serves its emulator over real loopback HTTP (faults can then be set between CLI
runs, as in production), writes a catalog project in a temporary folder whose `local`
target points at that server with credentials from the environment, edits the live system
"as the UI would" (through the emulator, never through catalogsync) and counts records.
The catalog is described once, backend-neutrally (`Spec`); each harness writes it in its
own YAML vocabulary, with one managed field per product (`value`) that UI edits change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
from ruamel.yaml import YAML
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalogsync.catalog import Kind
from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.faults import DroppedConnection
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.registry import get_format
from tests.conftest import TEST_SETTINGS


@dataclass(frozen=True)
class Spec:
    """A catalog: product name → its managed value; package name → its products."""

    products: Mapping[str, str]
    packages: Mapping[str, tuple[str, ...]]

    @property
    def package_products(self) -> int:
        return sum(len(products) for products in self.packages.values())


class DropAfterProcessing:
    """ASGI wrapper: let the app process the next matching request, then cut the connection.

    The client sees its request fail mid-answer although the server acted: the ambiguous
    case a create that could duplicate must survive.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.armed: tuple[str, str] | None = None
        self.dropped = 0

    def arm(self, method: str, path_contains: str) -> None:
        self.armed = (method, path_contains)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        armed = self.armed
        if scope["type"] != "http" or armed is None or scope["method"] != armed[0]:
            await self.app(scope, receive, send)
            return
        if armed[1] not in scope["path"] or scope["path"].rstrip("/").endswith("Paged"):
            await self.app(scope, receive, send)
            return
        self.armed = None

        async def lost(message: Message) -> None:
            """The processed answer is lost on the wire."""

        await self.app(scope, receive, lost)
        self.dropped += 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise DroppedConnection("connection dropped after processing (contract test)")


def dump_yaml(path: Path, data: Any) -> None:
    yaml = YAML()
    yaml.width = 4096
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


#: Backend name → its harness: each Harness subclass adds itself when its module is imported
#: (this module's for the shipped backends; a backend defined elsewhere imports its own).
HARNESSES: dict[str, type[Harness]] = {}


class Harness(ABC):
    """What the contract suite needs from a backend (see the module docstring)."""

    backend: ClassVar[str]
    #: (method, path fragment) of the request that creates a product.
    product_create: ClassVar[tuple[str, str]]
    #: Environment variables the project's target reads its credentials from.
    user_env: ClassVar[str]
    password_env: ClassVar[str]
    #: Every variable to set, with its value.
    env: ClassVar[dict[str, str]]
    #: Emulator profile → the behaviours `doctor --write-probe` must report as VARIANT.
    doctor_variants: ClassVar[dict[str, set[str]]]
    #: (text of the catalog, the same with a lookup name misspelt) for doctor.
    doctor_typo: ClassVar[tuple[str, str]]
    #: (text of the catalog, the typo put in its place, the message plan must give).
    lookup_typos: ClassVar[list[tuple[str, str, str]]]
    #: The managed product field (`value` of a Spec) as it is spelled on the wire.
    wire_field: ClassVar[str]
    #: (method, path) of the create that a retry could duplicate.
    unclear_create: ClassVar[tuple[str, str]]
    #: Why the system refuses a second record of one package and product (None: it allows it).
    refuses_duplicate_package_product: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        HARNESSES[cls.backend] = cls

    def __init__(self, emulator: BaseEmulator) -> None:
        self.emulator = emulator
        self.dropper = DropAfterProcessing(emulator.app)
        self.url = ""
        self.profile = "strict"  # the emulator profile (set by the fixture)

    def said(self, kind: Kind, label: str) -> str:
        """How catalogsync's messages name an object of this backend: `package-product P / B`
        on BillingPlatform, `package service P / B` on LogiSense."""
        return f"{get_format(self.backend).kind_names[kind]} {label}"

    def write_project(self, folder: Path, spec: Spec) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        user, password = {"env": self.user_env}, {"env": self.password_env}
        config = {
            "backend": self.backend,
            "catalog": ["catalog.yaml"],
            "targets": {"local": {"url": self.url, "username": user, "password": password}},
            "guards": {"max_change_share": 1.0},
            "settings": {"max_retries": 3, **TEST_SETTINGS},
        }
        dump_yaml(folder / "catalogsync.yaml", config)
        dump_yaml(folder / "catalog.yaml", self.catalog(spec))
        return folder

    @abstractmethod
    def catalog(self, spec: Spec) -> dict[str, Any]:
        """The catalog file declaring `spec`."""

    @abstractmethod
    def edit_product(self, name: str, value: str) -> None:
        """Change a product's managed field as a person in the billing UI would."""

    @abstractmethod
    def create_product(self, name: str) -> None:
        """Create a product in the UI (one the YAML does not declare)."""

    @abstractmethod
    def delete_package_product(self, package: str, product: str) -> None:
        """Remove a product from a package in the UI."""

    @abstractmethod
    def rename_product(self, name: str, new_name: str) -> None:
        """Rename a product in the UI."""

    @abstractmethod
    def add_package_product(self, package: str, product: str) -> None:
        """Add a product to a package in the UI."""

    #: Product fields declared empty: a flag `null` and a text `""` (issue 14, item 7).
    empty_product_fields: ClassVar[dict[str, Any]]

    @abstractmethod
    def names(self, kind: Kind) -> list[str]:
        """The live names of a kind (a package-product: 'package / product'), with repeats."""

    def make_duplicate(self) -> str:
        """Make, as the UI would, a second live record with a declared key; return it as
        messages name it (`said`)."""
        self.create_product("Voice")
        return self.said(Kind.PRODUCT, "Voice")

    def name_package_products_alike(self, project: Path) -> None:  # noqa: B027 - optional
        """Give the package-products of one product one name where the system names them
        (so that a create keyed by name could hit the other one); nothing by default."""


class BillingPlatformHarness(Harness):
    backend = "billingplatform"
    product_create = ("POST", "/rest/2.0/PRODUCT")  # save (seed 001)
    user_env, password_env = "CONTRACT_BP_USER", "CONTRACT_BP_PASSWORD"
    env: ClassVar[dict[str, str]] = {user_env: "ci", password_env: "contract-secret"}
    doctor_variants: ClassVar[dict[str, set[str]]] = {
        "strict": set(),
        "create-response": {"the answer to a POST (create)"},
        "product-upsert": {"upsert of PRODUCT keyed by Name"},
        "small-pages": {"rows a query page may hold"},
        "rate-display": {"PRODUCT Rate as a query answers it"},
        "narrow-schema": {"every column the mapping reads exists"},
        "legacy": {
            "the answer to a POST (create)",
            "upsert of PRODUCT keyed by Name",
            "rows a query page may hold",
        },
    }
    doctor_typo = ("rate: '1.50'", "rate: '1.50'\n  rating_method: Usgae")
    lookup_typos: ClassVar[list[tuple[str, str, str]]] = [
        (
            "rate: '1.50'",
            "rate: '1.50'\n  rating_method: Usgae",
            "unknown rating_method 'Usgae' (did you mean 'Usage'?)",
        ),
        ("rate: '2.50'", "rate: '2.50'\n  rating_method: Flat", "unknown rating_method 'Flat'"),
    ]
    wire_field = "Rate"
    unclear_create = ("POST", "/rest/2.0/PACKAGE_PRODUCT")

    def catalog(self, spec: Spec) -> dict[str, Any]:
        return {
            "products": [{"name": n, "rate": v} for n, v in spec.products.items()],
            "packages": [
                {"name": p, "products": [{"product": n, "min_qty": 0} for n in products]}
                for p, products in spec.packages.items()
            ],
        }

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = self.emulator.async_transport()
            async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
                login = await client.post(
                    "/rest/2.0/login", json={"username": "ui", "password": "ui"}
                )
                session = login.json()["loginResponse"][0]["SessionID"]
                return await client.request(method, path, headers={"sessionid": session}, **kwargs)

        return anyio.run(call)

    def _rows(self, sql: str) -> list[dict[str, str]]:
        response = self._request("GET", "/rest/2.0/query", params={"sql": sql})
        return [] if response.status_code == 404 else list(response.json()["queryResponse"])

    def _id_of(self, entity: str, name: str) -> str:
        literal = name.replace("'", "''")
        (row,) = self._rows(f"SELECT Id FROM {entity} WHERE Name = '{literal}'")
        return row["Id"]

    def edit_product(self, name: str, value: str) -> None:
        record = {"Id": self._id_of("PRODUCT", name), "Name": name, "Rate": value}
        answer = self._request("PUT", "/rest/2.0/PRODUCT", json={"brmObjects": record})
        assert answer.json()["updateResponse"][0]["success"] in (True, "true")

    def create_product(self, name: str) -> None:
        body = {"brmObjects": [{"Id": "", "Name": name, "Rate": "1.00"}]}
        self._assert_saved(self._request("POST", "/rest/2.0/PRODUCT", json=body).json())

    empty_product_fields: ClassVar[dict[str, Any]] = {
        "customize_tax_rules": None,
        "external_key": "",
    }

    def rename_product(self, name: str, new_name: str) -> None:
        body = {"brmObjects": {"Id": self._id_of("PRODUCT", name), "Name": new_name}}
        answer = self._request("PUT", "/rest/2.0/PRODUCT", json=body)
        assert answer.json()["updateResponse"][0]["success"] in (True, "true")

    def add_package_product(self, package: str, product: str) -> None:
        package_id, product_id = (
            self._id_of(e, n) for e, n in (("PACKAGE", package), ("PRODUCT", product))
        )
        record = {"Id": "", "Name": f"{package} / {product} (UI)", "PackageId": package_id}
        record |= {"ProductId": product_id, "MinQty": "0"}
        answer = self._request("POST", "/rest/2.0/PACKAGE_PRODUCT", json={"brmObjects": [record]})
        self._assert_saved(answer.json())

    @staticmethod
    def _assert_saved(answer: dict[str, Any]) -> None:
        """One record saved, under either documented POST answer (as the profile has it)."""
        (result,) = answer.get("createResponse") or answer["retrieveResponse"]
        assert result["Id"] and result.get("success", True) in (True, "true")

    def delete_package_product(self, package: str, product: str) -> None:
        package_id, product_id = (
            self._id_of(e, n) for e, n in (("PACKAGE", package), ("PRODUCT", product))
        )
        where = f"PackageId = {package_id} AND ProductId = {product_id}"
        (row,) = self._rows(f"SELECT Id FROM PACKAGE_PRODUCT WHERE {where}")
        body = {"brmObjects": {"Id": row["Id"]}}
        answer = self._request("DELETE", "/rest/2.0/delete/PACKAGE_PRODUCT", json=body)
        assert answer.json()["deleteResponse"][0]["success"] in (True, "true")

    def make_duplicate(self) -> str:
        # Product names are unique there: a second package-product of one product instead.
        record = {
            "Id": "",  # the seeds mark Id required on a save; sent empty
            "Name": "Voice again",
            "MinQty": "0",
            "PackageId": self._id_of("PACKAGE", "Gold"),
            "ProductId": self._id_of("PRODUCT", "Voice"),
        }
        body = {"brmObjects": [record]}
        answer = self._request("POST", "/rest/2.0/PACKAGE_PRODUCT", json=body).json()
        (result,) = answer.get("createResponse") or answer["retrieveResponse"]  # per profile
        assert result["Id"] and result.get("success", True) in (True, "true")
        return self.said(Kind.PACKAGE_PRODUCT, "Gold / Voice")

    def name_package_products_alike(self, project: Path) -> None:
        yaml = YAML()
        path = project / "catalog.yaml"
        catalog = yaml.load(path.read_text())
        for package in catalog["packages"]:
            for item in package["products"]:
                item["name"] = item["product"]
        with path.open("w") as out:
            yaml.dump(catalog, out)

    def names(self, kind: Kind) -> list[str]:
        # Read the store directly: a profile's page cap must not hide rows from the count.
        assert isinstance(self.emulator, BillingPlatformEmulator)
        records = self.emulator.records
        products = {r["Id"]: r["Name"] for r in records("PRODUCT")}
        if kind is Kind.PRODUCT:
            return list(products.values())
        packages = {r["Id"]: r["Name"] for r in records("PACKAGE")}
        if kind is Kind.PACKAGE:
            return list(packages.values())
        return [
            f"{packages[r['PackageId']]} / {products[r['ProductId']]}"
            for r in records("PACKAGE_PRODUCT")
        ]


class LogiSenseHarness(Harness):
    backend = "logisense"
    product_create = ("POST", "/ResourceServer/api/v8/Service")
    user_env, password_env = "CONTRACT_LS_USER", "CONTRACT_LS_PASSWORD"
    env: ClassVar[dict[str, str]] = {
        user_env: "ci",
        password_env: "contract-secret",
        "LOGISENSE_CLIENT_ID": "0123456789abcdef0123456789abcdef",
    }
    doctor_variants: ClassVar[dict[str, set[str]]] = {
        "strict": set(),
        "create-201": {"POST status of a create"},
        "echo-patch-client-id": {"PATCH result items echo `patchClientId`"},
        "wrapped-write-items": {"shape of a create's result item"},
        "top-level-children": {"PATCH child collections at the body's top level"},
    }
    doctor_typo = ("service_type: Recurring", "service_type: Recurirng")
    lookup_typos: ClassVar[list[tuple[str, str, str]]] = [
        (
            "service_type: Recurring\n  description: '1.50'",
            "service_type: Recurirng\n  description: '1.50'",
            "unknown service_type 'Recurirng' (did you mean 'Recurring'?)",
        ),
        ("- USD", "- USX", "unknown currency code 'USX' (did you mean 'USD'?)"),
    ]
    wire_field = "description"
    unclear_create = ("POST", "/ResourceServer/api/v8/Service")
    refuses_duplicate_package_product = (
        "LogiSense refuses a second Package/Service of one package and service"
    )

    def catalog(self, spec: Spec) -> dict[str, Any]:
        return {
            "services": [
                {"name": n, "service_type": "Recurring", "description": v}
                for n, v in spec.products.items()
            ],
            "packages": [
                {
                    "name": p,
                    "currencies": ["USD"],
                    "services": [{"service": n, "default_instances": 1} for n in products],
                }
                for p, products in spec.packages.items()
            ],
        }

    @property
    def _ls(self) -> LogiSenseEmulator:
        assert isinstance(self.emulator, LogiSenseEmulator)
        return self.emulator

    def edit_product(self, name: str, value: str) -> None:
        (record,) = self._ls.find("Service", name=name)
        self._ls.update("Service", record["identity"], description=value)

    def create_product(self, name: str) -> None:
        usage = self._ls.lookup_id("ServiceType", "Usage")
        self._ls.create("Service", name=name, serviceTypeId=usage, description="from the UI")

    empty_product_fields: ClassVar[dict[str, Any]] = {"is_tax_exempt": None, "description": ""}

    def rename_product(self, name: str, new_name: str) -> None:
        (record,) = self._ls.find("Service", name=name)
        self._ls.update("Service", record["identity"], name=new_name)

    def add_package_product(self, package: str, product: str) -> None:
        (found,) = self._ls.find("Package", name=package)
        (service,) = self._ls.find("Service", name=product)
        self._ls.create(
            "Package/Service", packageId=found["identity"], serviceId=service["identity"]
        )

    def delete_package_product(self, package: str, product: str) -> None:
        (found,) = self._ls.find("Package", name=package)
        (service,) = self._ls.find("Service", name=product)
        (record,) = self._ls.find(
            "Package/Service", packageId=found["identity"], serviceId=service["identity"]
        )
        self._ls.delete("Package/Service", record["identity"])

    def names(self, kind: Kind) -> list[str]:
        if kind is Kind.PRODUCT:
            return [r["name"] for r in self._ls.records("Service")]
        if kind is Kind.PACKAGE:
            return [r["name"] for r in self._ls.records("Package")]
        return [
            f"{r['packageName']} / {r['serviceName']}" for r in self._ls.records("Package/Service")
        ]
