"""Plans and drift reports as one self-contained HTML file, for those too large for a comment.

`plan --format html` / `show plan.json --format html` and `drift --format html`: a summary
(counts per kind and action, risk counts, policy overrides), then every change or finding
as a row with its fields, risk reasons, price moves and reach, filterable by kind, action
and risk, and searchable. The words are the text renderer's (`common`,
`review`); the page shell is `html_page`.
"""

from __future__ import annotations

from catalogsync.catalog import Kind, Ref
from catalogsync.drift import DriftReport
from catalogsync.plan import Action, Change, FieldChange, Plan
from catalogsync.render.common import (
    SIGILS,
    created_refs,
    format_value,
    kind_words,
    one_line,
    pending_ids_note,
    plan_summary_line,
    rename_note,
    shown_fields,
)
from catalogsync.render.drift import drift_summary_line
from catalogsync.render.html_page import Filter, Row, esc, page
from catalogsync.render.review import (
    by_risk,
    effective_note,
    override_lines,
    price_suffix,
    reach_note,
    review_of,
)
from catalogsync.review import Risk


def render_plan_html(plan: Plan) -> str:
    """The plan as a standalone HTML page; the riskiest changes first."""
    created = created_refs(plan)
    rows = [_change_row(plan, change, created) for change in by_risk(plan, plan.changes)]
    filters = [
        Filter("kind", "kind", [kind_words(plan.backend).label(k) for k in Kind]),
        Filter("action", "action", [a.value for a in Action]),
        Filter("risk", "risk", [r.value for r in (Risk.HIGH, Risk.MEDIUM, Risk.LOW)]),
    ]
    meta = (
        f"{plan.backend} · {plan.target_url} · plan hash {plan.plan_hash} · "
        f"catalogsync {plan.tool_version}"
    )
    return page(
        f"catalogsync plan for {plan.target}",
        meta,
        _plan_summary(plan),
        rows,
        filters,
        plan_summary_line(plan),
    )


def _plan_summary(plan: Plan) -> str:
    parts = [f"<p><b>{esc(plan_summary_line(plan))}</b></p>"]
    review = plan.review
    if review is not None and plan.has_changes:
        cards = [
            f'<div class="card {r.value}"><b>{review.count(r)}</b>{r.value} risk</div>'
            for r in (Risk.HIGH, Risk.MEDIUM, Risk.LOW)
        ]
        parts.append('<div class="cards">' + "".join(cards) + "</div>")
        overrides = override_lines(review)
        if overrides:
            items = "".join(f"<li>{esc(one_line(o))}</li>" for o in overrides)
            parts.append(
                f'<div class="alert"><b>Policy overrides ({len(review.policy_overrides)})</b>'
                f"<ul>{items}</ul></div>"
            )
    if plan.has_changes:
        parts.append(_count_table(plan))
    if plan.unmanaged:
        parts.append(
            f'<p class="note">{len(plan.unmanaged)} unmanaged live objects left alone.</p>'
        )
    return "\n".join(parts)


def _count_table(plan: Plan) -> str:
    counts = {(kind, action): 0 for kind in Kind for action in Action}
    for change in plan.changes:
        counts[change.ref.kind, change.action] += 1
    head = "<tr><th>kind</th>" + "".join(f"<th>{a.value}</th>" for a in Action) + "</tr>"
    words = kind_words(plan.backend)
    body = "".join(
        f"<tr><td>{words.label(kind)}</td>"
        + "".join(f'<td class="n">{counts[kind, a]}</td>' for a in Action)
        + "</tr>"
        for kind in Kind
    )
    return f"<table>{head}{body}</table>"


def _change_row(plan: Plan, change: Change, created: frozenset[Ref]) -> Row:
    entry = review_of(plan, change)
    risk = entry.risk if entry else Risk.LOW
    currency = plan.review.currency if plan.review else None
    kind = kind_words(plan.backend).label(change.ref.kind)
    tags = f'<span class="tag {change.action.value}">{change.action.value}</span>'
    if risk is not Risk.LOW:
        tags += f'<span class="tag {risk.value}">{risk.value} risk</span>'
    head = (
        f"<h3><code>{esc(SIGILS[change.action])} {esc(kind)} "
        f"{esc(change.ref.label)}</code>{tags}</h3>"
    )
    notes = [
        rename_note(change),
        one_line(change.reason) or None,
        pending_ids_note(change, created, kind_words(plan.backend)),
    ]
    parts = [head]
    parts += [f'<p class="note">{esc(n)}</p>' for n in notes if n]
    if entry and entry.findings:
        items = "".join(f"<li>{esc(f.risk.value)}: {esc(f.reason)}</li>" for f in entry.findings)
        parts.append(f"<ul>{items}</ul>")
    fields = shown_fields(change)
    if fields:
        parts.append(_field_table(plan, change, fields))
    if entry:
        for note in (reach_note(entry, currency), effective_note(entry, currency)):
            if note:
                parts.append(f'<p class="note">{esc(note)}</p>')
    search = " ".join(
        [change.ref.label, *(f.field for f in fields), *(format_value(f.after) for f in fields)]
    )
    return Row(kind, change.action.value, risk.value, search, "".join(parts))


def _field_table(plan: Plan, change: Change, fields: tuple[FieldChange, ...]) -> str:
    """Fields before/after (update) or their values, plus a price-move column when the
    change moves a price (`+0.01, +20.0 %` in red for up, green for down)."""
    moves = {f.field: _move_cell(price_suffix(plan, change, f.field)) for f in fields}
    priced = any(moves.values())
    rows = []
    for f in fields:
        if change.action is Action.UPDATE:
            cells = f"<td>{esc(format_value(f.before))}</td><td>{esc(format_value(f.after))}</td>"
        else:
            value = f.after if change.action is Action.CREATE else f.before
            cells = f"<td>{esc(format_value(value))}</td>"
        move = (moves[f.field] or "<td></td>") if priced else ""
        rows.append(f"<tr><td>{esc(f.field)}</td>{cells}{move}</tr>")
    head = "<tr><th>field</th>" + (
        "<th>before</th><th>after</th>" if change.action is Action.UPDATE else "<th>value</th>"
    )
    head += ("<th>price move</th>" if priced else "") + "</tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _move_cell(suffix: str) -> str:
    """`<td class="up">+0.01, +20.0 %</td>` from ` USD (+0.01, +20.0 %)`; empty: no move."""
    if not suffix:
        return ""
    text = suffix[suffix.index("(") + 1 : suffix.rindex(")")] if "(" in suffix else suffix
    css = ' class="up"' if text.startswith("+") else ' class="down"' if text.startswith("-") else ""
    return f"<td{css}>{esc(text)}</td>"


# --- drift -------------------------------------------------------------------------------


def render_drift_html(report: DriftReport) -> str:
    """The drift report as a standalone HTML page (drift has no risk grades: it reports)."""
    rows: list[Row] = []
    words = kind_words(report.backend)
    for item in report.changed:
        fields = "".join(
            f"<tr><td>{esc(f.field)}</td><td>{esc(format_value(f.before))}</td>"
            f"<td>{esc(format_value(f.after))}</td></tr>"
            for f in item.fields
        )
        notes = [
            item.updated_at and f"updated {item.updated_at}",
            item.updated_by and f"by user {item.updated_by}",
            item.location and f"declared at {item.location}",
        ]
        rows.append(
            _drift_row(
                words.label(item.ref.kind),
                "changed",
                item.ref.label,
                "<table><tr><th>field</th><th>live</th><th>declared</th></tr>"
                + fields
                + "</table>"
                + "".join(f'<p class="note">{esc(n)}</p>' for n in notes if n),
                " ".join(f.field for f in item.fields),
            )
        )
    for missing in report.missing:
        where = f"declared at {missing.location}" if missing.location else "declared in the YAML"
        rows.append(
            _drift_row(
                words.label(missing.ref.kind),
                "missing",
                missing.ref.label,
                f'<p class="note">{esc(where)}; not in the billing system</p>',
                "",
            )
        )
    for unmanaged in report.unmanaged:
        note = "apply --allow-delete would delete it" if unmanaged.would_delete else ""
        rows.append(
            _drift_row(
                words.label(unmanaged.ref.kind),
                "unmanaged",
                unmanaged.ref.label,
                f'<p class="note">Adopt it: add this to {esc(unmanaged.placement)}. {esc(note)}</p>'
                f"<pre>{esc(unmanaged.snippet)}</pre>",
                unmanaged.snippet,
            )
        )
    filters = [
        Filter("kind", "kind", [words.label(k) for k in Kind]),
        Filter("action", "finding", ["changed", "missing", "unmanaged"]),
    ]
    summary = f"<p><b>{esc(drift_summary_line(report))}</b></p>"
    if report.ignored:
        summary += (
            f'<p class="note">Not compared (ignore rules): {esc("; ".join(report.ignored))}</p>'
        )
    return page(
        f"catalogsync drift of {report.target}",
        f"{report.backend} · {report.target_url}",
        summary,
        rows,
        filters,
        drift_summary_line(report),
    )


def _drift_row(kind: str, finding: str, label: str, body: str, search: str) -> Row:
    """One finding; `kind` in the billing system's words."""
    head = f'<h3><code>{esc(kind)} {esc(label)}</code><span class="tag">{esc(finding)}</span></h3>'
    return Row(kind, finding, "", f"{label} {search}", head + body)
