"""Reads of a whole entity, column by column: decoded in one pass when every cell is a
string, read like `query` otherwise, and mapped to the same live resources as row by row."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.mapping import package_product_refs
from catalogsync.backends.billingplatform.wire import QueryResponse
from catalogsync.catalog import Ref, package_product_ref
from catalogsync.errors import BackendError
from catalogsync.http import HttpSettings
from catalogsync.http.tables import decode_table

BASE = "https://bp.example.test/acme"
FAST = HttpSettings(rate_limit_per_second=0, backoff_base=0.0, backoff_max=0.0)
Q = "queryResponse"

# -- decoding ------------------------------------------------------------------------


def test_decode_table_gives_the_columns_asked_for_with_empty_text_where_a_row_lacks_one() -> None:
    body = json.dumps(
        {Q: [{"Id": "1", "Name": "a", "Other": 5}, {"Id": "2", "Product.Name": "p"}], "x": 1}
    ).encode()
    assert decode_table(body, Q, ["Id", "Name", "Product.Name"], ["Id"]) == {
        "Id": ["1", "2"],
        "Name": ["a", ""],
        "Product.Name": ["", "p"],
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"rows": []}',
        b'{"queryResponse": {}}',
        b'{"queryResponse": [1]}',
        b'{"queryResponse": [{"Id": "1", "Name": 5}]}',  # a number: spelled by the general reader
        b'{"queryResponse": [{"Id": "1", "Name": null}]}',
        b'{"queryResponse": [{"Name": "no id"}]}',  # a required column missing
        '{"queryResponse": [{"Id": "é"}]}'.encode("utf-16"),
    ],
)
def test_decode_table_leaves_any_other_body_to_the_general_reader(body: bytes) -> None:
    assert decode_table(body, Q, ["Id", "Name"], ["Id"]) is None


_cells = st.one_of(st.text(), st.integers(), st.booleans(), st.none())


@given(st.lists(st.dictionaries(st.sampled_from(["Id", "Name", "Rate"]), _cells), max_size=4))
def test_decode_table_agrees_with_the_general_reader_whenever_it_answers(
    rows: list[dict[str, Any]],
) -> None:
    body = json.dumps({Q: rows}, ensure_ascii=False).encode()
    table = decode_table(body, Q, ["Id", "Name", "Rate"], ["Id"])
    if table is not None:
        general = QueryResponse.model_validate(json.loads(body)).rows
        assert table == {c: [row.get(c, "") for row in general] for c in ("Id", "Name", "Rate")}


# -- the client ----------------------------------------------------------------------


def _client(body: Any, status: int = 200) -> BillingPlatformClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"loginResponse": [{"SessionID": "S"}]})
        return httpx.Response(status, json=body)

    return BillingPlatformClient(
        BASE, "u", "p", settings=FAST, transport=httpx.MockTransport(handler)
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    "rows",
    [
        [{"Id": "1", "Name": "a"}, {"Id": "2", "Name": "b", "Rate": "1.5"}],  # all strings
        [{"Id": "1", "Name": "a", "Rate": 1.5, "Flag": True}, {"Id": 2, "Name": None}],  # not
    ],
)
async def test_query_columns_hold_what_query_reads(rows: list[dict[str, Any]]) -> None:
    async with _client({Q: rows}) as bp:
        expected = await bp.query("SELECT Id FROM PRODUCT")
        columns = await bp.query_columns("SELECT Id FROM PRODUCT", ["Id", "Name", "Rate"], ["Id"])
    assert [
        dict(zip(("Id", "Name", "Rate"), values, strict=True))
        for values in zip(*(columns.column(c) for c in ("Id", "Name", "Rate")), strict=True)
    ] == [{c: row.get(c, "") for c in ("Id", "Name", "Rate")} for row in expected]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({Q: [{"Id": "1"}, {"Name": "x"}]}, "a row in the answer has no Id"),
        ({"rows": [{"Id": "1"}]}, "unexpected response shape"),
    ],
)
async def test_query_columns_say_what_is_wrong_like_query(body: Any, message: str) -> None:
    async with _client(body) as bp:
        for read in (
            bp.query("SELECT Id FROM PRODUCT", ["Id"]),
            bp.query_columns("SELECT Id FROM PRODUCT", ["Id"], ["Id"]),
        ):
            with pytest.raises(BackendError, match=message):
                await read


@pytest.mark.anyio
async def test_query_columns_of_no_rows() -> None:
    async with _client({"error": "NO_ROWS", "message": "No rows"}, status=404) as bp:
        columns = await bp.query_columns("SELECT Id FROM PRODUCT", ["Id", "Name"], ["Id"])
    assert len(columns) == 0 and columns.column("Name") == []


# -- columns -------------------------------------------------------------------------


def test_columns_share_repeated_texts_and_fill_what_a_page_lacks() -> None:
    columns = Columns(["Id", "Status"])
    columns.extend({"Id": ["1", "2"], "Status": ["ACTIVE", "".join(["ACT", "IVE"])]})
    columns.extend({"Id": ["3"]})
    assert len(columns) == 3
    assert columns.column("Status") == ["ACTIVE", "ACTIVE", ""]
    assert columns.column("Status")[0] is columns.column("Status")[1]
    assert columns.column("Rate") == ["", "", ""]  # not read


def test_compacted_columns_hold_the_same_rows_and_share_no_more_texts() -> None:
    columns = Columns(["Id", "Status"])
    columns.extend({"Id": ["1"], "Status": ["ACTIVE"]})
    columns.compact()
    columns.extend({"Id": ["2"], "Status": ["".join(["ACT", "IVE"])]})
    assert columns.column("Status") == ["ACTIVE", "ACTIVE"]
    assert columns.column("Status")[0] is not columns.column("Status")[1]  # the table is gone
    copied = columns.copy()  # a copy is a new read: it shares its texts again
    copied.extend({"Id": ["3"], "Status": ["".join(["ACT", "IVE"])]})
    assert copied.column("Status")[2] is copied.column("Status")[0]
    joined = columns.copy(share=False)  # a read joining pages that share their own
    joined.extend({"Id": ["3"], "Status": ["".join(["ACT", "IVE"])]})
    assert joined.column("Status") == ["ACTIVE", "ACTIVE", "ACTIVE"]
    assert joined.column("Status")[2] is not joined.column("Status")[0]


@pytest.mark.anyio
async def test_a_page_read_keeps_no_table_of_its_texts() -> None:
    async with _client({Q: [{"Id": "1", "Status": "ACTIVE"}]}) as bp:
        page = await bp.query_columns("SELECT Id FROM PRODUCT", ["Id", "Status"], ["Id"])
    page.extend({"Id": ["2"], "Status": ["".join(["ACT", "IVE"])]})
    assert page.column("Status") == ["ACTIVE", "ACTIVE"]
    assert page.column("Status")[1] is not page.column("Status")[0]


def test_last_of_each_keeps_what_a_dict_keyed_by_the_column_keeps() -> None:
    rows = [{"Id": "1", "Name": "a"}, {"Id": "2", "Name": "b"}, {"Id": "1", "Name": "c"}]
    kept = Columns.from_rows(["Id", "Name"], rows).last_of_each("Id")
    by_id = {row["Id"]: row for row in rows}
    assert list(zip(kept.column("Id"), kept.column("Name"), strict=True)) == [
        (row["Id"], row["Name"]) for row in by_id.values()
    ]


# -- package-product keys --------------------------------------------------------------


def _key_row_by_row(
    row: Mapping[str, str],
    rows: Mapping[str, Mapping[str, str]],
    products: Mapping[str, str],
    packages: Mapping[str, str],
) -> Ref | None:
    """The walk each row used to make on its own (kept as the reference)."""
    path: list[str] = []
    seen: set[str] = set()
    current: Mapping[str, str] | None = row
    while current is not None:
        if current["Id"] in seen or current.get("ProductId", "") not in products:
            return None
        seen.add(current["Id"])
        path.append(products[current["ProductId"]])
        parent = current.get("ParentPackageProductId", "")
        current = rows.get(parent) if parent else None
        if parent and current is None:
            return None
    package = packages.get(row.get("PackageId", ""))
    return None if package is None else package_product_ref(package, *reversed(path))


_ids = st.sampled_from(["1", "2", "3", "4", "5", ""])
_pp_rows = st.lists(
    st.fixed_dictionaries(
        {
            "Id": st.sampled_from(["10", "11", "12", "13", "14", "15"]),
            "ProductId": _ids,
            "PackageId": st.sampled_from(["7", "8", ""]),
            "ParentPackageProductId": st.sampled_from(["", "", "10", "11", "12", "99"]),
        }
    ),
    max_size=8,
)


@given(_pp_rows)
def test_package_product_refs_match_the_walk_of_each_row(rows: list[dict[str, str]]) -> None:
    products = {"1": "P1", "2": "P2", "3": "P3", "4": "P4"}
    packages = {"7": "Gold", "8": "Silver"}
    by_id = {row["Id"]: row for row in rows}
    columns = Columns.from_rows(
        ["Id", "ProductId", "PackageId", "ParentPackageProductId"], rows
    ).last_of_each("Id")
    assert package_product_refs(columns, products, packages) == [
        _key_row_by_row(row, by_id, products, packages) for row in by_id.values()
    ]
