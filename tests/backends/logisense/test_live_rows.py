"""LogiSense live rows built while the read goes on (`LiveRows`) are the ones the whole-read
mapping (`mapping.live_resources`) builds, whatever the pages, the order they and the
lookup tables come in, and the records in them; a malformed answer raises the same error."""

from __future__ import annotations

import asyncio
import copy
import json
from itertools import pairwise
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.live_rows import LiveRows
from catalogsync.backends.logisense.mapping import (
    FIELDS,
    FieldType,
    PackageChildren,
    Record,
    live_resources,
    package_children,
    taken,
)
from catalogsync.catalog import Kind
from catalogsync.http import HttpSettings
from catalogsync.live import LiveCatalog, LiveResource
from tests.backends.logisense.test_mapping import LOOKUPS  # the mapping tests' tables
from tests.conftest import examples

# Values of every JSON type (and some a field does not document), ids that name a lookup
# row and ids that do not, missing and null fields.
_any = st.sampled_from([None, 0, 1, 2, 3, True, False, 1.0, "", "x", "1", "2026-01-01T00:00:00Z"])
_ids = st.sampled_from([1, 2, 3, 9, None, True, "1"])
_stamp = st.sampled_from([None, "", "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z"])


def _maybe(fields: dict[str, Any]) -> Any:
    """Records with these fields, each one possibly missing."""
    return st.fixed_dictionaries({}, optional=fields)


_service = st.builds(
    lambda identity, name, rest: {"identity": identity, "name": name, **rest},
    st.integers(1, 12),
    st.sampled_from(["S1", "S2", " S3 ", "", 7]),
    _maybe(
        {
            "serviceTypeId": _ids,
            "description": _any,
            "isActive": _any,
            "usageFrequency": _any,
            "usageFrequencyTypeId": _ids,
            "updated": _stamp,
            "created": _stamp,
        }
    ),
)
_child = st.builds(
    lambda identity, rest: {"identity": identity, **rest},
    st.integers(100, 400),
    _maybe(
        {
            "serviceId": st.sampled_from([1, 2, 3, 12, 99, None, "2", True]),
            "serviceName": st.sampled_from([None, "", "Named", "S1"]),
            "defaultInstances": _any,
            "minimumInstances": _any,
            "maximumInstances": _any,
            "updated": _stamp,
        }
    ),
)
_package = st.builds(
    lambda identity, name, services, frequencies, rest: {
        "identity": identity,
        "name": name,
        "details": {
            "services": services,
            "frequencies": frequencies,
            "currencies": [{"identity": identity * 10, "currencyId": 1}],
        },
        **rest,
    },
    st.integers(50, 60),
    st.sampled_from(["Gold", "Silver", "Bronze"]),
    st.lists(_child, max_size=4),
    st.lists(
        st.builds(
            lambda i, n, t: {"identity": i, "frequency": n, "frequencyTypeId": t},
            st.integers(500, 600),
            st.sampled_from([None, 1, 3]),
            st.sampled_from([3, 4, 8]),
        ),
        max_size=2,
    ),
    _maybe({"packageCategoryId": _ids, "start": _any, "isQuantityAllowed": _any}),
)


#: A read's services (identities each once, or not), packages, where its pages are cut.
_A_READ = {
    "services": st.one_of(
        st.lists(_service, max_size=9, unique_by=lambda s: s["identity"]),
        st.lists(_service, max_size=9),
    ),
    "packages": st.lists(_package, max_size=4, unique_by=lambda p: p["identity"]),
    "cuts": st.lists(st.integers(0, 9), max_size=3),
    "data": st.data(),
}


def _pages(services: list[Record], cuts: list[int]) -> list[list[Record]]:
    bounds = [0, *sorted(cuts), len(services)]
    return [services[a:b] for a, b in pairwise(bounds) if a < b]


def _whole_read(
    services: list[Record], packages: list[Record], children: bool = True
) -> tuple[list[LiveResource], dict[str, PackageChildren]]:
    """What `LogiSenseBackend.fetch_live` did before `LiveRows`: the children (unless the
    writes are done), then every record mapped once the whole read is in."""
    kept = {}
    if children:
        kept = {str(p["identity"]): package_children(p, LOOKUPS) for p in packages}
    return live_resources(taken(services), taken(packages), LOOKUPS), kept


def _built(
    pages: list[list[Record]],
    packages: list[Record],
    lookups_after: int,
    order: list[int],
    children: bool = True,
) -> tuple[list[LiveResource], dict[str, PackageChildren]]:
    """`LiveRows` told the pages in `order`, the lookup tables after `lookups_after` of
    them, `work` after each."""
    rows = LiveRows()
    for told, number in enumerate(order):
        if told == lookups_after:
            rows.named(LOOKUPS)
        rows.services(pages[number])
        rows.work()
    services = [record for page in pages for record in page]
    return rows.finish(services, packages, LOOKUPS, children=children), rows.children


def _outcome(build: Any) -> Any:
    """The live catalog (in its order) and the children, or the error raised."""
    try:
        resources, children = build()
    except Exception as exc:
        return type(exc), str(exc)
    return LiveCatalog(tuple(resources)).resources, children


@settings(max_examples=examples(200), deadline=None)
@given(**_A_READ)
def test_live_rows_are_the_whole_read_mapping_s_whatever_the_order(
    services: list[Record], packages: list[Record], cuts: list[int], data: Any
) -> None:
    pages = _pages(services, cuts)
    order = data.draw(st.permutations(range(len(pages))))
    lookups_after = data.draw(st.integers(0, len(pages)))
    children = data.draw(st.booleans())  # False: the writes are done
    whole = lambda: _whole_read(copy.deepcopy(services), copy.deepcopy(packages), children)  # noqa: E731
    expected = _outcome(whole)
    built = _outcome(lambda: _built(pages, copy.deepcopy(packages), lookups_after, order, children))
    assert built == expected


def test_a_malformed_service_raises_the_whole_read_s_first_error_whatever_page_came_first() -> None:
    first: list[Record] = [{"identity": 1, "name": "S1"}, {"identity": 2}]  # no name
    second: list[Record] = [{"identity": "x", "name": "S3"}]  # not an integer: ValueError
    with pytest.raises(KeyError, match="name"):
        _built([first, second], [], 0, [1, 0])
    # A package's malformed children come first, as in the whole-read mapping.
    package = {"identity": 5, "name": "P", "details": {"currencies": [{"currencyId": 1}]}}
    with pytest.raises(KeyError, match="identity"):
        _built([first, second], [package], 0, [0, 1])


def test_an_identity_read_twice_keeps_the_name_of_the_later_page() -> None:
    pages: list[list[Record]] = [
        [{"identity": 1, "name": "Old"}],
        [{"identity": "1", "name": "New"}],
    ]
    package = {
        "identity": 5,
        "name": "P",
        "details": {"services": [{"identity": 9, "serviceId": 1}]},
    }
    built = _outcome(lambda: _built(pages, [copy.deepcopy(package)], 0, [1, 0]))
    whole = _outcome(lambda: _whole_read([r for p in pages for r in p], [package]))
    assert built == whole
    assert any(r.ref.key == ("P", "New") for r in built[0])


def _unpaced(transport: httpx.AsyncBaseTransport) -> LogiSenseClient:
    """A client of `transport` without the rate limiter, in pages of 2."""
    return LogiSenseClient(
        "http://tenant",
        "u",
        "p",
        transport=transport,
        allow_insecure_http=True,
        page_size=2,
        settings=HttpSettings(rate_limit_per_second=0),
    )


def _live_of(client: LogiSenseClient) -> LiveCatalog:
    """The live catalog `client`'s backend reads."""

    async def read() -> LiveCatalog:
        backend = LogiSenseBackend(client)
        try:
            return await backend.fetch_live()
        finally:
            await backend.close()

    return asyncio.run(read())


class _Server(httpx.AsyncBaseTransport):
    """Service pages and lookup tables answered at once, the packages' page once they are."""

    def __init__(self) -> None:
        self.answered = 0  # service pages and lookup tables

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/Login"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        if path.endswith("/Package/Paged/Detail"):
            while self.answered < 2 + 6:
                await asyncio.sleep(0)
            for _ in range(50):  # what the answers lead to runs first
                await asyncio.sleep(0)
            child = {"identity": 9, "serviceId": 2}
            items = [{"identity": 50, "name": "P", "details": {"services": [child]}}]
            return httpx.Response(200, json={"pagedResults": {"totalCount": 1, "items": items}})
        self.answered += 1
        if path.endswith("/Service/Paged"):
            number = json.loads(request.headers["pagination"])["pageNumber"]
            items = [{"identity": 2 * number + i, "name": f"S{2 * number + i}"} for i in (0, 1)]
            return httpx.Response(200, json={"pagedResults": {"totalCount": 4, "items": items}})
        return httpx.Response(200, json={"items": [{"identity": 1, "name": "Recurring"}]})


def test_services_are_built_while_the_packages_page_is_on_the_wire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built_before_finish: list[int] = []
    real_finish = LiveRows.finish

    def finish(self: LiveRows, *args: Any, **kwargs: Any) -> list[LiveResource]:
        built_before_finish.append(len(self._services))
        return real_finish(self, *args, **kwargs)

    monkeypatch.setattr(LiveRows, "finish", finish)
    live = _live_of(_unpaced(_Server()))
    assert built_before_finish == [4]  # every service, before the packages' page was in
    labels = {r.ref.label for r in live}
    assert labels == {"S2", "S3", "S4", "S5", "P", "P / S2"}


class _LookupsLast(httpx.AsyncBaseTransport):
    """Every page answered at once; the lookup tables, if `last`, once both listings are
    (as at M, where the rate limit paces them behind the pages)."""

    def __init__(
        self, last: bool, *, packages_backwards: bool = False, one_name: bool = False
    ) -> None:
        self.last = last
        self.pages = 0  # listings' pages answered
        self.packages_backwards = packages_backwards  # P1 before P0, S5 before S2
        self.one_name = one_name  # every service named S

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/Login"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        if "/Paged" in path:
            number = json.loads(request.headers["pagination"])["pageNumber"]
            self.pages += 1
            if path.endswith("/Package/Paged/Detail"):
                items = [
                    {
                        "identity": 50 + p,
                        "name": f"P{p}",
                        "packageCategoryId": 1,
                        "details": {
                            "services": [
                                {
                                    "identity": 100 + 10 * p + s,
                                    "serviceId": s,
                                    "defaultInstances": p,
                                }
                                for s in (2, 5, 99)  # 99: no such service
                            ],
                            "frequencies": [{"identity": 7, "frequency": 1, "frequencyTypeId": 1}],
                        },
                    }
                    for p in (0, 1)
                ]
                items[1]["details"]["services"][2]["serviceName"] = "Named"  # type: ignore[index]
                if self.packages_backwards:
                    items.reverse()
                    for item in items:
                        item["details"]["services"].reverse()  # type: ignore[index]
                return httpx.Response(200, json={"pagedResults": {"totalCount": 2, "items": items}})
            items = [
                {"identity": 2 * number + i, "name": f"S{2 * number + i}", "serviceTypeId": 1}
                for i in (0, 1)
            ]
            if self.one_name:
                for item in items:
                    item["name"] = "S"
            return httpx.Response(200, json={"pagedResults": {"totalCount": 4, "items": items}})
        if self.last:
            while self.pages < 3:
                await asyncio.sleep(0)
            for _ in range(50):  # what the pages lead to runs first
                await asyncio.sleep(0)
        return httpx.Response(200, json={"items": [{"identity": 1, "name": "Recurring"}]})


def test_package_services_are_built_before_the_lookup_tables_that_come_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The services, package services and packages, their lookup fields (a package's
    frequencies and currencies too) named later: when the lookup tables are the last
    answers they are built before, and the live catalog and the packages' children are the
    ones built when the tables come first (fails when they wait for the tables; before
    round eighteen the packages did)."""
    built_when_named: list[int] = []
    real_named = LiveRows.named

    def named(self: LiveRows, lookups: Any) -> None:
        if self._lookups is None:
            built_when_named.append(self.built_before_lookups)
        real_named(self, lookups)

    monkeypatch.setattr(LiveRows, "named", named)

    def read(last: bool) -> tuple[LiveCatalog, dict[str, PackageChildren]]:
        client = LogiSenseClient(
            "http://tenant",
            "u",
            "p",
            transport=_LookupsLast(last),
            settings=HttpSettings(concurrency=10, rate_limit_per_second=0),
            allow_insecure_http=True,
            page_size=2,
        )

        async def run() -> tuple[LiveCatalog, dict[str, PackageChildren]]:
            backend = LogiSenseBackend(client)
            try:
                return await backend.fetch_live(), backend._children
            finally:
                await backend.close()

        return asyncio.run(run())

    first = read(last=False)
    built_when_named.clear()
    last = read(last=True)
    # The 4 services, P0 / S2, P0 / S5, P1 / S2, P1 / S5, P1 / Named, and P0, P1.
    assert built_when_named == [4 + 5 + 2]
    assert last == first
    labels = {r.ref.label for r in last[0] if r.ref.kind.value == "package_product"}
    assert labels == {"P0 / S2", "P0 / S5", "P1 / S2", "P1 / S5", "P1 / Named"}


@pytest.mark.parametrize("twice", [False, True])
def test_the_read_is_sorted_while_the_lookup_tables_that_come_last_are_on_the_wire(
    monkeypatch: pytest.MonkeyPatch, twice: bool
) -> None:
    """When the tables come last, each kind is sorted and told in order (no ref twice)
    before they are in: `finish` hands the live catalog its records in its order already
    (the packages too, given here out of it), which it takes as they are (fails when they
    are sorted after the last answer); with a ref held twice (`twice`: two services of
    one name) the catalog sorts and tells them as any read's."""
    finished: list[tuple[list[LiveResource], bool]] = []
    real_finish = LiveRows.finish

    def finish(self: LiveRows, *args: Any, **kwargs: Any) -> list[LiveResource]:
        finished.append((real_finish(self, *args, **kwargs), self.in_order))
        return finished[-1][0]

    monkeypatch.setattr(LiveRows, "finish", finish)
    client = LogiSenseClient(
        "http://tenant",
        "u",
        "p",
        transport=_LookupsLast(True, packages_backwards=True, one_name=twice),
        settings=HttpSettings(concurrency=10, rate_limit_per_second=0),
        allow_insecure_http=True,
        page_size=2,
    )
    live = _live_of(client)
    ((given, in_order),) = finished
    assert in_order is not twice
    assert live == LiveCatalog(tuple(given))
    assert live.distinct_keys is not twice
    if not twice:
        assert [r.ref for r in given] == [r.ref for r in live.resources]
        assert [r.ref.label for r in given][:2] == ["P0", "P1"]


def test_a_package_service_has_no_lookup_field() -> None:
    """What lets `LiveRows` build them before the lookup tables are in."""
    assert all(spec.type is not FieldType.LOOKUP for spec in FIELDS[Kind.PACKAGE_PRODUCT])


def test_the_services_are_not_handed_out_even_while_the_packages_page_is_on_the_wire() -> None:
    """No `hand_out` (round seventeen): the services of a read whose packages' page is still
    on the wire once they and the lookup tables are in (as `_Server` answers) are not
    handed over; the read is the same."""
    handed: list[Kind] = []
    client = _unpaced(_Server())

    async def read() -> LiveCatalog:
        backend = LogiSenseBackend(client)
        try:
            backend.hand_out(lambda kind, records: handed.append(kind))
            return await backend.fetch_live()
        finally:
            await backend.close()

    live = asyncio.run(read())
    assert handed == []
    assert len([r for r in live if r.ref.kind is Kind.PRODUCT]) == 4
