"""Safety guards: prune scope, --allow-delete, protection and the share-of-objects rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogsync.catalog import Kind, package_product_ref, package_ref, product_ref
from catalogsync.config import Guards, ObjectRule
from catalogsync.errors import EXIT_REFUSED, GuardRefusedError
from catalogsync.guards import GuardOptions, check_guards, guard_problems
from catalogsync.live import LiveCatalog
from catalogsync.plan import Plan
from catalogsync.planner import PlanOptions, build_plan
from tests.fakes import catalog, live, res

VOICE, SMS, FAX = product_ref("Voice"), product_ref("SMS"), product_ref("Fax")
GOLD = package_ref("Gold")
GOLD_VOICE = package_product_ref("Gold", "Voice")
GOLD_VOICE_SMS = package_product_ref("Gold", "Voice", "SMS")
PACKAGES = ObjectRule(kind=Kind.PACKAGE)
PACKAGE_PRODUCTS = ObjectRule(kind=Kind.PACKAGE_PRODUCT)


def plan_deleting_gold() -> Plan:
    """Gold (and the two package-products inside it) no longer declared; packages pruned."""
    current = [
        live(VOICE, "1"),
        live(SMS, "2"),
        live(GOLD, "3"),
        live(GOLD_VOICE, "4"),
        live(GOLD_VOICE_SMS, "5"),
    ]
    options = PlanOptions(backend="test", prune=(PACKAGES,))
    return build_plan(catalog(res(VOICE), res(SMS)), LiveCatalog(tuple(current)), options)


def test_deletes_inside_the_scope_need_allow_delete() -> None:
    plan = plan_deleting_gold()
    assert guard_problems(plan, GuardOptions(prune=(PACKAGES,))) == [
        "the plan deletes 3 object(s); pass --allow-delete to apply deletes"
    ]
    assert guard_problems(plan, GuardOptions(prune=(PACKAGES,), allow_delete=True)) == []


def test_a_delete_outside_the_current_scope_is_refused_whatever_the_flags() -> None:
    # A saved plan made while packages were pruned, applied after the scope was narrowed.
    plan = plan_deleting_gold()
    problems = guard_problems(
        plan, GuardOptions(prune=(PACKAGE_PRODUCTS,), allow_delete=True, force=True)
    )
    assert problems == [
        "package Gold is outside the prune scope of catalogsync.yaml and cannot be deleted"
    ]
    with pytest.raises(GuardRefusedError) as caught:
        check_guards(plan, GuardOptions(allow_delete=True, force=True))
    assert caught.value.exit_code == EXIT_REFUSED
    assert "package-product Gold / Voice / SMS is outside the prune scope" in str(caught.value)


def test_package_products_under_a_pruned_package_are_inside_the_scope() -> None:
    plan = plan_deleting_gold()
    scope = (ObjectRule(kind=Kind.PACKAGE, names=("G*",)),)
    assert guard_problems(plan, GuardOptions(prune=scope, allow_delete=True)) == []


def test_protected_objects_are_never_deleted() -> None:
    plan = plan_deleting_gold()
    by_rule = GuardOptions(
        prune=(PACKAGES,), allow_delete=True, force=True, protect=(PACKAGE_PRODUCTS,)
    )
    assert guard_problems(plan, by_rule) == [
        "package-product Gold / Voice / SMS is protected and cannot be deleted",
        "package-product Gold / Voice is protected and cannot be deleted",
    ]
    by_yaml = GuardOptions(prune=(PACKAGES,), allow_delete=True, protected_refs=frozenset({GOLD}))
    assert guard_problems(plan, by_yaml) == ["package Gold is protected and cannot be deleted"]


def test_the_share_guard_counts_updates_and_deletes_of_a_kind() -> None:
    products = [product_ref(f"P{i}") for i in range(10)]
    current = [live(ref, str(i), rate=Decimal(1)) for i, ref in enumerate(products)]
    # 2 updates + 2 deletes of 10 live products = 40% > 30%.
    desired = [res(ref, rate=Decimal(2)) for ref in products[:2]] + [res(r) for r in products[2:8]]
    options = PlanOptions(backend="test", prune=(ObjectRule(kind=Kind.PRODUCT),))
    plan = build_plan(catalog(*desired), LiveCatalog(tuple(current)), options)
    guards = GuardOptions(prune=options.prune, allow_delete=True)
    (problem,) = guard_problems(plan, guards)
    assert problem.startswith("the plan updates or deletes 4 of 10 live products (40%")
    assert (
        guard_problems(plan, GuardOptions(prune=options.prune, allow_delete=True, force=True)) == []
    )
    # Under min_objects the rule does not apply.
    relaxed = GuardOptions(guards=Guards(min_objects=11), prune=options.prune, allow_delete=True)
    assert guard_problems(plan, relaxed) == []
