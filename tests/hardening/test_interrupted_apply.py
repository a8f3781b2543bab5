"""The applier after a stop request: the wave in flight settles or is abandoned, later waves
are not attempted, and the report accounts for every change (fast, in process; the real
signals against a served emulator are in test_signals.py)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence

import anyio
import pytest

from catalogsync import interrupt
from catalogsync.applier import apply_plan
from catalogsync.backend_api import Settled
from catalogsync.catalog import Ref
from catalogsync.interrupt import RequestNotSent
from catalogsync.plan import Change
from catalogsync.planner import build_plan
from catalogsync.report import ApplyReport, ChangeResult, Outcome
from tests.fakes import InMemoryBackend
from tests.test_applier import DESIRED, GOLD, OPTS, SMS, VOICE


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    interrupt.reset()
    yield
    interrupt.reset()


class StoppedDuringFirstWave(InMemoryBackend):
    """SIGINT arrives while the first wave is in flight: VOICE was sent, the rest was not."""

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        interrupt.request_stop(signal.SIGINT)
        sent = [c for c in changes if c.ref == VOICE]
        results = await super().apply_wave(sent, ids, settled)
        refused = RequestNotSent("PATCH", "/rest/2.0/PRODUCT")
        return results + [
            ChangeResult(c.ref, Outcome.FAILED, None, str(refused))
            for c in changes
            if c not in sent
        ]


class HangsInFlight(InMemoryBackend):
    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        interrupt.request_stop(signal.SIGTERM)
        await asyncio.sleep(3600)
        raise AssertionError("not reached")


def _apply(backend: InMemoryBackend, cancel_after: float | None = None) -> ApplyReport:
    async def go() -> ApplyReport:
        live = await backend.fetch_live()
        plan = build_plan(DESIRED, live, OPTS)
        task = asyncio.ensure_future(apply_plan(plan, backend, live))
        if cancel_after is not None:
            await asyncio.sleep(cancel_after)
            task.cancel()  # what the second signal does
        return await task

    return anyio.run(go)


def test_a_stop_settles_the_wave_and_attempts_no_further_one() -> None:
    backend = StoppedDuringFirstWave()
    report = _apply(backend)
    outcomes = {r.ref: (r.outcome, r.message) for r in report.results}
    assert outcomes[VOICE] == (Outcome.SUCCEEDED, "")
    assert outcomes[SMS] == (Outcome.SKIPPED, "not attempted: apply was interrupted (SIGINT)")
    assert len(backend.waves) == 1  # later waves were never started
    later = [r for r in report.results if r.ref not in (VOICE, SMS, GOLD)]
    assert later and all(r.message.startswith("not attempted") for r in later)
    assert len(report.results) == len(DESIRED)


def test_a_second_signal_abandons_the_wave_and_says_it_may_have_been_written() -> None:
    report = _apply(HangsInFlight(), cancel_after=0.05)
    first_wave = [r for r in report.results if r.outcome is Outcome.FAILED]
    assert first_wave and all(
        "abandoned in flight (SIGTERM twice)" in r.message for r in first_wave
    )
    rest = report.of(Outcome.SKIPPED)
    assert rest and all(r.message.startswith("not attempted") for r in rest)
    assert len(report.results) == len(DESIRED)


def test_a_cancellation_without_a_stop_request_is_not_swallowed() -> None:
    class Hangs(InMemoryBackend):
        async def apply_wave(
            self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
        ) -> list[ChangeResult]:
            await asyncio.sleep(3600)
            raise AssertionError("not reached")

    with pytest.raises(asyncio.CancelledError):
        _apply(Hangs(), cancel_after=0.05)


def test_requests_are_refused_once_a_stop_is_requested() -> None:
    interrupt.request_stop(signal.SIGTERM)
    with pytest.raises(RequestNotSent) as caught:
        interrupt.check_not_stopping("GET", "/rest/2.0/query")
    assert interrupt.is_not_sent(str(caught.value))
    assert not interrupt.is_not_sent(
        f"created, but its currencies were not changed: {caught.value}"
    )


def test_a_signal_after_the_stop_request_cannot_cut_the_report_short() -> None:
    """Ctrl-C twice, the second landing just after apply's handlers are removed: the run is
    already stopping (the partial report and exit 130 follow), so the late signal must not
    become a KeyboardInterrupt ("Aborted!", exit 1, no report)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    async def stopped_then_signalled_again() -> None:
        with interrupt.stop_on_signals():
            signal.raise_signal(signal.SIGINT)  # the first: asks the run to stop
            while interrupt.stopping() is None:  # the loop runs the handler on its next turn
                await asyncio.sleep(0.001)
        signal.raise_signal(signal.SIGINT)  # the second, after the handlers are gone

    try:
        asyncio.run(stopped_then_signalled_again())
        assert interrupt.stopping() == signal.SIGINT
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


async def _signalled(signum: int) -> None:
    signal.raise_signal(signum)
    for _ in range(1000):  # the loop runs the handler on one of its next turns
        await asyncio.sleep(0.001)
        if interrupt.stopping() is not None:
            return


def _in_a_loop_restoring_handlers(main: Callable[[], Coroutine[None, None, None]]) -> None:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(main())
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def test_a_second_signal_with_nothing_in_flight_cancels_nothing() -> None:
    """Between waves, or while the report is built, nothing is in flight: the second signal
    has nothing to abandon, so it must not cancel the run (a CancelledError traceback)."""
    reached = []

    async def main() -> None:
        with interrupt.stop_on_signals():
            await _signalled(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            await asyncio.sleep(0.05)
            reached.append("the report")

    _in_a_loop_restoring_handlers(main)
    assert reached == ["the report"]


def test_a_second_signal_abandons_what_is_in_flight() -> None:
    abandoned = []

    async def main() -> None:
        with interrupt.stop_on_signals():
            await _signalled(signal.SIGINT)
            try:
                with interrupt.abandonable():
                    asyncio.get_running_loop().call_later(0.01, signal.raise_signal, signal.SIGINT)
                    await asyncio.sleep(3600)  # a request in flight
            except asyncio.CancelledError:
                abandoned.append(True)
                task = asyncio.current_task()
                assert task is not None
                task.uncancel()

    _in_a_loop_restoring_handlers(main)
    assert abandoned == [True]


def test_sigterm_unwinds_as_before_once_apply_s_handlers_are_removed() -> None:
    """Removing a loop's SIGTERM handler leaves SIGTERM to its default action (killed, no
    message): after apply's writes it must go back to unwinding as on Ctrl-C."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    async def a_run_that_is_not_stopped() -> None:
        with interrupt.stop_on_signals():
            await asyncio.sleep(0)

    try:
        interrupt.unwind_on_sigterm()
        before = signal.getsignal(signal.SIGTERM)
        asyncio.run(a_run_that_is_not_stopped())
        assert signal.getsignal(signal.SIGTERM) is before and callable(before)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
