"""Update (partial), upsert (by external key) and delete (children first)."""

from __future__ import annotations

from tests.emulator.conftest import RESULT_KEYS, Api, failed, pp

# -- update ------------------------------------------------------------------------------


def test_update_is_partial(api: Api, product: str) -> None:
    before = api.retrieve("PRODUCT", product).json()["retrieveResponse"][0]
    response = api.write("PUT", "PRODUCT", {"Id": product, "Status": "DEACTIVATE"})
    (result,) = response.json()["updateResponse"]
    assert result == {
        "Id": product,
        "success": True,
        "ErrorCode": "0",
        "ErrorText": "",
        "ErrorElementField": "",
    }
    after = api.retrieve("PRODUCT", product).json()["retrieveResponse"][0]
    assert after["Status"] == "DEACTIVATE"
    assert after["Rate"] == before["Rate"] == "0.05"
    assert after["Created"] == before["Created"]
    assert after["Updated"] >= before["Updated"]


def test_update_can_clear_a_field_but_not_a_required_one(api: Api, product: str) -> None:
    api.update("PRODUCT", {"Id": product, "Rate": ""})
    assert api.rows(f"SELECT Id FROM PRODUCT WHERE Rate IS NULL AND Id = {product}") != []
    (result,) = api.update("PRODUCT", {"Id": product, "Name": ""})
    assert failed(result, "REQUIRED_FIELD_MISSING", "Name")
    assert result["Id"] == product


def test_update_needs_an_existing_id(api: Api, product: str) -> None:
    results = api.update(
        "PRODUCT",
        [
            {"Name": "x"},
            {"Id": "999", "Name": "x"},
            {"Id": "abc", "Name": "x"},
            {"Id": product, "Rate": 2},
        ],
    )
    assert failed(results[0], "REQUIRED_FIELD_MISSING", "Id")
    assert failed(results[1], "RECORD_NOT_FOUND", "Id") and results[1]["Id"] == "999"
    assert failed(results[2], "INVALID_FIELD_VALUE", "Id")
    assert results[3]["success"] is True


def test_update_keeps_names_unique(api: Api, product: str) -> None:
    other = api.create_ok("PRODUCT", {"Name": "Data"})
    (result,) = api.update("PRODUCT", {"Id": other, "Name": "Voice"})
    assert failed(result, "DUPLICATE_VALUE", "Name")
    (same,) = api.update("PRODUCT", {"Id": product, "Name": "Voice"})  # its own name is fine
    assert same["success"] is True


# -- upsert ------------------------------------------------------------------------------


def test_upsert_creates_then_updates(api: Api) -> None:
    response = api.write("PATCH", "PACKAGE", {"Name": "Gold"}, externalIDFieldName="Name")
    (created,) = response.json()["upsertResponse"]
    assert set(created) == RESULT_KEYS | {"created"}
    assert created["created"] is True and created["success"] is True
    assert isinstance(created["Id"], int)
    (updated,) = api.upsert("PACKAGE", {"Name": "Gold", "PackageStatus": "In Development"})
    assert updated["created"] is False and updated["Id"] == created["Id"]
    assert api.rows("SELECT PackageStatus FROM PACKAGE") == [{"PackageStatus": "In Development"}]


def test_upsert_batch_mixes_creates_updates_and_failures(api: Api) -> None:
    api.create("PACKAGE", {"Name": "Voice", "PackageStatus": "Production"})
    results = api.upsert(
        "PACKAGE",
        [
            {"Name": "Voice", "PackageStatus": "In Development"},
            {"Name": "Data"},
            {"PackageStatus": "Production"},
            {"Name": "Bad", "PackageStatus": "x"},
        ],
    )
    assert [(r["success"], r["created"]) for r in results] == [
        (True, False),
        (True, True),
        (False, False),
        (False, False),
    ]
    assert failed(results[2], "REQUIRED_FIELD_MISSING", "Name")
    assert failed(results[3], "INVALID_FIELD_VALUE", "PackageStatus")
    assert results[2]["Id"] is None
    rows = api.rows("SELECT Name, PackageStatus FROM PACKAGE ORDER BY Name")
    assert rows == [
        {"Name": "Data", "PackageStatus": "Production"},
        {"Name": "Voice", "PackageStatus": "In Development"},
    ]


def test_upsert_by_name_matching_several_package_products_fails(api: Api, product: str) -> None:
    gold = api.create_ok("PACKAGE", {"Name": "Gold"})
    silver = api.create_ok("PACKAGE", {"Name": "Silver"})
    api.create(
        "PACKAGE_PRODUCT", [pp(gold, product, Name="Voice"), pp(silver, product, Name="Voice")]
    )
    (result,) = api.upsert("PACKAGE_PRODUCT", pp(gold, product, Name="Voice", MinQty=5))
    assert failed(result, "MULTIPLE_MATCHES", "Name")
    assert {row["MinQty"] for row in api.rows("SELECT MinQty FROM PACKAGE_PRODUCT")} == {"0"}


def test_upsert_with_a_conflicting_id_fails(api: Api) -> None:
    gold = api.create_ok("PACKAGE", {"Name": "Gold"})
    api.create_ok("PACKAGE", {"Name": "Silver"})
    (result,) = api.upsert("PACKAGE", {"Id": gold, "Name": "Silver"})
    assert failed(result, "ID_CONFLICT", "Id")
    (same,) = api.upsert("PACKAGE", {"Id": gold, "Name": "Gold"})
    assert same["success"] is True


def test_upsert_key_must_be_allowed(api: Api) -> None:
    assert api.write("PATCH", "PACKAGE", {"Name": "x"}).status_code == 400  # no key
    bad = api.write("PATCH", "PACKAGE", {"Name": "x"}, externalIDFieldName="PackageStatus")
    assert bad.status_code == 400 and "Name" in bad.json()["message"]
    ok = api.write("PATCH", "PACKAGE", {"Name": "x"}, externalIDFieldName="name")
    assert ok.json()["upsertResponse"][0]["created"] is True
    # No document shows an upsert key for PRODUCT: only its POST (seed 001).
    refused = api.write("PATCH", "PRODUCT", {"Name": "x"}, externalIDFieldName="Name")
    assert refused.status_code == 400 and "POST" in refused.json()["message"]


# -- delete ------------------------------------------------------------------------------


def test_delete_answers_per_record(api: Api) -> None:
    ids = [r["Id"] for r in api.create("PACKAGE", [{"Name": "a"}, {"Name": "b"}])]
    response = api.request(
        "DELETE",
        "/rest/2.0/delete/PACKAGE",
        json={"brmObjects": [{"Id": ids[0]}, {"Id": "999"}, {}], "EmptyRecycleBin": "1"},
    )
    results = response.json()["deleteResponse"]
    assert results[0] == {
        "Id": ids[0],
        "success": True,
        "ErrorCode": "0",
        "ErrorText": "",
        "ErrorElementField": "",
    }
    assert failed(results[1], "RECORD_NOT_FOUND", "Id")
    assert failed(results[2], "REQUIRED_FIELD_MISSING", "Id")
    assert api.rows("SELECT Name FROM PACKAGE") == [{"Name": "b"}]
    assert api.retrieve("PACKAGE", ids[0]).status_code == 404


def test_delete_refuses_records_that_still_have_children(
    api: Api, package: str, product: str
) -> None:
    parent = api.create_ok("PACKAGE_PRODUCT", pp(package, product, Name="parent"))
    child = api.create_ok(
        "PACKAGE_PRODUCT", pp(package, product, Name="child", ParentPackageProductId=parent)
    )
    (result,) = api.delete("PACKAGE", {"Id": package})
    assert failed(result, "HAS_CHILD_RECORDS", "Id")
    (result,) = api.delete("PRODUCT", {"Id": product})
    assert failed(result, "HAS_CHILD_RECORDS", "Id")
    (result,) = api.delete("PACKAGE_PRODUCT", {"Id": parent})
    assert failed(result, "HAS_CHILD_RECORDS", "Id")
    # children first, then it all goes
    results = api.delete("PACKAGE_PRODUCT", [{"Id": child}, {"Id": parent}])
    assert [r["success"] for r in results] == [True, True]
    assert api.delete("PACKAGE", {"Id": package})[0]["success"] is True
    assert api.delete("PRODUCT", {"Id": product})[0]["success"] is True


def test_deleted_ids_are_not_reused(api: Api) -> None:
    first = api.create_ok("PACKAGE", {"Name": "a"})
    api.delete("PACKAGE", {"Id": first})
    second = api.create_ok("PACKAGE", {"Name": "a"})
    assert int(second) > int(first)
