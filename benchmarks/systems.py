"""What differs between the billing systems the benchmarks measure.

Every system runs the same scenarios over a catalog of the same size (`generate.py` makes
BillingPlatform-shaped data; `logisense_catalog` turns it into LogiSense's services and
packages with the same counts). A `System` says how to write its project, change 1% of it,
edit it "in the billing UI" for the drift scenario, and what its API's floor is.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import floor, floor_logisense
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.logisense.client import LogiSenseClient

#: Products (services) edited "in the UI" before the drift scenario.
UI_EDITS = 10
PRODUCT, PACKAGE, PP = "PRODUCT", "PACKAGE", "PACKAGE_PRODUCT"


@dataclass(frozen=True)
class Shape:
    """What a generated catalog holds: counts per entity, package-products per depth."""

    products: int
    packages: int
    pp_by_depth: tuple[int, ...]

    @property
    def package_products(self) -> int:
        return sum(self.pp_by_depth)

    @property
    def live(self) -> dict[str, int]:
        return {PRODUCT: self.products, PACKAGE: self.packages, PP: self.package_products}

    @staticmethod
    def of(data: dict[str, Any]) -> Shape:
        """The shape of BillingPlatform-shaped data (`generate.generate`)."""
        depths: list[int] = []

        def walk(items: list[dict[str, Any]], depth: int) -> None:
            for item in items:
                while len(depths) <= depth:
                    depths.append(0)
                depths[depth] += 1
                walk(item.get("children", []), depth + 1)

        for package in data["packages"]:
            walk(package["products"], 0)
        return Shape(len(data["products"]), len(data["packages"]), tuple(depths))


@dataclass(frozen=True)
class Change:
    """A 1% change: the catalog data after it, and how many of each kind it updates."""

    data: dict[str, Any]
    products: int
    package_products: int
    #: package-products updated, per package (LogiSense writes them per package)
    per_package: tuple[int, ...] = ()

    @property
    def objects(self) -> int:
        return self.products + self.package_products


FloorOf = Callable[..., floor.Floor]


@dataclass(frozen=True)
class System:
    """One billing system as the benchmarks drive it."""

    name: str
    #: the catalog data this system's project holds, from BillingPlatform-shaped data
    catalog: Callable[[dict[str, Any]], dict[str, Any]]
    change: Callable[[dict[str, Any]], Change]
    edit_in_ui: Callable[[str, dict[str, Any]], Coroutine[Any, Any, None]]
    #: floors: (shape, latency_s, rate) -> cold apply / read-only / 1% change floor
    cold_apply_floor: Callable[[Shape, float, float], floor.Floor]
    read_floor: Callable[[Shape, float, float], floor.Floor]
    change_floor: Callable[[Shape, Change, float, float], floor.Floor]
    formula: str
    #: whether `naive.py` can sample it (one request per object)
    has_naive: bool = False
    #: whether its logins name a client id (LogiSense)
    client_id: bool = False


# -- BillingPlatform --------------------------------------------------------------------


def _bp_change(data: dict[str, Any]) -> Change:
    """Every 100th product's rate and every 100th package-product's min_qty changed."""
    changed = copy.deepcopy(data)
    products = changed["products"][::100]
    for product in products:
        product["rate"] = f"{float(product['rate']) + 1:.2f}"
    items = _package_products(changed)[::100]
    for item in items:
        item["min_qty"] = 0 if item["min_qty"] else 1
    return Change(changed, len(products), len(items))


def _package_products(data: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []

    def walk(level: list[dict[str, Any]]) -> None:
        for item in level:
            items.append(item)
            walk(item.get("children", []))

    for package in data["packages"]:
        walk(package["products"])
    return items


def _edited_names(data: dict[str, Any], key: str) -> list[str]:
    return [p["name"] for p in data[key][1 : 1 + UI_EDITS * 97 : 97]]


async def _bp_edit_in_ui(url: str, data: dict[str, Any]) -> None:
    """Change a few products' rates behind catalogsync's back (the drift to detect)."""
    async with BillingPlatformClient(url, "ui-user", "x") as client:
        names = _edited_names(data, "products")
        rows = await client.query_in(PRODUCT, ["Id", "Name"], "Name", names)
        # a PUT carries Name (the emulator enforces the seeds' required fields)
        edits = [{"Id": r["Id"], "Name": r["Name"], "Rate": "0.01"} for r in rows]
        failed = [r for r in await client.update(PRODUCT, edits) if not r.success]
        if failed or not rows:
            raise RuntimeError(f"the drift scenario's UI edit did not apply: {failed}")


def _bp_cold(shape: Shape, latency_s: float, rate: float) -> floor.Floor:
    empty = {PRODUCT: 0, PACKAGE: 0, PP: 0}
    creates: list[Mapping[str, int]] = [
        {f"{PRODUCT} create": shape.products, f"{PACKAGE} create": shape.packages}
    ]
    creates += [{f"{PP} create depth {d}": n} for d, n in enumerate(shape.pp_by_depth)]
    return floor.scenario_floor(
        empty, creates, latency_s=latency_s, rate_limit=rate, verify=shape.live
    )


def _bp_read(shape: Shape, latency_s: float, rate: float) -> floor.Floor:
    return floor.scenario_floor(shape.live, latency_s=latency_s, rate_limit=rate)


def _bp_change_floor(shape: Shape, change: Change, latency_s: float, rate: float) -> floor.Floor:
    updates = [{f"{PRODUCT} update": change.products, f"{PP} update": change.package_products}]
    written = {PRODUCT: change.products, PP: change.package_products}
    return floor.scenario_floor(
        shape.live,
        updates,
        latency_s=latency_s,
        rate_limit=rate,
        verify=shape.live,
        written=written,
    )


BILLINGPLATFORM = System(
    name="billingplatform",
    catalog=lambda data: data,
    change=_bp_change,
    edit_in_ui=_bp_edit_in_ui,
    cold_apply_floor=_bp_cold,
    read_floor=_bp_read,
    change_floor=_bp_change_floor,
    formula=floor.FORMULA,
    has_naive=True,
)


# -- LogiSense --------------------------------------------------------------------------


def logisense_catalog(data: dict[str, Any]) -> dict[str, Any]:
    """The same catalog in LogiSense's words: products are services, package-products are
    package services (LogiSense does not nest them: the tree is flattened, in order), and
    each package bills monthly in US dollars (a frequency and a currency child each)."""
    services = [
        {"name": p["name"], "service_type": "Recurring", "description": f"rate {p['rate']}"}
        for p in data["products"]
    ]
    packages = []
    for package in data["packages"]:
        flat: list[dict[str, Any]] = []

        def walk(level: list[dict[str, Any]], into: list[dict[str, Any]] = flat) -> None:
            for item in level:
                into.append(item)
                walk(item.get("children", []))

        walk(package["products"])
        packages.append(
            {
                "name": package["name"],
                "frequencies": ["Month"],
                "currencies": ["USD"],
                "services": [
                    {
                        "service": item["product"],
                        "default_instances": 1,
                        "minimum_instances": item["min_qty"],
                        "maximum_instances": item.get("max_qty", 1) or 1,
                    }
                    for item in flat
                ],
            }
        )
    return {"services": services, "packages": packages}


def _ls_change(data: dict[str, Any]) -> Change:
    """Every 100th service's description and every 100th package service's maximum."""
    changed = copy.deepcopy(data)
    services = changed["services"][::100]
    for service in services:
        service["description"] += " (changed)"
    per_package: list[int] = []
    position = 0
    for package in changed["packages"]:
        count = 0
        for item in package["services"]:
            if position % 100 == 0:
                item["maximum_instances"] += 1
                count += 1
            position += 1
        if count:
            per_package.append(count)
    return Change(changed, len(services), sum(per_package), tuple(per_package))


async def _ls_edit_in_ui(url: str, data: dict[str, Any]) -> None:
    """Change a few services' descriptions behind catalogsync's back."""
    names = set(_edited_names(data, "services"))
    client = LogiSenseClient(url, "ui-user", "x", "ui")
    try:
        for service in await client.paged("Service", detail=False):
            if service.get("name") in names:
                await client.update("Service", service["identity"], {"description": "UI"})
    finally:
        await client.aclose()


def _ls_counts(shape: Shape) -> floor_logisense.Counts:
    return floor_logisense.Counts(shape.products, shape.packages, shape.package_products)


LOGISENSE = System(
    name="logisense",
    catalog=logisense_catalog,
    change=_ls_change,
    edit_in_ui=_ls_edit_in_ui,
    cold_apply_floor=lambda shape, latency_s, rate: floor_logisense.cold_apply(
        _ls_counts(shape), latency_s=latency_s, rate_limit=rate
    ),
    read_floor=lambda shape, latency_s, rate: floor_logisense.read_only(
        _ls_counts(shape), latency_s=latency_s, rate_limit=rate
    ),
    change_floor=lambda shape, change, latency_s, rate: floor_logisense.change(
        _ls_counts(shape),
        change.products,
        change.package_products,
        packages_touched=len(change.per_package),
        latency_s=latency_s,
        rate_limit=rate,
    ),
    formula=floor_logisense.FORMULA,
    client_id=True,
)

SYSTEMS: dict[str, System] = {s.name: s for s in (BILLINGPLATFORM, LOGISENSE)}


def systems_named(names: Sequence[str]) -> list[System]:
    """The systems called `names`, in that order; ValueError naming unknown ones."""
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown backend: {', '.join(unknown)} (known: {', '.join(SYSTEMS)})")
    return [SYSTEMS[n] for n in names]
