"""The applier with an in-memory backend: waves, id carry-over, skipped dependents."""

from __future__ import annotations

import dataclasses
import gc
import weakref
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio

from catalogsync.applier import ApplyOptions, apply_plan
from catalogsync.catalog import package_product_ref, package_ref, product_ref
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.report import Outcome
from catalogsync.verify import Written
from tests.fakes import InMemoryBackend, catalog, res

OPTS = PlanOptions(backend="memory")
VOICE, SMS, GOLD = product_ref("Voice"), product_ref("SMS"), package_ref("Gold")
GOLD_VOICE = package_product_ref("Gold", "Voice")
GOLD_VOICE_SMS = package_product_ref("Gold", "Voice", "SMS")
DESIRED = catalog(
    res(VOICE, rate=Decimal(1)),
    res(SMS),
    res(GOLD),
    res(GOLD_VOICE, min_qty=Decimal(1)),
    res(GOLD_VOICE_SMS, min_qty=Decimal(0)),
)


def run_apply(backend: InMemoryBackend):
    async def go():
        live = await backend.fetch_live()
        plan = build_plan(DESIRED, live, OPTS)
        return plan, await apply_plan(plan, backend, live)

    return anyio.run(go)


def test_apply_runs_waves_in_order_then_replan_is_empty() -> None:
    backend = InMemoryBackend()
    _, report = run_apply(backend)
    assert report.exit_code == 0
    assert [len(w) for w in backend.waves] == [3, 1, 1]
    assert report.counts() == {"succeeded": 5, "failed": 0, "skipped": 0}
    again = build_plan(DESIRED, LiveCatalog(tuple(backend.records.values())), OPTS)
    assert again.changes == ()


def test_dependents_of_a_failure_are_skipped_and_independent_work_continues() -> None:
    backend = InMemoryBackend(fail=[VOICE])
    _, report = run_apply(backend)
    assert report.exit_code == 4
    outcomes = {r.ref: (r.outcome, r.message) for r in report.results}
    assert outcomes[VOICE] == (Outcome.FAILED, "injected failure")
    assert outcomes[SMS][0] is Outcome.SUCCEEDED and outcomes[GOLD][0] is Outcome.SUCCEEDED
    assert outcomes[GOLD_VOICE] == (Outcome.SKIPPED, "skipped: product Voice failed")
    assert outcomes[GOLD_VOICE_SMS] == (
        Outcome.SKIPPED,
        "skipped: package-product Gold / Voice was skipped",
    )
    # a second apply without the fault converges with no duplicate
    backend.fail.clear()
    _, second = run_apply(backend)
    assert second.counts() == {"succeeded": 3, "failed": 0, "skipped": 0}
    assert len(backend.records) == 5


def test_the_catalog_read_before_the_writes_is_let_go_before_the_verification_read() -> None:
    """At L two whole live catalogs at once cost ~180 MB: a caller that hands `live` over
    finds it freed by the time the apply reads the catalog again to verify."""
    backend = InMemoryBackend()
    read_before_writes_alive: list[bool] = []

    async def go() -> None:
        live = await backend.fetch_live()
        plan = build_plan(DESIRED, live, OPTS)
        handed_over = weakref.ref(live)
        real_fetch_live = backend.fetch_live

        async def fetch_live(*args: Any, **kwargs: Any) -> LiveCatalog:
            gc.collect()
            read_before_writes_alive.append(handed_over() is not None)
            return await real_fetch_live(*args, **kwargs)

        backend.fetch_live = fetch_live  # type: ignore[method-assign]
        execution = apply_plan(plan, backend, live)
        del live
        report = await execution
        assert report.verified

    anyio.run(go)
    assert read_before_writes_alive[-1:] == [False]  # the verification read, the last one


def test_the_verification_read_is_told_the_names_of_the_products_not_written() -> None:
    """With the catalog read just before the writes (no prompt between), the verification
    read is handed, by id, the names of the products no change writes, as that read saw
    them (`verify.Written.product_names`): SMS and Fax, not Voice, whose rate the apply
    writes. After a prompt (not fresh), none; before the first apply, none was read."""
    backend = InMemoryBackend()
    told: list[dict[str, str]] = []
    fax = res(product_ref("Fax"))

    real = backend.fetch_written_into

    async def fetch_written_into(written: Written, see: Callable[[LiveResource], None]) -> int:
        told.append(dict(written.product_names))
        return await real(written, see)

    backend.fetch_written_into = fetch_written_into  # type: ignore[method-assign]

    async def go(fresh: bool, voice_rate: int) -> None:
        live = await backend.fetch_live()
        desired = catalog(*(r for r in DESIRED if r.ref != VOICE), res(VOICE, rate=voice_rate), fax)
        plan = build_plan(desired, live, OPTS)
        report = await apply_plan(plan, backend, live, options=ApplyOptions(live_is_fresh=fresh))
        assert report.exit_code == 0 and report.verified

    anyio.run(go, True, 1)
    anyio.run(go, True, 2)
    anyio.run(go, False, 3)
    ids = {r.ref: r.remote_id for r in backend.records.values()}
    assert told == [{}, {ids[SMS]: "SMS", ids[fax.ref]: "Fax"}, {}]


def test_a_dependency_written_without_its_id_skips_its_dependents() -> None:
    """The other way `_blocker` stops a change (every result so far succeeded, so the
    runnable changes are not told by the fast path)."""

    class NoIdFor(InMemoryBackend):
        async def apply_wave(self, changes: Any, ids: Any, settled: Any = None) -> Any:
            results = await super().apply_wave(changes, ids, settled)
            return [
                dataclasses.replace(r, remote_id=None) if r.ref == VOICE else r for r in results
            ]

    _, report = run_apply(NoIdFor())
    outcomes = {r.ref: (r.outcome, r.message) for r in report.results}
    assert outcomes[VOICE][0] is Outcome.SUCCEEDED
    assert outcomes[GOLD_VOICE] == (
        Outcome.SKIPPED,
        "skipped: product Voice was written, but its id was not returned (the next apply reads it)",
    )
    assert outcomes[GOLD_VOICE_SMS][0] is Outcome.SKIPPED
