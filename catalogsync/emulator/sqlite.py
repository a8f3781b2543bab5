"""The SQLite set-up every emulator's state shares: one connection, one lock, transactions.

One connection (a file, or memory) is shared by every thread under `lock`; an emulator's
work per request is small, and a single writer keeps SQLite simple. Transactions are
explicit (`isolation_level=None`): `transaction()` for a request's writes, `savepoint()`
for one record inside it. A backend's database subclasses `SqliteDatabase`, creates its
tables in `create_schema` and reads and writes rows through the helpers here.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["READERS", "SqliteDatabase", "sql_literal", "sql_name"]

#: How many `reading()` connections a file database keeps (more reads wait for one): a
#: fetch asks a few pages at once; each connection keeps its own page cache (up to
#: `cache_size`), so a handful, warm, rather than one per worker thread.
READERS = 4


def sql_literal(text: str) -> str:
    """`text` as an SQLite string literal, for SQL an emulator writes from names it knows
    (field names, table names, fixed texts); values from a request are bound parameters."""
    return "'" + text.replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """`name` as an SQLite identifier: quoted, so an SQL keyword can name a field or table."""
    return '"' + name.replace('"', '""') + '"'


class SqliteDatabase:
    """An emulator's SQLite state. `db=None` keeps it in memory."""

    def __init__(self, db: str | Path | None = None) -> None:
        self.path = None if db is None else Path(db)
        self.lock = threading.RLock()
        #: What every `transaction()` does last, before it commits (in order): e.g. write
        #: text derived from the rows it changed, so no read sees the rows without it.
        self.before_commit: list[Callable[[], None]] = []
        self._conn = self._connect()
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        with self.transaction():
            self.create_schema()
        #: Connections for `reading()` (a file only), each made on first use: up to
        #: `READERS` reads at once, each on its own (a page of services is not held
        #: behind a page of package details being built beside it).
        self._readers: list[sqlite3.Connection] = []
        self._idle: list[sqlite3.Connection] = []
        self._reader_slots = threading.BoundedSemaphore(READERS)
        self._reader_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            ":memory:" if self.path is None else str(self.path),
            check_same_thread=False,
            isolation_level=None,
        )
        self.prepare(conn)
        if self.path is not None:
            # Up to 128 MB of pages kept (SQLite's default is 2 MB): the largest benchmark
            # databases (23 and 47 MB at L) then stay in memory instead of pages being
            # read again from the OS for every lookup by key (a page of 5,000 packages'
            # details names 150,000 services: 0.24 s of CPU, 0.12 s so).
            conn.execute("PRAGMA cache_size=-131072")
        return conn

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for a large read (a page) that does not hold `lock`: other requests
        (a lookup, a write) are answered while SQLite builds it, as before a page's
        building moved into SQLite. A file database in WAL mode has connections of its own
        for reads, each reading in one transaction: one consistent state, the last
        committed one, as if the read had been served just before a write still under way;
        reads asked together run side by side (SQLite steps without the GIL). In memory
        there is one connection: the read holds `lock`."""
        if self.path is None:
            with self.lock:
                yield self._conn
            return
        with self._reader_slots:
            with self._reader_lock:
                if self._idle:
                    reader = self._idle.pop()
                else:
                    reader = self._connect()
                    self._readers.append(reader)
            try:
                reader.execute("BEGIN")
                try:
                    yield reader
                finally:
                    reader.execute("COMMIT")
            finally:
                with self._reader_lock:
                    self._idle.append(reader)

    @property
    def connection(self) -> sqlite3.Connection:
        """The writers' connection, for SQL a database's helpers write (hold `lock`; write
        inside `transaction()`)."""
        return self._conn

    def prepare(self, conn: sqlite3.Connection) -> None:
        """Set the connection up before the schema (e.g. register SQL functions)."""

    def create_schema(self) -> None:
        """Create the tables (idempotent: a file may hold them already); runs in a transaction."""

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock, self._reader_lock:
            self._conn.close()
            for reader in self._readers:
                reader.close()

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One SQLite transaction, committed on success and rolled back on any error."""
        with self.lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                for hook in self.before_commit:
                    hook()
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested savepoint: an error inside undoes only what was done inside."""
        self._conn.execute("SAVEPOINT record")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK TO record")
            self._conn.execute("RELEASE record")
            raise
        self._conn.execute("RELEASE record")

    # -- schema helpers ------------------------------------------------------------------

    def start_ids_at(self, table: str, first_id: int) -> bool:
        """Make a new AUTOINCREMENT table hand out ids from `first_id` (never reused after a
        delete). True when the table was new; False when it already had its counter."""
        if self._conn.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).fetchone():
            return False
        self._conn.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, first_id - 1)
        )
        return True

    # -- row helpers ---------------------------------------------------------------------

    def insert_row(self, table: str, values: Mapping[str, Any]) -> int:
        """Insert one row and return its new id."""
        names = list(values)
        columns = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        with self.lock:
            cursor = self._conn.execute(
                f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', [values[n] for n in names]
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_row(self, table: str, key: str, identity: Any, values: Mapping[str, Any]) -> None:
        """Set the given columns of the row whose `key` column is `identity`."""
        if not values:
            return
        assignments = ", ".join(f'"{n}" = ?' for n in values)
        with self.lock:
            self._conn.execute(
                f'UPDATE "{table}" SET {assignments} WHERE "{key}" = ?',
                [*values.values(), identity],
            )

    def delete_row(self, table: str, key: str, identity: Any) -> None:
        """Delete the row whose `key` column is `identity`."""
        with self.lock:
            self._conn.execute(f'DELETE FROM "{table}" WHERE "{key}" = ?', (identity,))
