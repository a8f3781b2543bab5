"""The SQLite database behind the BillingPlatform emulator: tables and row access.

The connection, lock and transactions are every emulator's (`emulator.sqlite`). Each entity
is a table named after it, with one column per field in canonical casing.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Mapping, Sequence

from catalogsync.emulator.billingplatform.schema import (
    ENTITIES,
    ID_START,
    RATING_METHOD_SEED,
    Entity,
)
from catalogsync.emulator.billingplatform.sql import CompiledQuery
from catalogsync.emulator.billingplatform.values import StoredValue
from catalogsync.emulator.sqlite import SqliteDatabase

__all__ = ["Database", "Record"]

#: A stored record: canonical field name -> stored value.
Record = dict[str, StoredValue]

_USERS = "_EMULATOR_USERS"


class Database(SqliteDatabase):
    """The emulator's SQLite state. `db=None` keeps it in memory."""

    def prepare(self, conn: sqlite3.Connection) -> None:
        conn.create_function("bp_like", 3, _like, deterministic=True)

    # -- schema --------------------------------------------------------------------------

    def create_schema(self) -> None:
        self._conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{_USERS}" '
            '("Id" INTEGER PRIMARY KEY AUTOINCREMENT, "Username" TEXT UNIQUE NOT NULL)'
        )
        for entity in ENTITIES.values():
            self._create_table(entity)
        if not self._conn.execute('SELECT 1 FROM "RATING_METHOD" LIMIT 1').fetchone():
            self._conn.executemany(
                'INSERT INTO "RATING_METHOD" ("Id", "RatingMethodType") VALUES (?, ?)',
                RATING_METHOD_SEED,
            )

    def _create_table(self, entity: Entity) -> None:
        columns = ", ".join(f'"{f.name}" {f.sql_type}' for f in entity.fields if f.name != "Id")
        self._conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{entity.name}" '
            f'("Id" INTEGER PRIMARY KEY AUTOINCREMENT, {columns})'
        )
        # A database written by an older emulator may lack newer fields.
        present = {row[1] for row in self._conn.execute(f'PRAGMA table_info("{entity.name}")')}
        for field in entity.fields:
            if field.name not in present:
                self._conn.execute(
                    f'ALTER TABLE "{entity.name}" ADD COLUMN "{field.name}" {field.sql_type}'
                )
        for field in entity.fields:
            indexed = field.references or field.unique or field.name in entity.upsert_keys
            if indexed:
                unique = "UNIQUE " if field.unique else ""
                self._conn.execute(
                    f'CREATE {unique}INDEX IF NOT EXISTS "ix_{entity.name}_{field.name}" '
                    f'ON "{entity.name}" ("{field.name}")'
                )
        # Start each entity in its own range of ids (see ID_START).
        self.start_ids_at(entity.name, ID_START.get(entity.name, 1))

    # -- reads ---------------------------------------------------------------------------

    def run_query(self, query: CompiledQuery) -> list[dict[str, str]]:
        """Run a compiled query; rows come back with every value as a wire string (the
        query selects them so: `values.wire_sql`)."""
        with self.lock:
            rows = self._conn.execute(query.sql, query.params).fetchall()
        keys = query.keys
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def run_query_json(self, query: CompiledQuery) -> list[str]:
        """`run_query`'s rows, each as the JSON text `encode_json` writes of it, built by
        SQLite (`CompiledQuery.json_sql`): a 10,000-row page cost 0.07 s of CPU under the
        lock as Python rows and 0.03 s more to encode; as text, about half the total."""
        assert query.json_sql is not None
        with self.reading() as conn:  # a lookup or write asked meanwhile is not held
            rows = conn.execute(query.json_sql, query.params).fetchall()
        return [row[0] for row in rows]

    def get(self, entity: Entity, record_id: int) -> Record | None:
        """The whole stored record with this Id, or None."""
        names = entity.field_names
        columns = ", ".join(f'"{n}"' for n in names)
        with self.lock:
            row = self._conn.execute(
                f'SELECT {columns} FROM "{entity.name}" WHERE "Id" = ?', (record_id,)
            ).fetchone()
        return None if row is None else dict(zip(names, row, strict=True))

    def all_records(self, entity: Entity) -> list[Record]:
        """Every stored record of an entity, in Id order."""
        names = entity.field_names
        columns = ", ".join(f'"{n}"' for n in names)
        with self.lock:
            rows = self._conn.execute(
                f'SELECT {columns} FROM "{entity.name}" ORDER BY "Id"'
            ).fetchall()
        return [dict(zip(names, row, strict=True)) for row in rows]

    def ids_where(
        self, entity: Entity, field: str, value: StoredValue, *, limit: int | None = None
    ) -> list[int]:
        """Ids of the records whose `field` equals `value` (exact match), in Id order."""
        sql = f'SELECT "Id" FROM "{entity.name}" WHERE "{field}" = ? ORDER BY "Id"'
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self.lock:
            return [row[0] for row in self._conn.execute(sql, (value,))]

    def exists(self, entity: Entity, record_id: StoredValue) -> bool:
        """Whether a record with this Id exists."""
        return bool(self.ids_where(entity, "Id", record_id, limit=1))

    # -- writes --------------------------------------------------------------------------

    def insert(self, entity: Entity, values: Mapping[str, StoredValue]) -> int:
        """Insert a record and return its new Id."""
        return self.insert_row(entity.name, values)

    def update(self, entity: Entity, record_id: int, values: Mapping[str, StoredValue]) -> None:
        """Set the given fields of one record."""
        self.update_row(entity.name, "Id", record_id, values)

    def delete(self, entity: Entity, record_id: int) -> None:
        """Delete one record."""
        self.delete_row(entity.name, "Id", record_id)

    def referrers(self, entity: Entity, record_id: int) -> list[str]:
        """ "ENTITY.Field" for every field of any entity that still points to this record."""
        found: list[str] = []
        for other in ENTITIES.values():
            for field in other.references_to(entity.name):
                if self.ids_where(other, field.name, record_id, limit=1):
                    found.append(f"{other.name}.{field.name}")
        return found

    def user_id(self, username: str) -> int:
        """A stable Id for a user name (CreatedUserId / UpdatedUserId), created on first use."""
        with self.lock:
            self._conn.execute(
                f'INSERT OR IGNORE INTO "{_USERS}" ("Username") VALUES (?)', (username,)
            )
            row = self._conn.execute(
                f'SELECT "Id" FROM "{_USERS}" WHERE "Username" = ?', (username,)
            ).fetchone()
        return int(row[0])

    def count(self, entity: Entity) -> int:
        """How many records the entity holds."""
        with self.lock:
            row = self._conn.execute(f'SELECT COUNT(*) FROM "{entity.name}"').fetchone()
        return int(row[0])


def _like(value: object, pattern: object, escape: object) -> int | None:
    """SQL LIKE as Oracle does it: case-sensitive, `%` and `_` wildcards, optional ESCAPE."""
    if value is None or pattern is None:
        return None
    regex = _like_regex(str(pattern), str(escape) if escape else "")
    return 1 if regex.fullmatch(str(value)) else 0


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str, escape: str) -> re.Pattern[str]:
    parts: list[str] = []
    chars: Sequence[str] = pattern
    index = 0
    while index < len(chars):
        char = chars[index]
        if escape and char == escape and index + 1 < len(chars):
            parts.append(re.escape(chars[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)
