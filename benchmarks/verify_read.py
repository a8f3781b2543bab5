"""An apply's verification read, whole and targeted, replayed on the same state.

    python -m benchmarks.verify_read PROJECT [--runs N]

In PROJECT (one `python -m benchmarks.serve SIZE BACKEND DIR --cold-state …` set up, in
your own emulator: this writes), whose catalog is the changed one (e.g. the 1% change as
`benchmarks/scenarios.py` writes it): plans, applies without verification, then runs the
check after the writes N times each way, alternated, on that same state: the whole read
(`Backend.fetch_live_into`) and the read of what the apply wrote
(`Backend.fetch_written_into`). Prints per run the read's wall time, the main thread's CPU,
the requests it sent, the records it handed to the check and the check's failures (both
ways must agree). The credentials are the benchmarks' (`harness.CREDENTIALS`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.harness import CREDENTIALS
from catalogsync.applier import ApplyOptions, apply_plan
from catalogsync.backend_api import Backend
from catalogsync.catalog import Kind, Ref
from catalogsync.config import load_project
from catalogsync.plan import Plan
from catalogsync.planner import index_live, renames_in
from catalogsync.report import ChangeResult
from catalogsync.verify import InEffect, Written
from catalogsync.workflow import choose_target, connected, fetch_and_plan


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.verify_read", description=__doc__)
    parser.add_argument("project", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.update(CREDENTIALS)
    asyncio.run(_replay(args.project, args.runs))
    return 0


async def _replay(folder: Path, runs: int) -> None:
    project = load_project(folder)
    choice = choose_target(project, None)
    async with connected(project, choice, "write") as backend:
        _, live, plan = await fetch_and_plan(project, choice, backend)
        ids = index_live(live, renames_in(plan)).ids()
        counts = dict(live.count())
        report = await apply_plan(plan, backend, live, options=ApplyOptions(verify=False))
        results = {r.ref: r for r in report.results}
        ids |= {r.ref: r.remote_id for r in report.results if r.remote_id}
        # with the products' names the read before the writes saw, as `apply` hands them
        written = InEffect(plan.changes, results).written(ids, live)
        del live
        for run in range(runs):
            for way in ("whole", "targeted"):
                line = await _read(backend, plan, results, written, counts, way)
                print(json.dumps({"run": run, "read": way, **line}), flush=True)


async def _read(
    backend: Backend,
    plan: Plan,
    results: dict[Ref, ChangeResult],
    written: Written,
    counts: dict[Kind, int],
    way: str,
) -> dict[str, object]:
    check = InEffect(plan.changes, results)
    before = int(backend.stats().get("requests", 0))
    backend.expect_counts(lambda: counts)
    wall, cpu = time.perf_counter(), time.thread_time()
    if way == "whole":
        records = await backend.fetch_live_into(check.see)
    else:
        records = await backend.fetch_written_into(written, check.see)
    failures = check.failures()
    return {
        "wall_s": round(time.perf_counter() - wall, 3),
        "main_cpu_s": round(time.thread_time() - cpu, 3),
        "requests": int(backend.stats().get("requests", 0)) - before,
        "records": records,
        "failures": len(failures),
        "load": Path("/proc/loadavg").read_text().split()[0],
    }


if __name__ == "__main__":
    raise SystemExit(main())
