"""After an apply's last wave no write follows: the backend is told (`Backend.writes_done`)
before the verification read, lets go of what it kept from its reads for the writes, and
that read keeps none of it again. At L that state (ids, names and rows of 150,000
package-products) was held twice at the verification read's peak: the re-checks' copy and
the verification's own."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence

import anyio
import pytest

from catalogsync.applier import apply_plan
from catalogsync.backend_api import Progress, Settled
from catalogsync.backends.billingplatform import backend as backend_module
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.logisense import backend as backend_module_ls
from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.catalog import Kind, Ref
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.loader import load_catalog
from catalogsync.plan import Change
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.registry import get_format
from catalogsync.report import ChangeResult, Outcome
from tests.backends.logisense.conftest import make_client
from tests.conftest import ROOT
from tests.fakes import UNPACED, InMemoryBackend
from tests.test_recheck_scope import DESIRED


class NotesEvents(InMemoryBackend):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        self.events.append("read")
        return await super().fetch_live(progress)

    async def fetch_kinds(
        self, kinds: Collection[Kind], ids: Mapping[Ref, str], *, keys_only: Collection[Kind] = ()
    ) -> LiveCatalog:
        self.events.append("recheck")
        return await super().fetch_kinds(kinds, ids, keys_only=keys_only)

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        self.events.append("wave")
        return await super().apply_wave(changes, ids, settled)

    def writes_done(self) -> None:
        self.events.append("writes done")


def test_the_apply_tells_the_backend_its_writes_are_done_before_the_verification_read() -> None:
    backend = NotesEvents()

    async def go() -> None:
        plan = build_plan(DESIRED, LiveCatalog(), PlanOptions(backend="memory"))
        report = await apply_plan(plan, backend, LiveCatalog())
        assert report.verified and report.exit_code == 0

    anyio.run(go)
    assert backend.events[-3:] == ["wave", "writes done", "read"]
    assert backend.events.count("writes done") == 1


def _billingplatform(emulator: BillingPlatformEmulator) -> BillingPlatformBackend:
    client = BillingPlatformClient(
        "http://emulator", "u", "p", transport=emulator.async_transport(), settings=UNPACED
    )
    return BillingPlatformBackend(client)


def _write_state(backend: BillingPlatformBackend) -> tuple[object, ...]:
    return (
        backend._fetched,
        backend._live_pps,
        backend._pp_names,
        backend._pp_names_assigned,
        backend._unsettled,
    )


def test_billingplatform_keeps_nothing_for_writes_once_they_are_done() -> None:
    seen_by_verification: list[tuple[object, ...]] = []

    async def go() -> None:
        with BillingPlatformEmulator() as emulator:
            backend = _billingplatform(emulator)
            fetch_live, fetch_live_into = backend.fetch_live, backend.fetch_live_into

            async def verification_read(
                see: Callable[[LiveResource], None], progress: Progress | None = None
            ) -> int:
                seen_by_verification.append(_write_state(backend))
                return await fetch_live_into(see, progress)

            try:
                live = await backend.fetch_live()
                plan = build_plan(DESIRED, live, PlanOptions(backend="billingplatform"))
                backend.fetch_live_into = verification_read  # type: ignore[method-assign]
                report = await apply_plan(plan, backend, live)
                assert report.verified and report.exit_code == 0
                assert {r.outcome for r in report.results} == {Outcome.SUCCEEDED}
                # the verification read kept nothing for writes either
                assert _write_state(backend) == ({}, {}, Counter(), Counter(), {})
                again = await fetch_live()  # a read after the apply still reads everything
                assert {r.ref for r in again} == {r.ref for r in DESIRED}
                with pytest.raises(RuntimeError, match="writes_done"):
                    await backend.apply_wave(plan.changes[:1], {})
            finally:
                await backend.close()

    anyio.run(go)
    assert seen_by_verification == [({}, {}, Counter(), Counter(), {})]


def test_logisense_keeps_no_package_children_once_the_writes_are_done() -> None:
    kept_by_read: list[int] = []
    example = ROOT / "catalogs" / "logisense-example"
    files = [f for f in sorted(example.rglob("*.yaml")) if f.name != "catalogsync.yaml"]
    desired = load_catalog(files, get_format("logisense"), example)

    async def go() -> None:
        with LogiSenseEmulator() as emulator:
            backend = LogiSenseBackend(make_client(emulator.async_transport()))
            fetch_live, fetch_live_into = backend.fetch_live, backend.fetch_live_into

            async def any_read(progress: Progress | None = None) -> LiveCatalog:
                read = await fetch_live(progress)
                kept_by_read.append(len(backend._children))
                return read

            async def handed_on(
                see: Callable[[LiveResource], None], progress: Progress | None = None
            ) -> int:
                count = await fetch_live_into(see, progress)
                kept_by_read.append(len(backend._children))
                return count

            try:
                live = await backend.fetch_live()
                plan = build_plan(desired, live, PlanOptions(backend="logisense"))
                backend.fetch_live = any_read  # type: ignore[method-assign]
                backend.fetch_live_into = handed_on  # type: ignore[method-assign]
                report = await apply_plan(plan, backend, live)
                assert report.verified and report.exit_code == 0, report.results
                assert backend._children == {}
                with pytest.raises(RuntimeError, match="writes_done"):
                    await backend.apply_wave(plan.changes[:1], {})
            finally:
                await backend.close()

    anyio.run(go)
    # a re-check's read keeps the packages' children for the next wave; the verification
    # read keeps none
    *rechecks, verification = kept_by_read
    assert max(rechecks) > 0 and verification == 0


def test_a_billingplatform_read_lets_go_of_its_rows_before_the_catalog_is_sorted() -> None:
    """The pages and whole rows of a read (`Columns`: its tasks' results, `LiveRows`' own
    copy) are not alive while `LiveCatalog` sorts what it found (at L they were, at the
    verification read's peak)."""
    alive: list[int] = []

    def columns_alive() -> int:
        gc.collect()
        return sum(isinstance(o, Columns) for o in gc.get_objects())

    class Noting(LiveCatalog):
        def __post_init__(self) -> None:
            alive.append(columns_alive())
            super().__post_init__()

    async def go() -> None:
        with BillingPlatformEmulator() as emulator:
            backend = _billingplatform(emulator)
            try:
                await apply_plan(
                    build_plan(DESIRED, LiveCatalog(), PlanOptions(backend="billingplatform")),
                    backend,
                    LiveCatalog(),
                )
                # (any other test's left alive in this worker are not the read's)
                alive.append(columns_alive())
                with pytest.MonkeyPatch.context() as patch:
                    patch.setattr(backend_module, "LiveCatalog", Noting)
                    live = await backend.fetch_live()
            finally:
                await backend.close()
        assert {r.ref for r in live} == {r.ref for r in DESIRED}

    anyio.run(go)
    before, at_the_sort = alive
    assert at_the_sort == before


def test_logisense_s_verification_read_hands_each_record_on_and_makes_no_live_catalog() -> None:
    """After the writes, `fetch_live_into` hands `see` the very records `fetch_live` would
    list, and no `LiveCatalog` of them is made (at L the verification read held one of
    205,000 records beside the plan: the apply's peak)."""
    example = ROOT / "catalogs" / "logisense-example"
    files = [f for f in sorted(example.rglob("*.yaml")) if f.name != "catalogsync.yaml"]
    desired = load_catalog(files, get_format("logisense"), example)
    made: list[int] = []

    class Noting(LiveCatalog):
        def __post_init__(self) -> None:
            made.append(len(self.resources))
            super().__post_init__()

    async def go() -> tuple[LiveCatalog, list[LiveResource]]:
        with LogiSenseEmulator() as emulator:
            backend = LogiSenseBackend(make_client(emulator.async_transport()))
            try:
                live = await backend.fetch_live()
                plan = build_plan(desired, live, PlanOptions(backend="logisense"))
                report = await apply_plan(plan, backend, live)
                assert report.verified and report.exit_code == 0, report.results
                whole = await backend.fetch_live()
                seen: list[LiveResource] = []
                with pytest.MonkeyPatch.context() as patch:
                    patch.setattr(backend_module_ls, "LiveCatalog", Noting)
                    count = await backend.fetch_live_into(seen.append)
                assert count == len(seen)
                return whole, seen
            finally:
                await backend.close()

    whole, seen = anyio.run(go)
    assert made == []
    assert len(whole) > 0 and LiveCatalog(tuple(seen)) == whole


def test_billingplatform_s_verification_read_hands_each_record_on_and_makes_no_live_catalog() -> (
    None
):
    """`fetch_live_into` hands `see` the very records `fetch_live` lists, each once, and no
    `LiveCatalog` of them is made (at L, sorting 205,000 records by key for a check that
    takes them in any order was ~0.3 s of an apply's verification read)."""
    made: list[int] = []

    class Noting(LiveCatalog):
        def __post_init__(self) -> None:
            made.append(len(self.resources))
            super().__post_init__()

    async def go() -> tuple[LiveCatalog, list[LiveResource]]:
        with BillingPlatformEmulator() as emulator:
            backend = _billingplatform(emulator)
            try:
                plan = build_plan(DESIRED, LiveCatalog(), PlanOptions(backend="billingplatform"))
                report = await apply_plan(plan, backend, LiveCatalog())
                assert report.verified and report.exit_code == 0, report.results
                whole = await backend.fetch_live()
                seen: list[LiveResource] = []
                with pytest.MonkeyPatch.context() as patch:
                    patch.setattr(backend_module, "LiveCatalog", Noting)
                    count = await backend.fetch_live_into(seen.append)
                assert count == len(seen)
                return whole, seen
            finally:
                await backend.close()

    whole, seen = anyio.run(go)
    assert made == []
    assert len(whole) == len(DESIRED) and LiveCatalog(tuple(seen)) == whole


def test_billingplatform_makes_a_read_s_write_state_only_once_a_write_needs_it() -> None:
    """A plan or drift reads and never writes: the Ids, Names and required texts of the read
    were made into sets, counts and rows for the writes anyway (~35 MB at L)."""

    async def go() -> None:
        with BillingPlatformEmulator() as emulator:
            writer = _billingplatform(emulator)
            try:
                plan = build_plan(DESIRED, LiveCatalog(), PlanOptions(backend="billingplatform"))
                assert (await apply_plan(plan, writer, LiveCatalog())).exit_code == 0
            finally:
                await writer.close()
            backend = _billingplatform(emulator)
            try:
                live = await backend.fetch_live()
                assert _write_state(backend)[:4] == ({}, {}, Counter(), Counter())
                backend._settle_reads()  # what the first write does
                assert backend._unsettled == {}
                fetched, live_pps, pp_names = backend._fetched, backend._live_pps, backend._pp_names
                assert fetched == {
                    kind: {r.remote_id for r in live if r.ref.kind is kind} for kind in Kind
                }
                pps = [r for r in live if r.ref.kind is Kind.PACKAGE_PRODUCT]
                assert pps and set(live_pps) == {r.remote_id for r in pps}
                assert sum(pp_names.values()) == len(pps)
                rows = emulator.records("PACKAGE_PRODUCT")
                assert live_pps == {r["Id"]: (r["Name"], r["MinQty"], r["PackageId"]) for r in rows}
            finally:
                await backend.close()

    anyio.run(go)
