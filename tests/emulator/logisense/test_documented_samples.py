"""The vendor's own samples (seed 004, the v8 Package page) against the strict emulator and
the client: for each documented request and answer (docs/vendor-api.md, "LogiSense REST
v8", rows marked documented), the emulator answers with the sample's shape and the client
reads both the sample and the emulator's answer.

Shapes: envelopes and Package objects carry exactly the sample's keys; children inside
`details` carry only keys the sample shows (the emulator leaves out what it does not model,
such as usage buckets, and invents nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from catalogsync.backends.logisense.mapping import Lookups, live_resources
from catalogsync.backends.logisense.wire import (
    CollectionResponse,
    InstanceResponse,
    PagedResponse,
    WriteResponse,
)
from catalogsync.catalog import Kind
from catalogsync.emulator.logisense import LogiSenseEmulator
from tests.emulator.logisense.conftest import LsApi

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "logisense" / "seed004_samples.json"
SAMPLES: dict[str, Any] = json.loads(SEED.read_text(encoding="utf-8"))["samples"]
#: The seed's ids of lookup rows an emulator does not have, mapped to seeded ones.
SEEDED_LOOKUPS = {"defaultAccountPackageStatusTypeId": 99, "packageCategoryId": 2}


def sample(name: str) -> Any:
    return SAMPLES[name]["json"]


def request_body(name: str) -> dict[str, Any]:
    """A sample request body with its lookup ids pointing at the emulator's seeded rows."""
    body: dict[str, Any] = dict(sample(name))
    return body | {k: v for k, v in SEEDED_LOOKUPS.items() if k in body}


def without_details(record: dict[str, Any]) -> set[str]:
    return set(record) - {"details"}


def assert_children_documented(mine: dict[str, Any], documented: dict[str, Any]) -> None:
    """`details` holds the sample's collections; each child shows only documented keys."""
    assert set(mine["details"]) == set(documented["details"])
    for collection, children in mine["details"].items():
        assert children, f"no {collection} to compare"
        allowed = set(documented["details"][collection][0])
        for child in children:
            assert set(child) <= allowed, (collection, set(child) - allowed)


@pytest.fixture
def gold(ls: LogiSenseEmulator, api: LsApi, service: int) -> int:
    """A package made by the sample's POST body, with a service, a frequency, a currency."""
    created = api.ok("POST", "Package/", json=request_body("POST Package/ body"))
    identity = int(created["results"]["items"][0]["identity"])
    children = {
        "services": {"items": [{"patchType": "create", "serviceId": service}]},
        "frequencies": {"items": [{"patchType": "create", "frequencyTypeId": 3}]},
        "currencies": {"items": [{"patchType": "create", "currencyId": 1}]},
    }
    ls.patch("Package", identity, {"details": children})
    return identity


@pytest.mark.parametrize(
    ("name", "path", "model"),
    [
        ("GET Package/ answer", "Package/", CollectionResponse),
        ("GET Package/{id} answer", "Package/{id}", InstanceResponse),
        ("GET Package/Paged answer", "Package/Paged", PagedResponse),
    ],
)
def test_reads_answer_as_the_samples(
    api: LsApi, gold: int, name: str, path: str, model: type[BaseModel]
) -> None:
    documented, mine = sample(name), api.ok("GET", path.format(id=gold))
    assert set(mine) == set(documented)
    if "pagination" in documented:
        assert set(mine["pagination"]) == set(documented["pagination"])
        assert set(mine["pagedResults"]) == set(documented["pagedResults"])
    record = _only_record(mine)
    assert set(record) == set(_only_record(documented))
    model.model_validate(documented)
    model.model_validate(mine)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("GET Package/Paged/Detail answer", "Package/Paged/Detail"),
        ("GET Package/{id}/Detail answer", "Package/{id}/Detail"),
    ],
)
def test_detail_reads_answer_as_the_samples(api: LsApi, gold: int, name: str, path: str) -> None:
    documented, mine = sample(name), api.ok("GET", path.format(id=gold))
    assert set(mine) == set(documented)
    record, documented_record = _only_record(mine), _only_record(documented)
    assert without_details(record) == without_details(documented_record)
    assert_children_documented(record, documented_record)


def test_the_client_reads_the_sample_detail_listing() -> None:
    page = PagedResponse.model_validate(sample("GET Package/Paged/Detail answer"))
    lookups = Lookups({"FrequencyType": {66: "Month"}, "Currency": {79: "XTS"}})
    resources = {r.ref.kind: r for r in live_resources([], page.items, lookups)}
    package = resources[Kind.PACKAGE]
    assert package.ref.name == "Gold Service Plan"
    assert package.fields["frequencies"] == ("20 Month",)
    # Package detail shows currencyCode, which the client prefers to its lookup table.
    assert package.fields["currencies"] == ("Sample Text Data",)
    link = resources[Kind.PACKAGE_PRODUCT]
    assert (link.remote_id, link.fields["maximum_instances"]) == ("25", 1)


@pytest.mark.parametrize("verb", ["POST", "PUT"])
def test_post_and_put_answer_as_the_samples(api: LsApi, gold: int, verb: str) -> None:
    path = "Package/" if verb == "POST" else f"Package/{gold}"
    name = "POST Package/" if verb == "POST" else "PUT Package/{id}"
    documented = sample(f"{name} answer")
    mine = api.ok(verb, path, json=request_body(f"{name} body"))
    assert set(mine) == set(documented) and mine["type"] == documented["type"]
    assert set(mine["results"]) == set(documented["results"])
    assert set(_only_item(mine)) == set(_only_item(documented))
    for answer in (documented, mine):
        (item,) = WriteResponse.model_validate(answer).items
        assert item.identity is not None and item.instance is not None


def test_patch_answers_as_the_sample(api: LsApi, gold: int) -> None:
    documented = sample("PATCH Package/{id} answer")
    body = request_body("PATCH Package/{id} body")
    body["packages"]["items"] = [
        item | {k: v for k, v in SEEDED_LOOKUPS.items() if k in item}
        for item in body["packages"]["items"]
    ]
    mine = api.ok("PATCH", f"Package/{gold}", json=body)
    assert set(mine) == set(documented) and mine["type"] == "patch"
    item, documented_item = _only_item(mine), _only_item(documented)
    assert set(item) == set(documented_item)  # no patchClientId echo
    assert set(item["instance"]) == set(documented_item["instance"])
    for answer in (documented, mine):
        (result,) = WriteResponse.model_validate(answer).items
        assert (result.action, result.dto_type_key) == ("created", "package")


def test_delete_answers_as_the_sample(api: LsApi, gold: int) -> None:
    documented = sample("DELETE Package/{id} answer")
    mine = api.ok("DELETE", f"Package/{gold}")
    assert set(mine) == set(documented) and mine["type"] == "delete"
    first, documented_first = mine["results"]["items"][0], documented["results"]["items"][0]
    assert first == {"identity": gold, "action": "deleted", "dtoTypeKey": "package"}
    assert set(first) == set(documented_first)
    cascade = [i for i in mine["results"]["items"][1:]]
    assert cascade and all(set(i) == set(documented["results"]["items"][2]) for i in cascade)
    for answer in (documented, mine):
        assert WriteResponse.model_validate(answer).items[0].action == "deleted"


def _only_record(answer: dict[str, Any]) -> dict[str, Any]:
    if "instance" in answer:
        return dict(answer["instance"])
    items = answer["pagedResults"]["items"] if "pagedResults" in answer else answer["items"]
    assert len(items) == 1
    return dict(items[0])


def _only_item(answer: dict[str, Any]) -> dict[str, Any]:
    (item,) = answer["results"]["items"]
    return dict(item)
