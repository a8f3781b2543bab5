"""`python -m benchmarks.timeline`: when a command's requests leave and answer."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import catalogsync.cli
from benchmarks import harness
from benchmarks.timeline import run_once, summary
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
    assert summary(timeline).startswith(f"first request {requests[0][0]:.3f} s")


def test_a_command_that_sends_nothing_has_no_first_request() -> None:
    timeline = run_once(["--version"])
    assert timeline["requests"] == [] and timeline["exit_code"] == 0
    assert "first request nan s" in summary(timeline) and not math.isnan(timeline["exit"])


def test_commands_are_measured_with_catalogsync_s_bytecode_compiled() -> None:
    source = Path(catalogsync.cli.__file__)
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)  # as in a checkout under PYTHONDONTWRITEBYTECODE
    harness.compile_bytecode.cache_clear()
    harness.catalogsync_command()
    assert cached.exists()
