"""After an apply: is every change the API accepted actually in effect?

An API can answer "success" for a write it did not carry out (a field it ignores, a value
it silently truncates, a concurrent writer that overwrote it). `verify_results` compares a
fresh read of the live catalog with what each succeeded change planned, using the
planner's own field comparison, and turns each change that is not live as planned into a
failure "accepted by the API but not in effect" (DESIGN.md §3: exit 4).
"""

from __future__ import annotations

from collections import defaultdict
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
    by_ref: dict[Ref, list[LiveResource]] = defaultdict(list)
    ids: set[str] = set()
    for resource in live:
        by_ref[resource.ref].append(resource)
        ids.add(resource.remote_id)
    checked: dict[Ref, ChangeResult] = dict(results)
    for change in changes:
        result = results.get(change.ref)
        if result is None or result.outcome is not Outcome.SUCCEEDED:
            continue
        problem = _problem(change, result, by_ref.get(change.ref, []), ids)
        if problem:
            checked[change.ref] = ChangeResult(
                change.ref, Outcome.FAILED, result.remote_id, f"{NOT_IN_EFFECT}: {problem}"
            )
    return checked


def _problem(
    change: Change, result: ChangeResult, found: list[LiveResource], live_ids: set[str]
) -> str:
    """What is wrong with a succeeded change as the live catalog shows it ("" if nothing)."""
    if change.action is Action.DELETE:
        gone = result.remote_id or change.remote_id
        return f"id {gone} still exists" if gone and gone in live_ids else ""
    if not found:
        return "not found on re-read"
    if len(found) > 1:
        listed = ", ".join(sorted(r.remote_id for r in found))
        return (
            f"{len(found)} live records now have this key (ids {listed}): another writer "
            "(a concurrent apply?) created one too; delete the extra record(s) and run plan"
        )
    record = found[0]
    if result.remote_id and record.remote_id != result.remote_id:
        return f"the live record under this key is id {record.remote_id}, not {result.remote_id}"
    return _differences(change.values, record)


def _differences(planned: Mapping[str, Value], record: LiveResource) -> str:
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
