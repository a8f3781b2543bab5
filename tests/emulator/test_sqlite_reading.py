"""`SqliteDatabase.reading()`: a large read (a page) that does not wait for the lock."""

from __future__ import annotations

import threading
from pathlib import Path

from catalogsync.emulator.sqlite import SqliteDatabase


class Numbers(SqliteDatabase):
    def create_schema(self) -> None:
        self._conn.execute('CREATE TABLE IF NOT EXISTS "N" ("n" INTEGER)')


def _count(db: Numbers) -> int:
    with db.reading() as conn:
        return int(conn.execute('SELECT COUNT(*) FROM "N"').fetchone()[0])


def test_a_file_database_reads_the_last_committed_state_while_a_write_holds_the_lock(
    tmp_path: Path,
) -> None:
    db = Numbers(tmp_path / "n.sqlite3")
    db.insert_row("N", {"n": 1})
    inserted, done = threading.Event(), threading.Event()

    def write() -> None:
        with db.transaction():
            db.insert_row("N", {"n": 2})
            inserted.set()
            done.wait(10)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inserted.wait(10)
        # the writer holds the lock inside its transaction: the read neither waits for it
        # nor sees the uncommitted row
        assert _count(db) == 1
    finally:
        done.set()
        writer.join(10)
    assert _count(db) == 2
    db.close()


def test_in_memory_the_read_holds_the_lock_on_the_one_connection() -> None:
    db = Numbers()
    db.insert_row("N", {"n": 1})
    with db.reading() as conn:
        assert conn.execute('SELECT COUNT(*) FROM "N"').fetchone()[0] == 1
        acquired: list[bool] = []
        other = threading.Thread(target=lambda: acquired.append(db.lock.acquire(timeout=0.05)))
        other.start()
        other.join()
        assert acquired == [False]
    db.close()


def test_a_read_is_not_held_behind_another_read_under_way(tmp_path: Path) -> None:
    # a page of services is answered while a page of package details is being built
    db = Numbers(tmp_path / "n.sqlite3")
    db.insert_row("N", {"n": 1})
    reading, done = threading.Event(), threading.Event()

    def long_read() -> None:
        with db.reading() as conn:
            conn.execute('SELECT COUNT(*) FROM "N"').fetchone()
            reading.set()
            done.wait(10)

    other = threading.Thread(target=long_read)
    other.start()
    try:
        assert reading.wait(10)
        answered: list[int] = []
        second = threading.Thread(target=lambda: answered.append(_count(db)))
        second.start()
        second.join(5)
        assert answered == [1]
    finally:
        done.set()
        other.join(10)
    db.close()


def test_reads_reuse_their_connections(tmp_path: Path) -> None:
    db = Numbers(tmp_path / "n.sqlite3")
    for _ in range(3):
        with db.reading() as first, db.reading() as second:
            assert first is not second
    assert len(db._readers) == 2
    db.close()
