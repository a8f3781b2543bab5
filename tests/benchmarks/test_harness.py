"""Smoke test of `python -m benchmarks run`: a tiny catalog, no latency, well-formed results.

It keeps the benchmark command from rotting; the numbers themselves are not checked here
(timings are for `benchmarks/results/`, never for tests).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks import child_usage, emulator_pages, floor_logisense
from benchmarks.__main__ import _kept, main
from benchmarks.cold_state import ColdState, ColdStateError, catalog_digest
from benchmarks.compare import load, regressions, still_flagged
from benchmarks.floor import Phase, pages, scenario_floor
from benchmarks.generate import SIZES, generate
from benchmarks.harness import CREDENTIALS
from benchmarks.report import markdown
from benchmarks.scenarios import time_limit
from benchmarks.systems import BILLINGPLATFORM
from tests.clirun import run

ROOT = Path(__file__).resolve().parents[2]

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


def test_an_apply_s_floor_reads_back_only_the_entities_it_wrote_whole_or_by_id() -> None:
    """DESIGN.md §8: an apply re-reads what it wrote. Per entity written, the fewer of its
    whole read's pages and `Id IN` statements of 1,000 ids; an entity not written, nothing."""
    after = {"PRODUCT": 50_000, "PACKAGE": 5_000, "PACKAGE_PRODUCT": 150_000}
    waves = [{"PRODUCT update": 500, "PACKAGE_PRODUCT update": 1_500}]
    written = {"PRODUCT": 500, "PACKAGE_PRODUCT": 1_500}
    targeted = scenario_floor(after, waves, latency_s=0.05, verify=after, written=written)
    assert targeted.phases[-1] == Phase("verify read", 1 + 2, 1)
    # every record written (a cold apply): each entity's whole read is fewer requests
    whole = scenario_floor(after, waves, latency_s=0.05, verify=after)
    assert whole.phases[-1] == Phase("verify read", 6 + 1 + 16, 16)
    # a small entity written whole, a large one written a little: one of each way (the
    # whole read of PACKAGE alone fills no page, so a COUNT proves its end, after it)
    mixed = {"PACKAGE": 5_000, "PACKAGE_PRODUCT": 10}
    floor = scenario_floor(after, waves, latency_s=0.05, verify=after, written=mixed)
    assert floor.phases[-1] == Phase("verify read", 1 + 1 + 1, 2)


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
            "--backends",
            "billingplatform",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    block = results["backends"]["billingplatform"]
    rows = {row["scenario"]: row for row in block["sizes"]["XS"]["scenarios"]}
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
    assert block["sizes"]["XS"]["planning"]["live_records"] == 40 + 4 + 90
    table = (out / "results.md").read_text(encoding="utf-8")
    assert "| XS | noop-plan |" in table and "Machine:" in table


def test_each_size_keeps_the_machine_s_speed_when_it_was_measured() -> None:
    from benchmarks.harness import python_speed_seconds
    from benchmarks.report import _speed

    assert 0 < python_speed_seconds(1) < 60
    assert _speed({"python_loop_s": 0.8}) == "; a 10M-step Python loop took 0.80 s then"
    assert _speed({"python_loop_s": None}) == _speed({}) == ""  # XS, and older results


@pytest.mark.benchmark_harness
def test_a_scenario_run_alone_starts_from_the_state_a_full_run_gives_it(tmp_path: Path) -> None:
    """`--scenarios drift`: the cold apply and the 1% change run first, unmeasured, so the
    drift it measures is the full run's (it once ran against an empty emulator)."""
    out = tmp_path / "results"
    args = ["run", "--sizes", "XS", "--latency-ms", "0", "--rate-limit", "0"]
    args += ["--scenarios", "drift", "--naive-sample", "0", "--out", str(out)]
    assert main([*args, "--backends", "billingplatform"]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    (row,) = results["backends"]["billingplatform"]["sizes"]["XS"]["scenarios"]
    assert row["scenario"] == "drift"
    assert row["ok"] is True and row["exit_code"] == 2  # the UI edits, and nothing else
    assert row["requests"] == row["floor"]["requests"]


@pytest.mark.benchmark_harness
def test_read_only_scenarios_repeated_keep_their_fastest_run(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["run", "--sizes", "XS", "--latency-ms", "0", "--rate-limit", "0", "--repeat", "3"]
    args += ["--scenarios", "cold-apply,noop-plan,change-1pct,drift,export"]
    args += ["--naive-sample", "0", "--out", str(out), "--backends", "billingplatform"]
    assert main(args) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    rows = results["backends"]["billingplatform"]["sizes"]["XS"]["scenarios"]
    by_name = {row["scenario"]: row for row in rows}
    for name in ("noop-plan", "drift", "export"):  # each export into a new folder: all ok
        row = by_name[name]
        assert row["ok"] is True and len(row["runs_wall_s"]) == 3
        assert row["wall_s"] == min(row["runs_wall_s"])
    for name in ("cold-apply", "change-1pct"):  # they change the emulator: once
        assert "runs_wall_s" not in by_name[name]


@pytest.mark.benchmark_harness
def test_a_tiny_logisense_run_meets_its_own_floor(tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ["run", "--sizes", "XS", "--latency-ms", "0", "--rate-limit", "0"]
    args += ["--scenarios", "cold-apply", "--backends", "logisense", "--out", str(out)]
    assert main(args) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert list(results["backends"]) == ["logisense"]
    rows = {r["scenario"]: r for r in results["backends"]["logisense"]["sizes"]["XS"]["scenarios"]}
    for row in rows.values():
        assert row["ok"] is True
        assert row["requests"] >= row["floor"]["requests"]
        assert row["emulator_requests"] == row["requests"]
        assert "naive" not in row  # the naive baseline samples BillingPlatform only
    assert list(rows) == ["cold-apply"]
    assert "## LogiSense" in (out / "results.md").read_text(encoding="utf-8")


def test_the_logisense_floor_counts_one_post_per_service_and_batched_packages() -> None:
    counts = floor_logisense.Counts(1_000, 100, 3_000)
    cold = floor_logisense.cold_apply(counts, latency_s=0.05, rate_limit=15)
    assert [(p.name, p.requests, p.chain) for p in cold.phases] == [
        ("login", 1, 1),
        ("read", 6 + 2, 1),
        # 1,000 service POSTs; the first package POSTed, 99 more x 3 items in 2 PATCHes
        ("write wave 0", 1_000 + 1 + 2, 2),
        ("write wave 1", 16, 1),  # 3,000 package services + 100 package items, 200 a PATCH
        ("verify read", 2, 1),
    ]
    read = floor_logisense.read_only(
        floor_logisense.Counts(50_000, 5_000, 0), latency_s=0.05, rate_limit=15
    )
    assert read.requests == 1 + 6 + 5 + 1


def _results(requests: int, cpu: float, sizes: str = "backends") -> dict[str, object]:
    row = {"scenario": "cold-apply", "requests": requests, "cpu_s": cpu, "wall_s": 2.0}
    block = {"S": {"scenarios": [row]}}
    if sizes == "old":  # the layout before LogiSense joined: BillingPlatform's sizes on top
        return {"sizes": block}
    return {"backends": {"billingplatform": {"sizes": block}}}


def test_regressions_over_ten_percent_are_flagged_against_the_old_layout_too(
    tmp_path: Path,
) -> None:
    before = tmp_path / "results.json"
    before.write_text(json.dumps(_results(100, 1.0, "old")), encoding="utf-8")
    previous = load(before)
    measured = {("billingplatform", "S")}
    assert regressions(previous, _results(110, 1.1), measured) == []  # 10% is not over
    found = regressions(previous, _results(111, 0.5), measured)
    assert [(r.metric, r.before, r.after) for r in found] == [("requests", 100, 111)]
    assert found[0].line() == "billingplatform S cold-apply: requests 100 → 111 (+11%)"
    assert regressions(previous, _results(200, 9.0), {("logisense", "S")}) == []  # not rerun
    assert regressions({}, _results(200, 9.0), measured) == []  # nothing to compare with


def test_the_report_lists_each_regression() -> None:
    results = {
        "machine": {"cpu": "x", "cores": 2, "memory_gb": 1, "os": "Linux", "python": "3.11"},
        "latency_ms": 50,
        "rate_limit": 15,
        "startup_s": 0.4,
        "backends": {},
        "regressions": [
            {
                "backend": "logisense",
                "size": "S",
                "scenario": "drift",
                "metric": "cpu_s",
                "before": 1.0,
                "after": 1.5,
            }
        ],
    }
    text = markdown(results)
    assert "Regressions against the previous results (over 10%): 1" in text
    assert "- logisense S drift: CPU s 1 → 1.5 (+50%)" in text
    results["regressions"] = []
    assert "no regression over 10%" in markdown(results)


def test_a_commands_peak_memory_is_its_own_not_the_harness_s(tmp_path: Path) -> None:
    """A child forked by a large process would count that process's memory in its peak RSS;
    `child_usage.py` forks the command from a small process instead."""
    ballast = bytearray(300 * 1024 * 1024)  # the harness holding a large catalog
    ballast[::4096] = b"x" * len(ballast[::4096])  # touched, so resident
    out = tmp_path / "usage.json"
    wrapper = Path(child_usage.__file__)
    command = [sys.executable, "-S", str(wrapper), str(out), sys.executable, "-S", "-c", "pass"]
    assert subprocess.run(command, check=False).returncode == 0
    usage = json.loads(out.read_text(encoding="utf-8"))
    assert usage["peak_rss_kib"] < 100 * 1024 < len(ballast) // 1024
    assert usage["cpu_s"] >= 0 and usage["wall_s"] > 0


def test_a_later_run_keeps_the_flags_of_the_sizes_it_does_not_measure() -> None:
    flag = {"backend": "logisense", "size": "M", "scenario": "drift", "metric": "cpu_s"}
    previous = {"regressions": [flag, {**flag, "size": "L"}]}
    assert still_flagged(previous, {("logisense", "L")}) == [flag]


@pytest.mark.benchmark_harness
def test_a_reused_cold_state_measures_the_later_scenarios_without_a_new_cold_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run saves the emulator's state after its cold apply; `--reuse-cold` starts a new
    emulator from a copy of it, keeps the saved cold-apply row (marked with when and at
    which commit it was measured) and measures only what follows."""
    out, states = tmp_path / "results", tmp_path / "states"
    args = ["run", "--sizes", "XS", "--latency-ms", "0", "--rate-limit", "0"]
    args += ["--backends", "logisense", "--out", str(out), "--cold-state", str(states)]
    assert main([*args, "--scenarios", "cold-apply"]) == 0
    saved = states / "logisense" / "XS"
    assert sorted(p.name for p in saved.iterdir()) == ["cold-apply.json", "emulator.sqlite3"]
    first = load(out / "results.json")["backends"]["logisense"]["sizes"]["XS"]["scenarios"][0]
    # the emulator's own cost of the fetch's two listings, measured on the saved state
    pages = emulator_pages.measure(saved / "emulator.sqlite3", repeat=1)
    assert [line.split(",")[0] for line in pages] == [
        "Service: 40 records",
        "Package/Detail: 4 records",
    ]

    assert main([*args, "--scenarios", "cold-apply,noop-plan", "--reuse-cold"]) == 0
    block = load(out / "results.json")["backends"]["logisense"]["sizes"]["XS"]
    rows = {r["scenario"]: r for r in block["scenarios"]}
    assert list(rows) == ["cold-apply", "noop-plan"]
    reused = rows["cold-apply"].pop("reused")
    assert rows["cold-apply"] == first  # the saved measurement, not a new one
    assert reused["commit"] and reused["measured_at"]
    # the emulator started from what the saved cold apply wrote: all of it is live
    assert rows["noop-plan"]["ok"] is True
    assert rows["noop-plan"]["client_stats"]["by_method"] == {"GET": 8, "POST": 1}  # + login
    assert block["planning"]["live_records"] == 40 + 4 + 90
    assert "cold-apply reused from" in (out / "results.md").read_text(encoding="utf-8")

    # Scenarios that do not ask for the cold apply start from the saved state too (they
    # once set it up by a new cold apply: 11 minutes at LogiSense M), and show no row of it.
    capsys.readouterr()
    assert main([*args, "--scenarios", "noop-plan,export", "--reuse-cold"]) == 0
    assert "cold-apply (set-up, not measured)" not in capsys.readouterr().err
    block = load(out / "results.json")["backends"]["logisense"]["sizes"]["XS"]
    rows = {r["scenario"]: r for r in block["scenarios"]}
    assert list(rows) == ["noop-plan", "export"]
    assert rows["noop-plan"]["ok"] is True and rows["export"]["ok"] is True
    assert block["planning"]["live_records"] == 40 + 4 + 90


def test_a_cold_state_is_not_reused_for_another_catalog_or_setting(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    with sqlite3.connect(live) as db:
        db.execute("CREATE TABLE service (name TEXT)")
        db.execute("INSERT INTO service VALUES ('Product 000001')")
    db.close()
    setting = {"catalog_sha256": "abc", "latency_ms": 50.0, "rate_limit": 15.0}
    state = ColdState.of(tmp_path / "states", "logisense", "L")
    with pytest.raises(ColdStateError, match="no saved cold state"):
        state.restore(tmp_path / "copy.sqlite3", setting)
    state.save(live, {"scenario": "cold-apply", "requests": 51_034}, setting)
    with pytest.raises(ColdStateError, match=r"latency_ms 50\.0 there, 0\.0 now"):
        state.restore(tmp_path / "copy.sqlite3", {**setting, "latency_ms": 0.0})
    row = state.restore(tmp_path / "copy.sqlite3", setting)
    assert row["requests"] == 51_034 and set(row["reused"]) == {"commit", "measured_at"}
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("SELECT name FROM service").fetchall() == [("Product 000001",)]
    copy.close()


def test_a_run_of_some_sizes_keeps_every_other_backend_and_size_of_the_results() -> None:
    """The final re-measure runs BillingPlatform S,M,L, LogiSense S,M, then LogiSense L from
    a saved cold state, into the same folder: each run replaces only what it measures."""
    block = {"scenarios": [{"scenario": "noop-plan", "requests": 9}]}
    earlier = {
        "backends": {
            "billingplatform": {"formula": "f", "sizes": {"S": block, "M": block, "L": block}},
            "logisense": {"formula": "g", "sizes": {"S": block, "M": block}},
        }
    }
    kept = _kept(earlier, {("logisense", "L"), ("logisense", "M")})
    assert {b: sorted(v["sizes"]) for b, v in kept.items()} == {
        "billingplatform": ["L", "M", "S"],
        "logisense": ["S"],
    }
    assert kept["logisense"]["formula"] == "g"
    assert _kept(earlier, {("logisense", "S"), ("logisense", "M")}).get("logisense") is None


def test_compare_shows_each_shared_row_before_and_after_and_names_the_regressions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(_results(100, 1.0)), encoding="utf-8")
    after.write_text(json.dumps(_results(100, 1.5)), encoding="utf-8")
    assert main(["compare", str(before), str(after)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| backend | size | scenario | requests | CPU s |")
    assert table[2] == (
        "| billingplatform | S | cold-apply | 100 → 100 | 1.00 → 1.50 | – → – "
        "| 2.00 → 2.00 | CPU s |"
    )


def test_a_scenario_may_run_four_times_its_floor_when_that_is_over_an_hour() -> None:
    counts = floor_logisense.Counts(50_000, 5_000, 150_000)
    cold = floor_logisense.cold_apply(counts, latency_s=0.05, rate_limit=15)
    assert cold.seconds > 3000  # one POST per service at 15 requests/s
    assert time_limit(cold) == 4 * cold.seconds
    read = floor_logisense.read_only(counts, latency_s=0.05, rate_limit=15)
    assert time_limit(read) == 3600.0


def _serve(workdir: Path, monkeypatch: pytest.MonkeyPatch, *options: str) -> str:
    """`python -m benchmarks.serve S billingplatform WORKDIR` until its project plans no
    changes against the emulator it keeps up; interrupted then; its output."""
    command = [sys.executable, "-m", "benchmarks.serve", "S", "billingplatform", str(workdir)]
    serving = subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **CREDENTIALS},
    )
    try:
        deadline = time.monotonic() + 300
        while not (workdir / "url").exists():
            assert serving.poll() is None, serving.communicate()
            assert time.monotonic() < deadline, "the emulator did not come up"
            time.sleep(0.2)
        for name, value in CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        code, out, _ = run(workdir / "project", "plan")
        assert code == 0 and "No changes" in out  # the project is the applied one
    finally:
        serving.send_signal(signal.SIGINT)
        stdout, _ = serving.communicate(timeout=60)
    assert serving.returncode == 0
    return stdout


@pytest.mark.benchmark_harness
def test_serve_keeps_a_cold_applied_project_and_its_emulator_up_until_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "cold apply: exit 0" in _serve(tmp_path / "cold", monkeypatch)
    # ... or starts from a saved cold state instead of a new cold apply
    states = tmp_path / "states"
    setting = {
        "catalog_sha256": catalog_digest(BILLINGPLATFORM.catalog(generate(*SIZES["S"]))),
        "latency_ms": 50.0,
        "rate_limit": 15.0,
    }
    ColdState.of(states, "billingplatform", "S").save(
        tmp_path / "cold" / "emulator.sqlite3", {"scenario": "cold-apply"}, setting
    )
    reused = _serve(tmp_path / "reused", monkeypatch, "--cold-state", str(states))
    assert "cold apply" not in reused and "emulator at http://" in reused


@pytest.mark.benchmark_harness
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_its_emulator_when_stopped_even_started_in_the_background(
    signum: signal.Signals, tmp_path: Path
) -> None:
    """`python -m benchmarks.serve … &` from a script: SIGINT arrives ignored (as `&` leaves
    it) and SIGTERM used to end serve at once; either way its emulator lived on, an orphan
    holding its port. Now both stop serve and the emulator with it."""

    def as_started_with_ampersand() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    workdir, errors = tmp_path / "work", tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:
        serve = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.serve", "S", "billingplatform", str(workdir)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=as_started_with_ampersand,
        )
    try:
        url_file = workdir / "url"
        deadline = time.monotonic() + 300
        while not url_file.exists():
            assert serve.poll() is None, errors.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "serve never wrote its url"
            time.sleep(0.2)
        url = url_file.read_text(encoding="utf-8").strip()
        assert httpx.get(f"{url}/_emulator/stats", timeout=30).status_code == 200
        serve.send_signal(signum)
        assert serve.wait(timeout=60) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/_emulator/stats", timeout=5)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
