"""BP SQL building and response parsing, without the emulator (MockTransport answers)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogsync.backends.billingplatform.client import (
    MAX_SQL_CHARS,
    BillingPlatformClient,
    RecordResult,
    build_select,
    sql_in_conditions,
    sql_literal,
)
from catalogsync.backends.billingplatform.wire import (
    QueryResponse,
    WireRecordResult,
    plain_query_rows,
)
from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError
from catalogsync.http import HttpSettings

BASE = "https://bp.example.test/acme"
FAST = HttpSettings(rate_limit_per_second=0, backoff_base=0.0, backoff_max=0.0)


# -- SQL -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("O'Brien", "'O''Brien'"),
        ("''", "''''''"),
        ("a -- b; DROP TABLE x", "'a -- b; DROP TABLE x'"),
        ("50% off_\\", "'50% off_\\'"),
        ("line\nbreak Ünïcødé 名前", "'line\nbreak Ünïcødé 名前'"),
        ("", "''"),
    ],
)
def test_sql_literal_doubles_quotes_and_nothing_else(value: str, literal: str) -> None:
    assert sql_literal(value) == literal


def test_sql_literal_refuses_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        sql_literal("a\x00b")


@given(st.text().filter(lambda text: "\x00" not in text))
def test_sql_literal_round_trips(value: str) -> None:
    literal = sql_literal(value)
    assert literal[0] == literal[-1] == "'"
    body = literal[1:-1]
    assert "'" not in body.replace("''", "")  # every quote inside is doubled
    assert body.replace("''", "'") == value


def test_build_select_with_paging() -> None:
    sql = build_select("PRODUCT", ["Id", "Name"], "Status = 'ACTIVE'", page=(20, 10))
    assert sql == (
        "SELECT Id, Name FROM PRODUCT WHERE Status = 'ACTIVE' ORDER BY Id "
        "OFFSET 20 ROWS FETCH NEXT 10 ROWS ONLY"
    )
    assert build_select("PACKAGE", ["Id"], order_by="Name DESC, Id") == (
        "SELECT Id FROM PACKAGE ORDER BY Name DESC, Id"
    )


@pytest.mark.parametrize(
    ("entity", "fields", "order_by"),
    [
        ("PRODUCT; DELETE", ["Id"], "Id"),
        ("PRODUCT", ["Id, (SELECT 1)"], "Id"),
        ("PRODUCT", [], "Id"),
        ("PRODUCT", ["Id"], "Id; --"),
    ],
)
def test_build_select_refuses_anything_but_identifiers(
    entity: str, fields: list[str], order_by: str
) -> None:
    with pytest.raises(ValueError):
        build_select(entity, fields, order_by=order_by)


def test_in_conditions_split_under_the_limit_and_keep_every_value_once() -> None:
    values = [f"Product {i} 'quoted' ünï" for i in range(500)] + ["Product 0 'quoted' ünï"]
    conditions = sql_in_conditions("Name", values, 1000)
    assert len(conditions) > 1
    assert all(len(c) <= 1000 and c.startswith("Name IN (") for c in conditions)
    joined = " ".join(conditions)
    assert all(sql_literal(v) in joined for v in values)
    assert joined.count("'Product 0 ''quoted'' ünï'") == 1
    assert sql_in_conditions("Name", [], 100) == []


def test_in_conditions_cap_the_item_count() -> None:
    conditions = sql_in_conditions("Id", [str(i) for i in range(2500)], 100_000)
    assert [c.count(",") + 1 for c in conditions] == [1000, 1000, 500]


def test_in_conditions_refuse_a_value_that_can_never_fit() -> None:
    # A BackendError (a failed read callers report per object), never an internal error.
    with pytest.raises(BackendError, match=r"\(200 characters\) is too long to look up"):
        sql_in_conditions("Name", ["x" * 200], 100)


# -- wire models ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ({"Id": 12, "success": True, "created": True}, True),
        ({"Id": "12", "success": "true"}, True),
        ({"Id": "", "success": "false", "ErrorCode": "101"}, False),
        ({"Id": "7", "ErrorCode": "0", "ErrorText": " "}, True),  # no `success` at all
        ({"ErrorCode": 42, "ErrorText": ["bad", "worse"]}, False),
    ],
)
def test_record_results_accept_every_spelling(raw: dict[str, Any], ok: bool) -> None:
    result = WireRecordResult.model_validate({**raw, "Unknown": "ignored"})
    assert result.ok is ok
    assert result.id in (None, "12", "7")
    assert result.error_code == str(raw.get("ErrorCode", ""))


# -- responses through a MockTransport -----------------------------------------------

Responder = Callable[[httpx.Request], httpx.Response]


def login_ok(request: httpx.Request) -> httpx.Response | None:
    if request.url.path.endswith("/login"):
        body = {"loginResponse": [{"SessionID": "S-1", "ErrorCode": "0", "ErrorText": []}]}
        return httpx.Response(200, json=body)
    return None


def client_for(responder: Responder) -> BillingPlatformClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return login_ok(request) or responder(request)

    return BillingPlatformClient(
        BASE, "user", "SECRET-PW", settings=FAST, transport=httpx.MockTransport(handler)
    )


@pytest.mark.anyio
async def test_write_results_are_typed_and_in_order() -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        assert request.headers["sessionid"] == "S-1"
        assert json.loads(request.content)["externalIDFieldName"] == "Name"
        results = [
            {"Id": 1, "success": True, "ErrorText": "", "created": True},
            {"Id": "", "success": "false", "ErrorCode": "1", "ErrorText": "Name: required",
             "ErrorElementField": "Name"},
        ]  # fmt: skip
        return httpx.Response(200, json={"upsertResponse": results})

    async with client_for(responder) as bp:
        results = await bp.upsert("PRODUCT", [{"Name": "A"}, {"Name": ""}])
    assert results == [
        RecordResult(id="1", success=True, created=True),
        RecordResult(
            id=None, success=False, error_code="1", error_text="Name: required",
            error_field="Name",
        ),
    ]  # fmt: skip


@pytest.mark.anyio
async def test_a_result_count_mismatch_is_an_error() -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"updateResponse": [{"Id": "1", "success": True}]})

    async with client_for(responder) as bp:
        with pytest.raises(BackendError, match="sent 2 records but got 1 results"):
            await bp.update("PRODUCT", [{"Id": "1"}, {"Id": "2"}])


@pytest.mark.parametrize(
    "body",
    [{"somethingElse": []}, {"deleteResponse": [{"success": {"nested": 1}}]}, ["not", "a", "dict"]],
)
@pytest.mark.anyio
async def test_an_unexpected_shape_is_an_error(body: Any) -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        assert request.method == "DELETE" and request.url.path.endswith("/delete/PRODUCT")
        return httpx.Response(200, json=body)

    async with client_for(responder) as bp:
        with pytest.raises(BackendError, match=re.escape("DELETE /rest/2.0/delete/PRODUCT")):
            await bp.delete("PRODUCT", ["1"])


@pytest.mark.anyio
async def test_an_empty_batch_sends_nothing() -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    async with client_for(responder) as bp:
        assert await bp.create("PRODUCT", []) == []
        assert bp.stats["requests"] == 0


@pytest.mark.anyio
async def test_a_create_answered_502_is_ambiguous() -> None:
    def responder(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502)

    async with client_for(responder) as bp:
        with pytest.raises(AmbiguousWriteError, match=re.escape("POST /rest/2.0/PRODUCT")):
            await bp.create("PRODUCT", [{"Name": "A"}])


@pytest.mark.anyio
async def test_long_statements_are_posted_not_put_in_the_url() -> None:
    seen: list[httpx.Request] = []

    def responder(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"queryResponse": [{"Id": 1, "Name": None}]})

    names = [f"name {i}" for i in range(200)]
    async with client_for(responder) as bp:
        assert await bp.query("SELECT Id FROM PRODUCT") == [{"Id": "1", "Name": ""}]
        await bp.query_in("PRODUCT", ["Id", "Name"], "Name", names)
    short, long, count = seen  # the one-row page is proven the last by a COUNT
    assert short.method == "GET" and short.url.params["sql"] == "SELECT Id FROM PRODUCT"
    assert json.loads(count.content)["sql"].startswith("SELECT COUNT(Id) RowCount FROM PRODUCT")
    assert long.method == "POST" and not long.url.query
    sql = json.loads(long.content)["sql"]
    assert len(sql) <= MAX_SQL_CHARS and "'name 199'" in sql


@pytest.mark.anyio
async def test_query_in_keeps_every_statement_under_the_limit() -> None:
    statements: list[str] = []

    def responder(request: httpx.Request) -> httpx.Response:
        sql = request.url.params.get("sql") or json.loads(request.content)["sql"]
        statements.append(sql)
        return httpx.Response(404, json={"error": "Not found"})

    names = [f"Produkt nummer {i} — O'Reilly" for i in range(400)]
    async with client_for(responder) as bp:
        rows = await bp.query_in("PRODUCT", ["Id", "Name"], "Name", names, where="Status = 'A'")
    assert rows == []
    assert len(statements) > 1
    assert all(len(s) <= MAX_SQL_CHARS for s in statements)
    assert all(s.startswith("SELECT Id, Name FROM PRODUCT WHERE (Status = 'A') AND Name IN (")
               for s in statements)  # fmt: skip


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json={"error": "Unauthorized"}),
        httpx.Response(200, json={"loginResponse": [{"ErrorCode": "1", "ErrorText": "bad pw"}]}),
        httpx.Response(200, json={"loginResponse": [{"ErrorCode": "0", "SessionID": ""}]}),
    ],
)
@pytest.mark.anyio
async def test_a_refused_login_is_an_authentication_error_without_the_password(
    answer: httpx.Response,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content) == {"username": "user", "password": "SECRET-PW"}
        return answer

    transport = httpx.MockTransport(handler)
    async with BillingPlatformClient(BASE, "user", "SECRET-PW", transport=transport) as bp:
        with pytest.raises(AuthenticationError) as caught:
            await bp.login()
    assert "SECRET-PW" not in str(caught.value)


@pytest.mark.anyio
async def test_invalid_session_500_triggers_relogin_and_logout_forgets_the_session() -> None:
    sessions = iter(["S-1", "S-2"])
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("sessionid", "")
        seen.append((request.url.path.rsplit("/", 1)[-1], token))
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"loginResponse": [{"SessionID": next(sessions)}]})
        if token == "S-1":
            body = {"errors": [{"error_code": "INVALID_SESSION_ID", "error_message": "expired"}]}
            return httpx.Response(500, json=body)
        if request.url.path.endswith("/logout"):
            return httpx.Response(200, json={"logoutResponse": [{"Success": "true"}]})
        return httpx.Response(200, json={"queryResponse": [{"Id": "1"}]})

    async with BillingPlatformClient(
        BASE, "u", "p", settings=FAST, transport=httpx.MockTransport(handler)
    ) as bp:
        assert await bp.query("SELECT Id FROM PRODUCT") == [{"Id": "1"}]
        await bp.logout()
        await bp.logout()  # no session: nothing sent
        assert bp.stats["relogins"] == 1
    assert seen == [
        ("login", ""), ("query", "S-1"), ("login", ""), ("query", "S-2"), ("logout", "S-2"),
    ]  # fmt: skip


# -- query answers: all-string rows are taken as they are, the same rows either way ------------------

_cells = st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())


@given(st.lists(st.dictionaries(st.text(max_size=8), _cells, max_size=4), max_size=4))
def test_plain_query_rows_match_the_general_reader(rows: list[dict[str, Any]]) -> None:
    body = json.dumps({"queryResponse": rows, "other": 1}, ensure_ascii=False).encode()
    plain = plain_query_rows(json.loads(body))
    general = QueryResponse.model_validate(json.loads(body)).rows
    if all(isinstance(v, str) for row in rows for v in row.values()):
        assert plain == general
    else:
        assert plain is None  # numbers, flags, nulls: the general reader spells them


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"rows": []},
        {"queryResponse": {}},
        "text",
        {"queryResponse": [1]},
        {"queryResponse": [{"Name": "x"}, {"Rate": 1.5}]},
    ],
)
def test_plain_query_rows_leave_other_bodies_to_the_general_reader(body: object) -> None:
    assert plain_query_rows(body) is None
