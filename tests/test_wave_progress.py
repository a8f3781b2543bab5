"""An apply's progress moves as each request or batch of a wave settles, not once a wave:
LogiSense's 50,000-service wave is one wave of an hour of requests."""

from __future__ import annotations

import io
from typing import Any

import anyio
import pytest

from catalogsync.applier import apply_plan
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.catalog import package_product_ref, product_ref
from catalogsync.cli.output import ProgressReporter
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.plan import Action, Change
from catalogsync.planner import build_plan
from catalogsync.report import Outcome
from tests.backends.logisense.conftest import make_client
from tests.fakes import UNPACED, InMemoryBackend
from tests.test_applier import DESIRED, OPTS, VOICE


def _apply(backend: InMemoryBackend, progress: Any) -> None:
    async def go() -> None:
        live = await backend.fetch_live()
        await apply_plan(build_plan(DESIRED, live, OPTS), backend, live, progress)

    anyio.run(go)


def test_the_count_moves_with_each_settled_change_of_a_wave_then_at_its_end() -> None:
    calls: list[tuple[int, int]] = []
    _apply(InMemoryBackend(), lambda done, total: calls.append((done, total)))
    # waves of 3, 1 and 1 changes; the fake tells one settled change per request
    assert calls == [(1, 5), (2, 5), (3, 5), (3, 5), (4, 5), (4, 5), (5, 5), (5, 5)]


def test_a_failed_change_counts_as_settled_and_its_skipped_dependents_at_the_wave_end() -> None:
    calls: list[int] = []
    _apply(InMemoryBackend(fail=[VOICE]), lambda done, _total: calls.append(done))
    # Voice fails in wave 0: its package-product (wave 1) and that one's child (wave 2) are
    # skipped, so waves 1 and 2 send nothing and count their skipped changes at their end.
    assert calls == [1, 2, 3, 3, 4, 5]
    assert calls == sorted(calls)


class _Clock:
    """A clock that moves 4 s each time it is read: every request of the apply is slow."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 4
        return self.now


def test_a_log_shows_the_count_within_a_wave() -> None:
    out = io.StringIO()
    reporter = ProgressReporter(
        "applying", "changes", stream=out, is_tty=False, interval=6, clock=_Clock()
    )
    _apply(InMemoryBackend(), reporter)
    counts = [line.split(": ")[1].split(" changes")[0] for line in out.getvalue().splitlines()]
    # a line every 6 s of the slow clock: 2/5 is wave 0 (3 changes) before it ends, which a
    # count moved once a wave never showed
    assert counts == ["2/5", "3/5", "4/5", "5/5"]


def test_a_terminal_bar_is_redrawn_for_each_settled_change() -> None:
    out = io.StringIO()
    reporter = ProgressReporter("applying", "changes", stream=out, is_tty=True, clock=_Clock())
    _apply(InMemoryBackend(), reporter)
    drawn = [part.split("] ")[1].split(",")[0] for part in out.getvalue().split("\r")[1:]]
    assert drawn[:3] == ["1/5 changes", "2/5 changes", "3/5 changes"]
    assert out.getvalue().endswith("] 5/5 changes, 28 s elapsed\n")


@pytest.mark.anyio
async def test_billingplatform_tells_each_batch_and_each_refusal_as_it_settles() -> None:
    told: list[int] = []
    products = [Change(Action.CREATE, product_ref(f"P{i}"), values={}) for i in range(5)]
    orphan = Change(Action.CREATE, package_product_ref("Nowhere", "P0"), values={})
    with BillingPlatformEmulator() as emulator:
        client = BillingPlatformClient(
            "http://emulator", "u", "p", transport=emulator.async_transport(), settings=UNPACED
        )
        backend = BillingPlatformBackend(client, batch_size=2)
        try:
            results = await backend.apply_wave([*products, orphan], {}, told.append)
        finally:
            await backend.close()
    assert sorted(r.outcome.value for r in results) == ["failed"] + ["succeeded"] * 5
    # the package-product has no package id: refused before any request, told at once
    assert told[0] == 1 and sorted(told[1:]) == [1, 2, 2]  # three POSTs of 2, 2 and 1


@pytest.mark.anyio
async def test_logisense_tells_each_service_request_as_it_settles() -> None:
    told: list[int] = []
    services = [
        Change(Action.CREATE, product_ref(f"S{i}"), values={"service_type": "Recurring"})
        for i in range(3)
    ]
    with LogiSenseEmulator() as emulator:
        backend = LogiSenseBackend(make_client(emulator.async_transport()))
        try:
            results = await backend.apply_wave(services, {}, told.append)
        finally:
            await backend.close()
    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}, results
    assert told == [1, 1, 1]  # one POST each
