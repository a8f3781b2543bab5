"""Rendering plans, apply reports, drift and doctor reports: the public entry point.

Every renderer is a pure function from plain data (`Plan`, `ApplyReport`, ...) to `str`:
no I/O, no terminal detection (the CLI decides `color` from the TTY and `NO_COLOR`).

    outputs    one table per document kind: output format -> renderer (what the CLI uses)
    text       terminal, Terraform-like; markdown: GitHub PR comments, size-capped
    html, html_page   one self-contained page for plans and drift too large for a comment
    drift, doctor     those reports in text, Markdown and JSON
    common     what they share: value formatting, kind words, which fields a change shows
    review, needs, mermaid   the review notes, the flags an apply needs, the plan picture
    markers    the hidden first line of every posted body (shared with the CI glue)

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
