"""CPU an emulator spends answering the largest pages a fetch reads.

A read-only scenario's wall time holds the emulator's own time too (one process, one
database lock: a small lookup waits while a large page is built). This measures it alone,
in-process and without HTTP, on a saved cold state (`cold_state.py`). LogiSense: `GET
Service/Paged` and `GET Package/Paged/Detail`, one page of 10,000 records each, as the client
asks. BillingPlatform: the first 10,000-row page of PRODUCT and of PACKAGE_PRODUCT with the
columns the client selects. It prints the CPU of building each page and of encoding it as
the emulator does (an answer built as JSON text has nothing left to encode), and a digest of
each answer, so two commits can be shown to answer byte for byte the same (an older
checkout on PYTHONPATH is measured with its own code).

    python -m benchmarks.emulator_pages OUT/cold-state/logisense/M/emulator.sqlite3 [--repeat 3]
    python -m benchmarks.emulator_pages OUT/cold-state/billingplatform/M/emulator.sqlite3

The database is copied first (the emulator opens it read-write).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import inspect
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

#: (resource, with details): what `LogiSenseBackend.fetch_live` lists.
LISTINGS = (("Service", False), ("Package", True))


def measure(db: Path, repeat: int) -> list[str]:
    """One line per page: records, best build and JSON CPU seconds, answer digest."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "emulator.sqlite3"
        shutil.copyfile(db, copy)
        with sqlite3.connect(copy) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        connection.close()
        pages = _billingplatform if "PACKAGE_PRODUCT" in tables else _logisense
        return [_line(name, build, repeat) for name, build in pages(copy)]


def _line(name: str, build: Callable[[], Any], repeat: int) -> str:
    best_build = best_encode = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        answer = build()
        built = time.process_time()
        body = _encode(answer)
        best_build = min(best_build, built - started)
        best_encode = min(best_encode, time.process_time() - built)
    digest = hashlib.sha256(body).hexdigest()[:16]
    decoded = json.loads(body)
    paged = decoded.get("pagedResults")
    records = len(paged["items"] if paged is not None else decoded["queryResponse"])
    return (
        f"{name}: {records} records, build {best_build:.3f} s, JSON {best_encode:.3f} s CPU, "
        f"{len(body):,} bytes, sha256 {digest}"
    )


def _encode(answer: Any) -> bytes:
    """As the emulator writes an answer (json before it wrote them in C; bytes: an answer
    built as JSON text already)."""
    if isinstance(answer, bytes):
        return answer
    try:
        from catalogsync.http.tables import encode_json
    except ImportError:  # an older checkout
        return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return encode_json(answer)


def _logisense(db: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    from catalogsync.emulator.logisense.emulator import LogiSenseEmulator
    from catalogsync.emulator.logisense.schema import RESOURCES
    from catalogsync.emulator.logisense.search import parse_pagination
    from catalogsync.emulator.logisense.store import Query

    emulator = LogiSenseEmulator(db=db)
    page = parse_pagination({"pageNumber": 1, "pageSize": 10_000}, 10_000)
    # as `GET X/Paged[/Detail]` asks for it: the items as JSON text (an older checkout
    # had no choice)
    text = "text" in inspect.signature(emulator.handlers._page).parameters
    for key, detail in LISTINGS:
        resource = RESOURCES[key]
        build = functools.partial(emulator.handlers._page, resource, Query(), page, detail)
        if text:
            build = functools.partial(build, text=True)
        yield f"{key}{'/Detail' if detail else ''}", build
    emulator.close()


def _billingplatform(db: Path) -> Iterator[tuple[str, Callable[[], Any]]]:
    from catalogsync.backends.billingplatform.client import build_select
    from catalogsync.backends.billingplatform.mapping import ENTITY, select_fields
    from catalogsync.catalog import Kind
    from catalogsync.emulator.billingplatform.emulator import BillingPlatformEmulator
    from catalogsync.emulator.billingplatform.sql import compile_query

    emulator = BillingPlatformEmulator(db)
    for kind in (Kind.PRODUCT, Kind.PACKAGE_PRODUCT):
        sql = build_select(ENTITY[kind], select_fields(kind), page=(0, 10_000))

        def answer(sql: str = sql) -> dict[str, Any] | bytes:
            compiled = compile_query(sql, max_rows=10_000)
            if getattr(compiled, "json_sql", None) is None:  # an older checkout
                return {"queryResponse": emulator.db.run_query(compiled)}
            # what the emulator's `/query` answers: each row's JSON text from SQLite
            rows = emulator.db.run_query_json(compiled)
            return f'{{"queryResponse":[{",".join(rows)}]}}'.encode()

        yield ENTITY[kind], answer
    emulator.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.emulator_pages")
    parser.add_argument("db", type=Path, help="a saved cold state's emulator.sqlite3")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many")
    args = parser.parse_args(argv)
    print("\n".join(measure(args.db, max(1, args.repeat))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
