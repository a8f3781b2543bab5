"""What every renderer shares: value formatting, names, and the facts shown per change.

Kinds are named in the words of the document's billing system (`KindWords`, from its
catalog format's `kind_names`): a plan of a system whose products are services says
`service`, another `product`.

The text and Markdown renderers differ only in layout and escaping. Everything that decides
*what* is shown (which fields of a change, the "known after apply" note, the summary
sentences, why a change was skipped) lives here, so the two outputs cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from catalogsync.catalog import Kind, Ref, Value
from catalogsync.catalog_format import CatalogFormat
from catalogsync.plan import Action, Change, FieldChange, Plan, Summary
from catalogsync.registry import backend_names, get_format
from catalogsync.report import ApplyReport, ChangeResult, Outcome

SIGILS: Mapping[Action, str] = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}

# How many unmanaged names a plan lists before it says "… and N more": enough to spot a
# surprise, few enough that a catalog adopted halfway does not bury the changes.
UNMANAGED_LIST_MAX = 20

NO_CHANGES = "No changes. The live catalog matches the YAML."

# Escapes for characters that would break a one-line rendering or hide in it.
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def format_value(value: Value) -> str:
    """A field value as every renderer shows it.

    Decimals keep the scale they were given (`Decimal("10.50")` → `10.50`, never `10.5` or
    `1.05E+1`), strings are double-quoted with `"`, `\\` and control characters escaped
    (so a value always stays on one line), `None` is `null`, bools are `true`/`false`,
    a tuple of names is `["a", "b"]`.
    """
    if value is None:
        return "null"
    # bool before int: True is an int too.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(quote(item) for item in value) + "]"
    return quote(value)


def quote(text: str) -> str:
    """`text` in double quotes, with `\\`, `"` and control characters escaped."""
    return '"' + one_line(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def one_line(text: str) -> str:
    """Free text (a message, a reason) with newlines and other invisible characters escaped.

    Unlike `quote`, quotes and backslashes are left alone: this is prose, not a value.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


@dataclass(frozen=True)
class KindWords:
    """What one billing system calls each kind, as every title, count and table says it."""

    #: Singular, e.g. {PRODUCT: "service", PACKAGE_PRODUCT: "package service"}.
    names: Mapping[Kind, str] = field(default_factory=lambda: CatalogFormat.kind_names)

    def label(self, kind: Kind) -> str:
        """`package-product`, or `package service` where products are services."""
        return self.names[kind]

    def plural(self, kind: Kind) -> str:
        return self.names[kind] + "s"

    def counted(self, n: int, kind: Kind) -> str:
        """`1 product`, `2 package-products`."""
        return f"{n} {self.label(kind)}" if n == 1 else f"{n} {self.plural(kind)}"

    def title(self, ref: Ref) -> str:
        """`package-product "Gold Plan / Voice Minutes"`: kind and quoted key."""
        return f"{self.label(ref.kind)} {quote(ref.label)}"

    def change_title(self, change: Change) -> str:
        """`+ product "Voice Minutes"`: sigil, kind and quoted key."""
        return f"{SIGILS[change.action]} {self.title(change.ref)}"


def kind_words(backend: str) -> KindWords:
    """The words of `backend`'s catalog format; the generic ones for a backend the registry
    does not know (a test double's)."""
    if backend not in backend_names():
        return KindWords()
    return KindWords(get_format(backend).kind_names)


def shown_fields(change: Change) -> tuple[FieldChange, ...]:
    """The fields a renderer shows for a change, in the planner's order.

    A create shows what it writes (its field diffs, then any other written values, sorted);
    an update only the fields whose value really changes; a delete the values it had.
    """
    if change.action is Action.CREATE:
        rows = [FieldChange(f.field, None, f.after) for f in change.fields]
        seen = {f.field for f in change.fields}
        extra = sorted(name for name in change.values if name not in seen)
        rows += [FieldChange(name, None, change.values[name]) for name in extra]
        return tuple(rows)
    if change.action is Action.UPDATE:
        return tuple(f for f in change.fields if not _same(f.before, f.after))
    return tuple(FieldChange(f.field, f.before, None) for f in change.fields)


def _same(before: Value, after: Value) -> bool:
    # type() too: True == 1 and 1 == Decimal("1.0") in Python, yet they render differently.
    return type(before) is type(after) and before == after


def created_refs(plan: Plan) -> frozenset[Ref]:
    """The objects this plan creates: their remote ids exist only after apply."""
    return frozenset(c.ref for c in plan.changes if c.action is Action.CREATE)


def pending_ids_note(change: Change, created: frozenset[Ref], words: KindWords) -> str | None:
    """`(package/product ids known after apply)` when a dependency is created in this plan.

    Never for a delete: removing an object needs no id of anything created alongside it.
    """
    if change.action is Action.DELETE:
        return None
    pending = [ref for ref in change.depends_on if ref in created]
    if not pending:
        return None
    kinds = "/".join(dict.fromkeys(words.label(ref.kind) for ref in pending))
    noun = "id" if len(pending) == 1 else "ids"
    return f"({kinds} {noun} known after apply)"


def rename_note(change: Change) -> str | None:
    """`renamed from "Old Name"` for a declared rename."""
    return None if change.renamed_from is None else f"renamed from {quote(change.renamed_from)}"


def count_by_kind(refs: Iterable[Ref]) -> list[tuple[Kind, int]]:
    """How many refs of each kind, in kind order, leaving out kinds with none."""
    counts = dict.fromkeys(Kind, 0)
    for ref in refs:
        counts[ref.kind] += 1
    return [(kind, n) for kind, n in counts.items() if n]


def unmanaged_breakdown(plan: Plan) -> str:
    """`2 products, 1 package`: the unmanaged objects counted per kind."""
    words = kind_words(plan.backend)
    return ", ".join(words.counted(n, kind) for kind, n in count_by_kind(plan.unmanaged))


def unmanaged_listed(plan: Plan) -> tuple[list[Ref], int]:
    """The unmanaged refs to list by name, and how many more are left unnamed."""
    shown = list(plan.unmanaged[:UNMANAGED_LIST_MAX])
    return shown, len(plan.unmanaged) - len(shown)


def change_counts(summary: Summary) -> str:
    """`3 to create, 1 to update, 0 to delete`."""
    return f"{summary.create} to create, {summary.update} to update, {summary.delete} to delete"


def partial_note(plan: Plan) -> str | None:
    """Says a plan covers only part of the catalog (`--only`/`--exclude`), or None."""
    if not plan.selection:
        return None
    flags = " ".join(f"--{label}" for label in plan.selection)
    return (
        f"Partial plan ({flags}): only the selected objects and what they need were "
        "planned; the rest of the catalog was not compared."
    )


def plan_summary_line(plan: Plan) -> str:
    """The closing sentence of a plan: counts, or that there is nothing to do."""
    summary = plan.summary
    if not plan.has_changes:
        return NO_CHANGES
    line = f"Plan: {change_counts(summary)}."
    if summary.unmanaged:
        line += f" {summary.unmanaged} unmanaged left alone."
    return line


def report_summary_line(report: ApplyReport) -> str:
    """`Apply: 10 succeeded, 1 failed, 2 skipped.`"""
    counts = report.counts()
    line = "Apply: " + ", ".join(f"{counts[o.value]} {o.value}" for o in Outcome) + "."
    if report.refused:
        line += f" Stopped: {report.refused}"
    elif report.verified:
        line += " Verified by re-reading the live catalog."
    return line


def changes_by_ref(plan: Plan) -> dict[Ref, Change]:
    return {change.ref: change for change in plan.changes}


def result_title(result: ChangeResult, changes: Mapping[Ref, Change], words: KindWords) -> str:
    """A result's object as its change was shown in the plan (`+ product "X"`)."""
    change = changes.get(result.ref)
    # A result for a change the plan does not hold is a bug upstream; still name it.
    return words.change_title(change) if change else f"? {words.title(result.ref)}"


def skip_reason(
    result: ChangeResult,
    changes: Mapping[Ref, Change],
    outcomes: Mapping[Ref, Outcome],
    words: KindWords,
) -> str:
    """Why a change was skipped: the applier's message, else the dependency that did not succeed."""
    if result.message:
        return result.message
    change = changes.get(result.ref)
    blocked = [
        ref
        for ref in (change.depends_on if change else ())
        if outcomes.get(ref) in (Outcome.FAILED, Outcome.SKIPPED)
    ]
    if not blocked:
        return "not attempted"
    return "depends on " + ", ".join(f"{outcomes[ref].value} {words.title(ref)}" for ref in blocked)
