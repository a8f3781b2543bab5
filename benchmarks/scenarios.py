"""The scenarios of one catalog size, run in order against one emulator process.

cold apply (empty live) → no-op plan → plan + apply of a 1% change → drift (after a few
edits "in the billing UI") → export. Each is one catalogsync process, measured by
`harness.run_catalogsync`, and set beside its floor (`floor.py`, `floor_logisense.py`).
What differs between billing systems comes from a `systems.System`.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.floor import BATCH_SIZE, CONCURRENCY, Floor
from benchmarks.generate import write_project
from benchmarks.harness import (
    CLIENT_ID_ENV,
    PASSWORD_ENV,
    USER_ENV,
    EmulatorServer,
    Run,
    catalogsync_command,
    run_catalogsync,
)
from benchmarks.systems import BILLINGPLATFORM, Shape, System

#: The scenarios that leave the emulator as they found it, so may be run again as they are.
REPEATABLE = frozenset({"noop-plan", "drift", "export"})


@dataclass
class Result:
    """One scenario's measurement beside its floor."""

    scenario: str
    run: Run | None
    floor: Floor
    emulator_requests: int = 0
    expected_exit: tuple[int, ...] = (0,)
    skipped: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"scenario": self.scenario, "floor": self.floor.as_dict()}
        if self.skipped or self.run is None:
            return data | {"skipped": self.skipped}
        run = self.run
        data |= {
            "wall_s": round(run.wall_s, 3),
            "requests": run.requests,
            "emulator_requests": self.emulator_requests,
            "requests_ratio": round(run.requests / self.floor.requests, 3),
            # no floor time without latency and rate limit (the smoke test's setting)
            "wall_ratio": round(run.wall_s / self.floor.seconds, 3) if self.floor.seconds else None,
            "cpu_s": round(run.cpu_s, 3),
            "peak_rss_mb": round(run.peak_rss_mb, 1),
            "exit_code": run.exit_code,
            "ok": run.exit_code in self.expected_exit,
            "stdout_bytes": run.stdout_bytes,
            "client_stats": run.stats,
        }
        if not data["ok"]:
            data["stderr_tail"] = run.stderr_tail
        return data | self.extra


def time_limit(floor: Floor) -> float:
    """How long a scenario may run before it is stopped: an hour, or four times its floor
    when that is longer (LogiSense's L cold apply is rate-bound at about 57 minutes; on a
    loaded machine it ran over a fixed hour and was stopped with 96% of its requests sent)."""
    return max(3600.0, 4 * floor.seconds)


def has_command(name: str) -> bool:
    """Whether this catalogsync has the command and its --stats flag (drift, export)."""
    found = subprocess.run(
        [*catalogsync_command(), name, "--help"], capture_output=True, text=True, check=False
    )
    return found.returncode == 0 and "--stats" in found.stdout


def project_settings(
    system: System, server: EmulatorServer
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The target and client settings of a benchmark project for `server`: credentials from
    the environment (`harness.CREDENTIALS`), and batch size, concurrency and rate limit
    matching the emulator's limits, as a user's project for that org would."""
    target: dict[str, Any] = {
        "url": server.url,
        "username": {"env": USER_ENV},
        "password": {"env": PASSWORD_ENV},
    }
    if system.client_id:
        target["client_id"] = {"env": CLIENT_ID_ENV}
    settings = {
        "rate_limit": server.rate_limit or 0.0,
        "batch_size": BATCH_SIZE,
        "concurrency": CONCURRENCY,
    }
    return target, settings


def run_size(
    data: dict[str, Any],
    work: Path,
    server: EmulatorServer,
    wanted: set[str],
    log: Callable[[str], None],
    system: System = BILLINGPLATFORM,
    *,
    on_cold_applied: Callable[[Result], None] | None = None,
    cold_applied_before: bool = False,
    repeat: int = 1,
) -> list[Result]:
    """Every wanted scenario for one catalog (BillingPlatform-shaped `data`, written in
    `system`'s format), in order (later ones need earlier state).

    The project's client settings match the emulator's limits (batch 200, 4 in flight,
    the same rate limit), as a user's project for that org would. `on_cold_applied` is
    called with the cold apply's result while the emulator holds its state (to save it:
    `cold_state.py`); `cold_applied_before` says the emulator started from such a saved
    state, so the project's catalog cache is first written by an unmeasured `validate`,
    as the cold apply would have written it. The read-only scenarios (`REPEATABLE`) run
    `repeat` times each and keep their fastest run (a loaded machine only ever adds), with
    every run's wall time beside it; a run that failed is kept instead, so it shows.
    """
    shape = Shape.of(data)
    latency_s, rate = server.latency_ms / 1000, server.rate_limit or 0.0
    target, settings = project_settings(system, server)
    catalog = system.catalog(data)
    project = write_project(work / "project", catalog, target, settings, backend=system.name)
    results: list[Result] = []
    # Each scenario starts from the state the ones before it leave (the catalog applied,
    # then changed by 1%): one that is not wanted still runs, unmeasured, when a wanted one
    # after it needs that state, so `--scenarios drift` measures what a full run measures.
    needs_state = {
        "cold-apply": bool(wanted - {"cold-apply"}) and not cold_applied_before,
        "change-1pct": bool(wanted & {"drift", "export"}),
    }

    def measure(
        name: str,
        args: list[str],
        floor: Floor,
        expected: int,
        before_each: Callable[[], None] = lambda: None,
    ) -> None:
        if name not in wanted:
            if needs_state.get(name):
                set_up(name, args, floor)
            return
        log(f"  {system.name} {name}: catalogsync {' '.join(args)}")
        runs: list[tuple[Run, int]] = []
        for _ in range(repeat if name in REPEATABLE else 1):
            before_each()
            server.reset_stats()
            run = run_catalogsync(project, *args, timeout_s=time_limit(floor))
            runs.append((run, server.stats()["total"]))
            log(
                f"    {run.wall_s:.2f}s, {run.requests} requests (floor {floor.requests}), "
                f"exit {run.exit_code}"
            )
        failed = [each for each in runs if each[0].exit_code != expected]
        run, arrived = failed[0] if failed else min(runs, key=lambda each: each[0].wall_s)
        results.append(Result(name, run, floor, arrived, (expected,)))
        if len(runs) > 1:
            results[-1].extra["runs_wall_s"] = [round(each.wall_s, 3) for each, _ in runs]

    def set_up(name: str, args: list[str], floor: Floor) -> None:
        log(f"  {system.name} {name} (set-up, not measured): catalogsync {' '.join(args)}")
        run = run_catalogsync(project, *args, timeout_s=time_limit(floor))
        if run.exit_code != 0:
            raise RuntimeError(f"{name} (set-up) exited {run.exit_code}")

    read_floor = system.read_floor(shape, latency_s, rate)
    cold = system.cold_apply_floor(shape, latency_s, rate)
    measure("cold-apply", ["apply", "--auto-approve"], cold, 0)
    if on_cold_applied is not None and results and results[-1].scenario == "cold-apply":
        on_cold_applied(results[-1])
    if cold_applied_before:
        command = [*catalogsync_command(), "-C", str(project), "validate"]
        warm = subprocess.run(command, capture_output=True, text=True, check=False)
        if warm.returncode != 0:
            raise RuntimeError(f"validate before the reused cold state: {warm.stderr[-2000:]}")
    measure("noop-plan", ["plan"], read_floor, 0)

    change = system.change(catalog)
    write_project(project, change.data, target, settings, backend=system.name)
    change_floor = system.change_floor(shape, change, latency_s, rate)
    measure("change-1pct", ["apply", "--auto-approve"], change_floor, 0)
    if results and results[-1].scenario == "change-1pct":
        results[-1].extra["changed_objects"] = change.objects
    for name, args, expected in (
        ("drift", ["drift"], 2),
        ("export", ["export", "--out", str(work / "exported")], 0),
    ):
        if name not in wanted:
            continue
        if not has_command(args[0]):
            skipped = "command not available yet"
            results.append(Result(name, None, read_floor, skipped=skipped))
            continue
        if name == "drift":
            asyncio.run(system.edit_in_ui(server.url, change.data))
        measure(name, args, read_floor, expected, functools.partial(_remove, work / "exported"))
    return results


def _remove(folder: Path) -> None:
    """Each export run writes into a folder of its own making, as the first one did."""
    shutil.rmtree(folder, ignore_errors=True)
