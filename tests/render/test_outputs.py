"""One dispatch: every command prints through its document's table in `render.outputs`."""

from __future__ import annotations

from collections.abc import Mapping

import click
import pytest

from catalogsync.cli import cli
from catalogsync.render import render_json, render_markdown, render_text, render_text_summary
from catalogsync.render.drift import render_drift_markdown, render_drift_text
from catalogsync.render.outputs import (
    DOCTOR_OUTPUTS,
    DRIFT_OUTPUTS,
    PLAN_OUTPUTS,
    OutputFormat,
    OutputStyle,
)
from tests.test_html_report import sample_drift, sample_plan


def _format_choices(command: str) -> tuple[str, ...]:
    group = cli
    assert isinstance(group, click.Group)
    # get_command, not .commands: the group loads a command's module only when asked for it
    found = group.get_command(click.Context(group), command)
    assert found is not None
    option = next(p for p in found.params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    return tuple(str(choice) for choice in option.type.choices)


@pytest.mark.parametrize(
    ("command", "table"),
    [
        ("plan", PLAN_OUTPUTS),
        ("show", PLAN_OUTPUTS),
        ("drift", DRIFT_OUTPUTS),
        ("doctor", DOCTOR_OUTPUTS),
    ],
)
def test_a_commands_format_choices_are_its_documents_table(
    command: str, table: Mapping[OutputFormat, object]
) -> None:
    assert _format_choices(command) == tuple(f.value for f in table)


def test_apply_offers_text_and_json_of_both_its_documents() -> None:
    assert _format_choices("apply") == ("text", "json")


def test_the_summary_style_shortens_only_the_text() -> None:
    plan, summary = sample_plan(), OutputStyle(summary=True)
    assert PLAN_OUTPUTS[OutputFormat.TEXT](plan, summary) == render_text_summary(plan)
    assert PLAN_OUTPUTS[OutputFormat.TEXT](plan, OutputStyle()) == render_text(plan)
    assert PLAN_OUTPUTS[OutputFormat.MARKDOWN](plan, summary) == render_markdown(plan)
    assert PLAN_OUTPUTS[OutputFormat.JSON](plan, summary) == render_json(plan)


def test_colour_reaches_the_terminal_rendering_only() -> None:
    plan, colour = sample_plan(), OutputStyle(color=True)
    assert "\x1b[" in PLAN_OUTPUTS[OutputFormat.TEXT](plan, colour)
    assert "\x1b[" not in PLAN_OUTPUTS[OutputFormat.MARKDOWN](plan, colour)


def test_drift_renders_through_the_same_table() -> None:
    report = sample_drift()
    assert DRIFT_OUTPUTS[OutputFormat.TEXT](report, OutputStyle()) == render_drift_text(report)
    assert DRIFT_OUTPUTS[OutputFormat.MARKDOWN](report, OutputStyle()) == render_drift_markdown(
        report
    )
    assert DRIFT_OUTPUTS[OutputFormat.HTML](report, OutputStyle()).startswith("<!DOCTYPE html>")


def test_whole_file_formats_are_json_and_html() -> None:
    assert {f for f in OutputFormat if f.is_whole_file} == {OutputFormat.JSON, OutputFormat.HTML}
