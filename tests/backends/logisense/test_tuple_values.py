"""Tuple-of-names values (a LogiSense package's frequencies and currencies) in the core:
diffed, rendered, written to the plan file and read back, hashed."""

from __future__ import annotations

from catalogsync.catalog import Catalog, Resource, package_ref
from catalogsync.diffing import field_changes
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Plan
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.render.common import format_value


def test_a_name_added_or_removed_is_a_field_change() -> None:
    before = {"currencies": ("CAD",), "frequencies": ("Month", "Year")}
    after = {"currencies": ("CAD", "USD"), "frequencies": ("Month",)}
    changes = field_changes(before, after)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("currencies", ("CAD",), ("CAD", "USD")),
        ("frequencies", ("Month", "Year"), ("Month",)),
    ]
    assert field_changes(before, dict(before)) == ()


def test_a_replaced_name_is_a_field_change() -> None:
    changes = field_changes({"currencies": ("CAD",)}, {"currencies": ("USD",)})
    assert [c.field for c in changes] == ["currencies"]


def test_rendered_as_a_list_of_quoted_names() -> None:
    assert format_value(("3 Month", 'O"K')) == '["3 Month", "O\\"K"]'
    assert format_value(()) == "[]"


def test_plan_file_round_trips_tuples_and_keeps_its_hash() -> None:
    desired = Catalog((Resource(package_ref("P"), {"currencies": ("CAD", "USD")}),))
    live = LiveCatalog((LiveResource(package_ref("P"), "7", {"currencies": ("CAD",)}),))
    plan = build_plan(desired, live, PlanOptions(backend="logisense"))
    (change,) = plan.changes
    assert change.values["currencies"] == ("CAD", "USD")
    again = Plan.loads(plan.dumps())
    assert again.changes[0].fields == change.fields
    assert again.changes[0].values["currencies"] == ("CAD", "USD")
    assert again.plan_hash == plan.plan_hash


def test_equal_sets_plan_nothing() -> None:
    desired = Catalog((Resource(package_ref("P"), {"currencies": ("CAD", "USD")}),))
    live = LiveCatalog((LiveResource(package_ref("P"), "7", {"currencies": ("CAD", "USD")}),))
    assert not build_plan(desired, live, PlanOptions(backend="logisense")).changes
