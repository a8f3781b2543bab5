"""After an apply: is every change the API accepted actually in effect?

An API can answer "success" for a write it did not carry out (a field it ignores, a value
it silently truncates, a concurrent writer that overwrote it). `verify_results` compares a
fresh read of the live catalog with what each succeeded change planned, using the
planner's own field comparison, and turns each change that is not live as planned into a
failure "accepted by the API but not in effect" (DESIGN.md §3: exit 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from catalogsync.catalog import Ref, Value
from catalogsync.diffing import field_changes
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome

NOT_IN_EFFECT = "accepted by the API but not in effect"


def verify_results(
    changes: Iterable[Change], results: Mapping[Ref, ChangeResult], live: LiveCatalog
) -> dict[Ref, ChangeResult]:
    """The results of `changes` after checking the succeeded ones against `live`."""
    return {**results, **not_in_effect(changes, results, live)}


def not_in_effect(
    changes: Iterable[Change], results: Mapping[Ref, ChangeResult], live: LiveCatalog
) -> dict[Ref, ChangeResult]:
    """The failures that replace the results of the succeeded `changes` that `live` does not
    show as planned (an apply updates its results with them rather than holding a second
    whole copy of them beside the verification read)."""
    by_ref: dict[Ref, LiveResource] = {}
    more: dict[Ref, list[LiveResource]] = {}  # keys held by several live records
    for resource in live:
        held = by_ref.setdefault(resource.ref, resource)
        if held is not resource:
            more.setdefault(resource.ref, [held]).append(resource)
    ids: set[str] | None = None  # the live ids, for deletes: made when one is checked
    checked: dict[Ref, ChangeResult] = {}
    for change in changes:
        result = results.get(change.ref)
        if result is None or result.outcome is not Outcome.SUCCEEDED:
            continue
        if change.action is Action.DELETE:
            ids = {r.remote_id for r in live} if ids is None else ids
            problem = _not_deleted(change, result, ids)
        else:
            found = by_ref.get(change.ref)
            problem = _problem(change, result, more.get(change.ref) or found)
        if problem:
            checked[change.ref] = ChangeResult(
                change.ref, Outcome.FAILED, result.remote_id, f"{NOT_IN_EFFECT}: {problem}"
            )
    return checked


def _not_deleted(change: Change, result: ChangeResult, live_ids: set[str]) -> str:
    gone = result.remote_id or change.remote_id
    return f"id {gone} still exists" if gone and gone in live_ids else ""


def _problem(
    change: Change, result: ChangeResult, found: LiveResource | list[LiveResource] | None
) -> str:
    """What is wrong with a succeeded create or update as the live catalog shows it (""
    if nothing): `found` is the live record under its key, or the records, when several."""
    if found is None:
        return "not found on re-read"
    if isinstance(found, list):
        listed = ", ".join(sorted(r.remote_id for r in found))
        return (
            f"{len(found)} live records now have this key (ids {listed}): another writer "
            "(a concurrent apply?) created one too; delete the extra record(s) and run plan"
        )
    if result.remote_id and found.remote_id != result.remote_id:
        return f"the live record under this key is id {found.remote_id}, not {result.remote_id}"
    return _differences(change.values, found)


def _differences(planned: Mapping[str, Value], record: LiveResource) -> str:
    # Every planned field live with its planned value: one C-level comparison of the
    # items (equality as a dict's). Otherwise a field may also be absent live and planned
    # empty (None), which `get` reads as equal.
    if planned.items() <= record.fields.items():
        return ""
    current = {key: record.fields.get(key) for key in planned}
    if current == dict(planned):
        return ""
    return "; ".join(
        f"{f.field} is {_show(f.before)} live, planned {_show(f.after)}"
        for f in field_changes(current, planned)
    )


def _show(value: Value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return repr(value) if isinstance(value, str) else str(value)
