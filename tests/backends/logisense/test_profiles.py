"""The LogiSense client under every emulator profile, and against servers that answer a
PATCH with 200 without proving (or without doing) each change."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.catalog import Ref, package_product_ref, package_ref, product_ref
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.emulator.logisense.profiles import PROFILES
from catalogsync.plan import Action, Change, FieldChange
from catalogsync.report import ChangeResult, Outcome
from tests.backends.logisense.conftest import make_client

pytestmark = pytest.mark.anyio

GOLD = package_ref("Gold")
VOICE, DATA = product_ref("Voice"), product_ref("Data")


def _update(ref: Ref, ids: dict[Ref, str], field: str, before: Any, after: Any) -> Change:
    return Change(
        Action.UPDATE, ref, fields=(FieldChange(field, before, after),), remote_id=ids[ref]
    )


def _delete(ref: Ref, ids: dict[Ref, str]) -> Change:
    return Change(Action.DELETE, ref, remote_id=ids[ref])


async def _apply(
    backend: LogiSenseBackend, changes: list[Change], ids: dict[Ref, str]
) -> list[ChangeResult]:
    results = await backend.apply_wave(changes, ids)
    for result in results:
        if result.remote_id is not None:
            ids[result.ref] = result.remote_id
    return results


async def _build_gold(backend: LogiSenseBackend) -> dict[Ref, str]:
    """Voice and Data, package Gold (monthly, USD) holding both: every result SUCCEEDED."""
    ids: dict[Ref, str] = {}
    waves = [
        [
            Change(Action.CREATE, VOICE, values={"service_type": "Recurring"}),
            Change(Action.CREATE, DATA, values={"service_type": "Usage"}),
        ],
        [Change(Action.CREATE, GOLD, values={"frequencies": ("Month",), "currencies": ("USD",)})],
        [
            Change(Action.CREATE, package_product_ref("Gold", "Voice"), values={}),
            Change(
                Action.CREATE, package_product_ref("Gold", "Data"), values={"maximum_instances": 3}
            ),
        ],
    ]
    for wave in waves:
        results = await _apply(backend, wave, ids)
        assert [(r.outcome, r.message) for r in results] == [(Outcome.SUCCEEDED, "")] * len(wave)
    return ids


@pytest.mark.parametrize("profile", list(PROFILES))
async def test_the_client_builds_and_changes_a_package_under(profile: str) -> None:
    with LogiSenseEmulator(profile=profile) as emulator:
        backend = LogiSenseBackend(make_client(emulator.async_transport()))
        try:
            ids = await _build_gold(backend)
            live = (await backend.fetch_live()).by_ref()
            voice_link = package_product_ref("Gold", "Voice")
            data_link = package_product_ref("Gold", "Data")
            assert live[voice_link].remote_id == ids[voice_link]  # identified without an echo
            assert live[GOLD].fields["currencies"] == ("USD",)
            changes = [_update(GOLD, ids, "currencies", ("USD",), ("CAD", "EUR"))]
            results = await _apply(backend, changes, ids)
            assert [r.outcome for r in results] == [Outcome.SUCCEEDED]
            links = [
                _update(voice_link, ids, "maximum_instances", None, 7),
                _delete(data_link, ids),
            ]
            results = await _apply(backend, links, ids)
            assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * 2
            live = (await backend.fetch_live()).by_ref()
        finally:
            await backend.close()
    assert live[GOLD].fields["currencies"] == ("CAD", "EUR")
    assert live[voice_link].fields["maximum_instances"] == 7
    assert data_link not in live


class _Rewriting(httpx.AsyncBaseTransport):
    """Passes requests to the emulator, letting tests rewrite PATCH bodies and answers."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        body: Callable[[dict[str, Any]], dict[str, Any]] = lambda b: b,
        answer: Callable[[dict[str, Any]], dict[str, Any]] = lambda a: a,
    ) -> None:
        self.inner, self.body, self.answer = inner, body, answer
        self.armed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (self.armed and request.method == "PATCH"):
            return await self.inner.handle_async_request(request)
        sent = self.body(json.loads(request.content))
        rewritten = httpx.Request(
            "PATCH",
            request.url,
            headers={"Authorization": request.headers["Authorization"]},
            json=sent,
        )
        response = await self.inner.handle_async_request(rewritten)
        payload = self.answer(json.loads(await response.aread()))
        return httpx.Response(response.status_code, json=payload)


@pytest.fixture
async def rewriting() -> AsyncIterator[tuple[LogiSenseEmulator, LogiSenseBackend, _Rewriting]]:
    with LogiSenseEmulator() as emulator:
        transport = _Rewriting(emulator.async_transport())
        backend = LogiSenseBackend(make_client(transport))
        try:
            yield emulator, backend, transport
        finally:
            await backend.close()


async def test_a_200_that_reports_nothing_is_settled_by_a_re_read(
    rewriting: tuple[LogiSenseEmulator, LogiSenseBackend, _Rewriting],
) -> None:
    emulator, backend, transport = rewriting
    transport.answer = lambda a: {**a, "results": {"totalCount": 0, "items": []}}
    transport.armed = True
    ids = await _build_gold(backend)  # every create proven by reading the package back
    (link,) = emulator.find("Package/Service", serviceId=int(ids[VOICE]))
    assert ids[package_product_ref("Gold", "Voice")] == str(link["identity"])


async def test_a_200_that_applied_nothing_fails_each_change(
    rewriting: tuple[LogiSenseEmulator, LogiSenseBackend, _Rewriting],
) -> None:
    """A server that expected the children elsewhere and silently dropped them."""
    emulator, backend, transport = rewriting
    ids = await _build_gold(backend)
    transport.body = lambda b: {k: v for k, v in b.items() if k != "details"}
    transport.armed = True
    voice_link = package_product_ref("Gold", "Voice")
    changes = [
        _update(voice_link, ids, "maximum_instances", None, 9),
        _delete(package_product_ref("Gold", "Data"), ids),
    ]
    results = await backend.apply_wave(changes, ids)
    assert [r.outcome for r in results] == [Outcome.FAILED] * 2
    assert all("re-read shows it was not applied" in r.message for r in results)
    currencies = [_update(GOLD, ids, "currencies", ("USD",), ("USD", "EUR"))]
    (result,) = await backend.apply_wave(currencies, ids)
    assert result.outcome is Outcome.FAILED
    assert "currency 'EUR'" in result.message
    assert len(emulator.records("Package/Currency")) == 1


async def test_every_child_item_names_its_package(
    rewriting: tuple[LogiSenseEmulator, LogiSenseBackend, _Rewriting],
) -> None:
    _, backend, transport = rewriting
    seen: list[dict[str, Any]] = []

    def record(body: dict[str, Any]) -> dict[str, Any]:
        seen.append(body)
        return body

    transport.body, transport.armed = record, True
    ids = await _build_gold(backend)
    assert seen and all(set(body) == {"details"} for body in seen)
    items = [
        item
        for body in seen
        for collection in body["details"].values()
        for item in collection["items"]
    ]
    assert len(items) == 4  # a frequency, a currency, two package services
    assert all(item["packageId"] == int(ids[GOLD]) for item in items)


async def test_a_refused_children_patch_names_every_item_once_with_the_reason(
    rewriting: tuple[LogiSenseEmulator, LogiSenseBackend, _Rewriting],
) -> None:
    emulator, backend, _ = rewriting
    ids = await _build_gold(backend)
    emulator.faults.max_batch_size = 1  # the server refuses PATCHes of two items or more
    change = _update(GOLD, ids, "currencies", ("USD",), ("CAD", "EUR", "USD"))
    (result,) = await backend.apply_wave([change], ids)
    assert result.outcome is Outcome.FAILED
    assert "currency 'CAD', currency 'EUR': PATCH " in result.message
    assert result.message.count("more than 1 patch items") == 1
    assert len(emulator.records("Package/Currency")) == 1
