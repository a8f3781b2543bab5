"""Has the live catalog moved under a plan? The stale-plan check and the per-wave re-check.

A saved plan is checked once, before anything is written (`moved_before_apply`). During
an apply, each wave is re-checked right before its writes against a fresh read
(`moved_before_wave`), so that a second apply running against the same target at the same
time fails loudly (exit 3) instead of writing over the first one's objects or creating
the same objects again. The fresh read holds at least the kinds the wave writes and those
the apply created since its last re-check (`applier.apply_plan`), so each key this apply
creates is checked for a second holder once, right after its wave.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from catalogsync.catalog import Kind, Ref
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import MUST_NOT_EXIST, Action, Change
from catalogsync.planner import follow_renames

Renames = Mapping[Kind, Mapping[str, str]]


def moved_before_apply(changes: Iterable[Change], live: LiveCatalog, renames: Renames) -> list[str]:
    """The changes whose object moved since the plan: created, gone, or changed."""
    by_id = {r.remote_id: r for r in live}
    live_keys = {follow_renames(r.ref, renames) for r in live}
    moved: list[str] = []
    for change in changes:
        if change.action is Action.CREATE:
            if change.live_fingerprint != MUST_NOT_EXIST or change.ref in live_keys:
                moved.append(f"{change.ref}: created since the plan was made")
            continue
        current = by_id.get(change.remote_id or "")
        if current is None:
            moved.append(f"{change.ref}: no longer exists")
        elif current.fingerprint != change.live_fingerprint:
            moved.append(f"{change.ref}: changed since the plan was made")
    return moved


def moved_before_wave(
    wave: Iterable[Change],
    created: Iterable[Ref],
    planned_live: LiveCatalog,
    fresh: LiveCatalog,
    renames: Renames,
) -> list[str]:
    """What stops a wave: its objects moved since the plan, or a key this apply created is
    now held by two live records (another writer created it too).

    Earlier waves of this apply have already renamed objects, so records are compared by
    id and by their fields, not by the fingerprint (which covers the key); a field holding
    the old or new name of an object this apply renames is not compared.
    """
    held = Counter(r.ref for r in fresh)
    twice = sorted(ref for ref, count in held.items() if count > 1)
    mine = set(created) if twice else set()
    moved = [
        f"{ref}: {held[ref]} live records now have this key (another apply created it too?)"
        for ref in twice
        if ref in mine
    ]
    renamed_names = {n for names in renames.values() for pair in names.items() for n in pair}
    before = {r.remote_id: r for r in planned_live}
    now = {r.remote_id: r for r in fresh}
    # Without renames (a cold apply: tens of thousands of fresh records) a key is its ref.
    fresh_keys = (
        held.keys() if not renamed_names else {follow_renames(r.ref, renames) for r in fresh}
    )
    for change in wave:
        if change.action is Action.CREATE:
            if change.ref in fresh_keys:
                moved.append(f"{change.ref}: created by someone else since the plan was made")
            continue
        current = now.get(change.remote_id or "")
        if current is None:
            moved.append(f"{change.ref}: no longer exists")
            continue
        planned = before.get(current.remote_id)
        if planned is not None and _changed(planned, current, renamed_names):
            moved.append(f"{change.ref}: changed by someone else since the plan was made")
    return moved


def _changed(planned: LiveResource, current: LiveResource, renamed: set[str]) -> bool:
    keys = set(planned.fields) | set(current.fields)
    return any(
        planned.fields.get(k) != current.fields.get(k)
        and planned.fields.get(k) not in renamed
        and current.fields.get(k) not in renamed
        for k in keys
    )
