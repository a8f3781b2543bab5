"""GET/POST /rest/2.0/query: the BP SQL subset, result shapes, paging, limits and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.billingplatform.faults import BillingPlatformFaults
from catalogsync.emulator.billingplatform.schema import ENTITIES
from catalogsync.emulator.billingplatform.sql import compile_query
from catalogsync.http.tables import encode_json
from tests.emulator.conftest import Api

TRICKY = [
    "O'Brien's Plan",
    "Zoë ünïcødé 日本語",
    "50% off_deal",
    "semi;colon -- dash",
    "back\\slash",
    "quote '' doubled",
    "Robert'); DROP TABLE PRODUCT;--",
]


@pytest.fixture
def products(api: Api) -> dict[str, str]:
    """Products with varied values; name -> Id."""
    records: list[dict[str, Any]] = [
        {"Name": "Alpha", "Rate": "10.50", "Status": "ACTIVE", "RatingMethodId": 1},
        {"Name": "beta", "Rate": 9, "Status": "ACTIVE", "ExternalKey": "B-1"},
        {"Name": "Gamma", "Rate": "100", "Status": "INACTIVE", "DefaultRateFlag": True},
        {"Name": "Delta", "Status": "ACTIVE"},
        *({"Name": name, "Status": "TRICKY"} for name in TRICKY),
    ]
    results = api.create("PRODUCT", records)
    assert all(r["success"] for r in results), results
    return {str(rec["Name"]): str(res["Id"]) for rec, res in zip(records, results, strict=True)}


def names(rows: list[dict[str, str]]) -> list[str]:
    return [row["Name"] for row in rows]


def test_rows_use_canonical_casing_aliases_and_strings(api: Api, products: dict[str, str]) -> None:
    rows = api.rows(
        "select id, NAME, rate as r, p.defaultrateflag, ratingmethodid "
        "from product p where name = 'Alpha'"
    )
    assert rows == [
        {
            "Id": products["Alpha"],
            "Name": "Alpha",
            "r": "10.50",
            "DefaultRateFlag": "0",
            "RatingMethodId": "1",
        }
    ]


def test_every_scalar_is_a_string_and_empty_is_empty_string(api: Api, products: object) -> None:
    (row,) = api.rows(
        "SELECT Id, Rate, ExternalKey, DefaultRateFlag FROM PRODUCT WHERE Name = 'Delta'"
    )
    assert all(isinstance(value, str) for value in row.values())
    assert row["Rate"] == "" and row["ExternalKey"] == ""


def test_keywords_entities_and_fields_are_case_insensitive(api: Api, products: object) -> None:
    upper = api.rows("SELECT ID, NAME FROM PRODUCT WHERE NAME = 'Gamma'")
    lower = api.rows("select id, name from product where name = 'Gamma'")
    mixed = api.rows("SeLeCt Id, nAmE FrOm Product WhErE nAmE = 'Gamma'")
    assert upper == lower == mixed and len(upper) == 1


def test_post_query_takes_sql_in_a_json_body(api: Api, products: object) -> None:
    response = api.request(
        "POST", "/rest/2.0/query", json={"sql": "SELECT Name FROM PRODUCT WHERE Name = 'beta'"}
    )
    assert response.status_code == 200
    assert response.json() == {"queryResponse": [{"Name": "beta"}]}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'Alpha'", ["Alpha"]),
        ("Name <> 'Alpha' AND Status = 'ACTIVE'", ["beta", "Delta"]),
        ("Name != 'Alpha' AND Status = 'ACTIVE'", ["beta", "Delta"]),
        ("Rate < 10", ["beta"]),
        ("Rate <= '10.5'", ["Alpha", "beta"]),
        ("Rate > 10", ["Alpha", "Gamma"]),
        ("Rate >= 100", ["Gamma"]),
        ("Rate BETWEEN 9 AND 10.5", ["Alpha", "beta"]),
        ("Name IN ('Alpha', 'Gamma', 'nope')", ["Alpha", "Gamma"]),
        ("Name NOT IN ('Alpha') AND Status = 'ACTIVE'", ["beta", "Delta"]),
        ("Rate IS NULL AND Status = 'ACTIVE'", ["Delta"]),
        ("Rate IS NOT NULL", ["Alpha", "beta", "Gamma"]),
        ("Name LIKE 'A%'", ["Alpha"]),
        ("Name LIKE '%a' AND Status <> 'TRICKY'", ["Alpha", "beta", "Gamma", "Delta"]),
        ("Name LIKE 'b_ta'", ["beta"]),
        ("Name LIKE 'B%'", []),  # LIKE is case-sensitive, as in Oracle
        ("Name NOT LIKE '%a%' AND Status <> 'TRICKY'", []),
        ("(Name = 'Alpha' OR Name = 'beta') AND Rate > 9.5", ["Alpha"]),
        ("Name = 'Alpha' OR Name = 'beta' AND Rate > 9.5", ["Alpha"]),
        ("NOT (Status = 'ACTIVE' OR Status = 'TRICKY')", ["Gamma"]),
        ("1 = 1 AND Status = 'INACTIVE'", ["Gamma"]),
        ("DefaultRateFlag = '1'", ["Gamma"]),
        ("RatingMethodId = 1", ["Alpha"]),
        ("ExternalKey = 'B-1'", ["beta"]),
    ],
)
def test_where_operators(api: Api, products: object, where: str, expected: list[str]) -> None:
    assert names(api.rows(f"SELECT Name FROM PRODUCT WHERE {where}")) == expected


def test_numeric_fields_compare_against_quoted_numbers(api: Api, products: dict[str, str]) -> None:
    alpha = products["Alpha"]
    assert names(api.rows(f"SELECT Name FROM PRODUCT WHERE Id = '{alpha}'")) == ["Alpha"]
    assert names(api.rows(f"SELECT Name FROM PRODUCT WHERE Id IN ('{alpha}', 1)")) == ["Alpha"]
    assert names(api.rows(f"SELECT Name FROM PRODUCT WHERE Id = {alpha}")) == ["Alpha"]


@pytest.mark.parametrize("name", TRICKY)
def test_quotes_and_non_ascii_in_literals_match_exactly(
    api: Api, products: dict[str, str], name: str
) -> None:
    literal = "'" + name.replace("'", "''") + "'"
    rows = api.rows(f"SELECT Id, Name FROM PRODUCT WHERE Name = {literal}")
    assert rows == [{"Id": products[name], "Name": name}]
    assert len(api.rows(f"SELECT Id FROM PRODUCT WHERE Name IN ({literal}, 'x')")) == 1


def test_like_wildcards_in_data_do_not_leak_into_equality(api: Api, products: object) -> None:
    assert names(api.rows("SELECT Name FROM PRODUCT WHERE Name = '50% off_deal'")) == [
        "50% off_deal"
    ]
    assert api.rows("SELECT Name FROM PRODUCT WHERE Name = '50% off%'") == []
    escaped = api.rows("SELECT Name FROM PRODUCT WHERE Name LIKE '50!% off!_%' ESCAPE '!'")
    assert names(escaped) == ["50% off_deal"]


def test_injection_attempts_change_nothing(
    api: Api, products: object, emulator: BillingPlatformEmulator
) -> None:
    for sql in [
        "SELECT Id FROM PRODUCT WHERE Name = 'x' OR 1=1; DROP TABLE PRODUCT",
        "SELECT Id FROM PRODUCT; DELETE FROM PRODUCT",
        "SELECT Id FROM PRODUCT WHERE Name = 'x' UNION SELECT Id FROM PACKAGE",
    ]:
        assert api.query(sql).status_code == 400, sql
    assert len(emulator.records("PRODUCT")) == len(TRICKY) + 4


def test_non_ascii_in_a_url_encoded_get(api: Api, products: object) -> None:
    response = api.client.get(
        "/rest/2.0/query",
        params={"sql": "SELECT Name FROM PRODUCT WHERE Name = 'Zoë ünïcødé 日本語'"},
        headers=api.headers,
    )
    assert response.json() == {"queryResponse": [{"Name": "Zoë ünïcødé 日本語"}]}


def test_order_by(api: Api, products: object) -> None:
    sql = "SELECT Name, Rate FROM PRODUCT WHERE Status <> 'TRICKY' ORDER BY "
    assert names(api.rows(sql + "Rate")) == [
        "beta",
        "Alpha",
        "Gamma",
        "Delta",
    ]  # numeric, NULL last
    assert names(api.rows(sql + "Rate DESC")) == ["Delta", "Gamma", "Alpha", "beta"]
    assert names(api.rows(sql + "Rate DESC NULLS LAST")) == ["Gamma", "Alpha", "beta", "Delta"]
    assert names(api.rows(sql + "Status, Name")) == ["Alpha", "Delta", "beta", "Gamma"]
    aliased = api.rows("SELECT Name AS n FROM PRODUCT WHERE Status = 'ACTIVE' ORDER BY n DESC")
    assert [row["n"] for row in aliased] == ["beta", "Delta", "Alpha"]


def test_without_order_by_rows_come_in_id_order(api: Api, products: dict[str, str]) -> None:
    rows = api.rows("SELECT Id FROM PRODUCT")
    assert [row["Id"] for row in rows] == sorted(products.values(), key=int)


def test_multi_page_query_with_offset_fetch(api: Api) -> None:
    api.create("PACKAGE", [{"Name": f"P{i:02d}"} for i in range(25)])
    pages: list[list[str]] = []
    offset = 0
    while True:
        response = api.query(
            f"SELECT Id, Name FROM PACKAGE ORDER BY Name OFFSET {offset} ROWS FETCH NEXT 10 ROWS ONLY"
        )
        if response.status_code == 404:
            break
        pages.append([row["Name"] for row in response.json()["queryResponse"]])
        offset += 10
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [name for page in pages for name in page] == [f"P{i:02d}" for i in range(25)]


def test_fetch_without_offset_and_offset_without_fetch(api: Api) -> None:
    api.create("PACKAGE", [{"Name": f"P{i}"} for i in range(5)])
    assert len(api.rows("SELECT Id FROM PACKAGE FETCH NEXT 2 ROWS ONLY")) == 2
    assert len(api.rows("SELECT Id FROM PACKAGE FETCH FIRST 3 ROWS ONLY")) == 3
    assert len(api.rows("SELECT Id FROM PACKAGE OFFSET 4 ROWS")) == 1


def test_no_rows_is_404_with_the_error_body(api: Api) -> None:
    response = api.query("SELECT Id FROM PACKAGE WHERE Name = 'none'")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found", "message": "The query did not return any rows"}


def test_at_most_10000_rows_per_response(api: Api, emulator: BillingPlatformEmulator) -> None:
    db = emulator.db
    with db.transaction():
        for i in range(10_001):
            db.insert(ENTITIES["PACKAGE"], {"Name": f"bulk {i}"})
    assert len(api.rows("SELECT Id FROM PACKAGE")) == 10_000
    assert len(api.rows("SELECT Id FROM PACKAGE FETCH NEXT 20000 ROWS ONLY")) == 10_000
    assert len(api.rows("SELECT Id FROM PACKAGE OFFSET 10000 ROWS FETCH NEXT 10000 ROWS ONLY")) == 1


def test_the_page_cap_is_configurable(api: Api, emulator: BillingPlatformEmulator) -> None:
    api.create("PACKAGE", [{"Name": f"P{i}"} for i in range(5)])
    emulator.faults.max_page_size = 2
    assert len(api.rows("SELECT Id FROM PACKAGE")) == 2
    assert len(api.rows("SELECT Id FROM PACKAGE OFFSET 4 ROWS FETCH NEXT 5 ROWS ONLY")) == 1


def test_sql_length_limit(api: Api, emulator: BillingPlatformEmulator) -> None:
    base = "SELECT Id FROM RATING_METHOD WHERE RatingMethodType <> '"
    at_limit = base + "x" * (4000 - len(base) - 1) + "'"
    assert len(at_limit) == 4000
    assert api.query(at_limit).status_code == 200
    too_long = api.query(at_limit[:-1] + "x'")
    assert too_long.status_code == 400
    assert "4000" in too_long.json()["message"]
    assert isinstance(emulator.faults, BillingPlatformFaults)  # the emulator's own faults
    emulator.faults.max_sql_length = 50
    assert (
        api.query(
            "SELECT Id FROM RATING_METHOD WHERE ExternalKey <> 'abcdefghijklmnop'"
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT Id FROM PRODUCT WHERE Name = 'unterminated", "cannot parse"),
        ("SELECT FROM", "cannot parse"),
        ("SELECT * FROM PRODUCT", "SELECT *"),
        ("SELECT Id FROM NOPE", "unknown entity"),
        ("SELECT Nope FROM PRODUCT", "unknown field 'Nope'"),
        ("SELECT Id FROM PRODUCT WHERE Nope = 1", "unknown field 'Nope'"),
        ("SELECT Id FROM PRODUCT WHERE ROWNUM < 3", "ROWNUM"),
        ("SELECT SUM(Rate) FROM PRODUCT", "unsupported"),
        ("SELECT DISTINCT Name FROM PRODUCT", "unsupported"),
        ("SELECT Id FROM PRODUCT GROUP BY Id", "unsupported"),
        ("SELECT p.Id FROM PRODUCT p JOIN PACKAGE k ON p.Id = k.Id", "unsupported"),
        ("SELECT Id FROM (SELECT Id FROM PRODUCT)", "FROM must name one entity"),
        ("SELECT Id FROM PRODUCT WHERE Id IN (SELECT Id FROM PACKAGE)", "unsupported"),
        ("SELECT PackageObj.Name FROM PACKAGE_PRODUCT", "relationship paths"),
        ("UPDATE PRODUCT SET Name = 'x'", "only SELECT"),
        ("SELECT Id FROM PRODUCT OFFSET -1 ROWS", "OFFSET"),
        ("SELECT Id FROM PRODUCT WHERE Name LIKE Status", "quoted pattern"),
    ],
)
def test_bad_sql_is_400(api: Api, sql: str, message: str) -> None:
    response = api.query(sql)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Bad request"
    assert message in body["message"]


def test_missing_sql_is_400(api: Api) -> None:
    assert api.request("GET", "/rest/2.0/query").status_code == 400
    assert api.request("POST", "/rest/2.0/query", json={}).status_code == 400


def test_rating_methods_are_seeded(api: Api) -> None:
    rows = api.rows("SELECT Id, RatingMethodType FROM RATING_METHOD ORDER BY Id")
    types = [row["RatingMethodType"] for row in rows]
    assert {"Usage", "Subscription", "One Time Charge", "Formula", "Discount"} <= set(types)


def test_answers_are_the_bytes_of_json_dumps_of_the_stored_records(
    api: Api, emulator: BillingPlatformEmulator, products: dict[str, str]
) -> None:
    """The query and retrieve answers are written from SQLite's text and in C (msgspec):
    byte for byte what `JSONResponse` (json.dumps) made of `to_wire` of every stored value,
    for control characters, line separators, quotes, non-ASCII, integers, flags and NULLs."""
    awkward = 'tab\there\nnew \x00\x01\x1f\x7f \u2028\u2029 "q" \\ / \U0001f600 é'
    assert api.create("PRODUCT", [{"Name": awkward, "Status": "ACTIVE", "Rate": "-0.50"}])[0][
        "success"
    ]
    stored = emulator.records("PRODUCT")
    fields = ["Id", "Name", "Rate", "Status", "DefaultRateFlag", "RatingMethodId", "ExternalKey"]
    for response, envelope, columns in (
        (
            api.query(f"SELECT {', '.join(fields)} FROM PRODUCT ORDER BY Id"),
            "queryResponse",
            fields,
        ),
        (
            api.request("GET", "/rest/2.0/PRODUCT", params={"queryAnsiSql": "Id > 0"}),
            "retrieveResponse",
            list(stored[0]),
        ),
    ):
        expected = [{column: record[column] for column in columns} for record in stored]
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.content == json.dumps(
            {envelope: expected}, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    count = api.query("SELECT COUNT(Id) RowCount FROM PRODUCT")
    assert count.content == b'{"queryResponse":[{"RowCount":"%d"}]}' % len(stored)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT Id, Name, Rate, Status, DefaultRateFlag FROM PRODUCT ORDER BY Name DESC",
        # aliases as written, quotes and all, and a key sent in two spellings
        """SELECT Name AS "it's", Rate AS "a\\b", Id AS "日本", name AS nm FROM PRODUCT""",
        "SELECT Id, Name FROM PRODUCT WHERE Name LIKE '%o%' OFFSET 1 ROWS FETCH NEXT 2 ROWS ONLY",
        "SELECT COUNT(Id) FROM PRODUCT WHERE Status = 'TRICKY'",
        'SELECT COUNT(*) AS "n" FROM PRODUCT',
    ],
)
def test_answers_built_as_json_text_are_the_dict_rows_bytes(
    api: Api, emulator: BillingPlatformEmulator, products: dict[str, str], sql: str
) -> None:
    """Each row's JSON is built by SQLite (`CompiledQuery.json_sql`); the answer is byte for
    byte `encode_json` of the rows `run_query` reads as dicts."""
    compiled = compile_query(sql, max_rows=10_000)
    assert compiled.json_sql is not None
    expected = encode_json({"queryResponse": emulator.db.run_query(compiled)})
    assert api.query(sql).content == expected


def test_a_key_selected_twice_is_answered_once_as_a_dict_row_holds_it(
    api: Api, products: dict[str, str]
) -> None:
    """Two columns under one key: no JSON text (it would hold the key twice); the answer
    keeps the dict row's one key, with the last column's value."""
    sql = "SELECT Name AS k, Id AS k FROM PRODUCT WHERE Name = 'Alpha'"
    assert compile_query(sql, max_rows=10).json_sql is None
    response = api.query(sql)
    assert response.content == b'{"queryResponse":[{"k":"%s"}]}' % products["Alpha"].encode()
