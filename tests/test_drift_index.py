"""A drift report indexes the live catalog only for what it reports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from catalogsync import drift, planner
from catalogsync.catalog import Catalog, Resource, product_ref
from catalogsync.drift import detect_drift
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.planner import LiveIndex, PlanOptions, build_plan
from catalogsync.registry import get_format


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
