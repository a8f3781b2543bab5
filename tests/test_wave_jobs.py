"""A wave's jobs start a few ahead of the client's slots (`gather_settled(at_once=…)`): each
batch builds its records while the requests before it are on the wire, instead of every
batch of the wave building its records before the second request leaves."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping

import httpx
import pytest

from catalogsync.backend_api import gather_settled, started_ahead
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.catalog import Ref, product_ref
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.http.settings import HttpSettings
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome


def _result(name: str) -> list[ChangeResult]:
    return [ChangeResult(product_ref(name), Outcome.SUCCEEDED, name)]


@pytest.mark.anyio
async def test_at_most_so_many_jobs_run_at_once_in_order_and_results_keep_the_jobs_order() -> None:
    running: list[int] = []
    most = 0
    started: list[int] = []
    told: list[int] = []

    async def job(index: int) -> list[ChangeResult]:
        nonlocal most
        started.append(index)
        running.append(index)
        most = max(most, len(running))
        await asyncio.sleep(0.001 * (index % 3))  # later jobs may end first
        running.remove(index)
        return _result(f"P{index}")

    results = await gather_settled((job(i) for i in range(10)), told.append, at_once=3)
    assert most == 3
    assert started == list(range(10))
    assert [r.remote_id for r in results] == [f"P{i}" for i in range(10)]
    assert told == [1] * 10


@pytest.mark.anyio
async def test_jobs_not_started_when_one_fails_are_closed_never_run() -> None:
    ran: list[int] = []

    async def job(index: int) -> list[ChangeResult]:
        ran.append(index)
        await asyncio.sleep(0)
        if index == 1:
            raise RuntimeError("refused")
        await asyncio.sleep(1)
        return _result(f"P{index}")

    jobs = [job(i) for i in range(6)]
    with pytest.raises(RuntimeError, match="refused"):
        await gather_settled(jobs, None, at_once=2)
    assert ran == [0, 1]
    # closed: awaiting one again is refused (never "coroutine was never awaited")
    assert all(inspect.getcoroutinestate(j) == inspect.CORO_CLOSED for j in jobs)


class _Counting(BillingPlatformBackend):
    """Counts the batches whose records were built."""

    built = 0

    def _prepare(
        self, changes: list[Change], ids: Mapping[Ref, str]
    ) -> tuple[list[tuple[Change, dict[str, str]]], list[ChangeResult]]:
        self.built += 1
        return super()._prepare(changes, ids)


class _Watching(httpx.AsyncBaseTransport):
    """The emulator's transport, noting how many batches were built as each write leaves."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.backend: _Counting | None = None
        self.built_at_write: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if (
            request.method == "POST"
            and self.backend is not None
            and "/login" not in str(request.url)
        ):
            self.built_at_write.append(self.backend.built)
        return await self.inner.handle_async_request(request)


@pytest.mark.anyio
async def test_billingplatform_builds_a_batch_s_records_a_few_batches_ahead_of_the_wire() -> None:
    products = [Change(Action.CREATE, product_ref(f"P{i}"), values={}) for i in range(40)]
    with BillingPlatformEmulator() as emulator:
        watching = _Watching(emulator.async_transport())
        settings = HttpSettings(concurrency=2, rate_limit_per_second=0)
        client = BillingPlatformClient(
            "http://emulator", "u", "p", transport=watching, settings=settings
        )
        backend = _Counting(client, batch_size=2)
        watching.backend = backend
        try:
            results = await backend.apply_wave(products, {})
        finally:
            await backend.close()
    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    assert len(watching.built_at_write) == 20  # 20 POSTs of 2 products, as before
    ahead = started_ahead(2)
    # the first write leaves when at most `ahead` batches are built (all 20 before)
    assert watching.built_at_write[0] <= ahead
    assert all(built <= n + ahead for n, built in enumerate(watching.built_at_write))
