"""apply_plan(): execute a plan wave by wave and report every change's outcome.

Within a wave the backend batches and parallelises; between waves the applier carries the
remote ids created so far (so later waves can reference objects created earlier) and
skips every change that depends on one that failed or was skipped. Independent work
continues. The applier never re-plans and never re-orders: the plan decided the order.

Trust, not hope (DESIGN.md §8):
- right before each wave's writes the kinds of objects the wave writes are read again
  (`Backend.fetch_kinds`), with the kinds the earlier waves created since the last re-check,
  and the wave's objects re-checked (creates must still not exist, updates and deletes must
  be as planned, no key this apply created is now held twice); when they moved (another
  apply running against the same target), the apply stops there: nothing more is written
  and the report says why (exit 3). Kinds no later wave writes and this apply did not just
  create are not re-read: no write of this apply depends on them any more;
- after the last wave, what the check looks at is read once more (the records under the
  written keys, the deleted ids: `Backend.fetch_written_into`, at most the whole catalog's
  read) and every succeeded change is checked to be in effect with the planned values
  (`verify`). A re-check read of every kind before a wave verifies the waves before it.
  When the catalog the plan was checked against was read just before the writes, the
  products the apply did not write may be named as that read saw them (`verify.Written`:
  another writer's rename of one since goes unseen by this check; the next plan sees it).

On SIGINT/SIGTERM (`catalogsync.interrupt`) it starts no further wave and verifies nothing
(no request may start): the wave in flight settles (its requests not yet sent are refused,
and reported as not attempted), or, after a second signal, is abandoned (its changes
reported as possibly written). The report is always complete.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from catalogsync.backend_api import Backend, Settled
from catalogsync.catalog import Kind, Ref
from catalogsync.errors import BackendError
from catalogsync.interrupt import abandonable, is_not_sent, signal_name, stopping
from catalogsync.live import LiveCatalog
from catalogsync.plan import Action, Change, Plan
from catalogsync.planner import index_live, renames_in
from catalogsync.recheck import Renames, moved_before_wave
from catalogsync.report import ApplyReport, ChangeResult, Outcome
from catalogsync.verify import InEffect

log = logging.getLogger(__name__)
T = TypeVar("T")

# Called with (changes done so far, total changes) as each request or batch of a wave
# settles, and after each wave (its skipped changes count as done then).
ApplyProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class ApplyOptions:
    """`verify`: re-read after the last wave and check every change is in effect.
    `recheck`: re-read before each wave and stop if its objects moved (exit 3).
    `live_is_fresh`: the `live` catalog given to the apply was read just now (no prompt
    waited in between), so the first wave needs no re-read of its own."""

    verify: bool = True
    recheck: bool = True
    live_is_fresh: bool = False


async def apply_plan(
    plan: Plan,
    backend: Backend,
    live: LiveCatalog,
    progress: ApplyProgress | None = None,
    options: ApplyOptions | None = None,
) -> ApplyReport:
    """Execute `plan` against `backend`; `live` is the catalog the plan was checked against."""
    options = options or ApplyOptions()
    # Ids under the keys the plan uses: after its renames (package-products follow them),
    # and of the record the planner matched where two live records share a key.
    all_renames = renames_in(plan)
    ids: dict[Ref, str] = index_live(live, all_renames).ids()
    # Live records per kind as the waves leave them: the re-check and verification reads'
    # hint (`Backend.expect_counts`), so a backend may ask a long read's pages together.
    # (the catalog's counts, told without a look at each record; the kinds it holds)
    counts = Counter({kind: n for kind, n in live.count().items() if n})
    results: dict[Ref, ChangeResult] = {}
    done = 0
    fresh: LiveCatalog | None = None
    refused = ""
    fresh_enough = options.live_is_fresh
    created_unchecked: set[Kind] = set()  # kinds created since the last re-check
    created: list[Ref] = []  # the creates that succeeded, in plan order
    for wave, changes in plan.waves():
        if stopping() is not None:
            break
        runnable = _runnable(changes, results)
        if runnable and options.recheck and not fresh_enough:
            backend.expect_counts(_known(counts))
            rechecked = await _recheck(
                backend, runnable, created_unchecked, ids, created, live, all_renames
            )
            if rechecked is None:
                break
            created_unchecked.clear()
            moved, fresh = rechecked
            del rechecked  # `fresh` alone may hold the read (until the wave writes)
            if moved:
                refused = _refusal(moved)
                break
        if runnable:
            log.info("apply: wave=%d changes=%d", wave, len(runnable))
            deletes = {c.ref for c in runnable if c.action is Action.DELETE}
            settled = _settled_in_wave(progress, done, len(plan.changes), len(runnable))
            for result in await _run_wave(backend, runnable, ids, settled):
                results[result.ref] = result
                # A deleted duplicate's id must not replace the id of the record kept.
                written = result.outcome is Outcome.SUCCEEDED and result.remote_id is not None
                if written and result.ref not in deletes:
                    ids[result.ref] = str(result.remote_id)
            _check_complete(runnable, results)
            _count_written(counts, runnable, results)
            wave_creates = [c.ref for c in runnable if c.action is Action.CREATE]
            created += [r for r in wave_creates if results[r].outcome is Outcome.SUCCEEDED]
            created_unchecked |= {ref.kind for ref in wave_creates}
            fresh_enough = False
            fresh = None  # written since: no longer a read of the state after the writes
        done += len(changes)
        if progress is not None:
            progress(done, len(plan.changes))
    for change in plan.changes:
        if change.ref not in results:
            reason = "not written: the apply stopped (see above)"
            results[change.ref] = (
                _not_attempted(change)
                if stopping() is not None
                else ChangeResult(change.ref, Outcome.SKIPPED, change.remote_id, reason)
            )
    # The writes are done: the catalog read before them is not needed any more, nor the
    # ids the writes referred to (200,000 of them at L), nor what the backend kept from its
    # reads for the writes (ids, names and rows of the records an update re-sends). Let go
    # of them before the verification read holds a second whole live catalog (a caller
    # that hands `live` over and drops its own reference frees it here).
    succeeded = any(r.outcome is Outcome.SUCCEEDED for r in results.values())
    # What the check looks at, and the ids the apply knows of it (where a backend's read
    # of only those records may start), taken before the ids go; with the names of the
    # products the apply did not write as `live` shows them, when it was read just before
    # the writes (no prompt waited in between): a backend may name the products its
    # records hold from them rather than read them again (`verify.Written`).
    check = InEffect(plan.changes, results) if options.verify and succeeded else None
    seen = live if options.live_is_fresh else None
    looked_at = check.written(ids, seen) if check is not None and fresh is None else None
    del live, seen, ids, created, all_renames
    backend.writes_done()  # and what the backend kept for the writes
    verified = False
    if check is not None and stopping() is None:
        if fresh is not None:  # the re-check before the last wave read it all: no read
            for resource in fresh:
                check.see(resource)
            results.update(check.failures())
            verified = True
        elif looked_at is not None:
            # Each record checked as the read builds it, none held (`verify.InEffect`);
            # the backend reads only what the check looks at where that costs fewer
            # requests (`Backend.fetch_written_into`).
            backend.expect_counts(_known(counts))
            read = await _read_unless_stopped(backend.fetch_written_into(looked_at, check.see))
            if read is not None:  # None: a signal stopped the read; the report says so
                results.update(check.failures())
                verified = True
    del check, looked_at
    return ApplyReport.build(
        plan.plan_hash,
        (results[c.ref] for c in plan.changes),
        refused=refused,
        verified=verified,
    )


async def _recheck(
    backend: Backend,
    runnable: list[Change],
    created_unchecked: set[Kind],
    ids: dict[Ref, str],
    created: list[Ref],
    live: LiveCatalog,
    renames: Renames,
) -> tuple[list[str], LiveCatalog | None] | None:
    """The re-check before a wave: what moved, and the read when it was a full read of every
    kind (it then verifies the waves before). None when a signal stopped the read. The read
    is let go here otherwise: a large one is not held through the wave's writes."""
    kinds = {c.ref.kind for c in runnable} | created_unchecked
    # Creates and the keys just created are checked by key: of a kind the wave does not
    # update or delete, no field is compared.
    keys_only = kinds - {c.ref.kind for c in runnable if c.action is not Action.CREATE}
    checked = await _read_unless_stopped(backend.fetch_kinds(kinds, ids, keys_only=keys_only))
    if checked is None:
        return None
    moved = moved_before_wave(runnable, created, live, checked, renames)
    whole = kinds >= set(Kind) and not keys_only
    return moved, checked if whole else None


async def _read_unless_stopped(read: Awaitable[T]) -> T | None:
    """A re-check or verification read; None when a stop request refused it, or a second
    signal abandoned it."""
    try:
        with abandonable():
            return await read
    except BackendError:
        if stopping() is None:
            raise
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if stopping() is None or task is None:
            raise
        task.uncancel()
    return None


def _count_written(
    counts: Counter[Kind], changes: list[Change], results: dict[Ref, ChangeResult]
) -> None:
    """`counts` (live records per kind) after a wave of `changes`: one more for each create
    that succeeded, one less for each delete."""
    for change in changes:
        if results[change.ref].outcome is Outcome.SUCCEEDED:
            if change.action is Action.CREATE:
                counts[change.ref.kind] += 1
            elif change.action is Action.DELETE:
                counts[change.ref.kind] -= 1


def _known(counts: Counter[Kind]) -> Callable[[], Mapping[Kind, int]]:
    """The counts as they are now, for `Backend.expect_counts`."""
    now = dict(counts)
    return lambda: now


def _settled_in_wave(
    progress: ApplyProgress | None, done: int, total: int, size: int
) -> Settled | None:
    """What moves `progress` while a wave of `size` changes runs, `done` before it: a
    50,000-service wave is an hour of requests. Never past the wave (a backend that counts
    a change twice must not show the apply finished early)."""
    if progress is None:
        return None
    settled = 0

    def tell(count: int) -> None:
        nonlocal settled
        settled = min(size, settled + count)
        progress(done + settled, total)

    return tell


async def _run_wave(
    backend: Backend, runnable: list[Change], ids: dict[Ref, str], settled: Settled | None
) -> list[ChangeResult]:
    """One wave's results; after a stop request, what it did not send is not attempted."""
    try:
        with abandonable():
            wave_results = await backend.apply_wave(runnable, ids, settled)
    except asyncio.CancelledError:
        signum = stopping()
        task = asyncio.current_task()
        if signum is None or task is None:
            raise  # not our stop: let the cancellation through
        task.uncancel()  # the second signal abandoned this wave; report it, do not die
        message = (
            f"abandoned in flight ({signal_name(signum)} twice): may or may not have been "
            "written; run apply again to converge"
        )
        return [ChangeResult(c.ref, Outcome.FAILED, c.remote_id, message) for c in runnable]
    if stopping() is None:
        return wave_results
    by_ref = {change.ref: change for change in runnable}
    return [
        _not_attempted(by_ref[r.ref])
        if r.outcome is Outcome.FAILED and is_not_sent(r.message) and r.ref in by_ref
        else r
        for r in wave_results
    ]


def _not_attempted(change: Change) -> ChangeResult:
    signum = stopping()
    why = f" ({signal_name(signum)})" if signum is not None else ""
    return ChangeResult(
        change.ref,
        Outcome.SKIPPED,
        change.remote_id,
        f"{NOT_ATTEMPTED}: apply was interrupted{why}",
    )


#: How the report words a change the interrupted apply never sent.
NOT_ATTEMPTED = "not attempted"


def _runnable(changes: tuple[Change, ...], results: dict[Ref, ChangeResult]) -> list[Change]:
    """The wave's changes whose dependencies succeeded; the others are recorded as skipped."""
    if all(r.outcome is Outcome.SUCCEEDED and r.remote_id is not None for r in results.values()):
        # Nothing done so far can block a change (`_blocker`): a cold apply's every wave,
        # told without a call per change (41,000 at M, 205,000 at L).
        return list(changes)
    runnable: list[Change] = []
    for change in changes:
        blocker = _blocker(change, results)
        if blocker is None:
            runnable.append(change)
        else:
            results[change.ref] = ChangeResult(
                change.ref, Outcome.SKIPPED, change.remote_id, f"skipped: {blocker}"
            )
    return runnable


def _refusal(moved: list[str]) -> str:
    shown = "\n  ".join(moved[:20])
    more = f"\n  … and {len(moved) - 20} more" if len(moved) > 20 else ""
    return (
        "objects of the next wave moved since the plan was made (another apply or a person "
        f"is changing this target); nothing more was written:\n  {shown}{more}\n"
        "Run `catalogsync plan` again and review the new plan."
    )


def _blocker(change: Change, results: dict[Ref, ChangeResult]) -> str | None:
    """Why `change` cannot run: a change it depends on did not succeed, or succeeded without
    telling us the id this change must refer to it by."""
    for needed in change.depends_on:
        result = results.get(needed)
        if result is None:
            continue
        if result.outcome is not Outcome.SUCCEEDED:
            verb = "failed" if result.outcome is Outcome.FAILED else "was skipped"
            return f"{needed} {verb}"
        if result.remote_id is None and change.action is not Action.DELETE:
            return f"{needed} was written, but its id was not returned (the next apply reads it)"
    return None


def _check_complete(changes: list[Change], results: dict[Ref, ChangeResult]) -> None:
    """A backend that forgets a change must not make the report lie: mark it failed."""
    for change in changes:
        if change.ref not in results:
            results[change.ref] = ChangeResult(
                change.ref, Outcome.FAILED, change.remote_id, "no result from the backend"
            )
