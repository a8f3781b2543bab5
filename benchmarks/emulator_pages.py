"""CPU the LogiSense emulator spends answering the two listings a fetch reads.

A read-only scenario's wall time holds the emulator's own time too (one process, one
database lock: a small lookup waits while a large page is built). This measures it alone,
in-process and without HTTP, on a saved cold state (`cold_state.py`): `GET Service/Paged`
and `GET Package/Paged/Detail`, one page of 10,000 records each, as the client asks. It
prints the CPU of building each page and of encoding it as JSON, and a digest of each
answer, so two commits can be shown to answer byte for byte the same.

    python -m benchmarks.emulator_pages OUT/cold-state/logisense/M/emulator.sqlite3 [--repeat 3]

The database is copied first (the emulator opens it read-write).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from catalogsync.emulator.logisense.emulator import LogiSenseEmulator
from catalogsync.emulator.logisense.schema import RESOURCES
from catalogsync.emulator.logisense.search import parse_pagination
from catalogsync.emulator.logisense.store import Query

#: (resource, with details): what `LogiSenseBackend.fetch_live` lists.
LISTINGS = (("Service", False), ("Package", True))


def measure(db: Path, repeat: int) -> list[str]:
    """One line per listing: records, best build and JSON CPU seconds, answer digest."""
    lines = []
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "emulator.sqlite3"
        shutil.copyfile(db, copy)
        emulator = LogiSenseEmulator(db=copy)
        page = parse_pagination({"pageNumber": 1, "pageSize": 10_000}, 10_000)
        for key, detail in LISTINGS:
            build = encode = float("inf")
            for _ in range(repeat):
                started = time.process_time()
                answer = emulator.handlers._page(RESOURCES[key], Query(), page, detail)
                built = time.process_time()
                text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
                build = min(build, built - started)
                encode = min(encode, time.process_time() - built)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
            records = len(answer["pagedResults"]["items"])
            lines.append(
                f"{key}{'/Detail' if detail else ''}: {records} records, build {build:.3f} s, "
                f"JSON {encode:.3f} s CPU, {len(text):,} bytes, sha256 {digest}"
            )
        emulator.close()
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.emulator_pages")
    parser.add_argument("db", type=Path, help="a saved cold state's emulator.sqlite3")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many")
    args = parser.parse_args(argv)
    print("\n".join(measure(args.db, max(1, args.repeat))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
