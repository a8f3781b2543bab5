"""The CPU of an export's steps after the read, in one process: what `export` does once the
live catalog is in, step by step, without the network and without the checking child.

    python -m benchmarks.export_phases [--repeat N] [PROJECT]

Run in (or given) a project whose target answers, e.g. `python -m benchmarks.serve M
billingplatform DIR`'s DIR/project. The live catalog is fetched once; then, `repeat` times,
the steps `adopt.prepare_export` takes run here under `time.process_time`: choosing the
objects (`choose_export`), making every file's text (`export_text`), writing them to a
staging folder, and the proof that they load back (`StagedCheck`: `prepare`, the checks
across files, each file's own check). The least of the runs is printed per step (the first
pays for warming caches), with the sha256 of the texts: the same digest on two checkouts
(`PYTHONPATH=<checkout>`) shows they write the same bytes. The command shares the texts
and the per-file checks between two processes (`catalogsync.beside`); this adds them up.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from benchmarks.planning import fetched_once
from catalogsync.adopt import SCHEMA_FOLDER, _header
from catalogsync.catalog import use_kind_words
from catalogsync.catalog_writer import CatalogWriter
from catalogsync.export_check import StagedCheck
from catalogsync.exporter import Selection, SplitBy, choose_export, export_text
from catalogsync.registry import get_format

_T = TypeVar("_T")

STEPS = ("choose", "texts", "write", "check_prepare", "check_across", "check_files")


def measure(project_dir: Path, repeat: int = 3) -> tuple[dict[str, float], str]:
    """The least CPU seconds of each of `STEPS` over `repeat` runs, and the texts' sha256."""
    project, options, live = fetched_once(project_dir)
    fmt = get_format(project.config.backend)
    use_kind_words(fmt.kind_names)
    out = Path(tempfile.mkdtemp(prefix="export-phases-out-")).resolve()
    schema = out / SCHEMA_FOLDER / f"{fmt.backend}.catalog.schema.json"
    least: dict[str, float] = {}

    def timed(step: str, work: Callable[[], _T]) -> _T:
        started = time.process_time()
        result = work()
        least[step] = min(least.get(step, float("inf")), time.process_time() - started)
        return result

    def run_once() -> str:
        chosen = timed(
            "choose",
            lambda: choose_export(
                live, fmt, selection=Selection(), split_by=SplitBy.PACKAGE, checked=False
            ),
        )
        writer = CatalogWriter()
        texts = timed(
            "texts",
            lambda: {
                path: export_text(
                    chosen,
                    fmt,
                    path,
                    _header(fmt, options.target, (out / path).parent, schema),
                    writer,
                )
                for path in chosen.groups
            },
        )
        staged = Path(tempfile.mkdtemp(prefix="export-phases-"))
        try:
            for folder in {(staged / path).parent for path in texts}:
                folder.mkdir(parents=True, exist_ok=True)
            timed("write", lambda: _write(staged, texts))
            check = timed(
                "check_prepare", lambda: StagedCheck.prepare(chosen, fmt, (), staged, live, options)
            )
            across = timed("check_across", check.references_ok)
            files = timed("check_files", lambda: all([check.file_ok(p) for p in texts]))
            if not (across and files):
                raise SystemExit("the export does not load back unchanged")
        finally:
            shutil.rmtree(staged)
        sha = hashlib.sha256()
        for path in sorted(texts):
            sha.update(f"{path}\0{texts[path]}\0".encode())
        return sha.hexdigest()

    try:
        digests = {run_once() for _ in range(repeat)}
    finally:
        shutil.rmtree(out, ignore_errors=True)
    (digest,) = digests  # (the same texts each run)
    return {step: least[step] for step in STEPS}, digest


def _write(folder: Path, texts: dict[str, str]) -> None:
    for path, text in texts.items():
        (folder / path).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.export_phases", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("project", nargs="?", type=Path, default=Path.cwd())
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    steps, digest = measure(args.project, args.repeat)
    shown = " ".join(f"{step} {seconds:.3f}" for step, seconds in steps.items())
    print(f"{shown} total {sum(steps.values()):.3f} s CPU; texts sha256 {digest[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
