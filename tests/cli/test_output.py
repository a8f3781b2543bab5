"""Colour decisions (NO_COLOR, FORCE_COLOR, --color) and progress (bar or log lines)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.cli.output import ProgressReporter, color_wanted
from tests.conftest import copy_example


@pytest.mark.parametrize(
    ("mode", "tty", "env", "expected"),
    [
        ("auto", True, {}, True),
        ("auto", False, {}, False),
        ("auto", True, {"NO_COLOR": "1"}, False),
        ("auto", True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        ("auto", False, {"FORCE_COLOR": "1"}, True),  # CI logs render colour
        ("auto", False, {"FORCE_COLOR": "0"}, False),
        ("auto", False, {"FORCE_COLOR": ""}, False),
        ("auto", True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
        ("always", False, {"NO_COLOR": "1"}, True),  # the flag is the most explicit choice
        ("never", True, {"FORCE_COLOR": "1"}, False),
    ],
)
def test_color_wanted(mode: str, tty: bool, env: dict[str, str], expected: bool) -> None:
    assert color_wanted(mode, tty, env) is expected


def test_color_always_colours_a_plan_written_to_a_pipe(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    plain = CliRunner().invoke(cli, ["-C", str(project), "plan"])
    assert "\x1b[" not in plain.stdout
    coloured = CliRunner().invoke(cli, ["-C", str(project), "--color", "always", "plan"])
    assert "\x1b[32m+ product" in coloured.stdout


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_in_a_log_a_short_run_writes_nothing() -> None:
    out, clock = io.StringIO(), Clock()
    report = ProgressReporter("applying", "changes", stream=out, is_tty=False, clock=clock)
    for done in range(1, 4):
        clock.now += 1
        report(done, 3)
    assert out.getvalue() == ""


def test_in_a_log_a_long_run_writes_a_line_per_interval_with_eta_and_a_last_line() -> None:
    out, clock = io.StringIO(), Clock()
    report = ProgressReporter(
        "applying", "changes", stream=out, is_tty=False, interval=10, clock=clock
    )
    clock.now = 4
    report(100, 1000)  # before the first interval: quiet
    clock.now = 12
    report(300, 1000)
    clock.now = 15
    report.tick()  # ticks between intervals: quiet
    clock.now = 22
    report.tick()  # no new count, but the log hears from it every interval
    clock.now = 30
    report(1000, 1000)
    report(1000, 1000)  # finished: said once
    assert out.getvalue().splitlines() == [
        "applying: 300/1000 changes (30%), 12 s elapsed, about 28 s left",
        "applying: 300/1000 changes (30%), 22 s elapsed, about 51 s left",
        "applying: 1000/1000 changes (100%), 30 s elapsed",
    ]


def test_on_a_terminal_a_bar_is_redrawn_and_ends_with_a_newline() -> None:
    out, clock = io.StringIO(), Clock()
    report = ProgressReporter("fetching", "kinds", stream=out, is_tty=True, clock=clock)
    report.tick()
    clock.now = 2
    report(1, 3)
    clock.now = 3
    report(3, 3)
    assert out.getvalue() == (
        "\rfetching: 0 s elapsed"
        "\rfetching [########----------------] 1/3 kinds, 2 s elapsed, about 4 s left"
        "\rfetching [########################] 3/3 kinds, 3 s elapsed\n"
    )


def test_minutes_are_written_as_minutes() -> None:
    out, clock = io.StringIO(), Clock()
    report = ProgressReporter("applying", "changes", stream=out, is_tty=False, clock=clock)
    clock.now = 125
    report(1, 2)
    assert (
        out.getvalue() == "applying: 1/2 changes (50%), 2 min 05 s elapsed, about 2 min 05 s left\n"
    )


def test_under_a_second_left_is_not_worth_a_word() -> None:
    out, clock = io.StringIO(), Clock()
    report = ProgressReporter("fetching", "kinds", stream=out, is_tty=True, clock=clock)
    clock.now = 0.5
    report(2, 3)
    assert out.getvalue() == "\rfetching [################--------] 2/3 kinds, 0 s elapsed"


def test_a_bar_cut_short_ends_its_line_before_the_error() -> None:
    out, clock = io.StringIO(), Clock()
    report = ProgressReporter("fetching", "kinds", stream=out, is_tty=True, clock=clock)
    report(1, 3)
    report.close()
    report.close()
    assert out.getvalue().endswith("1/3 kinds, 0 s elapsed\n")
    assert out.getvalue().count("\n") == 1
