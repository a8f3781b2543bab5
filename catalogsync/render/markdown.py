"""GitHub-flavoured Markdown rendering of plans and apply reports, for PR comments.

Two escaping contexts matter. A `<details><summary>…</summary>` line is a raw HTML block
(CommonMark HTML block type 6, closed by the blank line after it), so names there are
HTML-escaped. Everything else is Markdown, where names and values are backslash-escaped
and wrapped in `<code>` (monospace, and GitHub does not turn `@name` or `#12` inside code
into mentions or links). Comments must fit GitHub's comment size limit, so the summary
comes first and detail blocks are dropped from the end when the whole would be too long.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from catalogsync.catalog import Kind, Ref
from catalogsync.plan import Action, Change, Plan
from catalogsync.render.common import (
    NO_CHANGES,
    change_counts,
    changes_by_ref,
    created_refs,
    format_value,
    kind_words,
    one_line,
    partial_note,
    pending_ids_note,
    rename_note,
    report_summary_line,
    result_title,
    shown_fields,
    skip_reason,
    unmanaged_breakdown,
    unmanaged_listed,
)
from catalogsync.render.markers import comment_marker
from catalogsync.render.mermaid import plan_picture
from catalogsync.render.needs import needs_lines
from catalogsync.render.review import (
    RISK_LIST_MAX,
    by_risk,
    effective_note,
    override_lines,
    price_suffix,
    reach_note,
    review_of,
    risk_counts_line,
    risky_changes,
)
from catalogsync.report import ApplyReport, ChangeResult, Outcome
from catalogsync.review import Risk

DEFAULT_LIMIT = 65_000

# Deletes first: when a large plan is cut to fit, the most dangerous changes stay visible.
_ACTION_ORDER = (Action.DELETE, Action.UPDATE, Action.CREATE)
_ACTION_HEADING = {Action.CREATE: "Create", Action.UPDATE: "Update", Action.DELETE: "Delete"}
# Failures first, successes last, for the same reason.
_OUTCOME_ORDER = (Outcome.FAILED, Outcome.SKIPPED, Outcome.SUCCEEDED)

# Characters with a meaning in inline Markdown (and `|` in tables): backslash-escaped.
_MD_BACKSLASHED = frozenset("\\`*_[]|~")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def md_escape(text: str) -> str:
    """`text` safe inside Markdown inline content and table cells, on one line.

    Also never a link: GitHub turns `https://…`, `www.…` and `user@host` in plain text into
    links (even inside `<code>`), so a product named like a URL would become a clickable
    link in a PR comment. An invisible word joiner after the scheme's colon, after `www`
    and after `@` breaks the pattern; the name still reads (and copies) the same.
    """
    out = []
    for ch in _AUTOLINK.sub(lambda m: m.group() + _WORD_JOINER, one_line(text)):
        if ch in _MD_BACKSLASHED:
            out.append("\\" + ch)
        else:
            out.append(_MD_ENTITIES.get(ch, ch))
    return "".join(out)


_WORD_JOINER = "\u2060"
# What starts a GitHub autolink: a scheme's "://" (after its colon), "www." (after www),
# an e-mail's "@".
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(?::(?=//)|@)|\bwww(?=\.)")


def md_code(text: str) -> str:
    return f"<code>{md_escape(text)}</code>"


def html_code(text: str) -> str:
    return f"<code>{html.escape(one_line(text), quote=False)}</code>"


# --- fitting a comment into the size limit -----------------------------------------------


@dataclass(frozen=True)
class Section:
    """A heading and its items; each item counts as one shown object."""

    heading: str
    items: Sequence[str]
    sep: str


def fit_sections(
    head: str,
    sections: Sequence[Section],
    note: Callable[[int], str],
    limit: int,
    tail: str = "",
) -> str:
    """`head`, then as many items as fit in `limit`, then `note(dropped)` if any were dropped.

    Items are dropped from the end only (never a gap in the middle). `tail` is appended
    only when nothing was dropped. The head is kept even if it alone is over the limit.
    """
    total = sum(len(s.items) for s in sections)
    # Room for the note with the largest count it could carry, so it always fits; none
    # when everything fits, so no item is dropped only to make room for the note.
    reserve = 0 if _size(head, sections) <= limit else len(note(total)) + 2
    parts, size, shown = [head], len(head) + 1, 0  # +1: the final newline
    for section in sections:
        body: list[str] = []
        for item in section.items:
            # A section's first item also brings its heading; parts are joined by "\n\n".
            cost = len(item) + (len(section.sep) if body else len(section.heading) + 4)
            if size + cost + reserve > limit:
                break
            body.append(item)
            size += cost
        if body:
            parts.append(section.heading + "\n\n" + section.sep.join(body))
            shown += len(body)
        if len(body) < len(section.items):
            break
    if shown < total:
        parts.append(note(total - shown))
    elif tail and size + len(tail) + 2 <= limit:
        parts.append(tail)
    return "\n\n".join(parts) + "\n"


def _size(head: str, sections: Sequence[Section]) -> int:
    """The length of head and every section as `fit_sections` joins them."""
    size = len(head) + 1
    for section in sections:
        if section.items:
            size += len(section.heading) + 4 + sum(map(len, section.items))
            size += len(section.sep) * (len(section.items) - 1)
    return size


def more_note(n: int, noun: str, what: str, where: str) -> str:
    plural = noun if n == 1 else noun + "s"
    return f"… {n} more {plural} not shown ({what} too large for a comment; see {where})"


# --- plans ----------------------------------------------------------------------------------


def render_markdown(plan: Plan, *, limit: int = DEFAULT_LIMIT) -> str:
    """The plan as a GitHub PR comment of at most `limit` characters.

    First line: `<!-- catalogsync-plan:TARGET -->`. Then the counts per kind and action and
    the plan hash, then one collapsible block per change grouped by action (deletes first).
    Blocks that do not fit are dropped from the end with a note saying how many.
    """
    head = _plan_head(plan)
    if not plan.has_changes:
        return head + "\n"
    created = created_refs(plan)
    sections = []
    for action in _ACTION_ORDER:
        # Riskiest first within an action: when a large plan is cut, they stay visible.
        changes = by_risk(plan, plan.of_action(action))
        if changes:
            blocks = [_change_details(plan, change, created) for change in changes]
            sections.append(
                Section(f"#### {_ACTION_HEADING[action]} ({len(changes)})", blocks, "\n\n")
            )

    def note(n: int) -> str:
        return more_note(n, "change", "plan", "the plan artifact")

    return fit_sections(head, sections, note, limit, tail=_unmanaged_details(plan))


def _plan_head(plan: Plan) -> str:
    lines = [
        comment_marker("plan", plan.target),
        f"### catalogsync plan for {md_code(plan.target)}",
        "",
        f"**{'Plan: ' + change_counts(plan.summary) + '.' if plan.has_changes else NO_CHANGES}**"
        + _unmanaged_sentence(plan),
        "",
    ]
    if plan.needs:  # first, so a cut comment still says what apply on merge needs
        lines += [_needs_alert(plan), ""]
    if (partial := partial_note(plan)) is not None:
        lines += [f"> **{partial}**", ""]
    if plan.has_changes:
        lines += [*_summary_table(plan), ""]
        lines += _review_lines(plan)
        picture = plan_picture(plan)
        if picture:
            lines += [picture, ""]
    lines.append(
        f"Backend {md_code(plan.backend)} · URL {md_code(plan.target_url)}"
        f" · plan hash {md_code(plan.plan_hash)}"
    )
    return "\n".join(lines)


def _needs_alert(plan: Plan) -> str:
    """What apply will need (`--allow-delete`, `--force`) or refuse, as an alert block."""
    items = [f"> - {md_escape(line)}" for line in needs_lines(plan)]
    return "\n".join(["> [!WARNING]", "> **Apply needs:**", ">", *items])


def _unmanaged_sentence(plan: Plan) -> str:
    if not plan.unmanaged:
        return ""
    return f" {len(plan.unmanaged)} unmanaged left alone ({unmanaged_breakdown(plan)})."


def _summary_table(plan: Plan) -> list[str]:
    counts = {(kind, action): 0 for kind in Kind for action in Action}
    for change in plan.changes:
        counts[change.ref.kind, change.action] += 1
    actions = (Action.CREATE, Action.UPDATE, Action.DELETE)
    rows = ["| kind | create | update | delete |", "| --- | ---: | ---: | ---: |"]
    words = kind_words(plan.backend)
    for kind in Kind:
        rows.append(
            f"| {words.label(kind)} | " + " | ".join(str(counts[kind, a]) for a in actions) + " |"
        )
    totals = plan.summary
    rows.append(f"| **total** | **{totals.create}** | **{totals.update}** | **{totals.delete}** |")
    return rows


_RISK_BADGE = {Risk.HIGH: "🔴 high risk", Risk.MEDIUM: "🟠 medium risk", Risk.LOW: ""}


def _review_lines(plan: Plan) -> list[str]:
    """Risk counts, the risky changes with their reasons, and any policy override."""
    review = plan.review
    if review is None:
        return []
    lines = [f"**{risk_counts_line(review)}**", ""]
    risky = risky_changes(plan)
    words = kind_words(plan.backend)
    for change, entry in risky[:RISK_LIST_MAX]:
        reasons = "; ".join(f.reason for f in entry.findings)
        title = md_code(words.change_title(change))
        lines.append(f"- {_RISK_BADGE[entry.risk]} {title}: {md_escape(reasons)}")
    if len(risky) > RISK_LIST_MAX:
        lines.append(f"- … and {len(risky) - RISK_LIST_MAX} more risky changes below")
    if risky:
        lines.append("")
    overrides = override_lines(review)
    if overrides:
        lines += [f"**⚠️ Policy overrides ({len(review.policy_overrides)}):**", ""]
        lines += [f"- {md_escape(o)}" for o in overrides]
        lines.append("")
    return lines


def _change_details(plan: Plan, change: Change, created: frozenset[Ref]) -> str:
    entry = review_of(plan, change)
    currency = plan.review.currency if plan.review else None
    words = kind_words(plan.backend)
    notes = [
        rename_note(change),
        one_line(change.reason) or None,
        pending_ids_note(change, created, words),
    ]
    body = []
    if any(notes):
        body.append("*" + " · ".join(md_escape(n) for n in notes if n) + "*")
    if entry and entry.findings:
        body.append("\n".join(f"- {f.risk.value}: {md_escape(f.reason)}" for f in entry.findings))
    table = _field_table(plan, change)
    if table:
        body.append(table)
    money_notes = [reach_note(entry, currency), effective_note(entry, currency)] if entry else []
    body += [md_escape(n) for n in money_notes if n]
    if not body:
        body.append("*no managed fields*")
    badge = _RISK_BADGE[entry.risk] if entry else ""
    title = html_code(words.change_title(change)) + (f" · {badge}" if badge else "")
    summary = f"<details><summary>{title}</summary>"
    return "\n\n".join([summary, *body, "</details>"])


def _field_table(plan: Plan, change: Change) -> str:
    fields = shown_fields(change)
    if not fields:
        return ""

    def move(name: str) -> str:
        return md_escape(price_suffix(plan, change, name))

    if change.action is Action.UPDATE:
        rows = ["| field | before | after |", "| --- | --- | --- |"]
        rows += [
            f"| {md_escape(f.field)} | {md_code(format_value(f.before))} "
            f"| {md_code(format_value(f.after))}{move(f.field)} |"
            for f in fields
        ]
    else:
        rows = ["| field | value |", "| --- | --- |"]
        rows += [
            f"| {md_escape(f.field)} | "
            f"{md_code(format_value(f.after if change.action is Action.CREATE else f.before))}"
            f"{move(f.field)} |"
            for f in fields
        ]
    return "\n".join(rows)


def _unmanaged_details(plan: Plan) -> str:
    if not plan.unmanaged:
        return ""
    shown, more = unmanaged_listed(plan)
    items = [f"- {md_code(kind_words(plan.backend).title(ref))}" for ref in shown]
    if more:
        items.append(f"- … and {more} more")
    summary = f"Unmanaged live objects left alone ({len(plan.unmanaged)})"
    return "\n\n".join([f"<details><summary>{summary}</summary>", "\n".join(items), "</details>"])


# --- apply reports --------------------------------------------------------------------------


def render_report_markdown(report: ApplyReport, plan: Plan, *, limit: int = DEFAULT_LIMIT) -> str:
    """The outcome of an apply as a PR comment of at most `limit` characters.

    First line: `<!-- catalogsync-apply:TARGET -->`; then `Apply: … succeeded, … failed,
    … skipped.`; then failed (with the error), skipped (with why) and succeeded objects,
    the succeeded dropped first when the whole would be too long.
    """
    head = "\n".join(
        [
            comment_marker("apply", plan.target),
            f"### catalogsync apply to {md_code(plan.target)}",
            "",
            f"**{report_summary_line(report)}**",
            "",
            f"Backend {md_code(plan.backend)} · URL {md_code(plan.target_url)}"
            f" · plan hash {md_code(report.plan_hash)}",
        ]
    )
    changes = changes_by_ref(plan)
    outcomes = {r.ref: r.outcome for r in report.results}
    words = kind_words(plan.backend)

    def item(result: ChangeResult) -> str:
        line = f"- {md_code(result_title(result, changes, words))}"
        if result.outcome is Outcome.SUCCEEDED and result.remote_id:
            return line + f" (id {md_code(result.remote_id)})"
        if result.outcome is Outcome.FAILED:
            return line + ": " + md_escape(result.message or "failed (no message)")
        if result.outcome is Outcome.SKIPPED:
            return line + ": " + md_escape(skip_reason(result, changes, outcomes, words))
        return line

    sections = [
        Section(
            f"#### {o.value.capitalize()} ({len(report.of(o))})",
            [item(r) for r in report.of(o)],
            "\n",
        )
        for o in _OUTCOME_ORDER
        if report.of(o)
    ]

    def note(n: int) -> str:
        return more_note(n, "result", "report", "the JSON report")

    return fit_sections(head, sections, note, limit)
