"""PATCH with nested child collections: create/update/delete, placement, atomicity.

Child collections go in `details` (the seed's body, 004:760-763, and Detail output,
004:292-487); the strict default refuses them anywhere else and echoes no patchClientId.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from catalogsync.emulator.logisense import LogiSenseEmulator
from tests.emulator.logisense.conftest import BASE, LsApi, errors, items


@pytest.fixture
def package_and_service_in() -> Iterator[Callable[[str], tuple[Any, LsApi, int, int]]]:
    """(emulator, api, package id, service id) in an emulator of the given profile."""
    opened: list[Any] = []

    def make(profile: str) -> tuple[Any, LsApi, int, int]:
        emu = LogiSenseEmulator(profile=profile)
        http = httpx.Client(base_url=BASE, transport=emu.transport())
        opened.extend([http, emu])
        service = emu.create("Service", name="Voice", serviceTypeId=1)["identity"]
        package = emu.create("Package", name="Gold")["identity"]
        return emu, LsApi(http), package, service

    yield make
    for thing in opened:
        thing.close()


def _ok(api: LsApi, path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = api.patch(path, body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["type"] == "patch"
    assert payload["results"]["totalCount"] == len(payload["results"]["items"])
    results: list[dict[str, Any]] = payload["results"]["items"]
    return results


def _children_body(service: int) -> dict[str, Any]:
    return {
        "description": "with children",
        "details": {
            **items("services", {"patchType": "create", "patchClientId": 11, "serviceId": service}),
            **items(
                "frequencies", {"patchType": "create", "patchClientId": 12, "frequencyTypeId": 3}
            ),
            **items("currencies", {"patchType": "create", "patchClientId": 13, "currencyId": 1}),
        },
    }


def test_patch_creates_children_in_details_and_answers_as_the_seed(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    results = _ok(api, f"Package/{package}", _children_body(service))
    summary = [(r["dtoTypeKey"], r["action"]) for r in results]
    assert summary == [
        ("package", "updated"),
        ("packageService", "created"),
        ("packageFrequency", "created"),
        ("packageCurrency", "created"),
    ]
    # The seed's answer items (004:793-818): no patchClientId echo.
    assert all(set(r) == {"identity", "action", "dtoTypeKey", "instance"} for r in results)
    assert all(r["identity"] == r["instance"]["identity"] for r in results)
    assert results[1]["instance"]["packageId"] == package  # filled in from the path
    details = ls.record("Package", package, detail=True)["details"]
    assert [s["identity"] for s in details["services"]] == [results[1]["identity"]]
    assert details["currencies"][0]["currencyCode"] == "USD"
    assert ls.record("Package", package)["description"] == "with children"


def test_echo_profile_echoes_patch_client_ids(package_and_service_in: Any) -> None:
    _, api, package, service = package_and_service_in("echo-patch-client-id")
    results = _ok(api, f"Package/{package}", _children_body(service))
    assert [r.get("patchClientId") for r in results] == [None, 11, 12, 13]


@pytest.mark.parametrize("key", ["services", "frequencies", "currencies", "colour"])
def test_strict_refuses_keys_outside_the_documented_places(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int, key: str
) -> None:
    body = {key: {"items": [{"patchType": "create", "serviceId": service, "currencyId": 1}]}}
    assert errors(api.patch(f"Package/{package}", body)) == [
        f"'{key}' is not a property of Package."
    ]
    item = {"patchType": "create", "serviceId": service, "colour": "red"}
    assert errors(api.patch(f"Package/{package}", {"details": items("services", item)})) == [
        "services.items[0]: 'colour' is not a property of PackageService."
    ]
    assert errors(api.patch(f"Package/{package}", {"details": items("prices", item)})) == [
        "'details.prices' is not a child of Package details."
    ]
    assert ls.records("Package/Service") == []


def test_top_level_children_profile_accepts_them_beside_details(
    package_and_service_in: Any,
) -> None:
    _, api, package, service = package_and_service_in("top-level-children")
    body = items("services", {"patchType": "create", "packageId": package, "serviceId": service})
    (created,) = _ok(api, f"Package/{package}", body)
    assert created["instance"]["serviceId"] == service


def test_patch_updates_and_deletes_children(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    link = ls.create("Package/Service", packageId=package, serviceId=service)["identity"]
    currency = ls.create("Package/Currency", packageId=package, currencyId=1)["identity"]
    body = {
        "details": {
            **items(
                "services",
                {
                    "patchType": "update",
                    "patchClientId": 1,
                    "identity": link,
                    "maximumInstances": 9,
                },
            ),
            **items("currencies", {"patchType": "delete", "patchClientId": 2, "id": currency}),
        }
    }
    results = _ok(api, f"Package/{package}", body)
    assert [r["action"] for r in results] == ["updated", "deleted"]
    assert results[1] == {
        "identity": currency,
        "action": "deleted",
        "dtoTypeKey": "packageCurrency",
    }
    assert ls.record("Package/Service", link)["maximumInstances"] == 9
    assert ls.records("Package/Currency") == []


def test_one_bad_child_writes_nothing(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    before = ls.records("Package", detail=True)
    body = {
        "description": "should not stick",
        "details": {
            **items(
                "services",
                {"patchType": "create", "patchClientId": 1, "serviceId": service},
                {"patchType": "create", "patchClientId": 2, "serviceId": 31337},
            ),
            **items("currencies", {"patchType": "create", "patchClientId": 3, "currencyId": 2}),
        },
    }
    response = api.patch(f"Package/{package}", body)
    assert response.json()["type"] == "patch"
    assert errors(response) == [
        "services.items[1] (patchClientId 2): 'ServiceId' 31337 does not refer to an existing "
        "Service."
    ]
    assert ls.records("Package", detail=True) == before


def test_every_problem_in_a_patch_is_listed(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    other = ls.create("Package", name="Other")["identity"]
    foreign = ls.create("Package/Service", packageId=other, serviceId=service)["identity"]
    body = {
        "packageCategoryId": 404,
        "details": {
            **items(
                "services",
                {
                    "patchType": "create",
                    "serviceId": service,
                    "minimumInstances": 4,
                    "maximumInstances": 1,
                },
                {"patchType": "update", "identity": foreign, "maximumInstances": 2},
                {"patchType": "remove", "identity": foreign},
                {"patchType": "delete"},
                "not an object",
            ),
            "frequencies": {"items": "nope"},
        },
    }
    messages = errors(api.patch(f"Package/{package}", body))
    assert messages == [
        "'frequencies' must be an object with an 'items' list.",
        "'PackageCategoryId' 404 does not refer to an existing PackageCategory.",
        "services.items[0]: 'MinimumInstances' (4) MUST be less than or equal to "
        "'MaximumInstances' (1).",
        f"services.items[1]: PackageService {foreign} was not found in Package {package}.",
        "services.items[2]: 'PatchType' must be create, update or delete.",
        "services.items[3]: 'Identity' is required to delete an object.",
        "services.items[4]: an item must be an object.",
    ]
    assert ls.record("Package/Service", foreign)["maximumInstances"] is None


def test_seed_style_patch_creates_packages_with_nested_children(
    ls: LogiSenseEmulator, api: LsApi, service: int
) -> None:
    body = {
        "details": {},
        **items(
            "packages",
            {
                "patchType": "create",
                "patchClientId": 1,
                "name": "Gold Service Plan",
                "packageCategoryId": 3,
                "id": 1,
                "details": {
                    **items(
                        "services",
                        {"patchType": "create", "patchClientId": 2, "serviceId": service},
                    ),
                    **items(
                        "frequencies",
                        {"patchType": "create", "patchClientId": 3, "frequencyTypeId": 3},
                    ),
                },
            },
        ),
    }
    results = _ok(api, "Package/0", body)
    assert [r["dtoTypeKey"] for r in results] == ["package", "packageService", "packageFrequency"]
    package = results[0]["identity"]
    assert results[1]["instance"]["packageId"] == results[2]["instance"]["packageId"] == package
    (stored,) = ls.records("Package", detail=True)
    assert stored["packageCategoryName"] == "Residential"
    assert len(stored["details"]["services"]) == len(stored["details"]["frequencies"]) == 1


def test_a_failed_parent_still_reports_its_childrens_problems(
    ls: LogiSenseEmulator, api: LsApi
) -> None:
    body = items(
        "packages",
        {
            "patchType": "create",
            "patchClientId": 1,
            "details": items(
                "currencies", {"patchType": "create", "patchClientId": 2, "currencyId": 66}
            ),
        },
    )
    assert errors(api.patch("Package/0", body)) == [
        "packages.items[0] (patchClientId 1): 'Name' is required.",
        "packages.items[0].currencies.items[0] (patchClientId 2): 'CurrencyId' 66 does not refer "
        "to an existing Currency.",
    ]
    assert ls.records("Package") == ls.records("Package/Currency") == []


def test_packages_can_be_updated_and_deleted_through_the_collection(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    other = ls.create("Package", name="Silver")["identity"]
    ls.create("Package/Service", packageId=other, serviceId=service)
    body = items(
        "packages",
        {"patchType": "update", "patchClientId": 1, "identity": package, "name": "Gold 2"},
        {"patchType": "delete", "patchClientId": 2, "identity": other},
    )
    results = _ok(api, f"Package/{package}", body)
    assert [(r["dtoTypeKey"], r["action"]) for r in results] == [
        ("package", "updated"),
        ("package", "deleted"),
        ("packageService", "deleted"),
    ]
    assert "foreignKeyIdentity" in results[2]
    assert [p["name"] for p in ls.records("Package")] == ["Gold 2"]


def test_patch_on_a_leaf_resource_updates_its_fields(api: LsApi, service: int) -> None:
    (result,) = _ok(api, f"Service/{service}", {"description": "patched"})
    assert (result["action"], result["dtoTypeKey"]) == ("updated", "service")
    assert result["instance"]["description"] == "patched"


@pytest.mark.parametrize("path", ["Package/4040", "Service/4040"])
def test_patch_of_a_missing_object_is_404_in_the_body(api: LsApi, path: str) -> None:
    assert "was not found" in errors(api.patch(path, {"description": "x"}))[0]


def test_batch_cap_counts_nested_items(ls: LogiSenseEmulator, api: LsApi, package: int) -> None:
    ls.faults.max_batch_size = 2
    three = {
        "details": items(
            "currencies",
            *({"patchType": "create", "currencyId": c} for c in (1, 2, 3)),
        )
    }
    assert "more than 2 patch items" in errors(api.patch(f"Package/{package}", three))[0]
    assert ls.records("Package/Currency") == []
    two = {
        "details": items("currencies", *({"patchType": "create", "currencyId": c} for c in (1, 2)))
    }
    assert len(_ok(api, f"Package/{package}", two)) == 2


def test_injected_name_failure_rolls_back_the_whole_patch(
    ls: LogiSenseEmulator, api: LsApi, package: int
) -> None:
    good = ls.create("Service", name="Voice", serviceTypeId=1)["identity"]
    bad = ls.create("Service", name="Fax FAIL", serviceTypeId=1)["identity"]
    ls.faults.fail_names_matching = "FAIL"
    body = {
        "details": items(
            "services",
            {"patchType": "create", "serviceId": good},
            {"patchType": "create", "serviceId": bad},
        )
    }
    (message,) = errors(api.patch(f"Package/{package}", body))
    assert message.startswith("services.items[1]: injected failure: the name 'Fax FAIL'")
    assert ls.records("Package/Service") == []


def test_a_child_cannot_be_moved_by_its_parents_patch(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    other = ls.create("Package", name="Other")["identity"]
    link = ls.create("Package/Service", packageId=package, serviceId=service)["identity"]
    body = {
        "details": items("services", {"patchType": "update", "identity": link, "packageId": other})
    }
    assert errors(api.patch(f"Package/{package}", body)) == [
        "services.items[0]: 'PackageId' cannot move a child to another package."
    ]
    assert ls.record("Package/Service", link)["packageId"] == package


def test_out_of_range_integers_are_validation_errors(api: LsApi, package: int) -> None:
    huge = 2**70
    body = {
        "packageCategoryId": huge,
        "details": items("services", {"patchType": "delete", "identity": huge}),
    }
    assert errors(api.patch(f"Package/{package}", body)) == [
        f"'PackageCategoryId' must be a whole number, not {huge}.",
        "services.items[0]: 'Identity' is required to delete an object.",
    ]
