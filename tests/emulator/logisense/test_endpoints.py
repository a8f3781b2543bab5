"""Every verb on every writable resource, over HTTP, with its envelope."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.emulator.logisense.conftest import LsApi, errors

#: resource -> (create body given a package and a service id, a PUT change, dtoTypeKey)
CASES: dict[str, tuple[Callable[[int, int], dict[str, Any]], dict[str, Any], str]] = {
    "Service": (
        lambda p, s: {"name": "Data", "serviceTypeId": 2},
        {"isTaxExempt": True},
        "service",
    ),
    "Package": (lambda p, s: {"name": "Silver"}, {"fullPeriod": True}, "package"),
    "Package/Service": (
        lambda p, s: {"packageId": p, "serviceId": s},
        {"maximumInstances": 8},
        "packageService",
    ),
    "Package/Frequency": (
        lambda p, s: {"packageId": p, "frequencyTypeId": 4, "sku": "GOLD-Y"},
        {"sku": "GOLD-YEAR"},
        "packageFrequency",
    ),
    "Package/Currency": (
        lambda p, s: {"packageId": p, "currencyId": 3},
        {"currencyId": 4},
        "packageCurrency",
    ),
}


@pytest.mark.parametrize("path", sorted(CASES))
def test_every_verb_on(api: LsApi, path: str, package: int, service: int) -> None:
    make, change, dto = CASES[path]
    created = api.create(path, **make(package, service))
    identity = created["identity"]
    assert "action" not in created  # the seed's POST sample: the bare created object

    one = api.ok("GET", f"{path}/{identity}")["instance"]
    assert one == created
    assert api.ok("GET", f"{path}/{identity}/Detail")["instance"]["details"] is not None
    listed = api.ok("GET", path)
    assert one in listed["items"] and listed["totalCount"] == len(listed["items"])
    for view in ("Paged", "Paged/Detail"):
        page = api.request(
            "GET", f"{path}/{view}", headers={"Pagination": json.dumps({"pageSize": 50})}
        )
        assert page.status_code == 200
        assert identity in [i["identity"] for i in page.json()["pagedResults"]["items"]]

    updated = api.ok("PUT", f"{path}/{identity}", json=change)["results"]["items"][0]
    assert {k: updated[k] for k in change} == change
    patched = api.ok("PATCH", f"{path}/{identity}", json=change)["results"]["items"]
    assert [(r["dtoTypeKey"], r["action"]) for r in patched] == [(dto, "updated")]

    deleted = api.ok("DELETE", f"{path}/{identity}")
    assert deleted["type"] == "delete"
    assert deleted["results"]["items"][0] == {
        "identity": identity,
        "action": "deleted",
        "dtoTypeKey": dto,
    }
    errors(api.request("GET", f"{path}/{identity}"), 404)
    errors(api.request("DELETE", f"{path}/{identity}"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "Service"),
        ("DELETE", "Package"),
        ("PATCH", "Package/Service"),
        ("POST", "Service/5"),
    ],
)
def test_verbs_without_a_route_are_405(api: LsApi, method: str, path: str) -> None:
    errors(api.request(method, path, json={}), 405)
