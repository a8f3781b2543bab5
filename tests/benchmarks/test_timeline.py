"""`python -m benchmarks.timeline`: when a command's requests leave and answer."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

import catalogsync.cli
from benchmarks import harness
from benchmarks.after_read import main as after_read_main
from benchmarks.timeline import after_last_answer, run_once, summary
from benchmarks.timeline import main as timeline_main
from tests.conftest import copy_example


def test_a_timeline_holds_each_request_from_the_login_on_in_the_order_sent(
    tmp_path: Path,
) -> None:
    project = copy_example(tmp_path / "project")
    timeline = run_once(["-C", str(project), "plan"])
    requests = timeline["requests"]
    assert timeline["exit_code"] == 0
    assert requests[0][2:4] == ["POST", "/rest/2.0/login"]
    assert {tuple(r[2:4]) for r in requests[1:]} == {("GET", "/rest/2.0/query")}
    for started, ended, *_ in requests:
        assert 0 < started <= ended <= timeline["exit"]
    assert timeline["cpu"] > 0
    first = requests[0]
    assert 0 < first[6] <= first[5], "the CPU used when the first request left, then answered"
    assert summary(timeline).startswith(f"first request {first[0]:.3f} s (CPU {first[6]:.3f} s)")
    # Every request here is the client's (the embedded emulator: no early login), each with
    # the main thread's CPU when it left, which grows and is at most the process's.
    assert all(0 < r[7] <= r[6] for r in requests)
    by_start = [r[7] for r in sorted(requests)]
    assert by_start == sorted(by_start)
    assert summary(timeline).endswith(
        f"the client's first request {first[0]:.3f} s (main thread's CPU {first[7]:.3f} s)"
    )
    wall, cpu = after_last_answer(timeline)
    assert wall == timeline["exit"] - max(r[1] for r in requests) and wall >= 0
    assert 0 <= cpu <= timeline["exit_cpu"] <= timeline["cpu"]


def test_a_command_that_sends_nothing_has_no_first_request() -> None:
    timeline = run_once(["--version"])
    assert timeline["requests"] == [] and timeline["exit_code"] == 0
    assert "first request nan s" in summary(timeline) and not math.isnan(timeline["exit"])
    assert all(math.isnan(seconds) for seconds in after_last_answer(timeline))


def test_commands_are_measured_with_catalogsync_s_bytecode_compiled() -> None:
    source = Path(catalogsync.cli.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)  # as in a checkout under PYTHONDONTWRITEBYTECODE
    harness.compile_bytecode.cache_clear()
    harness.catalogsync_command()
    assert cached.exists()


def test_the_command_prints_each_request_and_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_example(tmp_path / "project")
    assert timeline_main(["--requests", "--", "-C", str(project), "plan"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "POST /rest/2.0/login" in lines[0] and lines[-1].startswith("first request ")


def test_after_read_prints_what_follows_the_last_answer_of_each_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_example(tmp_path / "project")
    assert after_read_main(["--repeat", "2", "--", "-C", str(project), "plan"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("after the last answer" in line for line in lines[:2])
    assert lines[2].startswith("least CPU after the last answer: ")
