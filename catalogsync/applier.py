"""apply_plan(): execute a plan wave by wave and report every change's outcome.

Within a wave the backend batches and parallelises; between waves the applier carries the
remote ids created so far (so later waves can reference objects created earlier) and
skips every change that depends on one that failed or was skipped. Independent work
continues. The applier never re-plans and never re-orders: the plan decided the order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from catalogsync.backends.base import Backend, LiveCatalog
from catalogsync.catalog import Ref
from catalogsync.plan import Change, Plan
from catalogsync.planner import follow_renames, renames_in
from catalogsync.report import ApplyReport, ChangeResult, Outcome

log = logging.getLogger(__name__)

# Called after each wave with (changes done so far, total changes).
ApplyProgress = Callable[[int, int], None]


async def apply_plan(
    plan: Plan, backend: Backend, live: LiveCatalog, progress: ApplyProgress | None = None
) -> ApplyReport:
    """Execute `plan` against `backend`; `live` is the catalog the plan was checked against."""
    # Ids under the keys the plan uses: after its renames (package-products follow them).
    renames = renames_in(plan)
    ids: dict[Ref, str] = {follow_renames(r.ref, renames): r.remote_id for r in live}
    results: dict[Ref, ChangeResult] = {}
    done = 0
    for wave, changes in plan.waves():
        runnable: list[Change] = []
        for change in changes:
            blocker = _blocker(change, results)
            if blocker is None:
                runnable.append(change)
            else:
                results[change.ref] = ChangeResult(
                    change.ref, Outcome.SKIPPED, change.remote_id, f"skipped: {blocker}"
                )
        if runnable:
            log.info("apply: wave=%d changes=%d", wave, len(runnable))
            for result in await backend.apply_wave(runnable, ids):
                results[result.ref] = result
                if result.outcome is Outcome.SUCCEEDED and result.remote_id is not None:
                    ids[result.ref] = result.remote_id
            _check_complete(runnable, results)
        done += len(changes)
        if progress is not None:
            progress(done, len(plan.changes))
    return ApplyReport.build(plan.plan_hash, (results[c.ref] for c in plan.changes))


def _blocker(change: Change, results: dict[Ref, ChangeResult]) -> str | None:
    """Why `change` cannot run: a change it depends on did not succeed."""
    for needed in change.depends_on:
        result = results.get(needed)
        if result is not None and result.outcome is not Outcome.SUCCEEDED:
            verb = "failed" if result.outcome is Outcome.FAILED else "was skipped"
            return f"{needed} {verb}"
    return None


def _check_complete(changes: list[Change], results: dict[Ref, ChangeResult]) -> None:
    """A backend that forgets a change must not make the report lie: mark it failed."""
    for change in changes:
        if change.ref not in results:
            results[change.ref] = ChangeResult(
                change.ref, Outcome.FAILED, change.remote_id, "no result from the backend"
            )
