"""Planning CPU alone: load the YAML and build the plan over a live catalog fetched once.

No HTTP is timed: the live catalog is fetched first (through the real backend, over
loopback), then `load_project_catalog` + `build_plan` run under `time.process_time`, in
this process. The best of `repeat` runs is kept (the first pays for warming caches, and
writes the project's catalog cache when it does not hold this catalog: the later runs
load from it, as a run of a command over unchanged files does).

`python -m benchmarks.planning DIR [--repeat N]` prints it for the project in DIR (e.g.
`python -m benchmarks.serve M billingplatform WORK`'s WORK/project, its emulator up);
with `--load-only`, the catalog's load alone, which needs no target (e.g. a project of
`python -m benchmarks.generate`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import CREDENTIALS
from catalogsync import collector
from catalogsync.config import Project, load_project
from catalogsync.live import LiveCatalog
from catalogsync.loader import load_project_catalog
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.workflow import choose_target, connected, plan_options


@dataclass(frozen=True)
class PlanningCpu:
    load_s: float
    plan_s: float
    changes: int
    live_records: int

    @property
    def total_s(self) -> float:
        return self.load_s + self.plan_s


def fetched_once(project_dir: Path) -> tuple[Project, PlanOptions, LiveCatalog]:
    """The project in `project_dir`, its plan options for its default target, and that
    target's live catalog, fetched once as a command fetches it (the benchmarks'
    credentials, the cyclic collector as a command has it): what the in-process probes
    then time their steps over."""
    os.environ.update(CREDENTIALS)
    collector.for_a_command()  # as the catalogsync command runs
    project = load_project(project_dir)
    choice = choose_target(project, None)

    async def fetch() -> LiveCatalog:
        async with connected(project, choice) as backend:
            return await backend.fetch_live()

    return project, plan_options(project, choice), asyncio.run(fetch())


def measure_planning(project_dir: Path, repeat: int = 2) -> PlanningCpu:
    """CPU seconds to load the project's catalog and plan it against the fetched live one."""
    project, options, live = fetched_once(project_dir)
    best: PlanningCpu | None = None
    for _ in range(repeat):
        gc.collect()
        started = time.process_time()
        desired = load_project_catalog(project)
        loaded = time.process_time()
        plan = build_plan(desired, live, options)
        planned = time.process_time()
        run = PlanningCpu(loaded - started, planned - loaded, len(plan.changes), len(live))
        if best is None or run.total_s < best.total_s:
            best = run
    assert best is not None
    return best


def measure_load(project_dir: Path, repeat: int = 3) -> float:
    """CPU seconds to load the project's catalog, the least of `repeat` runs after one that
    writes its cache entry when it is missing (no emulator needed)."""
    collector.for_a_command()
    project = load_project(project_dir)
    load_project_catalog(project)
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        load_project_catalog(project)
        best = min(best, time.process_time() - started)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.planning",
        description="CPU seconds to load a project's catalog and plan it, in process.",
    )
    parser.add_argument("project", type=Path, help="the project's folder")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the least is printed")
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="time the catalog's load alone (from its cache after the first run): no target",
    )
    args = parser.parse_args(argv)
    if args.load_only:
        load_s = measure_load(args.project, repeat=args.repeat)
        print(f"load {load_s:.3f} s (least of {args.repeat} runs after the first)")
        return
    best = measure_planning(args.project, repeat=args.repeat)
    print(
        f"load {best.load_s:.3f} s, plan {best.plan_s:.3f} s, total {best.total_s:.3f} s "
        f"({best.changes} changes over {best.live_records} live records; "
        f"least of {args.repeat} runs)"
    )


if __name__ == "__main__":
    main()
