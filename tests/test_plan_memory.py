"""What a large plan holds through an apply: one object per ref, not a copy per dependency
(a cold apply's plan at L holds 205,000 changes through the whole apply)."""

from __future__ import annotations

from catalogsync.live import LiveCatalog
from catalogsync.planner import PlanOptions, build_plan
from tests.test_recheck_scope import DESIRED


def test_a_dependency_is_the_created_change_s_own_ref() -> None:
    plan = build_plan(DESIRED, LiveCatalog(), PlanOptions(backend="billingplatform"))
    own = {id(change.ref) for change in plan.changes}
    depends = [ref for change in plan.changes for ref in change.depends_on]
    assert len(depends) >= 4  # package and product of each package-product, and a parent
    assert all(id(ref) in own for ref in depends)
