"""`python -m benchmarks.export_phases`: the CPU of an export's steps after the read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.export_phases import STEPS, main, measure
from tests.conftest import copy_example


def test_each_step_is_timed_and_the_texts_digest_is_the_same_each_run(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "project")
    steps, digest = measure(project, repeat=2)
    assert list(steps) == list(STEPS)
    assert all(seconds >= 0 for seconds in steps.values())
    assert steps["texts"] > 0 and steps["check_files"] > 0
    assert len(digest) == 64 and measure(project, repeat=1)[1] == digest


def test_the_command_prints_one_line_of_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_example(tmp_path / "project")
    assert main(["--repeat", "1", str(project)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("choose ") and "check_files " in line and "texts sha256 " in line
