"""POST, PUT and DELETE: result envelopes, validation (every error at once), cascades."""

from __future__ import annotations

import httpx
import pytest

from catalogsync.emulator.logisense import LogiSenseEmulator
from tests.emulator.logisense.conftest import BASE, LsApi, errors


def test_post_creates_and_answers_the_result_envelope(ls: LogiSenseEmulator, api: LsApi) -> None:
    body = api.ok("POST", "Service/", json={"name": "Voice", "serviceTypeId": 3, "id": 4})
    assert body["type"] == "create"
    assert body["results"]["totalCount"] == 1
    (item,) = body["results"]["items"]
    # The seed's POST sample (004:868-895): the item is the bare created object.
    assert item["name"] == "Voice" and "action" not in item and "instance" not in item
    assert item["serviceTypeName"] == "Usage"
    assert item["isActive"] is True  # [INFERRED] default
    assert ls.records("Service") == [item]


def test_wrapped_write_items_profile_wraps_post_and_put_items() -> None:
    with (
        LogiSenseEmulator(profile="wrapped-write-items") as emu,
        httpx.Client(base_url=BASE, transport=emu.transport()) as http,
    ):
        api = LsApi(http)
        item = api.create("Service", name="V", serviceTypeId=1)
        assert (item["action"], item["dtoTypeKey"]) == ("created", "service")
        assert item["instance"]["identity"] == item["identity"]
        body = api.ok("PUT", f"Service/{item['identity']}", json={"description": "d"})
        (updated,) = body["results"]["items"]
        assert updated["action"] == "updated" and updated["instance"]["description"] == "d"


def test_post_package_service_resolves_names(api: LsApi, package: int, service: int) -> None:
    item = api.create(
        "Package/Service",
        packageId=package,
        serviceId=service,
        defaultInstances=2,
        minimumInstances=1,
        maximumInstances=5,
    )
    assert (item["packageName"], item["serviceName"]) == ("Gold", "Voice")
    assert item["created"] == item["updated"]


def test_post_lists_every_validation_error_and_writes_nothing(
    ls: LogiSenseEmulator, api: LsApi
) -> None:
    response = api.request(
        "POST",
        "Service",
        json={"serviceTypeId": 999, "usageFrequencyTypeId": 77, "isActive": "yes"},
    )
    assert response.json()["type"] == "create"
    assert sorted(errors(response)) == [
        "'IsActive' must be true or false, not 'yes'.",
        "'Name' is required.",
        "'ServiceTypeId' 999 does not refer to an existing ServiceType.",
        "'UsageFrequencyTypeId' 77 does not refer to an existing FrequencyType.",
    ]
    assert ls.records("Service") == []


def test_package_service_rules(api: LsApi, package: int, service: int) -> None:
    bad = api.request(
        "POST",
        "Package/Service",
        json={"packageId": 424242, "serviceId": 1, "minimumInstances": 3, "maximumInstances": 2},
    )
    assert errors(bad) == [
        "'PackageId' 424242 does not refer to an existing Package.",
        "'ServiceId' 1 does not refer to an existing Service.",
        "'MinimumInstances' (3) MUST be less than or equal to 'MaximumInstances' (2).",
    ]
    api.create("Package/Service", packageId=package, serviceId=service)
    again = api.request(
        "POST", "Package/Service", json={"packageId": package, "serviceId": service}
    )
    assert "is already used by PackageService" in errors(again)[0]
    required = api.request("POST", "Package/Currency", json={})
    assert errors(required) == ["'PackageId' is required.", "'CurrencyId' is required."]


def test_names_may_repeat_unless_unique_names(api: LsApi) -> None:
    api.create("Service", name="Voice", serviceTypeId=1)
    api.create("Service", name="Voice", serviceTypeId=1)
    with LogiSenseEmulator(unique_names=True) as strict:
        strict.create("Package", name="Gold")
        with pytest.raises(Exception, match="'Name' 'Gold' is already used by Package"):
            strict.create("Package", name="Gold")


def test_put_updates_only_the_supplied_fields(
    ls: LogiSenseEmulator, api: LsApi, package: int
) -> None:
    before = ls.record("Package", package)
    body = api.ok(
        "PUT",
        f"Package/{package}",
        json={"identity": 1, "description": "Best", "postPaid": True, "created": "x"},
    )
    assert body["type"] == "update"
    (item,) = body["results"]["items"]
    after = ls.record("Package", package)
    assert after == before | {"description": "Best", "postPaid": True}
    assert item == after  # the seed's PUT sample: the bare updated object


def test_put_sets_updated_on_children_and_can_clear_fields(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    link = api.create("Package/Service", packageId=package, serviceId=service, maximumInstances=3)
    ls.tokens.now = lambda: 2_000_000_000.0  # type: ignore[method-assign]
    body = api.ok("PUT", f"Package/Service/{link['identity']}", json={"maximumInstances": None})
    (item,) = body["results"]["items"]
    assert item["maximumInstances"] is None
    assert item["updated"] == "2033-05-18T03:33:20.000Z" != item["created"]


def test_put_validation_and_404(api: LsApi, package: int) -> None:
    response = api.request("PUT", f"Package/{package}", json={"name": "", "packageCategoryId": 9})
    assert response.json()["type"] == "update"
    assert errors(response) == [
        "'Name' is required.",
        "'PackageCategoryId' 9 does not refer to an existing PackageCategory.",
    ]
    errors(api.request("PUT", "Package/777", json={"name": "x"}), 404)
    errors(api.request("PUT", f"Package/{package}", content=b"{oops"))
    errors(api.request("PUT", f"Package/{package}", json=[1]))


def test_delete_package_reports_the_cascade(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    link = ls.create("Package/Service", packageId=package, serviceId=service)
    freq = ls.create("Package/Frequency", packageId=package, frequencyTypeId=4)
    body = api.ok("DELETE", f"Package/{package}")
    assert body["type"] == "delete"
    assert body["results"] == {
        "totalCount": 3,
        "items": [
            {"identity": package, "action": "deleted", "dtoTypeKey": "package"},
            {
                "foreignKeyIdentity": link["identity"],
                "action": "deleted",
                "dtoTypeKey": "packageService",
            },
            {
                "foreignKeyIdentity": freq["identity"],
                "action": "deleted",
                "dtoTypeKey": "packageFrequency",
            },
        ],
    }
    assert ls.records("Package") == ls.records("Package/Service") == []
    assert [s["identity"] for s in ls.records("Service")] == [service]
    errors(api.request("DELETE", f"Package/{package}"), 404)


def test_a_service_in_use_cannot_be_deleted(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    link = ls.create("Package/Service", packageId=package, serviceId=service)
    message = errors(api.request("DELETE", f"Service/{service}"))
    assert message == [
        f"Service {service} cannot be deleted: it is used by PackageService {link['identity']}."
    ]
    api.ok("DELETE", f"Package/Service/{link['identity']}")
    assert api.ok("DELETE", f"Service/{service}")["results"]["items"] == [
        {"identity": service, "action": "deleted", "dtoTypeKey": "service"}
    ]


def test_ids_are_never_reused_and_ranges_differ(ls: LogiSenseEmulator, package: int) -> None:
    ls.delete("Package", package)
    again = ls.create("Package", name="Gold")["identity"]
    assert again == package + 1
    service = ls.create("Service", name="Voice", serviceTypeId=1)["identity"]
    assert service != again


def test_post_and_put_refuse_nested_child_writes(
    ls: LogiSenseEmulator, api: LsApi, service: int
) -> None:
    nested = {"services": {"items": [{"patchType": "create", "serviceId": service}]}}
    response = api.request("POST", "Package", json={"name": "Gold", "details": nested})
    assert errors(response) == [
        "Child objects (services) cannot be written with POST or PUT; use PATCH Package/{id}."
    ]
    assert ls.records("Package") == []
    package = ls.create("Package", name="Gold")["identity"]
    errors(api.request("PUT", f"Package/{package}", json=nested))


def test_put_of_a_record_read_with_detail_round_trips(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    ls.create("Package/Service", packageId=package, serviceId=service)
    read = api.ok("GET", f"Package/{package}/Detail")["instance"]
    # The read-only output (identity, names, owner, details lists) is ignored, and the
    # UpdateRequest header (required before v4) is tolerated.
    headers = {"UpdateRequest": '{"filters": ["name"]}'}
    body = api.ok("PUT", f"Package/{package}", json=read | {"name": "Gold 2"}, headers=headers)
    assert body["results"]["items"][0]["name"] == "Gold 2"
    assert len(ls.records("Package/Service")) == 1


def test_create_201_profile_answers_post_with_201() -> None:
    with (
        LogiSenseEmulator(profile="create-201") as emu,
        httpx.Client(base_url=BASE, transport=emu.transport()) as http,
    ):
        response = LsApi(http).request("POST", "Service", json={"name": "V", "serviceTypeId": 1})
        assert response.status_code == 201
        assert response.json()["results"]["items"][0]["name"] == "V"
