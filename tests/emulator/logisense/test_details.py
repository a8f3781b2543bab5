"""Each package's `details` text, kept in the database with its records (`details`), is what
a page built at read would show, after every kind of write, on an older database, after an
older emulator's writes, and when the code that wrote the texts differs.

`test_pages` pins pages built at read to the rendered records; these pin the stored texts to
those pages, and check the stored texts are what a page reads (none noted, one per package).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from catalogsync.emulator.logisense import LogiSenseEmulator, details
from catalogsync.emulator.logisense.pages import DETAILS_TABLE, NOTED_TABLE
from catalogsync.emulator.logisense.schema import RESOURCES
from catalogsync.emulator.logisense.search import parse_pagination
from catalogsync.emulator.logisense.store import Query
from catalogsync.http.tables import encode_json
from tests.emulator.logisense.test_pages import AWKWARD, _awkward_catalog, _odd_values


def _pages(ls: LogiSenseEmulator, *, text: bool) -> list[bytes]:
    """The package detail pages, whole and two at a time, from the texts (`text`) or as
    the records render."""
    pages = []
    for size, number in ((10_000, 1), (2, 1), (2, 2)):
        page = parse_pagination({"pageNumber": number, "pageSize": size}, 10_000)
        answer = ls.handlers._page(RESOURCES["Package"], Query(), page, True, text=text)
        pages.append(encode_json(answer))
    return pages


def _stored(ls: LogiSenseEmulator) -> tuple[set[int], set[int]]:
    """The packages with a stored text, and those noted (their text not written)."""
    conn = ls.db.connection
    with ls.db.lock:
        texts = {row[0] for row in conn.execute(f'SELECT "packageId" FROM "{DETAILS_TABLE}"')}
        noted = {row[0] for row in conn.execute(f'SELECT "packageId" FROM "{NOTED_TABLE}"')}
    return texts, noted


def _assert_current(ls: LogiSenseEmulator) -> None:
    """Every package has its text, none is noted, and the pages are the rendered ones."""
    packages = {p["identity"] for p in ls.records("Package")}
    assert _stored(ls) == (packages, set())
    assert _pages(ls, text=True) == _pages(ls, text=False)


@pytest.fixture(params=["memory", "file"])
def ls(request: pytest.FixtureRequest, tmp_path: Path) -> LogiSenseEmulator:
    emu = LogiSenseEmulator(db=None if request.param == "memory" else tmp_path / "ls.sqlite3")
    _awkward_catalog(emu)
    request.addfinalizer(emu.close)
    return emu


def test_every_write_a_text_shows_keeps_it_current(ls: LogiSenseEmulator) -> None:
    _assert_current(ls)
    first, second = (p["identity"] for p in ls.records("Package")[:2])
    service = ls.records("Service")[0]["identity"]
    child = ls.records("PackageService")[0]
    edits: list[Callable[[], object]] = [
        lambda: ls.update("Service", service, name=f"renamed {AWKWARD}"),  # serviceName
        lambda: ls.update("Service", service, description="not shown in details"),
        lambda: ls.update("Package", first, name="renamed package"),  # packageName
        lambda: ls.update("Package", second, description="not shown in details"),
        lambda: ls.update("PackageService", child["identity"], maximumInstances=7),
        lambda: ls.delete("PackageService", child["identity"]),
        lambda: ls.create("PackageService", packageId=second, serviceId=service),
        lambda: ls.seed_lookup("Currency", "Franc", code="CHF"),
        lambda: ls.delete("Package", first),
        lambda: ls.create("Package", name="new and empty"),
    ]
    for edit in edits:
        edit()
        _assert_current(ls)
    # what no API write does, straight into the tables the texts read: a currency's code
    # and a frequency type's name (lookups), a child moved to another package, odd values
    with ls.db.transaction():
        conn = ls.db.connection
        conn.execute('UPDATE "Currency" SET "code" = \'XXX\' WHERE "code" = \'JPY\'')
        conn.execute('UPDATE "FrequencyType" SET "name" = \'Monthly\' WHERE "identity" = 3')
        conn.execute('UPDATE "PackageFrequency" SET "packageId" = ?', (second,))
    _assert_current(ls)
    _odd_values(ls)
    _assert_current(ls)


def test_a_write_rolled_back_leaves_the_texts_as_they_were(ls: LogiSenseEmulator) -> None:
    before = _pages(ls, text=True)
    with pytest.raises(RuntimeError), ls.db.transaction():
        ls.db.connection.execute('UPDATE "Service" SET "name" = \'gone\'')
        raise RuntimeError
    _assert_current(ls)
    assert _pages(ls, text=True) == before


def _raw(path: Path, *sql: str) -> None:
    """Statements on a connection of its own, as an older emulator or a shell writes."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in sql:
        conn.execute(statement)
    conn.close()


def _file_catalog(tmp_path: Path) -> tuple[Path, LogiSenseEmulator]:
    path = tmp_path / "ls.sqlite3"
    ls = LogiSenseEmulator(db=path)
    _awkward_catalog(ls)
    return path, ls


def _assert_current_when_opened(path: Path) -> LogiSenseEmulator:
    again = LogiSenseEmulator(db=path)
    _assert_current(again)
    return again


def test_an_older_database_gets_its_texts_when_opened(tmp_path: Path) -> None:
    path, ls = _file_catalog(tmp_path)
    ls.close()
    # as an older emulator left it: no tables, no triggers
    drop = [
        f'DROP TRIGGER "{name}"' for name in (t.split('"')[1] for t in details.TRIGGERS.values())
    ]
    tables = (DETAILS_TABLE, NOTED_TABLE, details.STAMP_TABLE)
    _raw(path, *drop, *(f'DROP TABLE "{t}"' for t in tables))
    _assert_current_when_opened(path).close()


def test_writes_made_elsewhere_are_shown_then_written_when_opened(tmp_path: Path) -> None:
    path, ls = _file_catalog(tmp_path)
    # an older emulator's (or a shell's) write: the triggers in the file note the packages
    _raw(path, 'UPDATE "Service" SET "name" = \'renamed elsewhere\'')
    _, noted = _stored(ls)
    assert noted
    # a page builds the noted packages' details as it reads them
    assert _pages(ls, text=True) == _pages(ls, text=False)
    ls.close()
    _assert_current_when_opened(path).close()


def test_texts_written_by_other_code_are_written_again(tmp_path: Path) -> None:
    path, ls = _file_catalog(tmp_path)
    right = _pages(ls, text=True)
    ls.close()
    stamp = details.STAMP_TABLE
    _raw(
        path,
        f"UPDATE \"{DETAILS_TABLE}\" SET details = x'00'",
        f"UPDATE \"{stamp}\" SET stamp = 'x'",
    )
    again = _assert_current_when_opened(path)
    assert _pages(again, text=True) == right
    again.close()
