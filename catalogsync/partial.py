"""Partial plans: `plan`/`apply --only KIND[:GLOB] --exclude KIND[:GLOB]` (Terraform's -target).

The whole catalog is planned as usual, then only the changes to selected objects are kept,
together with every change they depend on (a new package-product brings the creation of
its package and product; a rename brings itself). The guards still see the whole live
catalog. The plan records its selection: renderers mark it as partial, and a saved plan
applies only with the same `--only`/`--exclude` (see `check_selection`).

The selectors are export's (`catalogsync.selection.Selector`): one syntax for every command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from catalogsync.catalog import Ref
from catalogsync.catalog_format import CatalogFormat
from catalogsync.errors import PlanError
from catalogsync.plan import Change, Plan
from catalogsync.selection import Selection, Selector


def parse_selection(
    only: Sequence[str], exclude: Sequence[str], fmt: CatalogFormat | None = None
) -> Selection:
    """`--only` / `--exclude` values → a Selection (kinds in `fmt`'s words or the generic
    ones). Raises UsageError on an unknown kind."""
    return Selection(
        only=tuple(Selector.parse(s, fmt) for s in only),
        exclude=tuple(Selector.parse(s, fmt) for s in exclude),
    )


def selection_labels(selection: Selection) -> tuple[str, ...]:
    """The selection as stable text (`only package:Gold*`, `exclude product:*`), () for all."""
    return tuple(
        [f"only {_kind(s)}:{s.pattern}" for s in selection.only]
        + [f"exclude {_kind(s)}:{s.pattern}" for s in selection.exclude]
    )


def select_plan(plan: Plan, selection: Selection) -> Plan:
    """`plan` narrowed to the selected objects' changes and the changes they depend on."""
    labels = selection_labels(selection)
    if not labels:
        return plan
    by_ref: dict[Ref, Change] = {change.ref: change for change in plan.changes}
    kept: set[Ref] = set()
    pending = [c.ref for c in plan.changes if selection.selects(c.ref)]
    while pending:
        ref = pending.pop()
        if ref in kept:
            continue
        kept.add(ref)
        pending.extend(needed for needed in by_ref[ref].depends_on if needed in by_ref)
    return replace(
        plan,
        changes=tuple(c for c in plan.changes if c.ref in kept),
        unmanaged=tuple(ref for ref in plan.unmanaged if selection.selects(ref)),
        selection=labels,
    )


def check_selection(plan: Plan, selection: Selection) -> None:
    """Refuse a saved plan made with another selection than the one given to `apply`.

    A partial plan applied without its `--only` (or a full one with an `--only`) would
    execute something other than what the command line says.
    """
    given = selection_labels(selection)
    if plan.selection == given:
        return
    raise PlanError(
        f"the plan was made with {_flags(plan.selection)}, but apply was given "
        f"{_flags(given)}; pass apply the same --only/--exclude as plan, or plan again"
    )


def _flags(labels: Sequence[str]) -> str:
    return " ".join(f"--{label}" for label in labels) if labels else "no --only/--exclude"


def _kind(selector: Selector) -> str:
    return selector.kind.value.replace("_", "-")  # as the command line spells it
