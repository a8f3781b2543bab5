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

    python -m benchmarks.export_phases --proof-steps --beside [PROJECT]

`--proof-steps` also splits `check_files` into its parts, timed on the loader's own code
(`benchmarks.proof_steps`: the column reader, reading and parsing, validation, resources,
checks, upserts; `other` is the rest). `--beside` also runs the texts and checks as the
command does,
shared with a forked child (`adopt._written_and_checked`), and prints the CPU of each
process and the wall time: beside the sum of `texts`, `write`, `check_across` and
`check_files`, what the fork costs (copied pages, two processes on one cache).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from benchmarks.planning import fetched_once
from benchmarks.proof_steps import PROOF_STEPS, timing_proof_steps
from catalogsync import adopt
from catalogsync.adopt import SCHEMA_FOLDER, _header
from catalogsync.catalog import use_kind_words
from catalogsync.catalog_format import CatalogFormat
from catalogsync.catalog_writer import CatalogWriter, write_file
from catalogsync.export_check import StagedCheck
from catalogsync.exporter import Chosen, Selection, SplitBy, choose_export, export_text
from catalogsync.live import LiveCatalog
from catalogsync.planner import PlanOptions
from catalogsync.registry import get_format

_T = TypeVar("_T")

STEPS = ("choose", "texts", "write", "check_prepare", "check_across", "check_files")
#: The texts and checks as the command shares them (`adopt._written_and_checked`): the CPU
#: of this process and of the forked child, and the wall time (what the sum of the steps
#: above becomes over two processes, the fork's own cost included).
BESIDE_STEPS = ("beside_here", "beside_child", "beside_wall")


def measure(
    project_dir: Path, repeat: int = 3, *, proof_steps: bool = False, beside: bool = False
) -> tuple[dict[str, float], str]:
    """The least CPU seconds of each of `STEPS` over `repeat` runs, and the texts' sha256;
    with `proof_steps` also of `check_files`'s parts (`benchmarks.proof_steps`), with
    `beside` also the least of each of `BESIDE_STEPS`."""
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

    def keep_least(found: dict[str, float]) -> None:
        for step, seconds in found.items():
            least[step] = min(least.get(step, float("inf")), seconds)

    def header(path: str) -> list[str]:
        return _header(fmt, options.target, (out / path).parent, schema)

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
            if proof_steps:
                parts: dict[str, float] = {}
                with timing_proof_steps(fmt, parts) as timed_check:
                    check = timed_check(check)
                    files = timed("check_files", lambda: all([check.file_ok(p) for p in texts]))
                keep_least(parts)
            else:
                files = timed("check_files", lambda: all([check.file_ok(p) for p in texts]))
            if not (across and files):
                raise SystemExit("the export does not load back unchanged")
        finally:
            shutil.rmtree(staged)
        if beside:
            keep_least(_shared(chosen, fmt, live, options, header))
        sha = hashlib.sha256()
        for path in sorted(texts):
            sha.update(f"{path}\0{texts[path]}\0".encode())
        return sha.hexdigest()

    try:
        digests = {run_once() for _ in range(repeat)}
    finally:
        shutil.rmtree(out, ignore_errors=True)
    (digest,) = digests  # (the same texts each run)
    shown = [*STEPS, *(PROOF_STEPS if proof_steps else ()), *(BESIDE_STEPS if beside else ())]
    return {step: least[step] for step in shown}, digest


def _shared(
    chosen: Chosen,
    fmt: CatalogFormat,
    live: LiveCatalog,
    options: PlanOptions,
    header: Callable[[str], list[str]],
) -> dict[str, float]:
    """`BESIDE_STEPS` of one run of the texts and checks as the command shares them."""
    staged = Path(tempfile.mkdtemp(prefix="export-phases-beside-"))
    try:
        for folder in {(staged / path).parent for path in chosen.groups}:
            folder.mkdir(parents=True, exist_ok=True)
        check = StagedCheck.prepare(chosen, fmt, (), staged, live, options)
        here, child = resource.getrusage(resource.RUSAGE_SELF), _children()
        started = time.monotonic()
        passed = adopt._written_and_checked(chosen, fmt, header, check)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        if not passed:
            raise SystemExit("the export does not load back unchanged")
    finally:
        shutil.rmtree(staged)
    return {
        "beside_here": after.ru_utime + after.ru_stime - here.ru_utime - here.ru_stime,
        "beside_child": _children() - child,
        "beside_wall": wall,
    }


def _children() -> float:
    """The CPU seconds of this process's children that ended and were waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _write(folder: Path, texts: dict[str, str]) -> None:
    for path, text in texts.items():
        write_file(folder / path, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.export_phases", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("project", nargs="?", type=Path, default=Path.cwd())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--proof-steps",
        action="store_true",
        help="also split check_files into its parts (benchmarks.proof_steps)",
    )
    parser.add_argument(
        "--beside",
        action="store_true",
        help="also run the texts and checks as the command shares them with a forked child",
    )
    args = parser.parse_args(argv)
    steps, digest = measure(
        args.project, args.repeat, proof_steps=args.proof_steps, beside=args.beside
    )
    print(f"{_shown(steps, STEPS)} total {_total(steps, STEPS)} s CPU; texts sha256 {digest[:16]}")
    if args.proof_steps:
        other = steps["check_files"] - sum(steps[step] for step in PROOF_STEPS)
        print(f"check_files: {_shown(steps, PROOF_STEPS)} other {max(other, 0.0):.3f} s CPU")
    if args.beside:
        shared = _total(steps, BESIDE_STEPS[:2])
        print(f"shared: {_shown(steps, BESIDE_STEPS)} s (CPU {shared} s in all)")
    return 0


def _shown(steps: dict[str, float], names: tuple[str, ...]) -> str:
    return " ".join(f"{name} {steps[name]:.3f}" for name in names)


def _total(steps: dict[str, float], names: tuple[str, ...]) -> str:
    return f"{sum(steps[name] for name in names):.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
