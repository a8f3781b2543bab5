"""A drift report indexes the live catalog only for what it reports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import drift, planner
from catalogsync.catalog import Catalog, Resource, product_ref
from catalogsync.drift import detect_drift
from catalogsync.live import LiveCatalog, LiveResource
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
