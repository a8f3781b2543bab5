"""The emulator's state right after a cold apply, kept so later code can be measured on it.

A cold apply at L takes minutes on BillingPlatform and about an hour on LogiSense (one POST
per service at 15 req/s), but the scenarios after it (no-op plan, 1% change, drift,
export) only need its result. After each cold apply a run saves, under
`<cold-state>/<backend>/<size>/`:

- `emulator.sqlite3`: a consistent copy of the emulator's SQLite database (the sqlite3
  backup API, taken while the emulator is idle between two commands);
- `cold-apply.json`: the cold apply's result row, when and at which commit it was
  measured, and what it was measured on (catalog digest, latency, rate limit), so a reuse
  on another catalog or other limits is refused rather than silently wrong.

`python -m benchmarks run --reuse-cold` then starts the emulator on a copy of that
database, keeps the saved row (marked `reused`) and measures the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_NAME, ROW_NAME = "emulator.sqlite3", "cold-apply.json"


class ColdStateError(Exception):
    """A saved cold state that is missing or does not fit this run (one readable line)."""


def catalog_digest(catalog: dict[str, Any]) -> str:
    """What the cold apply wrote: a digest of the catalog data the project declared."""
    text = json.dumps(catalog, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_version() -> str:
    """The commit of the checkout the benchmarks run from (`+changes` when it has
    uncommitted edits to tracked files); "unknown" outside git."""
    repo = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=10", "HEAD")
    if not commit:
        return "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


@dataclass(frozen=True)
class ColdState:
    """The saved cold state of one backend and size, in `folder`."""

    folder: Path

    @staticmethod
    def of(root: Path, backend: str, size: str) -> ColdState:
        return ColdState(root / backend / size)

    def save(self, db: Path, row: dict[str, Any], setting: dict[str, Any]) -> None:
        """Copy the live database `db` and write the row with `setting` (catalog digest,
        latency, rate limit) and when/at which commit it was measured."""
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f"{DB_NAME}.partial"
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(db)
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        os.replace(partial, self.folder / DB_NAME)
        saved = {
            "row": row,
            "setting": setting,
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "commit": code_version(),
        }
        text = json.dumps(saved, indent=2, sort_keys=True) + "\n"
        (self.folder / ROW_NAME).write_text(text, encoding="utf-8")

    def restore(self, db: Path, setting: dict[str, Any]) -> dict[str, Any]:
        """Copy the saved database to `db`; the saved cold-apply row, marked `reused` with
        when and at which commit it was measured. ColdStateError when nothing was saved
        or it was saved for another catalog or other limits."""
        saved_db, saved_row = self.folder / DB_NAME, self.folder / ROW_NAME
        if not (saved_db.is_file() and saved_row.is_file()):
            raise ColdStateError(
                f"{self.folder}: no saved cold state (run the cold apply once without "
                "--reuse-cold, or name the folder with --cold-state)"
            )
        saved = json.loads(saved_row.read_text(encoding="utf-8"))
        was = saved["setting"]
        differ = sorted(k for k in setting if was.get(k) != setting[k])
        if differ:
            then = ", ".join(f"{k} {was.get(k)!r} there, {setting[k]!r} now" for k in differ)
            raise ColdStateError(f"{saved_row}: saved for another setting ({then})")
        shutil.copyfile(saved_db, db)
        reused = {"measured_at": saved["measured_at"], "commit": saved["commit"]}
        row: dict[str, Any] = {**saved["row"], "reused": reused}
        return row
