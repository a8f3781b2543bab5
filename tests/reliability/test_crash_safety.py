"""Crash safety: `catalogsync apply` killed with SIGKILL at seeded random points, 20 times.

The emulator runs in this process (over loopback) and outlives the apply process, as a
billing system outlives a CI runner that dies. Each run starts from a seeded live state,
starts the apply as a real subprocess, kills it once the emulator has answered a random
number of requests (plus a random few milliseconds, so some kills land mid-request), and
then applies again in process: it must exit 0, re-plan empty, leave no natural key live
twice and lose nothing that was live before.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.harness import (
    BACKENDS,
    CREDENTIALS,
    RESULTS,
    BackendCase,
    Row,
    cli_run,
    compare_live,
    replan_refs,
    seed_live_state,
    served,
    write_served_project,
)

pytestmark = pytest.mark.reliability

RUNS = 20
#: Small batches: the apply of the small catalog takes a few dozen requests to interrupt.
SETTINGS = {"batch_size": 20, "concurrency": 4}
#: Requests an uninterrupted apply of the small catalog needs, about (kills land within).
APPLY_REQUESTS = 30


def _kill_during_apply(project: Path, emulator_total: object, kill_at: int, jitter: float) -> int:
    """Start `apply` as a subprocess; SIGKILL it after `kill_at` emulator requests.

    Returns the process's exit status (-9 when killed, 0 when it finished first).
    """
    assert callable(emulator_total)
    command = [sys.executable, "-m", "catalogsync", "-C", str(project), "apply", "--auto-approve"]
    env = {**os.environ, **CREDENTIALS}
    with subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        deadline = time.monotonic() + 120
        while process.poll() is None and emulator_total() < kill_at:
            assert time.monotonic() < deadline, "the apply neither progressed nor finished"
            time.sleep(0.002)
        time.sleep(jitter)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        _, err = process.communicate(timeout=30)
        if process.returncode not in (0, -signal.SIGKILL):
            pytest.fail(f"apply exited {process.returncode} before the kill: {err.decode()}")
        return process.returncode


@pytest.mark.parametrize("case", BACKENDS, ids=lambda c: c.name)
def test_apply_killed_at_random_points_converges(case: BackendCase, tmp_path: Path) -> None:
    row = Row("crash safety", case.name, f"SIGKILL after a random request (1-{APPLY_REQUESTS})")
    RESULTS.append(row)
    full = case.small_catalog()
    problems = []
    for run in range(RUNS):
        rng = random.Random(run)
        kill_at, jitter = rng.randint(1, APPLY_REQUESTS), rng.uniform(0, 0.03)
        folder = tmp_path / f"run{run}"
        db = folder.with_suffix(".sqlite3")
        seed_live_state(case, case.seed_catalog(full), db, SETTINGS)
        with served(case, db) as (emulator, url):
            before = case.natural_keys(emulator)
            project = write_served_project(folder, case.name, full, url, SETTINGS)
            emulator.reset_stats()

            code = _kill_during_apply(
                project, lambda: int(emulator.stats()["total"]), kill_at, jitter
            )
            time.sleep(0.1)  # let the server finish a request the dead client left in flight
            again = cli_run(project, "apply", "--auto-approve")
            converged = again.code == 0 and not replan_refs(project)
            check = compare_live(before, case.natural_keys(emulator))
        row.add(code, check, 0, converged)
        if not converged or check.duplicates or check.lost:
            problems.append(
                f"run {run} (kill at request {kill_at}): re-apply exit {again.code} "
                f"{again.err!r}, duplicates {check.duplicate_keys}, lost {check.lost_keys}"
            )
    assert not problems, "\n".join(problems)
    # the kills must mostly land inside the apply, or the suite proves little
    assert row.exit_codes[-signal.SIGKILL] >= RUNS // 2, row.exit_codes
