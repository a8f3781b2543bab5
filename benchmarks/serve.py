"""A benchmark project, cold-applied, and its emulator kept up: the set-up for profiling one
command by hand.

    python -m benchmarks.serve SIZE BACKEND WORKDIR

generates the SIZE catalog (S, M, L: `generate.SIZES`), starts `catalogsync emulator serve`
for BACKEND with the benchmarks' 50 ms latency and 15 requests/s, writes the project to
WORKDIR/project, cold-applies it (printing that run's cost) and keeps the emulator up until
interrupted (Ctrl-C, SIGTERM or SIGHUP: the emulator stops with it); WORKDIR/url holds
its address. Then, for example:

    cd WORKDIR/project && CATALOGSYNC_BENCH_USER=b CATALOGSYNC_BENCH_PASSWORD=b \\
        CATALOGSYNC_BENCH_CLIENT_ID=b python -m cProfile -o plan.prof -m catalogsync plan

The project is the one `python -m benchmarks run` measures (same catalog, target and
settings), so what a profile shows is what the benchmark's row counts. With `--cold-state
DIR` the emulator starts on a copy of the state a run saved there (`cold_state.py`, as
`python -m benchmarks run --reuse-cold --cold-state DIR` does) instead of a new cold apply:
a LogiSense L cold apply takes about an hour.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.cold_state import ColdState, catalog_digest
from benchmarks.generate import SIZES, generate, write_project
from benchmarks.harness import EmulatorServer, run_catalogsync, stopped_by_signals
from benchmarks.scenarios import project_settings
from benchmarks.systems import systems_named

LATENCY_MS, RATE_LIMIT = 50.0, 15.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve", description=__doc__)
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("backend", choices=["billingplatform", "logisense"])
    parser.add_argument("workdir", type=Path)
    parser.add_argument(
        "--cold-state",
        type=Path,
        metavar="DIR",
        help="start from the cold state saved in DIR instead of a new cold apply",
    )
    args = parser.parse_args(argv)
    # Ctrl-C, SIGTERM: the emulator has been stopped on the way out
    with stopped_by_signals(), contextlib.suppress(KeyboardInterrupt):
        _serve(args)
    return 0


def _serve(args: argparse.Namespace) -> None:
    """Set up WORKDIR and keep its emulator up until interrupted."""
    system = systems_named([args.backend])[0]
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = generate(*SIZES[args.size])
    db = args.workdir / "emulator.sqlite3"
    if args.cold_state is not None:
        setting = {
            "catalog_sha256": catalog_digest(system.catalog(data)),
            "latency_ms": LATENCY_MS,
            "rate_limit": RATE_LIMIT,
        }
        ColdState.of(args.cold_state, system.name, args.size).restore(db, setting)
    with EmulatorServer(
        db, latency_ms=LATENCY_MS, rate_limit=RATE_LIMIT, backend=system.name
    ) as server:
        target, settings = project_settings(system, server)
        project = write_project(
            args.workdir / "project", system.catalog(data), target, settings, backend=system.name
        )
        if args.cold_state is None:
            cold = run_catalogsync(project, "apply", "--auto-approve")
            print(
                f"cold apply: exit {cold.exit_code}, {cold.wall_s:.1f} s wall,"
                f" {cold.cpu_s:.1f} s CPU, {cold.requests} requests",
                flush=True,
            )
        print(f"emulator at {server.url} (Ctrl-C stops it)", flush=True)
        (args.workdir / "url").write_text(server.url + "\n", encoding="utf-8")
        while True:
            time.sleep(60)


if __name__ == "__main__":
    raise SystemExit(main())
