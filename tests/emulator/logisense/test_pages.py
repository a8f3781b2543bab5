"""Pages written as JSON text by SQLite (`pages`) are the bytes of the rendered records.

`GET X/Paged[/Detail]` answers from `pages.page_items_json`; everything else renders
records through `Views`. These pin the two to the same bytes for every resource, with and
without details, over values that test the spelling: control characters, quotes,
non-ASCII, NULLs, references to nothing, and values no API write stores (a float where an
integer belongs, text in a flag, a blob), written straight into the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.emulator.logisense.schema import RESOURCES
from catalogsync.emulator.logisense.search import compile_search, parse_pagination
from catalogsync.emulator.logisense.store import Query
from catalogsync.http.tables import encode_json
from tests.emulator.logisense.conftest import LsApi

AWKWARD = 'tab\there\nnew \x00\x01\x1f\x7f \u2028\u2029 "q" \\ / \U0001f600 é'


@pytest.fixture(params=["memory", "file"])
def ls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LogiSenseEmulator]:
    """In memory, and on a file (where a page is read on a second connection)."""
    emu = LogiSenseEmulator(db=None if request.param == "memory" else tmp_path / "ls.sqlite3")
    yield emu
    emu.close()


@pytest.fixture(params=["odd values", "no odd value"])
def catalog(request: pytest.FixtureRequest, ls: LogiSenseEmulator) -> LogiSenseEmulator:
    """Services and packages with every child collection, awkward values and odd rows;
    with values no API write stores, and without (then a file database's pages check no
    value for them: `Database.odd_columns`)."""
    _awkward_catalog(ls)
    if request.param == "odd values":
        _odd_values(ls)
    return ls


def _awkward_catalog(ls: LogiSenseEmulator) -> None:
    services = [
        ls.create("Service", name=f"{AWKWARD} {i}", serviceTypeId=1 + i % 2)["identity"]
        for i in range(4)
    ]
    ls.create("Service", name="plain", serviceTypeId=2, description=None, isActive=False)
    kinds = ls.seed_lookup("ServiceType", "no base")  # no serviceBaseTypeId
    ls.create("Service", name="baseless", serviceTypeId=kinds)
    currency = ls.seed_lookup("Currency", "Yen", code="JPY")
    ls.seed_lookup("Currency", "Nameless code")
    for p in range(3):
        package = ls.create("Package", name=f"P{p} {AWKWARD}", packageCategoryId=2)
        body: dict[str, Any] = {
            "details": {
                "services": {
                    "items": [
                        {"patchType": "create", "patchClientId": s, "serviceId": service}
                        for s, service in enumerate(services[p:])
                    ]
                },
                "frequencies": {
                    "items": [
                        {"patchType": "create", "patchClientId": 9, "frequencyTypeId": 3},
                        {"patchType": "create", "patchClientId": 8, "frequencyTypeId": 2},
                    ]
                },
                "currencies": {
                    "items": [{"patchType": "create", "patchClientId": 7, "currencyId": currency}]
                },
            }
        }
        ls.patch("Package", package["identity"], body)
    ls.create("Package", name="empty")
    with ls.db.transaction():
        conn = ls.db._conn
        conn.execute(
            'UPDATE "PackageService" SET "maximumInstances" = 3, "termId" = 12 '
            'WHERE "identity" % 2 = 0'
        )
        conn.execute(
            'UPDATE "ServiceType" SET "serviceBaseTypeId" = 0 WHERE "name" = ?', ("no base",)
        )


def _odd_values(ls: LogiSenseEmulator) -> None:
    """Values no API write stores, written straight into the database."""
    with ls.db.transaction():
        conn = ls.db._conn
        conn.execute('UPDATE "Service" SET "usageFrequency" = 2.5 WHERE "name" = ?', ("plain",))
        conn.execute(
            'UPDATE "Service" SET "generalLedgerId" = 1.5e300 WHERE "name" = ?', ("plain",)
        )
        conn.execute('UPDATE "Service" SET "isTaxExempt" = \'yes\' WHERE "name" = ?', ("plain",))
        conn.execute('UPDATE "Service" SET "isTaxInclusive" = 0.5 WHERE "name" = ?', ("plain",))
        conn.execute('UPDATE "Service" SET "description" = x\'00ff\' WHERE "name" = \'plain\'')
        conn.execute('UPDATE "Service" SET "serviceTypeId" = 99999 WHERE "name" = ?', ("baseless",))
        conn.execute(
            'UPDATE "PackageService" SET "maximumInstances" = 2.5 WHERE "identity" % 3 = 0'
        )
        conn.execute('UPDATE "PackageFrequency" SET "isActive" = \'yes\' WHERE "identity" % 2 = 0')
        conn.execute('UPDATE "ServiceType" SET "serviceBaseTypeId" = 1.5 WHERE "identity" = 1')


def _answer(
    ls: LogiSenseEmulator,
    resource_key: str,
    query: Query,
    size: int,
    number: int,
    detail: bool,
    text: bool,
) -> bytes:
    page = parse_pagination({"pageNumber": number, "pageSize": size}, 10_000)
    resource = RESOURCES[resource_key]
    return encode_json(ls.handlers._page(resource, query, page, detail, text=text))


@pytest.mark.parametrize("detail", [False, True])
@pytest.mark.parametrize("resource_key", list(RESOURCES))
def test_every_page_as_text_is_the_rendered_pages_bytes(
    catalog: LogiSenseEmulator, resource_key: str, detail: bool
) -> None:
    resource = RESOURCES[resource_key]
    by_first_field = [{"name": resource.fields[0].name, "direction": "desc"}]
    orders = [Query(), compile_search(resource, None, by_first_field)]
    for query in orders:
        for size, number in ((10_000, 1), (3, 1), (3, 2), (3, 50)):
            expected = _answer(catalog, resource_key, query, size, number, detail, text=False)
            assert (
                _answer(catalog, resource_key, query, size, number, detail, text=True) == expected
            )


def test_the_package_detail_page_over_http_holds_what_the_renderer_shows(
    catalog: LogiSenseEmulator, api: LsApi
) -> None:
    pagination = json.dumps({"pageNumber": 1, "pageSize": 10})
    response = api.request("GET", "Package/Paged/Detail", headers={"Pagination": pagination})
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["pagedResults"] == {
        "totalCount": 4,
        "items": catalog.records("Package", detail=True),
    }
    assert [len(item["details"]["services"]) for item in body["pagedResults"]["items"]] == [
        4,
        3,
        2,
        0,
    ]


def test_a_file_database_knows_which_columns_hold_odd_values(tmp_path: Path) -> None:
    ls = LogiSenseEmulator(db=tmp_path / "ls.sqlite3")
    _awkward_catalog(ls)
    assert ls.db.odd_columns == frozenset()
    _odd_values(ls)
    odd = frozenset(
        {
            ("Service", "usageFrequency"),
            ("Service", "generalLedgerId"),
            ("Service", "isTaxExempt"),
            ("Service", "isTaxInclusive"),
            ("Service", "description"),
            ("PackageService", "maximumInstances"),
            ("PackageFrequency", "isActive"),
            ("ServiceType", "serviceBaseTypeId"),
        }
    )
    assert ls.db.odd_columns == odd
    # a write rolled back keeps its column guarded (a page checks it for nothing)
    with pytest.raises(RuntimeError), ls.db.transaction():
        ls.db._conn.execute('UPDATE "Package" SET "name" = x\'00\'')
        raise RuntimeError
    assert ls.db.odd_columns == odd | {("Package", "name")}
    ls.close()
    # opened again: what the file holds (the triggers lived on the closed connection)
    again = LogiSenseEmulator(db=tmp_path / "ls.sqlite3")
    assert again.db.odd_columns == odd
    again.close()


def test_a_page_built_before_an_odd_value_is_written_and_one_after_are_both_right(
    tmp_path: Path,
) -> None:
    ls = LogiSenseEmulator(db=tmp_path / "ls.sqlite3")
    _awkward_catalog(ls)
    for odd in (False, True):
        if odd:
            _odd_values(ls)
        for key in ("Service", "Package"):
            for detail in (False, True):
                expected = _answer(ls, key, Query(), 10_000, 1, detail, text=False)
                assert _answer(ls, key, Query(), 10_000, 1, detail, text=True) == expected
    ls.close()
