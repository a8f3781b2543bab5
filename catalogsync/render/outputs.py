"""Every output format of every document catalogsync prints: one table per document kind.

Each table maps an output format (`--format text|markdown|json|html`) to the renderer
that writes it. Every command prints through these tables and offers their keys as its
`--format` choices, so a format is added to a document in one place. The CI glue posts
what these tables produce (`show plan.json --format markdown`, `drift --markdown-out`).

"Output format" is how a document is printed. It is not a catalog format (a billing
system's YAML schema: `catalogsync.formats.CatalogFormat`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from catalogsync.plan import Plan
from catalogsync.render import render_json, render_report_json
from catalogsync.render.markdown import render_markdown, render_report_markdown
from catalogsync.render.text import render_report_text, render_text, render_text_summary
from catalogsync.report import ApplyReport

# The drift, doctor and HTML renderers are imported when first used (`_drift_renderer`,
# `_doctor_renderer`, `_plan_html`): a plan printed as text needs none of them.
if TYPE_CHECKING:
    from catalogsync.doctor import DoctorReport
    from catalogsync.drift import DriftReport


class OutputFormat(StrEnum):
    """How a document is printed; the values are the `--format` choices."""

    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"
    HTML = "html"

    @property
    def is_whole_file(self) -> bool:
        """Whether stdout is one document a program reads (nothing else may be printed)."""
        return self in (OutputFormat.JSON, OutputFormat.HTML)


@dataclass(frozen=True)
class OutputStyle:
    """What only the terminal rendering uses; the other formats ignore it."""

    color: bool = False
    #: Counts instead of every change (`--summary`).
    summary: bool = False


PlanRenderer = Callable[[Plan, OutputStyle], str]
ApplyRenderer = Callable[[ApplyReport, Plan, OutputStyle], str]
DriftRenderer = Callable[["DriftReport", OutputStyle], str]
DoctorRenderer = Callable[["DoctorReport", OutputStyle], str]


def _plan_text(plan: Plan, style: OutputStyle) -> str:
    if style.summary:
        return render_text_summary(plan, color=style.color)
    return render_text(plan, color=style.color)


#: `plan`, `show` and the plan `apply` prints before it asks.
PLAN_OUTPUTS: Mapping[OutputFormat, PlanRenderer] = MappingProxyType(
    {
        OutputFormat.TEXT: _plan_text,
        OutputFormat.MARKDOWN: lambda plan, _: render_markdown(plan),
        OutputFormat.JSON: lambda plan, _: render_json(plan),
        OutputFormat.HTML: lambda plan, _: _plan_html(plan),
    }
)

#: What an apply did (the plan gives the words for each result).
APPLY_OUTPUTS: Mapping[OutputFormat, ApplyRenderer] = MappingProxyType(
    {
        OutputFormat.TEXT: lambda report, plan, style: render_report_text(
            report, plan, color=style.color, summary=style.summary
        ),
        OutputFormat.MARKDOWN: lambda report, plan, _: render_report_markdown(report, plan),
        OutputFormat.JSON: lambda report, _plan, _: render_report_json(report),
    }
)


def _plan_html(plan: Plan) -> str:
    from catalogsync.render.html import render_plan_html

    return render_plan_html(plan)


def _drift_renderer(output: OutputFormat) -> Callable[[DriftReport], str]:
    """The drift renderer of `output`, imported now."""
    from catalogsync.render.drift import (
        render_drift_json,
        render_drift_markdown,
        render_drift_text,
    )
    from catalogsync.render.html import render_drift_html

    return {
        OutputFormat.TEXT: render_drift_text,
        OutputFormat.MARKDOWN: render_drift_markdown,
        OutputFormat.JSON: render_drift_json,
        OutputFormat.HTML: render_drift_html,
    }[output]


def _doctor_renderer(output: OutputFormat) -> Callable[[DoctorReport], str]:
    """The doctor renderer of `output`, imported now. Doctor has no HTML page:
    `--format html` has always printed the text."""
    from catalogsync.render.doctor import (
        render_doctor_json,
        render_doctor_markdown,
        render_doctor_text,
    )

    return {
        OutputFormat.TEXT: render_doctor_text,
        OutputFormat.MARKDOWN: render_doctor_markdown,
        OutputFormat.JSON: render_doctor_json,
        OutputFormat.HTML: render_doctor_text,
    }[output]


def _drift(output: OutputFormat) -> DriftRenderer:
    return lambda report, _: _drift_renderer(output)(report)


def _doctor(output: OutputFormat) -> DoctorRenderer:
    return lambda report, _: _doctor_renderer(output)(report)


#: `drift` on stdout, and its `--markdown-out` / `--json-out` files.
DRIFT_OUTPUTS: Mapping[OutputFormat, DriftRenderer] = MappingProxyType(
    {output: _drift(output) for output in OutputFormat}
)

#: `doctor`'s findings. It has no HTML page: `--format html` has always printed the text.
DOCTOR_OUTPUTS: Mapping[OutputFormat, DoctorRenderer] = MappingProxyType(
    {output: _doctor(output) for output in OutputFormat}
)
