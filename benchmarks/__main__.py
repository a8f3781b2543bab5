"""`python -m benchmarks run`: request efficiency and scale against the API's floor.

    python -m benchmarks compare BEFORE.json AFTER.json
    python -m benchmarks run [--sizes S,M,L] [--latency-ms 50] [--rate-limit 15]
                             [--backends billingplatform,logisense]
                             [--scenarios cold-apply,noop-plan,change-1pct,drift,export]
                             [--out benchmarks/results] [--naive-sample 60]
                             [--cold-state DIR] [--reuse-cold]

For each backend (`systems.py`; default: both) and size: a synthetic catalog
(`generate.py`), a fresh emulator process (`catalogsync emulator serve --backend`, SQLite
file, injected latency and rate limit), the scenarios in order (`scenarios.py`), planning
CPU in-process (`planning.py`) and, for BillingPlatform, the naive baseline (`naive.py`).
Writes `results.json` and `results.md` to `--out`, each row compared with the results
already there (`compare.py`: regressions over 10% are flagged there and on stdout).
Each cold apply's emulator state is saved (`cold_state.py`, default `OUT/cold-state`);
`--reuse-cold` measures the later scenarios on a copy of it, without a new cold apply.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.cold_state import ColdState, ColdStateError, catalog_digest, code_version
from benchmarks.compare import Regression, before_after, regressions, still_flagged
from benchmarks.compare import load as load_previous
from benchmarks.generate import SIZES, generate
from benchmarks.harness import (
    EmulatorServer,
    fresh_dir,
    python_speed_seconds,
    startup_seconds,
    stopped_by_signals,
)
from benchmarks.naive import sample_rates
from benchmarks.planning import measure_planning
from benchmarks.report import machine, write_results
from benchmarks.scenarios import Result, run_size
from benchmarks.systems import SYSTEMS, Shape, System, systems_named

SCENARIOS = ("cold-apply", "noop-plan", "change-1pct", "drift", "export")
#: Sizes beyond S/M/L, for the smoke test: (products, packages, package-products).
EXTRA_SIZES = {"XS": (40, 4, 90)}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _naive_requests(result: Result, shape: Shape) -> tuple[int, int]:
    """Reads and writes a one-request-per-object tool needs for the scenario."""
    objects = shape.products + shape.packages + shape.package_products
    if result.scenario == "cold-apply":
        return 0, objects
    writes = sum(p.requests for p in result.floor.phases if p.name.startswith("write"))
    if result.scenario == "change-1pct":
        writes = int(result.extra.get("changed_objects", 0))
    return objects, writes


def _kept(earlier: dict[str, Any], rerun: set[tuple[str, str]]) -> dict[str, Any]:
    """Backends and sizes measured by an earlier run into the same folder and not measured
    again now (an L run takes long: it can be run on its own and join S and M's results)."""
    kept: dict[str, Any] = {}
    for backend, block in earlier.get("backends", {}).items():
        sizes = {s: b for s, b in block.get("sizes", {}).items() if (backend, s) not in rerun}
        if sizes:
            kept[backend] = {**block, "sizes": sizes}
    return kept


def run(
    sizes: Sequence[str],
    scenarios: Sequence[str],
    latency_ms: float,
    rate_limit: float,
    out: Path,
    naive_sample: int,
    backends: Sequence[str] = ("billingplatform",),
    cold_state: Path | None = None,
    reuse_cold: bool = False,
    repeat: int = 1,
) -> dict[str, Any]:
    """Run the benchmarks and write the results (with the regressions against the results
    already in `out`); returns them. Cold states are saved under `cold_state` (default
    `out/cold-state`); `reuse_cold` starts from them instead of a new cold apply; the
    read-only scenarios keep the fastest of `repeat` runs."""
    cold = _ColdStates(cold_state or out / "cold-state", reuse_cold)
    table = {**SIZES, **EXTRA_SIZES}
    systems = systems_named(backends)
    measured = {(system.name, size) for system in systems for size in sizes}
    previous = load_previous(out / "results.json")
    kept_regressions = still_flagged(previous, measured)
    results: dict[str, Any] = {
        "machine": machine(),
        "latency_ms": latency_ms,
        "rate_limit": rate_limit,
        "startup_s": round(startup_seconds(1 if sizes == ["XS"] else 3), 3),
        "backends": _kept(previous, measured),
    }
    for system in systems:
        block = results["backends"].setdefault(system.name, {"sizes": {}})
        block["formula"] = system.formula
        for size in sizes:
            block["sizes"][size] = _run_size(
                system,
                size,
                table[size],
                scenarios,
                out,
                naive_sample,
                (latency_ms, rate_limit),
                cold,
                repeat,
            )
            found = [r.as_dict() for r in regressions(previous, results, measured)]
            results["regressions"] = kept_regressions + found
            write_results(results, out)  # after each size, so a long L run keeps S and M
    return results


class _ColdStates:
    """Where cold states are saved, and whether this run starts from them."""

    def __init__(self, root: Path, reuse: bool) -> None:
        self.root, self.reuse = root, reuse

    def reused_row(
        self, system: System, size: str, db: Path, setting: dict[str, Any]
    ) -> dict[str, Any] | None:
        """With --reuse-cold: the saved database copied to `db`, and the saved row."""
        if not self.reuse:
            return None
        _log(f"  {system.name} cold-apply: reusing {self.root / system.name / size}")
        return ColdState.of(self.root, system.name, size).restore(db, setting)

    def saver(
        self, system: System, size: str, db: Path, setting: dict[str, Any]
    ) -> Callable[[Result], None]:
        def save(result: Result) -> None:
            state = ColdState.of(self.root, system.name, size)
            state.save(db, result.as_dict(), setting)
            _log(f"    cold state saved in {state.folder}")

        return save


def _run_size(
    system: System,
    size: str,
    counts: tuple[int, int, int],
    scenarios: Sequence[str],
    out: Path,
    naive_sample: int,
    limits: tuple[float, float],
    cold: _ColdStates,
    repeat: int = 1,
) -> dict[str, Any]:
    """One backend at one size: its scenarios, planning CPU and naive baseline."""
    latency_ms, rate_limit = limits
    _log(f"{system.name} size {size}: {counts} (products, packages, package-products)")
    started = time.perf_counter()
    # (not for the smoke runs' XS: ~1 s a loop, and nothing there compares)
    speed = None if size in EXTRA_SIZES else round(python_speed_seconds(), 3)
    data = generate(*counts)
    shape = Shape.of(data)
    work = fresh_dir(out / "work" / system.name / size)
    db = work / "emulator.sqlite3"
    setting = {
        "catalog_sha256": catalog_digest(system.catalog(data)),
        "latency_ms": latency_ms,
        "rate_limit": rate_limit,
    }
    wanted = set(scenarios)
    # With --reuse-cold every scenario starts from the saved state, whether or not the cold
    # apply is asked for (the others once set it up by a new one: 11 min at LogiSense M);
    # the saved row is shown only when the cold apply is asked for.
    restored = cold.reused_row(system, size, db, setting)
    reused = restored if "cold-apply" in wanted else None
    if restored is not None:
        wanted.discard("cold-apply")
    with EmulatorServer(
        db, latency_ms=latency_ms, rate_limit=rate_limit, backend=system.name
    ) as server:
        rows = run_size(
            data,
            work,
            server,
            wanted,
            _log,
            system,
            on_cold_applied=cold.saver(system, size, db, setting),
            cold_applied_before=restored is not None,
            repeat=repeat,
        )
        planning = measure_planning(work / "project", repeat=1 if size == "L" else 2)
        naive = None
        if naive_sample and system.has_naive:
            naive = sample_rates(server.url, naive_sample, rate_limit)
    block_rows = []
    if reused is not None:
        if naive is not None:
            reused["naive"] = naive.estimate(
                0, shape.products + shape.packages + shape.package_products
            )
        block_rows.append(reused)
    for row in rows:
        data_row = row.as_dict()
        if naive is not None and row.run is not None:
            data_row["naive"] = naive.estimate(*_naive_requests(row, shape))
        block_rows.append(data_row)
    return {
        "counts": {
            "products": shape.products,
            "packages": shape.packages,
            "package_products": shape.package_products,
            "package_products_by_depth": list(shape.pp_by_depth),
        },
        "scenarios": block_rows,
        "planning": {
            "load_s": round(planning.load_s, 3),
            "plan_s": round(planning.plan_s, 3),
            "total_s": round(planning.total_s, 3),
            "changes": planning.changes,
            "live_records": planning.live_records,
        },
        "seconds": round(time.perf_counter() - started, 1),
        "python_loop_s": speed,
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": code_version(),
    }


def _at_least_one(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text}: at least 1")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("run", help="run the benchmarks and write the results")
    command.add_argument(
        "--sizes", default="S,M", help="comma-separated: S, M, L (XS for a smoke run)"
    )
    command.add_argument("--scenarios", default=",".join(SCENARIOS))
    command.add_argument(
        "--backends", default=",".join(SYSTEMS), help=f"comma-separated: {', '.join(SYSTEMS)}"
    )
    command.add_argument("--latency-ms", type=float, default=50.0)
    command.add_argument("--rate-limit", type=float, default=15.0)
    command.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    command.add_argument("--naive-sample", type=int, default=60, help="0: skip the naive baseline")
    command.add_argument(
        "--cold-state",
        type=Path,
        default=None,
        help="where each cold apply's emulator state is saved and --reuse-cold finds it "
        "(default: OUT/cold-state)",
    )
    command.add_argument(
        "--reuse-cold",
        action="store_true",
        help="no new cold apply: start from the saved cold state, keep its cold-apply row "
        "and measure the scenarios after it",
    )
    command.add_argument(
        "--repeat",
        type=_at_least_one,
        default=1,
        metavar="N",
        help="run each read-only scenario (no-op plan, drift, export) N times and keep the "
        "fastest, every run's wall time beside it: one run of the same code can swing by "
        "a quarter on a shared machine",
    )
    compare = commands.add_parser(
        "compare", help="every row two results share, before → after, regressions named"
    )
    compare.add_argument("before", type=Path, help="a results.json (e.g. the committed one)")
    compare.add_argument("after", type=Path, help="a later results.json")
    args = parser.parse_args(argv)
    if args.command == "compare":
        previous, current = load_previous(args.before), load_previous(args.after)
        if not current:
            parser.error(f"{args.after}: no results there")
        print("\n".join(before_after(previous, current)))
        return 0
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in {**SIZES, **EXTRA_SIZES}]
    unknown += [s for s in scenarios if s not in SCENARIOS]
    backends = [b.strip().lower() for b in args.backends.split(",") if b.strip()]
    unknown += [b for b in backends if b not in SYSTEMS]
    if unknown:
        parser.error(f"unknown size or scenario: {', '.join(unknown)}")
    try:
        with stopped_by_signals():  # SIGTERM too stops the emulator and the measured command
            results = run(
                sizes,
                scenarios,
                args.latency_ms,
                args.rate_limit,
                args.out,
                args.naive_sample,
                backends,
                args.cold_state,
                args.reuse_cold,
                args.repeat,
            )
    except ColdStateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print((args.out / "results.md").read_text(encoding="utf-8"))
    for regression in results.get("regressions", []):
        print(f"REGRESSION: {Regression(**regression).line()}")
    missed = [
        row
        for system in results["backends"].values()
        for block in system["sizes"].values()
        for row in block["scenarios"]
        if row.get("ok") is False
    ]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
