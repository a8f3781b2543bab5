"""The SQLite database behind the LogiSense emulator: tables, transactions, row access.

One table per resource (lookups included), named after its key, with `identity` as an
AUTOINCREMENT primary key (ids are never reused after a delete, as in the vendor's SQL
Server). The connection, lock and transactions are every emulator's (`emulator.sqlite`).
Values are stored as their JSON types; booleans as 0/1, converted back on read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from catalogsync.emulator.logisense.schema import LOOKUP_SEED, RESOURCES, Kind, Resource
from catalogsync.emulator.sqlite import SqliteDatabase, sql_literal, sql_name
from catalogsync.http.tables import encode_json

__all__ = ["SYSTEM_COLUMNS", "Database", "Query", "Record", "odd_value"]

#: A stored record: column -> value (booleans as bool).
Record = dict[str, Any]

#: Columns every table has besides the resource's fields.
SYSTEM_COLUMNS = ("identity", "created", "updated")

#: [INFERRED] Where each resource's user-created ids start: apart from each other and from
#: the seeded lookup ids, so a client that sends a Service id where a Package id belongs
#: gets "not found" rather than the wrong row. Lookups added later start at 1000.
ID_START = {
    "Service": 100_000,
    "Package": 200_000,
    "PackageService": 300_000,
    "PackageFrequency": 400_000,
    "PackageCurrency": 500_000,
}
FIRST_LOOKUP_ID = 1000


class Query:
    """A compiled WHERE / ORDER BY for one resource (see `search.compile_search`)."""

    def __init__(
        self, where: str = "", params: Sequence[Any] = (), order: str = '"identity"'
    ) -> None:
        self.where, self.params, self.order = where, tuple(params), order


def odd_value(kind: Kind, value: str) -> str:
    """SQL that is true when `value`, a stored value of a `kind` field, is one `json_object`
    would not spell as `encode_json` does (`pages`): a float or a blob, or in a flag
    anything but an integer or NULL. No API write stores one (`validation`)."""
    if kind is Kind.BOOL:
        return f"typeof({value}) NOT IN ('integer', 'null')"
    # INTEGER / REAL columns may hold a float; TEXT ones turn numbers into text. A blob
    # could be stored in any.
    odd = "('real', 'blob')" if kind in (Kind.INT, Kind.NUMBER) else "('blob')"
    return f"typeof({value}) IN {odd}"


class Database(SqliteDatabase):
    """The emulator's SQLite state. `db=None` keeps it in memory."""

    def __init__(self, db: str | Path | None = None) -> None:
        #: The (table, column) pairs that may hold an odd value (`odd_value`) in a file
        #: database: found when it is opened, then added by a trigger as one is written,
        #: through the one connection every write uses (a write rolled back leaves its
        #: pair: the page's guard is then kept, not needed). `pages` guards only these
        #: columns: the guard per value is ~0.3 s of a page of 5,000 package details at L.
        #: Replaced, never changed in place (a page reads it in another thread). None in
        #: memory (tests' small databases): every column guarded, no triggers to make
        #: (~10 ms a database).
        self.odd_columns: frozenset[tuple[str, str]] | None = None
        super().__init__(db)
        if self.path is not None:
            with self.lock:
                self._watch_odd_values()

    def prepare(self, conn: sqlite3.Connection) -> None:
        # `ls_json(value, flag)`: a value as `encode_json` writes it (of `bool(value)` with
        # a flag), for the pages SQLite writes as JSON (`pages`): called only for a float
        # or a blob, which `json_object` would spell otherwise.
        conn.create_function("ls_json", 2, _ls_json, deterministic=True)
        # `ls_odd(table, column)`: the triggers of `_watch_odd_values` report one
        conn.create_function("ls_odd", 2, self._saw_odd_value)

    def _saw_odd_value(self, table: str, column: str) -> None:
        if self.odd_columns is not None:
            self.odd_columns = self.odd_columns | {(table, column)}

    def _watch_odd_values(self) -> None:
        """Triggers on every table (TEMP: on this connection, the writers', not in the
        file) that report each odd value written, then one scan for those already
        stored (a file made elsewhere or by an older emulator)."""
        found: set[tuple[str, str]] = set()
        for resource in RESOURCES.values():
            table = resource.table
            columns = [*((f.name, f.kind) for f in resource.fields)]
            columns += [("created", Kind.STRING), ("updated", Kind.STRING)]
            for event in ("INSERT", "UPDATE"):
                reports = " ".join(
                    f"SELECT ls_odd({sql_literal(table)}, {sql_literal(name)}) "
                    f"WHERE {odd_value(kind, f'NEW.{sql_name(name)}')};"
                    for name, kind in columns
                )
                any_odd = " OR ".join(odd_value(k, f"NEW.{sql_name(n)}") for n, k in columns)
                self._conn.execute(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS "
                    f"{sql_name(f'ls_odd_{event.lower()}_{table}')} AFTER {event} ON "
                    f"main.{sql_name(table)} FOR EACH ROW WHEN {any_odd} BEGIN {reports} END"
                )
            flags = ", ".join(f"max({odd_value(k, sql_name(n))})" for n, k in columns)
            row = self._conn.execute(f"SELECT {flags} FROM {sql_name(table)}").fetchone()
            found |= {(table, name) for (name, _), odd in zip(columns, row, strict=True) if odd}
        self.odd_columns = frozenset(found)

    def create_schema(self) -> None:
        for resource in RESOURCES.values():
            self._create_table(resource)

    def _create_table(self, resource: Resource) -> None:
        columns = ", ".join(f'"{f.name}" {f.kind.sql_type}' for f in resource.fields)
        self._conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{resource.table}" ('
            f'"identity" INTEGER PRIMARY KEY AUTOINCREMENT, {columns}, '
            '"created" TEXT, "updated" TEXT)'
        )
        indexed = [f.name for f in resource.fields if f.ref or f.name == "name"]
        for name in indexed:
            self._conn.execute(
                f'CREATE INDEX IF NOT EXISTS "ix_{resource.table}_{name}" '
                f'ON "{resource.table}" ("{name}")'
            )
        if not self.start_ids_at(resource.table, ID_START.get(resource.key, FIRST_LOOKUP_ID)):
            return  # an existing database: seeded when it was made
        defaults = {f.name: f.default for f in resource.fields}
        for identity, values in LOOKUP_SEED.get(resource.key, ()):
            row = {**defaults, **values, "identity": identity, "created": _SEEDED}
            self.insert(resource, row)

    # -- reads ---------------------------------------------------------------------------

    def get(self, resource: Resource, identity: int) -> Record | None:
        """One record by identity, or None."""
        found = self.select(resource, Query('"identity" = ?', (identity,)))
        return found[0] if found else None

    def select(
        self,
        resource: Resource,
        query: Query | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Record]:
        """The records matching `query`, in its order, optionally one page of them."""
        query = query or Query()
        names = self._columns(resource)
        columns = ", ".join(f'"{n}"' for n in names)
        sql = f'SELECT {columns} FROM "{resource.table}"'
        if query.where:
            sql += f" WHERE {query.where}"
        sql += f" ORDER BY {query.order}"
        params = list(query.params)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        with self.lock:
            rows = self._conn.execute(sql, params).fetchall()
        flags = [f.name for f in resource.fields if f.kind is Kind.BOOL]
        return [self._record(names, flags, row) for row in rows]

    def count(self, resource: Resource, query: Query | None = None) -> int:
        """How many records match `query`."""
        sql = f'SELECT COUNT(*) FROM "{resource.table}"'
        if query is not None and query.where:
            sql += f" WHERE {query.where}"
        with self.lock:
            row = self._conn.execute(sql, query.params if query else ()).fetchone()
        return int(row[0])

    def where_in(self, resource: Resource, field: str, values: Iterable[Any]) -> list[Record]:
        """Records whose `field` is one of `values` (e.g. the children of some packages)."""
        unique = sorted(set(values))
        found: list[Record] = []
        for start in range(0, len(unique), 500):  # SQLite's bound-parameter limit
            chunk = unique[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            found += self.select(resource, Query(f'"{field}" IN ({marks})', chunk))
        found.sort(key=lambda r: r["identity"])
        return found

    def ids_where(self, resource: Resource, values: Mapping[str, Any]) -> list[int]:
        """Identities of the records whose fields equal `values` (NULL matches NULL)."""
        where = " AND ".join(f'"{name}" IS ?' for name in values)
        query = Query(where, list(values.values()))
        with self.lock:
            rows = self._conn.execute(
                f'SELECT "identity" FROM "{resource.table}" WHERE {query.where} '
                'ORDER BY "identity"',
                query.params,
            ).fetchall()
        return [int(row[0]) for row in rows]

    def exists(self, resource: Resource, identity: int) -> bool:
        return bool(self.ids_where(resource, {"identity": identity}))

    # -- writes --------------------------------------------------------------------------

    def insert(self, resource: Resource, values: Mapping[str, Any]) -> int:
        """Insert a record and return its identity."""
        return self.insert_row(resource.table, _stored_values(values))

    def update(self, resource: Resource, identity: int, values: Mapping[str, Any]) -> None:
        """Set the given columns of one record."""
        self.update_row(resource.table, "identity", identity, _stored_values(values))

    def delete(self, resource: Resource, identity: int) -> None:
        self.delete_row(resource.table, "identity", identity)

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _columns(resource: Resource) -> list[str]:
        return ["identity", *resource.field_names, "created", "updated"]

    @staticmethod
    def _record(names: list[str], flags: list[str], row: Sequence[Any]) -> Record:
        """A row as a record; `flags`: the fields SQLite stores as 0/1, shown as booleans."""
        record = dict(zip(names, row, strict=True))
        for name in flags:
            if record[name] is not None:
                record[name] = bool(record[name])
        return record


def _ls_json(value: Any, flag: int) -> str:
    return encode_json(bool(value) if flag else value).decode("utf-8")


#: The created stamp of seeded lookups. [INFERRED] any fixed past date.
_SEEDED = "2020-01-01T00:00:00.000Z"


def _stored_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as SQLite stores them: booleans as 0/1."""
    return {name: int(v) if isinstance(v, bool) else v for name, v in values.items()}
