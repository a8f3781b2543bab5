"""GET collection / by id / Detail / Paged / Paged/Detail, lookups, filters and /Search."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.emulator.logisense.schema import RESOURCES, Kind
from tests.emulator.logisense.conftest import LsApi, errors

LOOKUPS = [
    "ServiceType",
    "ServiceBaseType",
    "FrequencyType",
    "Currency",
    "Package/Category",
    "Account/Package/StatusType",
    "Service/StatusType",
]


def _services(ls: LogiSenseEmulator, count: int) -> list[int]:
    return [
        int(ls.create("Service", name=f"Service {n:02}", serviceTypeId=1)["identity"])
        for n in range(count)
    ]


def test_collection_envelope(api: LsApi, service: int) -> None:
    body = api.ok("GET", "Service")
    assert set(body) == {"trackingId", "totalCount", "items"}
    uuid.UUID(body["trackingId"])
    assert body["totalCount"] == 1
    (item,) = body["items"]
    assert item["identity"] == service
    assert item["name"] == "Voice"
    assert item["serviceTypeName"] == "Recurring"
    assert item["serviceBaseTypeName"] == "Recurring"
    assert item["ownerId"] == 1 and item["ownerName"]
    assert item["created"].endswith("Z")


def test_by_id_envelope_and_404(api: LsApi, package: int) -> None:
    body = api.ok("GET", f"Package/{package}")
    assert set(body) == {"trackingId", "instance"}
    instance = body["instance"]
    assert instance["identity"] == instance["id"] == package
    assert instance["packageCategoryName"] == "Default"
    assert "details" not in instance
    assert "was not found" in errors(api.request("GET", "Package/999999"), 404)[0]


def test_detail_of_one_package_lists_its_children(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    ls.create("Package/Service", packageId=package, serviceId=service, maximumInstances=4)
    ls.create("Package/Frequency", packageId=package, frequencyTypeId=3)
    ls.create("Package/Currency", packageId=package, currencyId=2)
    details = api.ok("GET", f"Package/{package}/Detail")["instance"]["details"]
    assert set(details) == {"services", "frequencies", "currencies"}
    (linked,) = details["services"]
    assert (linked["serviceName"], linked["maximumInstances"]) == ("Voice", 4)
    assert details["frequencies"][0]["frequencyTypeName"] == "Month"
    assert details["currencies"][0]["currencyCode"] == "CAD"
    # A resource without emulated children has an empty details object.
    assert api.ok("GET", f"Service/{service}/Detail")["instance"]["details"] == {}


def test_paged_envelope_pages_and_total(ls: LogiSenseEmulator, api: LsApi) -> None:
    ids = _services(ls, 7)
    seen: list[int] = []
    for number in (1, 2, 3):
        response = api.paged("Service", {"pageNumber": number, "pageSize": 3})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"trackingId", "pagination", "pagedResults"}
        assert body["pagination"] == {
            "pageNumber": number,
            "pageSize": 3,
            "excludeTotalCount": False,
        }
        assert body["pagedResults"]["totalCount"] == 7
        seen += [item["identity"] for item in body["pagedResults"]["items"]]
    assert seen == ids  # the last page is the partial one (1 item), no overlap
    beyond = api.paged("Service", {"pageNumber": 4, "pageSize": 3}).json()["pagedResults"]
    assert beyond == {"totalCount": 7, "items": []}


def test_paged_defaults_and_exclude_total_count(ls: LogiSenseEmulator, api: LsApi) -> None:
    _services(ls, 25)
    default = api.paged("Service").json()
    assert default["pagination"] == {"pageNumber": 1, "pageSize": 20, "excludeTotalCount": False}
    assert len(default["pagedResults"]["items"]) == 20
    page = {"pageNumber": 2, "pageSize": 20, "excludeTotalCount": True}
    excluded = api.paged("Service", page).json()["pagedResults"]
    assert excluded["totalCount"] is None
    assert len(excluded["items"]) == 5


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ('{"pageNumber": 1, "pageSize": 10001}', "'PageSize' (10001) MUST NOT exceed 10000"),
        ('{"pageNumber": 0, "pageSize": 5}', "'PageNumber'"),
        ('{"pageNumber": 1, "pageSize": "ten"}', "'PageSize'"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_pagination_is_refused(api: LsApi, header: str, fragment: str) -> None:
    response = api.request("GET", "Service/Paged", headers={"Pagination": header})
    assert fragment in " ".join(errors(response))


def test_page_cap_follows_faults(ls: LogiSenseEmulator, api: LsApi) -> None:
    _services(ls, 3)
    ls.faults.max_page_size = 2
    assert "MUST NOT exceed 2" in errors(api.paged("Service", {"pageSize": 3}))[0]
    assert len(api.paged("Service", {"pageSize": 2}).json()["pagedResults"]["items"]) == 2


def test_paged_detail_embeds_children_for_the_page_only(
    ls: LogiSenseEmulator, api: LsApi, service: int
) -> None:
    packages = [int(ls.create("Package", name=f"P{n}")["identity"]) for n in range(3)]
    for package in packages:
        ls.create("Package/Service", packageId=package, serviceId=service)
    page = {"pageNumber": 2, "pageSize": 2}
    response = api.request("GET", "Package/Paged/Detail", headers={"Pagination": json.dumps(page)})
    body = response.json()["pagedResults"]
    assert body["totalCount"] == 3
    (only,) = body["items"]
    assert only["identity"] == packages[2]
    assert [s["packageId"] for s in only["details"]["services"]] == [packages[2]]


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_lookups_are_seeded_and_readable(api: LsApi, lookup: str) -> None:
    body = api.ok("GET", lookup)
    assert body["totalCount"] == len(body["items"]) >= 3
    first = body["items"][0]
    assert api.ok("GET", f"{lookup}/{first['identity']}")["instance"]["name"] == first["name"]


@pytest.mark.parametrize(
    "invented", ["PackageCategory", "AccountPackageStatusType", "ServiceStatusType"]
)
def test_lookup_paths_nobody_documents_are_404(api: LsApi, invented: str) -> None:
    # The vendor serves these tables at nested paths only (docs/vendor-api.md, lookups).
    errors(api.request("GET", invented), 404)


def test_package_category_answers_as_the_v8_page_shows(api: LsApi) -> None:
    (first, *_) = api.ok("GET", "Package/Category/")["items"]
    assert set(first) >= {"identity", "name", "sortOrder", "visible"}


def test_lookups_are_read_only(api: LsApi) -> None:
    assert errors(api.request("POST", "Currency", json={"name": "Yen"}), 405)
    assert errors(api.request("DELETE", "Currency/1"), 405)


def test_paths_ignore_case_and_trailing_slashes(api: LsApi, service: int) -> None:
    assert (
        api.client.get(
            f"/resourceserver/API/V8/service/{service}/detail/",
            headers={"Authorization": f"Bearer {api.token}"},
        ).status_code
        == 200
    )
    assert api.ok("GET", "package/service/")["totalCount"] == 0


@pytest.mark.parametrize(
    "path", ["Nope", "Package/Frequency/Currency", "Service/abc", "Service/1/x"]
)
def test_unknown_paths_are_404(api: LsApi, path: str) -> None:
    errors(api.request("GET", path), 404)


def _search(api: LsApi, path: str, filters: list[dict[str, Any]], **extra: Any) -> list[Any]:
    header = json.dumps({"filters": filters, **extra})
    return [i["name"] for i in api.ok("GET", path, headers={"SearchRequest": header})["items"]]


def test_search_header_filters_by_name(ls: LogiSenseEmulator, api: LsApi) -> None:
    for name in ("Voice", "voice", "Data", "O'Brien's Line", "Fax"):
        ls.create("Service", name=name, serviceTypeId=1)
    # [INFERRED] SQL Server's default collation: equality ignores case.
    assert _search(api, "Service", [{"name": "name", "operator": "eq", "value": "VOICE"}]) == [
        "Voice",
        "voice",
    ]
    quoted = [{"name": "Name", "operator": "eq", "value": "O'Brien's Line"}]
    assert _search(api, "Service", quoted) == ["O'Brien's Line"]
    contains = [{"name": "name", "operator": "contains", "value": "a"}]
    assert _search(api, "Service", contains, orderBy=[{"name": "name", "direction": "desc"}]) == [
        "Fax",
        "Data",
    ]
    assert _search(api, "Service", [{"name": "name", "operator": "in", "value": "Fax,Data"}]) == [
        "Data",
        "Fax",
    ]
    either = [
        {"name": "name", "operator": "startsWith", "value": "fa"},
        {"name": "name", "operator": "endsWith", "value": "TA", "condition": "or"},
    ]
    assert _search(api, "Service", either) == ["Data", "Fax"]


def test_search_header_on_paged_routes_counts_matches(ls: LogiSenseEmulator, api: LsApi) -> None:
    _services(ls, 5)
    header = json.dumps({"filters": [{"name": "name", "operator": "gtEq", "value": "Service 02"}]})
    body = api.paged("Service", {"pageSize": 2}, SearchRequest=header).json()["pagedResults"]
    assert body["totalCount"] == 3
    assert [i["name"] for i in body["items"]] == ["Service 02", "Service 03"]


def test_search_filters_on_numbers_and_booleans(
    ls: LogiSenseEmulator, api: LsApi, package: int, service: int
) -> None:
    ls.create("Service", name="Off", serviceTypeId=2, isActive=False)
    assert _search(api, "Service", [{"name": "isActive", "operator": "eq", "value": "false"}]) == [
        "Off"
    ]
    ls.create("Package/Service", packageId=package, serviceId=service)
    header = json.dumps({"filters": [{"name": "packageId", "operator": "eq", "value": package}]})
    found = api.ok("GET", "Package/Service", headers={"SearchRequest": header})
    assert [i["serviceId"] for i in found["items"]] == [service]


@pytest.mark.parametrize(
    ("search", "fragment"),
    [
        ({"filters": [{"name": "nope", "operator": "eq", "value": 1}]}, "Unknown property"),
        (
            {"filters": [{"name": "name", "operator": "like", "value": 1}]},
            "Unknown search operator",
        ),
        ({"filters": {"name": "name"}}, "'filters' must be a list"),
        ({"orderBy": [{"name": "name", "direction": "up"}]}, "'Direction'"),
    ],
)
def test_bad_search_headers_are_refused(api: LsApi, search: dict[str, Any], fragment: str) -> None:
    response = api.request("GET", "Service", headers={"SearchRequest": json.dumps(search)})
    assert fragment in errors(response)[0]


def test_post_search_with_top_and_pagination(ls: LogiSenseEmulator, api: LsApi) -> None:
    _services(ls, 6)
    query = {"search": [{"name": "name", "operator": "contains", "value": "service"}], "top": 4}
    body = api.ok("POST", "Service/Search", json={"query": query})
    assert body["totalCount"] == 4 and len(body["items"]) == 4
    paged = {**query, "pagination": {"pageNumber": 2, "pageSize": 4}}
    second = api.ok("POST", "Service/Search", json={"query": paged})
    assert second["pagedResults"]["totalCount"] == 6
    assert len(second["pagedResults"]["items"]) == 2
    assert "'Top'" in errors(api.request("POST", "Service/Search", json={"query": {"top": 0}}))[0]
    assert errors(api.request("POST", "Service/Search", json={"top": 3}))


@pytest.mark.parametrize("identity", ["²", "1" * 19, "-1"])
def test_ids_that_cannot_exist_are_404(api: LsApi, identity: str) -> None:
    errors(api.request("GET", f"Service/{identity}"), 404)


def test_out_of_range_numbers_in_filters_and_pages_are_400(api: LsApi) -> None:
    header = json.dumps({"filters": [{"name": "identity", "operator": "eq", "value": 2**70}]})
    assert (
        "out of range"
        in errors(api.request("GET", "Service", headers={"SearchRequest": header}))[0]
    )
    assert "'PageNumber'" in errors(api.paged("Service", {"pageNumber": 2**40, "pageSize": 10}))[0]


def test_get_answers_are_the_bytes_json_dumps_writes(
    ls: LogiSenseEmulator, api: LsApi, package: int
) -> None:
    """GET answers are written in C (msgspec): byte for byte what `JSONResponse`
    (json.dumps) writes, awkward text (control characters, U+2028, non-ASCII), integers,
    booleans and nulls included."""
    awkward = 'tab\there\nnew \x01\x1f\x7f \u2028\u2029 "q" \\ / \U0001f600 Größe'
    service = int(ls.create("Service", name=awkward, serviceTypeId=1)["identity"])
    ls.create("Package/Service", packageId=package, serviceId=service, maximumInstances=4)
    ls.create("Package/Frequency", packageId=package, frequencyTypeId=3)
    for path, header in (
        ("Package/Paged/Detail", {"pageNumber": 1, "pageSize": 10, "excludeTotalCount": False}),
        ("Service/Paged", {"pageNumber": 1, "pageSize": 10, "excludeTotalCount": False}),
        ("Service", None),
        (f"Service/{service}", None),
        (f"Package/{package}/Detail", None),
    ):
        headers = {"Pagination": json.dumps(header)} if header else {}
        response = api.request("GET", path, headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        canonical = json.dumps(response.json(), ensure_ascii=False, separators=(",", ":"))
        assert response.content == canonical.encode("utf-8"), path
    assert api.ok("GET", f"Service/{service}")["instance"]["name"] == awkward


def test_no_emulated_field_holds_a_float() -> None:
    """What lets GET answers be written by msgspec (`http.tables.encode_json`), which
    spells some floats unlike json (`1e16` for `1e+16`): a NUMBER field would need another
    encoder for its answers."""
    assert [
        (resource.key, field.name)
        for resource in RESOURCES.values()
        for field in resource.fields
        if field.kind is Kind.NUMBER
    ] == []


def test_a_page_of_details_is_read_under_the_lock_and_built_without_the_database(
    ls: LogiSenseEmulator, service: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    packages = [int(ls.create("Package", name=f"P{n}")["identity"]) for n in range(3)]
    for package in packages:
        ls.create("Package/Service", packageId=package, serviceId=service)
    resource = RESOURCES["Package"]
    rows = ls.db.select(resource)
    expected = ls.views.render_detailed(resource, rows)
    read = ls.views.read(resource, rows, detail=True)

    def no_database(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the build read the database")

    monkeypatch.setattr(ls.db, "select", no_database)
    monkeypatch.setattr(ls.db, "where_in", no_database)
    # What the page answer is built from: the same items, with no read (so outside the lock,
    # other requests are not held while a page of package details is built).
    assert read.build() == expected
    assert [s["serviceId"] for s in expected[0]["details"]["services"]] == [service]
