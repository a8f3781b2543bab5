"""Retrieve by Id and by queryAnsiSql: whole records in a `retrieveResponse` array."""

from __future__ import annotations

import re

from tests.emulator.conftest import Api

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_retrieve_by_id_returns_every_field_as_strings_in_an_array(api: Api, product: str) -> None:
    response = api.retrieve("PRODUCT", product)
    assert response.status_code == 200
    (record,) = response.json()["retrieveResponse"]
    assert record["Id"] == product
    assert record["Name"] == "Voice"
    assert record["Rate"] == "0.05"
    assert record["Status"] == "ACTIVE"  # defaults are filled in
    assert record["OverridePermissions"] == "Restrict Rating Method Override"
    assert record["DefaultRateFlag"] == "0"
    assert record["ExternalKey"] == ""
    assert ISO_MS.fullmatch(record["Created"]) and ISO_MS.fullmatch(record["Updated"])
    assert record["CreatedUserId"] == record["UpdatedUserId"] != ""
    assert all(isinstance(v, str) for v in record.values())
    assert {"SfRecordId", "SSPFormula", "Ranking", "RestrictUseOfUnreferencedContracts"} <= set(
        record
    )


def test_entity_names_in_paths_are_case_insensitive(api: Api, package: str) -> None:
    for entity in ("PACKAGE", "package", "Package"):
        assert api.retrieve(entity, package).status_code == 200


def test_paths_tolerate_double_slashes_and_an_org_prefix(api: Api, package: str) -> None:
    assert api.request("GET", f"/acme/rest/2.0/PACKAGE/{package}").status_code == 200
    assert api.request("GET", f"/acme//rest/2.0//PACKAGE/{package}/").status_code == 200
    response = api.request("GET", "/rest/2.0/QUERY", params={"sql": "SELECT Id FROM PACKAGE"})
    assert response.status_code == 200


def test_unknown_ids_and_entities_are_404(api: Api, package: str) -> None:
    for path in ("/rest/2.0/PACKAGE/999", "/rest/2.0/PACKAGE/abc", "/rest/2.0/NOPE/1"):
        response = api.request("GET", path)
        assert response.status_code == 404, path
        assert response.json()["error"] == "Not found"


def test_unknown_urls_and_methods_are_a_web_server_404_not_the_api_body(api: Api) -> None:
    for method, path in [
        ("GET", "/nowhere"),
        ("DELETE", "/rest/2.0/PACKAGE"),
        ("GET", "/rest/3.0/login"),
        ("GET", "/rest/2.0/PACKAGE/1/extra"),
    ]:
        response = api.request(method, path)
        assert response.status_code == 404, (method, path)
        assert response.headers["content-type"].startswith("text/html")
    # The API's own 404 (an unknown Id, no rows) keeps its documented JSON body.
    unknown = api.request("GET", "/rest/2.0/PACKAGE/424242")
    assert unknown.status_code == 404 and set(unknown.json()) == {"error", "message"}


def test_retrieve_by_query_ansi_sql(api: Api) -> None:
    api.create("PACKAGE", [{"Name": "Gold"}, {"Name": "O'Silver"}, {"Name": "Bronze"}])
    response = api.request(
        "GET", "/rest/2.0/PACKAGE", params={"queryAnsiSql": "Name IN ('Gold', 'O''Silver')"}
    )
    assert response.status_code == 200
    records = response.json()["retrieveResponse"]
    assert [r["Name"] for r in records] == ["Gold", "O'Silver"]
    assert set(records[0]) == {
        "Id",
        "Name",
        "PackageStatus",
        "Created",
        "Updated",
        "CreatedUserId",
        "UpdatedUserId",
    }


def test_retrieve_by_query_pages_and_orders(api: Api) -> None:
    api.create("PACKAGE", [{"Name": f"P{i}"} for i in range(5)])
    where = "Name LIKE 'P%' ORDER BY Name DESC OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY"
    response = api.request("GET", "/rest/2.0/package", params={"queryAnsiSql": where})
    assert [r["Name"] for r in response.json()["retrieveResponse"]] == ["P3", "P2"]


def test_retrieve_by_query_errors(api: Api, package: str) -> None:
    assert api.request("GET", "/rest/2.0/PACKAGE").status_code == 400  # no queryAnsiSql
    none = api.request("GET", "/rest/2.0/PACKAGE", params={"queryAnsiSql": "Name = 'none'"})
    assert none.status_code == 404
    bad = api.request(
        "GET", "/rest/2.0/PACKAGE", params={"queryAnsiSql": "Name = 'x' UNION SELECT 1"}
    )
    assert bad.status_code == 400
    injected = api.request(
        "GET", "/rest/2.0/PACKAGE", params={"queryAnsiSql": "1=1; DROP TABLE PACKAGE"}
    )
    assert injected.status_code == 400
    unknown = api.request("GET", "/rest/2.0/PACKAGE", params={"queryAnsiSql": "Nope = 1"})
    assert unknown.status_code == 400 and "Nope" in unknown.json()["message"]
