"""A drift report indexes the live catalog only for what it reports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import drift, planner
from catalogsync.catalog import Catalog, Kind, Ref, Resource, count_by_kind, product_ref
from catalogsync.drift import detect_drift
from catalogsync.live import LiveCatalog, LiveResource, in_ref_order
from catalogsync.planner import LiveIndex, PlanOptions, build_plan
from catalogsync.registry import get_format
from tests.conftest import examples


def test_a_drift_without_leftovers_indexes_nothing_and_one_with_them_lists_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desired = Catalog((Resource(product_ref("A"), {"rate": Decimal(1)}),))
    live = LiveCatalog((LiveResource(product_ref("A"), "1", {"rate": Decimal("1.00")}),))
    options, fmt = PlanOptions(backend="billingplatform"), get_format("billingplatform")
    indexed: list[Any] = []

    def index_live(*args: Any) -> LiveIndex:
        indexed.append(args)
        return planner.index_live(*args)

    monkeypatch.setattr(drift, "index_live", index_live)

    report = detect_drift(build_plan(desired, live, options), desired, live, fmt)
    assert not report.has_drift and report.unmanaged_checked
    assert indexed == []  # nothing unmanaged: no index of every live record

    extra = LiveCatalog((*live, LiveResource(product_ref("B"), "2", {"rate": Decimal(2)})))
    report = detect_drift(build_plan(desired, extra, options), desired, extra, fmt)
    assert [(u.ref, u.remote_id) for u in report.unmanaged] == [(product_ref("B"), "2")]
    assert len(indexed) == 1


@settings(max_examples=examples(100), deadline=None)
@given(keys=st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from("123")), max_size=6))
def test_distinct_keys_says_whether_a_ref_is_held_twice(keys: list[tuple[str, str]]) -> None:
    """`LiveCatalog.distinct_keys` compares neighbours in the catalog's order: it is what
    counting the keyed records says."""
    records = tuple(LiveResource(product_ref(name), remote_id) for name, remote_id in keys)
    live = LiveCatalog(records)
    assert live.distinct_keys is (len(live.keyed) == len(live))


@settings(max_examples=examples(200), deadline=None)
@given(
    records=st.lists(
        st.tuples(
            st.sampled_from(list(Kind)),
            st.lists(st.sampled_from(["A", "B", "b", "A B"]), min_size=1, max_size=3),
            st.sampled_from(["1", "2", "10", "9", "x"]),
            st.sampled_from(["", "1.0"]),
        ),
        max_size=12,
    )
)
def test_live_catalog_order_and_counts_are_the_old_ones(
    records: list[tuple[Kind, list[str], str, str]],
) -> None:
    """`LiveCatalog` sorts by ref and re-sorts by (ref, remote_id) only when a ref is held
    twice: the same order as one sort by (ref, remote_id) (string ids: "10" before "9";
    records alike in both keep their given order), the same `distinct_keys` as comparing
    each record's ref with the next, and the same counts as `count_by_kind`."""
    given = tuple(
        LiveResource(Ref(kind, tuple(key)), remote_id, {"rate": rate} if rate else {})
        for kind, key, remote_id, rate in records
    )
    old_order = tuple(sorted(given, key=lambda r: (r.ref, r.remote_id)))
    refs = [r.ref for r in old_order]
    # Given in any order, and given sorted already (by ref alone or by ref and id: a
    # read told sorted in one pass, `LiveRows`'), the order and answers are the same.
    for told in (given, old_order, tuple(sorted(given, key=lambda r: r.ref))):
        live = LiveCatalog(told)
        assert [id(r) for r in live.resources] == [id(r) for r in old_order]
        assert live.distinct_keys is (len(set(refs)) == len(refs))
        assert live.count() == count_by_kind(refs)
    # Told in order (`in_ref_order`) exactly when sorted with no ref twice; then taken so.
    assert in_ref_order(old_order) is (len(set(refs)) == len(refs))
    if in_ref_order(old_order):
        told_so = LiveCatalog.in_order(old_order)
        assert told_so == LiveCatalog(given) and told_so.distinct_keys
    assert LiveCatalog().count() == {kind: 0 for kind in Kind}
