"""Drift reports as text (terminal, cron mail), Markdown (a GitHub issue) and JSON.

Same conventions as the plan renderers: values through `format_value`, names quoted, the
Markdown ≤ 65,000 characters with a hidden marker on its first line
(`<!-- catalogsync-drift:TARGET -->`) and details dropped from the end when too long.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from catalogsync.catalog import Kind
from catalogsync.drift import ChangedObject, DriftReport, UnmanagedObject, summary_counts
from catalogsync.render.common import KindWords, format_value, kind_words, one_line
from catalogsync.render.markdown import (
    DEFAULT_LIMIT,
    Section,
    fit_sections,
    html_code,
    md_code,
    md_escape,
    more_note,
)
from catalogsync.render.markers import comment_marker

NO_DRIFT = "No drift. The live catalog matches the YAML."
INDENT = "    "
_CLASSES = ("changed", "missing", "unmanaged")


def drift_summary_line(report: DriftReport) -> str:
    """`Drift: 2 changed, 1 missing, 3 unmanaged.` or the no-drift sentence."""
    if not report.has_drift:
        return NO_DRIFT
    parts = [f"{len(report.changed)} changed", f"{len(report.missing)} missing"]
    if report.unmanaged_checked:
        parts.append(f"{len(report.unmanaged)} unmanaged")
    return "Drift: " + ", ".join(parts) + "."


def _who(updated_at: str | None, updated_by: str | None) -> str:
    if updated_at and updated_by:
        return f"updated {one_line(updated_at)} by user {one_line(updated_by)}"
    if updated_at:
        return f"updated {one_line(updated_at)}"
    return f"updated by user {one_line(updated_by)}" if updated_by else ""


def _changed_notes(item: ChangedObject) -> list[str]:
    notes = [_who(item.updated_at, item.updated_by)]
    if item.renamed_from:
        notes.append(f"live under its old name {format_value(item.renamed_from)}")
    if item.location:
        notes.append(f"declared at {item.location}")
    return [n for n in notes if n]


def _unmanaged_notes(item: UnmanagedObject) -> list[str]:
    notes = [_who(item.updated_at, item.updated_by)]
    if item.would_delete:
        notes.append("inside the prune scope: apply --allow-delete would delete it")
    return [n for n in notes if n]


# --- text -----------------------------------------------------------------------------------


def render_drift_text(report: DriftReport) -> str:
    """The report for a terminal or a cron mail: every finding, snippets included."""
    lines = [f"Drift of {report.backend} target '{report.target}' ({report.target_url})", ""]
    words = kind_words(report.backend)
    for item in report.changed:
        lines.append(f"~ changed {words.title(item.ref)}")
        lines += [f"{INDENT}({note})" for note in _changed_notes(item)]
        for f in item.fields:
            lines.append(
                f"{INDENT}{f.field}: live {format_value(f.before)}, "
                f"declared {format_value(f.after)}"
            )
    for missing in report.missing:
        lines.append(f"+ missing {words.title(missing.ref)}")
        if missing.location:
            lines.append(f"{INDENT}(declared at {missing.location})")
    for unmanaged in report.unmanaged:
        lines.append(f"? unmanaged {words.title(unmanaged.ref)}")
        lines += [f"{INDENT}({note})" for note in _unmanaged_notes(unmanaged)]
        lines.append(f"{INDENT}to adopt it, add to {unmanaged.placement}:")
        lines += [f"{INDENT}{INDENT}{row}" for row in unmanaged.snippet.rstrip("\n").split("\n")]
    if report.has_drift:
        lines.append("")
    lines.append(drift_summary_line(report))
    lines += _footer(report)
    return "\n".join(lines)


def _footer(report: DriftReport) -> list[str]:
    lines = []
    if report.ignored:
        lines.append("Not compared (ignore rules): " + "; ".join(report.ignored) + ".")
    if not report.unmanaged_checked:
        lines.append("Unmanaged objects were not checked (--ignore-unmanaged).")
    return lines


# --- JSON -----------------------------------------------------------------------------------


def render_drift_json(report: DriftReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True, ensure_ascii=False)


# --- Markdown -------------------------------------------------------------------------------


def render_drift_markdown(report: DriftReport, *, limit: int = DEFAULT_LIMIT) -> str:
    """The report as a GitHub issue body of at most `limit` characters."""
    head = _head(report)
    words = kind_words(report.backend)
    sections: list[Section] = []
    if report.changed:
        blocks = [_changed_block(item, words) for item in report.changed]
        sections.append(Section(f"#### Changed ({len(blocks)})", blocks, "\n\n"))
    if report.missing:
        items = [
            f"- {md_code(words.title(m.ref))}"
            + (f" — declared at {md_code(m.location)}" if m.location else "")
            for m in report.missing
        ]
        sections.append(Section(f"#### Missing ({len(items)})", items, "\n"))
    if report.unmanaged:
        blocks = [_unmanaged_block(item, words) for item in report.unmanaged]
        sections.append(Section(f"#### Unmanaged ({len(blocks)})", blocks, "\n\n"))

    def note(n: int) -> str:
        return more_note(n, "finding", "report", "`catalogsync drift --format json`")

    return fit_sections(head, sections, note, limit, tail="\n".join(_footer(report)))


def _head(report: DriftReport) -> str:
    lines = [
        comment_marker("drift", report.target),
        f"### catalogsync drift for {md_code(report.target)}",
        "",
        f"**{drift_summary_line(report)}**",
        "",
    ]
    if report.has_drift:
        lines += [*_summary_table(report), ""]
    lines.append(f"Backend {md_code(report.backend)} · URL {md_code(report.target_url)}")
    return "\n".join(lines)


def _summary_table(report: DriftReport) -> list[str]:
    counts = summary_counts(report)
    classes = [c for c in _CLASSES if c != "unmanaged" or report.unmanaged_checked]
    rows = ["| kind | " + " | ".join(classes) + " |", "| --- |" + " ---: |" * len(classes)]
    words = kind_words(report.backend)
    for kind in Kind:
        cells = " | ".join(str(counts[c][kind]) for c in classes)
        rows.append(f"| {words.label(kind)} | {cells} |")
    return rows


def _details(title: str, body: Sequence[str]) -> str:
    return "\n\n".join([f"<details><summary>{title}</summary>", *body, "</details>"])


def _changed_block(item: ChangedObject, words: KindWords) -> str:
    notes = _changed_notes(item)
    rows = ["| field | live | declared |", "| --- | --- | --- |"]
    rows += [
        f"| {md_escape(f.field)} | {md_code(format_value(f.before))} "
        f"| {md_code(format_value(f.after))} |"
        for f in item.fields
    ]
    body = ["*" + " · ".join(md_escape(n) for n in notes) + "*"] if notes else []
    return _details(html_code(words.title(item.ref)), [*body, "\n".join(rows)])


def _unmanaged_block(item: UnmanagedObject, words: KindWords) -> str:
    notes = [*_unmanaged_notes(item), f"to adopt it, add to {item.placement}"]
    fence = _fence(item.snippet)
    snippet = f"{fence}yaml\n{item.snippet.rstrip(chr(10))}\n{fence}"
    body = ["*" + " · ".join(md_escape(n) for n in notes) + "*", snippet]
    return _details(html_code(words.title(item.ref)), body)


def _fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text`, so it cannot close early."""
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)
