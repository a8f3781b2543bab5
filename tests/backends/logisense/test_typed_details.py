"""Package Detail records read typed (`mapping.PACKAGE_DETAIL`, `tables.decode_records`)
map to the live resources and children the same page read as dicts maps to; a page with
any other value is read as dicts, as before, so a listing may hold both."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.backends.logisense import mapping
from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.live_rows import LiveRows
from catalogsync.backends.logisense.mapping import PACKAGE_DETAIL, SERVICE, Record
from catalogsync.errors import BackendError
from catalogsync.http.tables import decode_page, decode_records
from catalogsync.live import LiveCatalog
from tests.backends.logisense.test_live_rows import _outcome, _package, _service
from tests.backends.logisense.test_mapping import LOOKUPS
from tests.conftest import examples

# Packages whose values are all of their documented JSON types (read typed), beside the
# live-rows tests' packages, which also carry values of other types (read as dicts).
_child = st.fixed_dictionaries(
    {
        "identity": st.integers(100, 400),
        "serviceId": st.sampled_from([1, 2, 3, 12, 99, None]),
        "defaultInstances": st.sampled_from([None, 0, 1, 7]),
        "maximumInstances": st.sampled_from([None, 2**40]),
        "updated": st.sampled_from([None, "", "2026-01-02T00:00:00.000Z"]),
    },
    optional={
        "serviceName": st.sampled_from([None, "", "Named", "S1"]),
        "minimumInstances": st.sampled_from([None, 1]),
        "created": st.sampled_from([None, "", "2026-01-01T00:00:00.000Z"]),
        "termId": st.sampled_from([None, "ignored", 1.5]),  # not read: any value
    },
)
_details = st.fixed_dictionaries(
    {"services": st.lists(_child, max_size=4)},
    optional={
        "frequencies": st.lists(
            st.fixed_dictionaries(
                {"identity": st.integers(500, 600)},
                optional={
                    "frequency": st.sampled_from([None, 1, 3]),
                    "frequencyTypeId": st.sampled_from([None, 3, 4]),
                },
            ),
            max_size=2,
        ),
        "currencies": st.lists(
            st.fixed_dictionaries(
                {"identity": st.integers(700, 800)},
                optional={
                    "currencyId": st.sampled_from([None, 1, 5]),
                    "currencyCode": st.sampled_from([None, "", "EUR"]),
                },
            ),
            max_size=2,
        ),
    },
)
_typed_package = st.fixed_dictionaries(
    {
        "identity": st.integers(50, 60),
        "name": st.sampled_from(["Gold", "Silver", " B "]),
        "details": st.one_of(_details, _details, st.none()),
        "packageCategoryId": st.sampled_from([None, 2, 9]),
        "start": st.sampled_from([None, "", "2026-01-01T00:00:00.000Z", "not a date"]),
    },
    optional={
        "defaultAccountPackageStatusTypeId": st.sampled_from([None, 1]),
        "description": st.sampled_from([None, "", "text"]),
        "fullPeriod": st.sampled_from([None, True, False]),
        "created": st.sampled_from([None, "2026-01-01T00:00:00.000Z"]),
        "updated": st.sampled_from([None, "2026-01-02T00:00:00.000Z"]),
    },
)


def _page(packages: list[Record]) -> bytes:
    return json.dumps({"pagedResults": {"totalCount": len(packages), "items": packages}}).encode()


def _finished(services: list[Record], packages: list[Any], children: bool) -> Any:
    """`LiveRows` over the whole read: the live catalog and the children (or the error)."""

    def build() -> Any:
        rows = LiveRows()
        rows.services(services)
        rows.named(LOOKUPS)
        rows.work()
        return rows.finish(list(services), packages, LOOKUPS, children=children), rows.children

    return _outcome(build)


@settings(max_examples=examples(300), deadline=None)
@given(
    services=st.lists(_service, max_size=6),
    packages=st.one_of(
        st.lists(_typed_package, min_size=1, max_size=4),
        st.lists(st.one_of(_typed_package, _package), max_size=4),
    ),
    children=st.booleans(),
)
def test_a_page_read_typed_maps_as_the_same_page_read_as_dicts(
    services: list[Record], packages: list[Record], children: bool
) -> None:
    body = _page(packages)
    typed = decode_records(body, "pagedResults", PACKAGE_DETAIL)
    dicts = decode_page(body, "pagedResults")
    assert dicts is not None
    if typed is None:
        return  # read as dicts, as before
    assert typed[1] == dicts[1]
    expected = _finished(copy.deepcopy(services), dicts[0], children)
    assert _finished(copy.deepcopy(services), typed[0], children) == expected


def test_a_documented_page_is_read_typed_and_any_other_value_reads_it_as_dicts() -> None:
    child: dict[str, Any] = {"identity": 9, "serviceId": 2, "defaultInstances": 1, "termName": None}
    package: dict[str, Any] = {
        "identity": 5,
        "name": "P",
        "fullPeriod": False,
        "details": {"services": [child]},
    }
    typed = decode_records(_page([package]), "pagedResults", PACKAGE_DETAIL)
    assert typed is not None and not isinstance(typed[0][0], dict)
    assert typed[0][0].details.services[0].defaultInstances == 1
    for field, value in [("defaultInstances", "1"), ("defaultInstances", True), ("serviceId", 2.0)]:
        odd = copy.deepcopy(package)
        odd["details"]["services"] = [{**child, field: value}]
        assert decode_records(_page([odd]), "pagedResults", PACKAGE_DETAIL) is None
    assert decode_records(_page([{"name": "no identity"}]), "pagedResults", PACKAGE_DETAIL) is None


class _Pages(httpx.AsyncBaseTransport):
    """Two pages of packages: the first of the documented types, the second not."""

    def __init__(self, second_identity: int) -> None:
        self.second_identity = second_identity

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Login"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 1800})
        number = json.loads(request.headers["pagination"])["pageNumber"]
        child = {"identity": 9 + number, "serviceId": 2, "defaultInstances": 1}
        if number == 1:
            items = [{"identity": 1, "name": "A", "details": {"services": [child]}}]
        else:
            child["defaultInstances"] = "1"  # text for a number: this page is read as dicts
            items = [
                {"identity": self.second_identity, "name": "B", "details": {"services": [child]}}
            ]
        return httpx.Response(200, json={"pagedResults": {"totalCount": 2, "items": items}})


def _listing(second_identity: int) -> list[Any]:
    client = LogiSenseClient(
        "http://tenant",
        "u",
        "p",
        transport=_Pages(second_identity),
        allow_insecure_http=True,
        page_size=1,
    )

    async def read() -> list[Any]:
        try:
            return await client.paged("Package", detail=True, record=PACKAGE_DETAIL)
        finally:
            await client.aclose()

    return asyncio.run(read())


def test_a_listing_may_hold_typed_and_dict_records_and_is_proven_whole_either_way() -> None:
    records = _listing(2)
    assert [isinstance(r, dict) for r in records] == [False, True]
    first = {"identity": 10, "serviceId": 2, "defaultInstances": 1}
    as_dicts = [{"identity": 1, "name": "A", "details": {"services": [first]}}, records[1]]
    assert _finished([], records, True) == _finished([], as_dicts, True)
    with pytest.raises(BackendError, match="record 1 came back on two pages"):
        _listing(1)


# Services whose values are all of their documented JSON types (a page of them is read
# typed, `mapping.SERVICE`), beside the live-rows tests' services, which also carry values
# of other types (read as dicts).
_typed_service = st.fixed_dictionaries(
    {
        "identity": st.integers(1, 12),
        "name": st.sampled_from(["S1", "S2", " S3 ", ""]),
    },
    optional={
        "serviceTypeId": st.sampled_from([None, 1, 2, 77]),
        "description": st.sampled_from([None, "", "text"]),
        "isActive": st.sampled_from([None, True, False]),
        "usageFrequency": st.sampled_from([None, 0, 3]),
        "usageFrequencyTypeId": st.sampled_from([None, 3, 4]),
        "created": st.sampled_from([None, "", "2026-01-01T00:00:00.000Z"]),
        "updated": st.sampled_from([None, "2026-01-02T00:00:00.000Z"]),
        "serviceCategoryName": st.sampled_from([None, 1.5, "ignored"]),  # not read: any value
    },
)


@settings(max_examples=examples(150), deadline=None)
@given(
    pages=st.lists(
        st.one_of(
            st.lists(_typed_service, min_size=1, max_size=4),
            st.lists(st.one_of(_typed_service, _service), max_size=4),
        ),
        min_size=1,
        max_size=3,
    ),
    packages=st.lists(st.one_of(_typed_package, _package), max_size=3),
    children=st.booleans(),
)
def test_a_page_of_services_read_typed_maps_as_the_same_page_read_as_dicts(
    pages: list[list[Record]], packages: list[Record], children: bool
) -> None:
    """Pages of services read typed where they fit `SERVICE` (built by `LiveRows` as they
    come in, or mapped whole when one fails) give the live resources, children and errors
    the same pages read as dicts give."""
    as_dicts: list[Record] = []
    as_read: list[Any] = []
    for page in pages:
        body = _page(page)
        dicts = decode_page(body, "pagedResults")
        assert dicts is not None
        typed = decode_records(body, "pagedResults", SERVICE)
        as_dicts += dicts[0]
        as_read += dicts[0] if typed is None else typed[0]
    expected = _finished(as_dicts, copy.deepcopy(packages), children)
    assert _finished(as_read, copy.deepcopy(packages), children) == expected


def test_a_documented_service_is_read_typed_and_any_other_value_reads_it_as_dicts() -> None:
    service: dict[str, Any] = {"identity": 3, "name": "S", "isActive": True, "extra": [1]}
    typed = decode_records(_page([service]), "pagedResults", SERVICE)
    assert typed is not None and not isinstance(typed[0][0], dict)
    assert (typed[0][0].identity, typed[0][0].name, typed[0][0].isActive) == (3, "S", True)
    for field, value in [("isActive", 1), ("usageFrequency", "1"), ("identity", "3")]:
        odd = {**service, field: value}
        assert decode_records(_page([odd]), "pagedResults", SERVICE) is None


def _each_read(records: list[Record], record: type) -> list[Any]:
    """Each record as a page of its own reads it: typed where it fits `record`, else as a
    dict (a listing of one-record pages mixes both)."""
    read: list[Any] = []
    for one in records:
        typed = decode_records(_page([one]), "pagedResults", record)
        read += [copy.deepcopy(one)] if typed is None else typed[0]
    return read


def _in_order(services: list[Any], packages: list[Any]) -> Any:
    """`LiveRows.finish`'s resources and children, and what `finish_into` hands on, each in
    the order built (or the error raised)."""

    def rows() -> LiveRows:
        made = LiveRows()
        made.services(list(services))
        made.named(LOOKUPS)
        made.work()
        return made

    try:
        finishing = rows()
        finished = finishing.finish(list(services), list(packages), LOOKUPS)
        handed: list[Any] = []
        count = rows().finish_into(handed.append, list(services), list(packages), LOOKUPS)
    except Exception as exc:
        return type(exc), str(exc)
    return finished, finishing.children, handed, count


# Typed packages whose every service names a service read (then a run is built a column at
# a time; one service that does not makes it record by record).
_named = [
    {"identity": i, "name": f"N{i}", "updated": "2026-01-02T00:00:00.000Z"} for i in (1, 2, 3)
]
_named_child = st.fixed_dictionaries(
    {"identity": st.integers(100, 400), "serviceId": st.sampled_from([1, 2, 3])},
    optional={
        "defaultInstances": st.sampled_from([None, 1, 7]),
        "updated": st.sampled_from([None, "", "2026-01-02T00:00:00.000Z"]),
        "created": st.sampled_from([None, "2026-01-01T00:00:00.000Z"]),
    },
)
_named_package = st.builds(
    lambda package, services: {**package, "details": {"services": services}},
    _typed_package,
    st.lists(_named_child, max_size=4),
)


@settings(max_examples=examples(200), deadline=None)
@given(
    services=st.lists(st.one_of(_typed_service, _typed_service, _service), max_size=4),
    packages=st.lists(
        st.one_of(_named_package, _named_package, _typed_package, _package), max_size=6
    ),
    run=st.sampled_from([1, 2, 3, mapping.RUN]),
)
def test_typed_records_built_a_run_at_a_time_come_out_as_their_dicts_in_the_same_order(
    services: list[Record], packages: list[Record], run: int
) -> None:
    """Typed records are built a run of `mapping.RUN` at a time (column-wise), dict
    records one by one: whatever the runs, the resources are those of the same records
    read as dicts, in the same order (`finish`), and handed on in the same order, each
    package before its services (`finish_into`)."""
    services = [*services, *_named]
    expected = _in_order(copy.deepcopy(services), copy.deepcopy(packages))
    typed_services, typed_packages = (
        _each_read(services, SERVICE),
        _each_read(packages, PACKAGE_DETAIL),
    )
    before, mapping.RUN = mapping.RUN, run
    try:
        assert _in_order(typed_services, typed_packages) == expected
    finally:
        mapping.RUN = before


def _lookups_last(services: list[Any], packages: list[Any]) -> Any:
    """`LiveRows.finish`'s resources and children when the lookup tables are the last
    answers: each service a page, then the packages, `work` after each (built before the
    tables as far as they can be), the tables last (or the error raised)."""
    try:
        rows = LiveRows()
        for one in services:
            rows.services([one])
            rows.work()
        rows.services_ended()
        records = list(packages)
        rows.packages(records)
        rows.work()
        rows.named(LOOKUPS)
        rows.work()
        return rows.finish(list(services), records, LOOKUPS), rows.children
    except Exception as exc:
        return type(exc), str(exc)


@settings(max_examples=examples(200), deadline=None)
@given(
    services=st.lists(st.one_of(_typed_service, _typed_service, _service), max_size=4),
    packages=st.lists(
        st.one_of(_named_package, _named_package, _typed_package, _package), max_size=6
    ),
)
def test_records_built_before_the_lookup_tables_are_the_same_in_the_same_order(
    services: list[Record], packages: list[Record]
) -> None:
    """Services and package services built before the lookup tables are in (their lookup
    fields named after) are the resources, in the live catalog's order, and the children
    built with the tables in first; an error is the same error. (Built early, each kind is
    sorted before the tables are in: `finish` then hands them over in that order.)"""
    services = [*services, *_named]
    typed_services = _each_read(services, SERVICE)
    typed_packages = _each_read(packages, PACKAGE_DETAIL)
    expected = _in_order(copy.deepcopy(typed_services), copy.deepcopy(typed_packages))
    found = _lookups_last(typed_services, typed_packages)
    if isinstance(expected[0], type):
        assert found == expected
    else:
        assert found[1] == expected[1]
        in_order = LiveCatalog(tuple(found[0])).resources
        assert in_order == LiveCatalog(tuple(expected[0])).resources


def test_every_service_is_built_before_the_lookup_tables_when_read_typed() -> None:
    """Fails when the services wait for the lookup tables."""
    rows = LiveRows()
    typed = _each_read(list(_named), SERVICE)
    rows.services(typed)
    rows.services_ended()
    rows.packages([])
    rows.work()
    assert rows.built_before_lookups == len(_named)
    rows.named(LOOKUPS)
    built = rows.finish(list(typed), [], LOOKUPS)
    assert [r.ref.label for r in built] == ["N1", "N2", "N3"]


def test_packages_named_after_the_lookup_tables_are_the_ones_named_with_them() -> None:
    """Packages built before the lookup tables (`mapping.UnnamedPackages`: named once they
    are in, each distinct set of values once) are the packages, children and first error of
    the tables in first: two frequencies of one name, a currency named by its code and by
    its id, packages alike but for their children's ids, and one whose frequency names no
    frequency type (the error the children raise, in record order)."""

    def package(identity: int, frequencies: list[Any], currencies: list[Any]) -> Record:
        services = [{"identity": identity * 10, "serviceId": 1}]
        details = {"services": services, "frequencies": frequencies, "currencies": currencies}
        return {"identity": identity, "name": f"P{identity}", "packageCategoryId": 2,
                "start": "2026-01-01T00:00:00.000Z", "details": details}  # fmt: skip

    months = [
        {"identity": 500, "frequency": 1, "frequencyTypeId": 3},
        {"identity": 501, "frequency": None, "frequencyTypeId": 3},  # Month again
        {"identity": 502, "frequency": 3, "frequencyTypeId": 4},
    ]
    currencies = [
        {"identity": 700, "currencyCode": "EUR"},
        {"identity": 701, "currencyId": 1},  # USD
        {"identity": 702, "currencyCode": "EUR", "currencyId": 1},
    ]
    alike = [package(50 + n, copy.deepcopy(months), copy.deepcopy(currencies)) for n in range(3)]
    for n, one in enumerate(alike):  # the same values, other ids
        for child in (*one["details"]["frequencies"], *one["details"]["currencies"]):
            child["identity"] += n
    unnamed = package(60, [{"identity": 600, "frequency": 2}], [])  # no frequency type
    for packages in (alike, [*alike, unnamed, package(61, [], [])]):
        services = _each_read(list(_named), SERVICE)
        typed = _each_read(packages, PACKAGE_DETAIL)
        assert all(not isinstance(one, dict) for one in typed)
        expected = _in_order(copy.deepcopy(services), copy.deepcopy(typed))
        found = _lookups_last(services, typed)
        if isinstance(expected[0], type):
            assert found == expected
            continue
        assert found[1] == expected[1]
        assert list(found[1]) == list(expected[1])  # in record order
        assert LiveCatalog(tuple(found[0])).resources == LiveCatalog(tuple(expected[0])).resources
