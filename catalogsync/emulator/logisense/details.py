"""Each package's `details` kept in the database as JSON text, written with its records.

A page of package details (`GET Package/Paged/Detail`: 5,000 packages and 150,000 children
at L, 63 MB) built every child's item with `json_object` as it was read: ~0.5 s of the
emulator's CPU for the L page (0.08 s from stored texts), in the last answer of every
fetch. The text of a package's `details` (`pages.details_texts`) depends on stored rows
only: its children's, and the columns their items show of the rows they name (the
package's name; each service's, frequency type's and currency's name and code:
`pages.read_columns`). So it is written when those are:

- triggers kept in the file (they fire for any connection's writes: an older emulator's,
  an `sqlite3` shell's) note each package whose text a write may change (`NOTED_TABLE`);
- every `transaction()` writes the noted packages' texts (`DETAILS_TABLE`) last, before
  it commits (`SqliteDatabase.before_commit`): a read sees rows and texts together;
- a page joins the stored texts; a package with no text, or one noted (written outside
  `transaction()`, or by an older emulator since), is built as before (`pages._details`).

The texts are the answer's bytes because the same code builds them as builds a page at
read; `STAMP` names that code and the triggers, so a database whose texts other code wrote
(an older database: none at all) has every package's written again when the emulator
opens it (L: ~0.7 s of CPU, once; the file grows from 23 to 85 MB). Not a cache of
answers: the text is written with the data (every first read gains), and a write pays for
the packages it touches (a cold apply at M: the emulator's CPU unchanged, 19.0 → 18.8 s).
"""

from __future__ import annotations

import hashlib
import json
from types import CodeType
from typing import Any

from catalogsync.emulator.logisense import pages
from catalogsync.emulator.logisense.pages import (
    DETAILS_TABLE,
    NOTED_TABLE,
    STORED_PARENT,
    children_of,
    details_texts,
    items_sql,
    read_columns,
)
from catalogsync.emulator.logisense.schema import RESOURCES
from catalogsync.emulator.logisense.store import Database
from catalogsync.emulator.sqlite import sql_literal, sql_name

__all__ = ["STAMP", "install", "write_noted"]

#: The table holding `STAMP` as the database's texts were written.
STAMP_TABLE = "ls_details_stamp"
#: Packages whose texts are written at once (the ids in one `json_each` parameter).
CHUNK = 2_000
_PREFIX = "ls_details_"
_PARENT = RESOURCES[STORED_PARENT]
_CHILDREN = children_of(_PARENT)
#: The tables as SQL names.
_DETAILS, _NOTED, _STAMP = map(sql_name, (DETAILS_TABLE, NOTED_TABLE, STAMP_TABLE))


def _triggers() -> dict[str, str]:
    """Trigger name -> its SQL: every write that may change a package's text notes it."""
    parent = _PARENT
    found: dict[str, str] = {}

    def note(name: str, table: str, columns: set[str] | None, select: str) -> None:
        """On `table`'s inserts, deletes and updates (of `columns`; None: of any), note the
        packages `select` finds for a row (`{row}`: NEW or OLD)."""
        of = "" if columns is None else " OF " + ", ".join(map(sql_name, sorted(columns)))
        rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}
        for event, aliases in rows.items():
            body = " ".join(
                f"INSERT OR IGNORE INTO {_NOTED} {select.format(row=row)};" for row in aliases
            )
            trigger = sql_name(f"{_PREFIX}{event.lower()}_{name}")
            found[trigger] = (
                f"CREATE TRIGGER {trigger} AFTER {event}{of if event == 'UPDATE' else ''} "
                f"ON {sql_name(table)} FOR EACH ROW BEGIN {body} END"
            )

    # the package itself: made (its text, however empty), gone, renamed (its children's
    # `packageName`)
    shown_of_parent: set[str] = set()
    for child in _CHILDREN:
        reads = read_columns(child, in_detail=True)
        shown_of_parent |= reads.get(parent.table, set())
        # the child: any column (its `packageId` moves it between packages)
        note(child.table, child.table, None, 'SELECT {row}."packageId"')
        for field in child.fields:
            table = RESOURCES[field.ref].table if field.ref else None
            if table is None or table == parent.table:
                continue
            select = (
                f'SELECT "packageId" FROM {sql_name(child.table)} '
                f'WHERE {sql_name(field.name)} = {{row}}."identity"'
            )
            note(f"{table}_by_{child.table}", table, reads[table], select)
    note(parent.table, parent.table, shown_of_parent | {"identity"}, 'SELECT {row}."identity"')
    return found


def _stamp(triggers: dict[str, str]) -> str:
    """What the texts' bytes depend on: each child's item SQL, the code joining them
    (`details_texts`, `pages._children`) and the triggers."""
    sql = [items_sql(child, "packageId", None, in_detail=True) for child in _CHILDREN]
    digest = hashlib.sha256(json.dumps([sql, sorted(triggers.values())]).encode())
    for function in (details_texts, pages._children):
        _code_digest(function.__code__, digest)
    return digest.hexdigest()


def _code_digest(code: CodeType, digest: Any) -> None:
    """Add a function's bytecode and constants (its comprehensions' too) to `digest`: not
    its file or line numbers, which move with any edit of the module."""
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _code_digest(const, digest)
        elif isinstance(const, frozenset):  # its order is the hash seed's
            digest.update(repr(sorted(map(repr, const))).encode())
        else:
            digest.update(repr(const).encode())


TRIGGERS = _triggers()
STAMP = _stamp(TRIGGERS)


def install(db: Database) -> None:
    """Keep the texts in `db` from now on: the tables, the triggers (made again, as this
    code writes them), every package noted when the texts were written by other code (or
    never), then what is noted written; and at every commit after."""
    with db.transaction():
        conn = db.connection
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_DETAILS} "
            '("packageId" INTEGER PRIMARY KEY, "details" BLOB NOT NULL)'
        )
        conn.execute(f'CREATE TABLE IF NOT EXISTS {_NOTED} ("packageId" INTEGER PRIMARY KEY)')
        conn.execute(f'CREATE TABLE IF NOT EXISTS {_STAMP} ("stamp" TEXT)')
        old = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? ESCAPE '\\'",
            (_PREFIX.replace("_", "\\_") + "%",),
        ).fetchall()
        for (name,) in old:
            conn.execute(f"DROP TRIGGER {sql_name(name)}")
        for sql in TRIGGERS.values():
            conn.execute(sql)
        stamps = [row[0] for row in conn.execute(f"SELECT stamp FROM {_STAMP}")]
        if stamps != [STAMP]:
            parent = sql_name(_PARENT.table)
            conn.execute(f"DELETE FROM {_DETAILS}")
            conn.execute(f'INSERT OR IGNORE INTO {_NOTED} SELECT "identity" FROM {parent}')
            conn.execute(f"DELETE FROM {_STAMP}")
            conn.execute(f"INSERT INTO {_STAMP} VALUES ({sql_literal(STAMP)})")
        write_noted(db)
    db.before_commit.append(lambda: write_noted(db))


def write_noted(db: Database) -> None:
    """Write the texts of the packages noted, drop those of packages gone; in `db`'s
    transaction."""
    conn = db.connection
    noted = [row[0] for row in conn.execute(f"SELECT packageId FROM {_NOTED}")]
    if not noted:
        return
    parent = _PARENT
    for start in range(0, len(noted), CHUNK):
        chunk = json.dumps(noted[start : start + CHUNK])
        present = [
            row[0]
            for row in conn.execute(
                f'SELECT "identity" FROM {sql_name(parent.table)} '
                'WHERE "identity" IN (SELECT value FROM json_each(?)) ORDER BY "identity"',
                (chunk,),
            )
        ]
        texts = details_texts(conn, parent, present, db.odd_columns)
        conn.executemany(f"INSERT OR REPLACE INTO {_DETAILS} VALUES (?, ?)", texts.items())
    conn.execute(
        f"DELETE FROM {_DETAILS} WHERE packageId IN (SELECT packageId FROM {_NOTED}) "
        f"AND packageId NOT IN "
        f'(SELECT "identity" FROM {sql_name(parent.table)})'
    )
    conn.execute(f"DELETE FROM {_NOTED}")
