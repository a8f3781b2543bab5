"""A command's result crosses `asyncio.run` without being made into text: Python 3.11's
`asyncio.run` formats its finished main task (hence the task's whole result) as it puts
back the SIGINT handler (`aio.run_main`): for a plan of 41,000 creates (a cold M plan) ~2 s
of CPU after the last answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.drift import DriftReport
from catalogsync.plan import Plan
from catalogsync.report import ApplyReport
from tests.conftest import copy_example


@pytest.fixture
def made_into_text(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the results whose repr was asked for."""
    asked: list[str] = []
    for kind in (Plan, DriftReport, ApplyReport):

        def noted(self: object, name: str = kind.__name__) -> str:
            asked.append(name)
            return name

        monkeypatch.setattr(kind, "__repr__", noted)
    yield asked


@pytest.mark.parametrize(
    "args",
    [["apply", "--auto-approve"], ["plan"], ["drift"]],
    ids=["apply", "plan", "drift"],
)
def test_a_command_s_result_is_never_made_into_text(
    tmp_path: Path, made_into_text: list[str], args: list[str]
) -> None:
    project = copy_example(tmp_path / "project")
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    assert result.exit_code in (0, 2), result.output
    assert made_into_text == []
