"""Smoke test of `python -m benchmarks run`: a tiny catalog, no latency, well-formed results.

It keeps the benchmark command from rotting; the numbers themselves are not checked here
(timings are for `benchmarks/results/`, never for tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.floor import Phase, pages, scenario_floor

pytestmark = pytest.mark.loopback


def test_pages_count_the_short_page_that_ends_the_read() -> None:
    assert [pages(n) for n in (0, 1, 9_999, 10_000, 10_001, 150_000)] == [1, 1, 1, 2, 2, 16]


def test_the_floor_adds_phases_each_bound_by_chain_concurrency_or_rate() -> None:
    floor = scenario_floor(
        {"PRODUCT": 50_000, "PACKAGE": 5_000, "PACKAGE_PRODUCT": 150_000},
        [{"PRODUCT create": 401, "PACKAGE create": 1}, {"PACKAGE_PRODUCT create": 0}],
        latency_s=0.05,
    )
    assert [(p.name, p.requests, p.chain) for p in floor.phases] == [
        ("login", 1, 1),
        ("read", 6 + 1 + 16, 16),
        ("write wave 0", 3 + 1, 1),
    ]
    assert floor.requests == 28
    # login 50 ms; reads: 23 requests at 15/s (22/15 + 0.05) beat 16 pages in a row (0.8 s);
    # wave 0: 4 batches, one round trip at concurrency 4, but 3/15 + 0.05 at the rate limit
    assert floor.seconds == pytest.approx(0.05 + (22 / 15 + 0.05) + (3 / 15 + 0.05))
    assert floor.phase_seconds(Phase("empty", 0)) == 0.0


def test_a_tiny_run_writes_results_with_floors_and_ratios(tmp_path: Path) -> None:
    out = tmp_path / "results"
    code = main(
        [
            "run",
            "--sizes",
            "XS",
            "--latency-ms",
            "0",
            "--rate-limit",
            "0",
            "--scenarios",
            "cold-apply,noop-plan",
            "--naive-sample",
            "6",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    rows = {row["scenario"]: row for row in results["sizes"]["XS"]["scenarios"]}
    assert sorted(rows) == ["cold-apply", "noop-plan"]
    for row in rows.values():
        assert row["ok"] is True
        assert row["floor"]["requests"] > 0 and row["floor"]["seconds"] >= 0
        assert row["requests_ratio"] == pytest.approx(
            row["requests"] / row["floor"]["requests"], abs=1e-3
        )
        assert row["requests"] >= row["floor"]["requests"]
        assert row["emulator_requests"] == row["requests"]  # what the client counted arrived
        assert row["peak_rss_mb"] > 0 and row["cpu_s"] > 0
        assert row["naive"]["requests"] > row["requests"]
    assert rows["noop-plan"]["client_stats"]["by_method"].get("PATCH", 0) == 0
    assert rows["cold-apply"]["client_stats"]["by_method"]["PATCH"] >= 2  # upsert batches
    assert results["sizes"]["XS"]["planning"]["live_records"] == 40 + 4 + 90
    table = (out / "results.md").read_text(encoding="utf-8")
    assert "| XS | noop-plan |" in table and "Machine:" in table
