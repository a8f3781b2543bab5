"""The SQLite database behind the LogiSense emulator: tables, transactions, row access.

One table per resource (lookups included), named after its key, with `identity` as an
AUTOINCREMENT primary key (ids are never reused after a delete, as in the vendor's SQL
Server). One connection (a file, or memory) is shared by every thread under `Database.lock`.
Values are stored as their JSON types; booleans as 0/1, converted back on read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from catalogsync.emulator.logisense.schema import LOOKUP_SEED, RESOURCES, Kind, Resource

__all__ = ["SYSTEM_COLUMNS", "Database", "Query", "Record"]

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


class Database:
    """The emulator's SQLite state. `db=None` keeps it in memory."""

    def __init__(self, db: str | Path | None = None) -> None:
        self.path = None if db is None else Path(db)
        self.lock = threading.RLock()
        # isolation_level=None: transactions are explicit (BEGIN ... COMMIT) below.
        self._conn = sqlite3.connect(
            ":memory:" if self.path is None else str(self.path),
            check_same_thread=False,
            isolation_level=None,
        )
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        with self.transaction():
            for resource in RESOURCES.values():
                self._create_table(resource)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock:
            self._conn.close()

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
        seeded = self._conn.execute(
            "SELECT 1 FROM sqlite_sequence WHERE name = ?", (resource.table,)
        ).fetchone()
        if seeded:
            return
        self._conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
            (resource.table, ID_START.get(resource.key, FIRST_LOOKUP_ID) - 1),
        )
        defaults = {f.name: f.default for f in resource.fields}
        for identity, values in LOOKUP_SEED.get(resource.key, ()):
            row = {**defaults, **values, "identity": identity, "created": _SEEDED}
            self.insert(resource, row)

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction, committed on success and rolled back on any error."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

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
        return [self._record(resource, names, row) for row in rows]

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
        names = list(values)
        columns = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        with self.lock:
            cursor = self._conn.execute(
                f'INSERT INTO "{resource.table}" ({columns}) VALUES ({marks})',
                [_stored(values[n]) for n in names],
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update(self, resource: Resource, identity: int, values: Mapping[str, Any]) -> None:
        """Set the given columns of one record."""
        if not values:
            return
        assignments = ", ".join(f'"{n}" = ?' for n in values)
        with self.lock:
            self._conn.execute(
                f'UPDATE "{resource.table}" SET {assignments} WHERE "identity" = ?',
                [*(_stored(v) for v in values.values()), identity],
            )

    def delete(self, resource: Resource, identity: int) -> None:
        with self.lock:
            self._conn.execute(f'DELETE FROM "{resource.table}" WHERE "identity" = ?', (identity,))

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _columns(resource: Resource) -> list[str]:
        return ["identity", *resource.field_names, "created", "updated"]

    @staticmethod
    def _record(resource: Resource, names: list[str], row: Sequence[Any]) -> Record:
        record = dict(zip(names, row, strict=True))
        for field in resource.fields:
            if field.kind is Kind.BOOL and record[field.name] is not None:
                record[field.name] = bool(record[field.name])
        return record


#: The created stamp of seeded lookups. [INFERRED] any fixed past date.
_SEEDED = "2020-01-01T00:00:00.000Z"


def _stored(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value
