"""Fault matrix: an S-size apply over loopback under each fault, then a clean apply converges.

Each run starts from a seeded live state (part of the catalog with other values, plus
unmanaged objects), so the apply under test both creates and updates, and "nothing lost"
covers objects the catalog does not declare. Per run it checks:

- the exit code (0, 4 with a report, or 1 when a fetch failed before anything was written);
- report accuracy: every change the report calls succeeded is absent from a fresh plan, and
  every failed or skipped one is still in it (unless its message says the outcome is unknown);
- a second apply without faults exits 0, a re-plan is empty, no natural key is live twice,
  and every object live before the run is still there.

`CATALOGSYNC_RELIABILITY_RUNS` sets the runs per fault (default 3, seeds 1, 2, …).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from catalogsync.emulator.faults import Faults
from tests.reliability.harness import (
    BACKENDS,
    RESULTS,
    BackendCase,
    LiveCheck,
    Row,
    Run,
    cli_run,
    compare_live,
    ref_id,
    replan_refs,
    seed_live_state,
    served,
    write_served_project,
)

pytestmark = pytest.mark.reliability

RUNS = int(os.environ.get("CATALOGSYNC_RELIABILITY_RUNS", "3"))
#: Batches of 50 give each apply about 55 requests (4x the write requests of the default
#: 200), so a 10% fault hits several of them.
SETTINGS = {"batch_size": 50, "concurrency": 4}


class LatencySpikes:
    """ASGI wrapper: delay a seeded share of requests by `seconds` (beyond the client timeout).

    The emulator's own `latency_ms` delays every request alike; a spike hits some requests
    only, so the client's timeout and retry must carry the apply through. The delayed request
    is still processed afterwards, as a slow server would.
    """

    def __init__(self, share: float, seconds: float, seed: int) -> None:
        self.share = share
        self.seconds = seconds
        self.enabled = False
        self.spiked = 0
        self._rng = random.Random(seed)
        self._app: ASGIApp | None = None

    def wrap(self, app: ASGIApp) -> ASGIApp:
        self._app = app
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._app is not None
        if self.enabled and scope["type"] == "http" and self._rng.random() < self.share:
            self.spiked += 1
            await asyncio.sleep(self.seconds)
        await self._app(scope, receive, send)


@dataclass(frozen=True)
class Fault:
    """One column of the matrix: emulator faults, client settings, an optional app wrapper."""

    name: str
    faults: Callable[[BackendCase, int], dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    spikes: tuple[float, float] = (0.0, 0.0)  # (share of requests, seconds)


FAULTS = [
    Fault(
        "30% of requests answered 429",
        lambda case, seed: {
            "error_rate": 0.3,
            "error_statuses": (429,),
            "retry_after_seconds": 0.05,
            "seed": seed,
        },
    ),
    Fault(
        "10% of requests answered 500/502/503",
        lambda case, seed: {"error_rate": 0.1, "error_statuses": (500, 502, 503), "seed": seed},
    ),
    Fault(
        "10% of connections dropped before processing",
        lambda case, seed: {"drop_rate": 0.1, "seed": seed},
    ),
    Fault(
        "10% of connections dropped after processing",
        lambda case, seed: {"drop_rate": 0.1, "drop_after_processing": True, "seed": seed},
    ),
    Fault(
        "session expires every 20 requests",
        lambda case, seed: {"session_max_requests": 20, "seed": seed},
    ),
    Fault(
        "5% of records fail",
        lambda case, seed: {"fail_names_matching": case.five_percent_names, "seed": seed},
    ),
    Fault(
        "10% of requests take 3s, client timeout 1s",
        lambda case, seed: {"seed": seed},
        settings={"timeout_seconds": 1.0},
        spikes=(0.1, 3.0),
    ),
]

#: Words in a failure message that say the write may have happened after all.
_UNKNOWN_OUTCOME = ("may or may not", "outcome unknown", "attempts: ")


def injected_faults(stats: dict[str, Any]) -> int:
    """Error answers and dropped connections (status 0) the emulator gave; 404 is "no rows"."""
    return sum(
        n
        for status, n in stats["by_status"].items()
        if status == 0 or (status >= 400 and status != 404)
    )


def report_mismatches(report: dict[str, Any], pending: set[str]) -> list[str]:
    """Changes whose reported outcome disagrees with the live state (via a fresh plan)."""
    wrong = []
    for result in report["results"]:
        key, outcome = ref_id(result["ref"]), result["outcome"]
        if outcome == "succeeded" and key in pending:
            wrong.append(f"reported succeeded but not live: {key}")
        elif (
            outcome != "succeeded"
            and key not in pending
            and not any(word in result["message"] for word in _UNKNOWN_OUTCOME)
        ):
            wrong.append(f"reported {outcome} but live as desired: {key} {result['message']}")
    return wrong


@dataclass
class Outcome:
    code: int
    check: LiveCheck
    mismatches: list[str]
    converged: bool
    injected: int
    clean: Run


def run_once(case: BackendCase, fault: Fault, seed: int, folder: Path) -> Outcome:
    """Seed, apply the full catalog under the fault, then apply again without it."""
    full = case.catalog()
    spikes = LatencySpikes(*fault.spikes, seed=seed)
    db = folder.with_suffix(".sqlite3")
    seed_live_state(case, case.seed_catalog(full), db, SETTINGS)
    with served(case, db, spikes.wrap) as (emulator, url):
        before = case.natural_keys(emulator)
        settings = {**SETTINGS, **fault.settings}
        project = write_served_project(folder, case.name, full, url, settings)

        emulator.faults = Faults(**fault.faults(case, seed))
        emulator.reset_stats()
        spikes.enabled = True
        faulty = cli_run(project, "apply", "--auto-approve", "--format", "json")
        spikes.enabled = False
        emulator.faults = Faults()
        if fault.settings:  # the checks below run without the fault's client settings too:
            # a 1 s timeout on full reads fails them on a busy machine (parallel workers)
            write_served_project(project, case.name, full, url, SETTINGS)
        injected = injected_faults(emulator.stats()) + spikes.spiked

        assert faulty.code in (0, 1, 4), faulty.err
        assert "Traceback" not in faulty.err and "internal error" not in faulty.err
        mismatches: list[str] = []
        if faulty.code in (0, 4):
            report = json.loads(faulty.out)
            injected += report["summary"]["failed"]
            mismatches = report_mismatches(report, replan_refs(project))
        else:  # exit 1: one readable error, and nothing was written
            assert faulty.err.startswith("Error: "), faulty.err
            assert case.natural_keys(emulator) == before
        clean = cli_run(project, "apply", "--auto-approve")
        converged = clean.code == 0 and not replan_refs(project)
        check = compare_live(before, case.natural_keys(emulator))
    return Outcome(faulty.code, check, mismatches, converged, injected, clean)


@pytest.mark.parametrize("case", BACKENDS, ids=lambda c: c.name)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_apply_under_fault_reports_truthfully_and_converges(
    case: BackendCase, fault: Fault, tmp_path: Path
) -> None:
    row = Row("fault matrix", case.name, fault.name)
    RESULTS.append(row)
    problems: list[str] = []
    for seed in range(1, RUNS + 1):
        out = run_once(case, fault, seed, tmp_path / f"run{seed}")
        row.add(out.code, out.check, len(out.mismatches), out.converged, out.injected)
        if not out.injected:
            problems.append(f"seed {seed}: the fault was never injected")
        if out.mismatches or not out.converged or out.check.duplicates or out.check.lost:
            problems.append(
                f"seed {seed}: exit {out.code}, clean apply {out.clean.code} {out.clean.err!r}, "
                f"duplicates {out.check.duplicate_keys}, lost {out.check.lost_keys}, "
                f"report mismatches {out.mismatches[:5]}"
            )
    assert not problems, "\n".join(problems)
