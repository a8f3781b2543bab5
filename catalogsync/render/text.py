"""Terminal rendering of plans and apply reports (Terraform-like, optionally coloured)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from catalogsync.beside import map_beside
from catalogsync.catalog import Kind, Ref
from catalogsync.plan import Action, Change, FieldChange, Plan
from catalogsync.render.common import (
    KindWords,
    changes_by_ref,
    created_refs,
    format_value,
    kind_words,
    one_line,
    partial_note,
    pending_ids_note,
    plan_summary_line,
    quote,
    rename_note,
    report_summary_line,
    result_title,
    shown_fields,
    skip_reason,
    unmanaged_breakdown,
    unmanaged_listed,
)
from catalogsync.render.needs import needs_text
from catalogsync.render.review import (
    RISK_LIST_MAX,
    effective_note,
    override_lines,
    price_suffix,
    reach_note,
    review_of,
    risk_counts_line,
    risk_note,
    risky_changes,
)
from catalogsync.report import ApplyReport, Outcome
from catalogsync.review import Risk

INDENT = "    "
#: A plan of at least this many changes has its change blocks rendered beside a forked
#: child (`beside.map_beside`); below it the fork costs more than it saves.
SHARED_BLOCKS = 5_000

# SGR codes. Only these few, so the output stays readable on any terminal theme.
_GREEN, _YELLOW, _RED, _BOLD, _DIM = "32", "33", "31", "1", "2"
_ACTION_STYLE = {Action.CREATE: _GREEN, Action.UPDATE: _YELLOW, Action.DELETE: _RED}
_OUTCOME_STYLE = {Outcome.SUCCEEDED: _GREEN, Outcome.FAILED: _RED, Outcome.SKIPPED: _YELLOW}

Paint = Callable[[str, str], str]


def _painter(color: bool) -> Paint:
    """A function that wraps text in an SGR code, or leaves it alone without colour."""
    if not color:
        return lambda text, _style: text
    return lambda text, style: f"\x1b[{style}m{text}\x1b[0m"


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The plan for a terminal: one block per change in plan order, then unmanaged objects.

    Ends with `Plan: 3 to create, 1 to update, 0 to delete. 5 unmanaged left alone.` or
    `No changes. The live catalog matches the YAML.` ANSI colour only when `color` is true.
    """
    paint = _painter(color)
    created = created_refs(plan)
    sections = [_header("Plan for", plan)]
    if (partial := partial_note(plan)) is not None:
        sections.append(paint(partial, _YELLOW))
    sections += _review_blocks(plan, paint)
    words = kind_words(plan.backend)  # once a plan: a cold apply renders 200,000 blocks
    changes = plan.changes
    # An apply prints its plan before the first write: a cold apply's 200,000 blocks are
    # rendered on two cores (the second is idle then).
    sections += map_beside(
        len(changes),
        lambda index: _change_block(plan, changes[index], created, paint, words),
        least=SHARED_BLOCKS,
    )
    if plan.unmanaged:
        sections.append(_unmanaged_block(plan, paint))
    if plan.needs:
        sections.append(paint(needs_text(plan), _RED))
    sections.append(paint(plan_summary_line(plan), _BOLD))
    return "\n\n".join(sections) + "\n"


def render_text_summary(plan: Plan, *, color: bool = False) -> str:
    """The plan as counts only: one line per kind that changes, then the summary line."""
    paint = _painter(color)
    sections = [_header("Plan for", plan)]
    if (partial := partial_note(plan)) is not None:
        sections.append(paint(partial, _YELLOW))
    rows = []
    words = kind_words(plan.backend)
    for kind in Kind:
        counts = Counter(c.action for c in plan.changes if c.ref.kind is kind)
        if counts:
            parts = [f"{counts[a]} to {a.value}" for a in _SUMMARY_ORDER if counts[a]]
            rows.append(f"{INDENT}{words.plural(kind)}: {', '.join(parts)}")
    if rows:
        sections.append("\n".join(rows))
    sections += _review_blocks(plan, paint)  # risks are never summarised away
    sections.append(paint(plan_summary_line(plan), _BOLD))
    return "\n\n".join(sections) + "\n"


# Deletes first, as in every summary a reviewer reads before confirming.
_SUMMARY_ORDER = (Action.DELETE, Action.UPDATE, Action.CREATE)


def _header(verb: str, plan: Plan) -> str:
    return f"{verb} target {quote(plan.target)} ({plan.backend}, {one_line(plan.target_url)})"


def _review_blocks(plan: Plan, paint: Paint) -> list[str]:
    """What a reviewer reads first: the risk counts, the risky changes, policy overrides."""
    review = plan.review
    if review is None or not plan.has_changes:
        return []
    lines = [paint(risk_counts_line(review), _BOLD)]
    risky = risky_changes(plan)
    words = kind_words(plan.backend)
    for change, entry in risky[:RISK_LIST_MAX]:
        style = _RED if entry.risk is Risk.HIGH else _YELLOW
        title = words.change_title(change)
        lines.append(INDENT + paint(f"{entry.risk.value:<6}", style) + " " + title)
        lines += [INDENT * 2 + one_line(f.reason) for f in entry.findings]
    if len(risky) > RISK_LIST_MAX:
        lines.append(f"{INDENT}… and {len(risky) - RISK_LIST_MAX} more risky changes below")
    blocks = ["\n".join(lines)]
    overrides = override_lines(review)
    if overrides:
        title = paint(f"Policy overrides ({len(review.policy_overrides)}):", _RED)
        blocks.append("\n".join([title, *(INDENT + one_line(o) for o in overrides)]))
    return blocks


def _change_block(
    plan: Plan, change: Change, created: frozenset[Ref], paint: Paint, words: KindWords
) -> str:
    lines = [paint(words.change_title(change), _ACTION_STYLE[change.action])]
    entry = review_of(plan, change)
    currency = plan.review.currency if plan.review else None
    notes = [
        rename_note(change),
        f"# {one_line(change.reason)}" if change.reason else None,
        pending_ids_note(change, created, words),
        f"# {one_line(risk_note(entry))}" if entry and entry.findings else None,
    ]
    lines += [INDENT + paint(note, _DIM) for note in notes if note]
    priced = entry is not None and bool(entry.prices)
    lines += [INDENT + line for line in _field_lines(plan, change, shown_fields(change), priced)]
    money_notes = [reach_note(entry, currency), effective_note(entry, currency)] if entry else []
    lines += [INDENT + paint("# " + one_line(n), _DIM) for n in money_notes if n]
    return "\n".join(lines)


def _field_lines(
    plan: Plan, change: Change, fields: Iterable[FieldChange], priced: bool
) -> list[str]:
    """`name = value` (create, delete) or `name: before → after` (update), aligned; a price
    is followed by its move (`(+0.01, +20.0 %)`, `(new price)`). `priced`: the change's
    review has price moves (without any, no field has a suffix to look up)."""

    def suffix(name: str) -> str:
        return price_suffix(plan, change, name) if priced else ""

    action = change.action
    rows = list(fields)
    width = max((len(one_line(f.field)) for f in rows), default=0)
    if action is Action.UPDATE:
        return [
            f"{(one_line(f.field) + ':').ljust(width + 1)} "
            f"{format_value(f.before)} → {format_value(f.after)}" + suffix(f.field)
            for f in rows
        ]
    # A create shows what it will write, a delete what the object had.
    return [
        f"{one_line(f.field).ljust(width)} = "
        f"{format_value(f.after if action is Action.CREATE else f.before)}" + suffix(f.field)
        for f in rows
    ]


def _unmanaged_block(plan: Plan, paint: Paint) -> str:
    shown, more = unmanaged_listed(plan)
    title = f"Unmanaged (live, not in the YAML; left alone): {unmanaged_breakdown(plan)}"
    lines = [paint(title, _DIM)]
    lines += [INDENT + kind_words(plan.backend).title(ref) for ref in shown]
    if more:
        lines.append(f"{INDENT}… and {more} more")
    return "\n".join(lines)


def render_report_text(
    report: ApplyReport, plan: Plan, *, color: bool = False, summary: bool = False
) -> str:
    """The outcome of an apply for a terminal: succeeded, failed (with the error), skipped
    (with why), ending with `Apply: 10 succeeded, 1 failed, 2 skipped.` With `summary`,
    the succeeded changes are only counted; failures and skips are always listed."""
    paint = _painter(color)
    words = kind_words(plan.backend)
    changes = changes_by_ref(plan)
    outcomes = {r.ref: r.outcome for r in report.results}
    sections = [_header("Apply to", plan)]
    for outcome in (Outcome.SUCCEEDED, Outcome.FAILED, Outcome.SKIPPED):
        results = report.of(outcome)
        if not results or (summary and outcome is Outcome.SUCCEEDED):
            continue
        lines = [paint(f"{outcome.value.capitalize()} ({len(results)}):", _OUTCOME_STYLE[outcome])]
        for result in results:
            line = INDENT + result_title(result, changes, words)
            if outcome is Outcome.SUCCEEDED and result.remote_id:
                line += f" (id {one_line(result.remote_id)})"
            elif outcome is Outcome.FAILED:
                line += ": " + one_line(result.message or "failed (no message)")
            elif outcome is Outcome.SKIPPED:
                line += ": " + one_line(skip_reason(result, changes, outcomes, words))
            lines.append(line)
        sections.append("\n".join(lines))
    failed = any(r.outcome is not Outcome.SUCCEEDED for r in report.results)
    sections.append(paint(report_summary_line(report), _RED if failed else _BOLD))
    return "\n\n".join(sections) + "\n"
