"""Rendering plans and apply reports: the public entry point.

Every renderer is a pure function from plain data (`Plan`, `ApplyReport`) to `str`: no I/O,
no terminal detection (the CLI decides `color` from the TTY and `NO_COLOR`). The layouts
live in `render.text` and `render.markdown`; what they share (value formatting, which
fields a change shows, summary sentences) lives in `render.common`.

    render_text(plan, color=False)          terminal, Terraform-like
    render_text_summary(plan, color=False)  the same, counts per kind only (--summary)
    render_markdown(plan, limit=65_000)     GitHub PR comment, size-capped
    render_json(plan)                       the plan file itself
    render_report_text / _markdown / _json  the same for an apply's outcome
"""

from __future__ import annotations

import json

from catalogsync.plan import Plan
from catalogsync.render.common import format_value
from catalogsync.render.markdown import render_markdown, render_report_markdown
from catalogsync.render.markers import comment_marker
from catalogsync.render.text import render_report_text, render_text, render_text_summary
from catalogsync.report import ApplyReport

__all__ = [
    "comment_marker",
    "format_value",
    "render_json",
    "render_markdown",
    "render_report_json",
    "render_report_markdown",
    "render_report_text",
    "render_text",
    "render_text_summary",
]


def render_json(plan: Plan) -> str:
    """The plan as JSON: exactly the plan file (`Plan.dumps()`), so one format serves both."""
    return plan.dumps()


def render_report_json(report: ApplyReport) -> str:
    """The apply report as JSON, keys sorted for stable diffs."""
    return json.dumps(report.to_json(), indent=2, sort_keys=True)
