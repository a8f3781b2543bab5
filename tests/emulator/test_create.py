"""Create: per-record results, the entity rules, mixed batches, write faults."""

from __future__ import annotations

from typing import Any

import pytest

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from tests.emulator.conftest import RESULT_KEYS, Api, failed, pp

# -- create ------------------------------------------------------------------------------


def test_create_single_object_answers_the_documented_shape(api: Api) -> None:
    response = api.write("POST", "PACKAGE", {"Name": "Gold", "PackageStatus": "In Development"})
    assert response.status_code == 200
    (result,) = response.json()["createResponse"]
    assert set(result) == RESULT_KEYS
    assert result["success"] is True and result["ErrorCode"] == "0"
    assert result["ErrorText"] == "" and result["ErrorElementField"] == ""
    assert isinstance(result["Id"], str) and result["Id"].isdigit()


def test_create_array_answers_one_result_per_record_in_order(api: Api) -> None:
    results = api.create("PRODUCT", [{"Name": f"P{i}"} for i in range(5)])
    assert [r["success"] for r in results] == [True] * 5
    ids = [int(r["Id"]) for r in results]
    assert ids == sorted(ids)
    assert [row["Name"] for row in api.rows("SELECT Name FROM PRODUCT")] == [
        f"P{i}" for i in range(5)
    ]


def test_mixed_batch_commits_good_records_and_reports_bad_ones(api: Api) -> None:
    results = api.create(
        "PACKAGE",
        [
            {"Name": "Gold"},
            {"PackageStatus": "Production"},  # no Name
            {"Name": "Silver", "Colour": "grey"},  # unknown field
            {"Name": "Gold"},  # duplicate of the first
            {"Name": "Bronze", "PackageStatus": "Retired"},  # bad enum
            "not an object",
            {"Name": "Platinum"},
        ],
    )
    assert [r["success"] for r in results] == [True, False, False, False, False, False, True]
    assert failed(results[1], "REQUIRED_FIELD_MISSING", "Name")
    assert failed(results[2], "UNKNOWN_FIELD", "Colour")
    assert failed(results[3], "DUPLICATE_VALUE", "Name")
    assert failed(results[4], "INVALID_FIELD_VALUE", "PackageStatus")
    assert results[5]["ErrorCode"] == "INVALID_RECORD"
    assert all(r["Id"] == "" for r in results[1:6])
    assert sorted(row["Name"] for row in api.rows("SELECT Name FROM PACKAGE")) == [
        "Gold",
        "Platinum",
    ]


def test_all_or_nothing_rolls_back_the_whole_batch(
    api: Api, emulator: BillingPlatformEmulator
) -> None:
    emulator.faults.all_or_nothing = True
    results = api.create("PACKAGE", [{"Name": "Gold"}, {"Name": ""}, {"Name": "Silver"}])
    assert [r["ErrorCode"] for r in results] == [
        "ROLLED_BACK",
        "REQUIRED_FIELD_MISSING",
        "ROLLED_BACK",
    ]
    assert all(r["success"] is False for r in results)
    assert api.rows("SELECT Id FROM PACKAGE") == []
    assert [r["success"] for r in api.create("PACKAGE", [{"Name": "Gold"}])] == [True]


def test_system_fields_are_ignored_on_write_and_maintained(api: Api) -> None:
    results = api.create(
        "PACKAGE",
        {"Id": "", "Name": "Gold", "Created": "1999-01-01", "CreatedUserId": "42", "Updated": "x"},
    )
    assert results[0]["success"] is True
    (record,) = api.retrieve("PACKAGE", results[0]["Id"]).json()["retrieveResponse"]
    assert record["Created"] > "2000" and record["CreatedUserId"] != "42"
    assert record["PackageStatus"] == "Production"  # the default


def test_an_id_sent_on_create_is_ignored(api: Api) -> None:
    (result,) = api.create("PACKAGE", {"Id": "123", "Name": "Gold"})
    assert result["success"] is True and result["Id"] != "123"


def test_field_names_are_case_insensitive_on_write(api: Api) -> None:
    (result,) = api.create("PACKAGE", {"name": "Gold", "PACKAGESTATUS": "in development"})
    (row,) = api.rows(f"SELECT Name, PackageStatus FROM PACKAGE WHERE Id = {result['Id']}")
    assert row == {"Name": "Gold", "PackageStatus": "In Development"}
    (twice,) = api.create("PACKAGE", {"name": "A", "Name": "B"})
    assert twice["ErrorCode"] == "INVALID_RECORD"


def test_names_with_quotes_and_non_ascii_round_trip(api: Api) -> None:
    name = 'Zoë\'s "Plan" -- 50%_off; \\ 日本'
    product_id = api.create_ok("PRODUCT", {"Name": name})
    (record,) = api.retrieve("PRODUCT", product_id).json()["retrieveResponse"]
    assert record["Name"] == name
    (dupe,) = api.create("PRODUCT", {"Name": name})
    assert failed(dupe, "DUPLICATE_VALUE", "Name")


@pytest.mark.parametrize(
    ("entity", "record", "field"),
    [
        ("PACKAGE", {"PackageStatus": "Production"}, "Name"),
        ("PRODUCT", {"Rate": 1}, "Name"),
        ("PRODUCT", {"Name": None}, "Name"),
        ("PACKAGE_PRODUCT", {"PackageId": "PKG", "MinQty": 1}, "Name"),
        ("PACKAGE_PRODUCT", {"Name": "x", "MinQty": 1}, "PackageId"),
        ("PACKAGE_PRODUCT", {"Name": "x", "PackageId": "PKG"}, "MinQty"),
        ("PACKAGE_PRODUCT", {"Name": "x", "PackageId": "PKG", "MinQty": ""}, "MinQty"),
    ],
)
def test_required_fields(
    api: Api, package: str, entity: str, record: dict[str, Any], field: str
) -> None:
    record = {k: package if v == "PKG" else v for k, v in record.items()}
    (result,) = api.create(entity, record)
    assert failed(result, "REQUIRED_FIELD_MISSING", field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("OverridePermissions", "Anything Goes"),
        ("Rate", "ten"),
        ("Rate", True),
        ("DefaultRateFlag", "maybe"),
        ("RatingMethodId", "abc"),
        ("Name", {"nested": 1}),
    ],
)
def test_invalid_values(api: Api, field: str, value: Any) -> None:
    (result,) = api.create("PRODUCT", {"Name": "P", field: value})
    assert failed(result, "INVALID_FIELD_VALUE", field)


def test_enum_values_and_defaults(api: Api) -> None:
    for value in ("No Restriction", "Restrict Rating Method Override", "Restrict Rate Override"):
        product_id = api.create_ok("PRODUCT", {"Name": value, "OverridePermissions": value})
        (row,) = api.rows(f"SELECT OverridePermissions FROM PRODUCT WHERE Id = {product_id}")
        assert row["OverridePermissions"] == value
    for value in ("Production", "In Development"):
        api.create_ok("PACKAGE", {"Name": value, "PackageStatus": value})


def test_values_are_accepted_in_any_json_type_and_returned_as_strings(api: Api) -> None:
    product_id = api.create_ok(
        "PRODUCT",
        {
            "Name": "P",
            "Rate": 10.5,
            "DefaultRateFlag": True,
            "RatingMethodId": "2",
            "OrderOfExecution": 3,
        },
    )
    (row,) = api.rows(
        f"SELECT Rate, DefaultRateFlag, RatingMethodId, OrderOfExecution FROM PRODUCT WHERE Id = '{product_id}'"
    )
    assert row == {
        "Rate": "10.5",
        "DefaultRateFlag": "1",
        "RatingMethodId": "2",
        "OrderOfExecution": "3",
    }
    api.update("PRODUCT", {"Id": product_id, "Rate": "10.500"})
    (row,) = api.rows(f"SELECT Rate FROM PRODUCT WHERE Id = '{product_id}'")
    assert row["Rate"] == "10.500"  # decimals are kept exactly as sent


def test_product_and_package_names_are_unique_package_product_names_are_not(
    api: Api, product: str
) -> None:
    gold = api.create_ok("PACKAGE", {"Name": "Gold"})
    silver = api.create_ok("PACKAGE", {"Name": "Silver"})
    (dupe,) = api.create("PACKAGE", {"Name": "Gold"})
    assert failed(dupe, "DUPLICATE_VALUE", "Name")
    (dupe,) = api.create("PRODUCT", {"Name": "Voice"})
    assert failed(dupe, "DUPLICATE_VALUE", "Name")
    results = api.create(
        "PACKAGE_PRODUCT", [pp(gold, product, Name="Voice"), pp(silver, product, Name="Voice")]
    )
    assert [r["success"] for r in results] == [True, True]


def test_references_must_exist(api: Api, package: str, product: str) -> None:
    cases = {
        "PackageId": pp("999", product),
        "ProductId": pp(package, "999"),
        "RatingMethodId": pp(package, product, RatingMethodId=999),
        "ParentPackageProductId": pp(package, product, ParentPackageProductId=999),
    }
    for field, record in cases.items():
        (result,) = api.create("PACKAGE_PRODUCT", record)
        assert failed(result, "INVALID_REFERENCE", field), field
    (result,) = api.create("PRODUCT", {"Name": "P", "RatingMethodId": 999})
    assert failed(result, "INVALID_REFERENCE", "RatingMethodId")
    (result,) = api.create("PACKAGE_PRODUCT", pp(package, product))  # all good
    assert result["success"] is True


def test_a_product_id_is_not_a_package_id(api: Api, product: str) -> None:
    (result,) = api.create("PACKAGE_PRODUCT", pp(product, product))
    assert failed(result, "INVALID_REFERENCE", "PackageId")


def test_parent_must_be_in_the_same_package(api: Api, package: str, product: str) -> None:
    other = api.create_ok("PACKAGE", {"Name": "Other"})
    parent = api.create_ok("PACKAGE_PRODUCT", pp(package, product, Name="parent"))
    (wrong,) = api.create("PACKAGE_PRODUCT", pp(other, product, ParentPackageProductId=parent))
    assert failed(wrong, "INVALID_REFERENCE", "ParentPackageProductId")
    child = api.create_ok(
        "PACKAGE_PRODUCT", pp(package, product, Name="child", ParentPackageProductId=parent)
    )
    (cycle,) = api.update("PACKAGE_PRODUCT", {"Id": parent, "ParentPackageProductId": child})
    assert failed(cycle, "INVALID_REFERENCE", "ParentPackageProductId")
    (moved,) = api.update("PACKAGE_PRODUCT", {"Id": parent, "PackageId": other})
    assert failed(moved, "INVALID_REFERENCE", "PackageId")


def test_min_qty_must_not_exceed_max_qty(api: Api, package: str) -> None:
    (bad,) = api.create("PACKAGE_PRODUCT", pp(package, MinQty="10", MaxQty="9.5"))
    assert failed(bad, "INVALID_FIELD_VALUE", "MinQty")
    good = api.create_ok("PACKAGE_PRODUCT", pp(package, MinQty="2", MaxQty="10"))
    (bad,) = api.update("PACKAGE_PRODUCT", {"Id": good, "MaxQty": 1})
    assert failed(bad, "INVALID_FIELD_VALUE", "MinQty")
    assert api.create_ok("PACKAGE_PRODUCT", pp(package, MinQty="5", MaxQty=""))  # no max


def test_lookup_by_external_key_with_obj_fields(api: Api, package: str, product: str) -> None:
    (result,) = api.create(
        "PACKAGE_PRODUCT",
        {"Name": "x", "PackageObj": {"Name": "Gold"}, "ProductObj": {"Name": "Voice"}, "MinQty": 1},
    )
    assert result["success"] is True
    (row,) = api.rows(f"SELECT PackageId, ProductId FROM PACKAGE_PRODUCT WHERE Id = {result['Id']}")
    assert row == {"PackageId": package, "ProductId": product}
    (missing,) = api.create(
        "PACKAGE_PRODUCT", {"Name": "x", "PackageObj": {"Name": "Nope"}, "MinQty": 1}
    )
    assert failed(missing, "INVALID_REFERENCE", "PackageObj")


def test_a_rating_method_is_saved_by_type_and_has_no_name(api: Api) -> None:
    (created,) = api.create("RATING_METHOD", {"RatingMethodType": "Subscription"})
    assert created["success"] is True
    (no_type,) = api.create("RATING_METHOD", {"ExternalKey": "k"})
    assert failed(no_type, "REQUIRED_FIELD_MISSING", "RatingMethodType")
    (named,) = api.create("RATING_METHOD", {"RatingMethodType": "Usage", "Name": "Mine"})
    assert failed(named, "UNKNOWN_FIELD", "Name")


def test_request_level_errors_are_400(api: Api) -> None:
    assert api.request("POST", "/rest/2.0/PACKAGE", json={"records": []}).status_code == 400
    assert api.request("POST", "/rest/2.0/PACKAGE", json={"brmObjects": []}).status_code == 400
    assert api.request("POST", "/rest/2.0/PACKAGE", json=[{"Name": "x"}]).status_code == 400
    assert api.request("POST", "/rest/2.0/PACKAGE", content=b"{not json").status_code == 400
    assert api.write("POST", "NOPE", {"Name": "x"}).status_code == 404


def test_batch_size_cap(api: Api, emulator: BillingPlatformEmulator) -> None:
    emulator.faults.max_batch_size = 2
    assert api.write("POST", "PACKAGE", [{"Name": "a"}, {"Name": "b"}]).status_code == 200
    over = api.write("POST", "PACKAGE", [{"Name": "c"}, {"Name": "d"}, {"Name": "e"}])
    assert over.status_code == 400
    assert "limit is 2" in over.json()["message"]
    assert len(api.rows("SELECT Id FROM PACKAGE")) == 2


def test_names_matching_the_fault_pattern_fail(api: Api, emulator: BillingPlatformEmulator) -> None:
    emulator.faults.fail_names_matching = r"^FAIL"
    results = api.create("PACKAGE", [{"Name": "ok"}, {"Name": "FAIL me"}])
    assert results[0]["success"] is True
    assert failed(results[1], "INJECTED_FAILURE", "Name")
    (upsert,) = api.upsert("PACKAGE", {"Name": "FAIL too"})
    assert upsert["ErrorCode"] == "INJECTED_FAILURE"
