"""The catalog before and after a plan, as a review reads it (`pricing.CatalogStates`).

`after` is made an object at a time (a review of a 1% change asks about a few thousand of
a large catalog's objects): these tests hold it to the whole merged catalog it stands for.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import pricing
from catalogsync.catalog import Catalog, Kind, Ref, Resource, package_product_ref, package_ref
from catalogsync.catalog import product_ref as product
from catalogsync.config import ObjectRule
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Action, Plan
from catalogsync.planner import PlanOptions, build_plan, follow_renames, renames_in
from catalogsync.pricing import CatalogStates, catalog_states
from tests.conftest import examples
from tests.fakes import catalog, live, res

D = Decimal
GOLD, SILVER = package_ref("Gold"), package_ref("Silver")
VOICE, MAIL, FAX = product("Voice"), product("Mail"), product("Fax")


def states_of(desired: Catalog, current: list[LiveResource]) -> tuple[Plan, CatalogStates]:
    every_kind = tuple(ObjectRule(kind=kind) for kind in Kind)
    options = PlanOptions(backend="billingplatform", target="t", target_url="u", prune=every_kind)
    plan = build_plan(desired, LiveCatalog(tuple(current)), options)
    return plan, catalog_states(plan, desired, LiveCatalog(tuple(current)))


def merged_whole(plan: Plan, desired: Catalog, current: list[LiveResource]) -> dict[Ref, object]:
    """What `after` stands for, made the way it was made before it was made lazily: every
    live object, every declared one's fields over its live ones, the deleted ones gone."""
    renames = renames_in(plan)
    before = {follow_renames(r.ref, renames): r.fields for r in LiveCatalog(tuple(current))}
    after: dict[Ref, object] = dict(before)
    for resource in desired:
        after[resource.ref] = {**before.get(resource.ref, {}), **resource.fields}
    for change in plan.of_action(Action.DELETE):
        after.pop(follow_renames(change.ref, renames), None)
    return after


CURRENT = [
    live(VOICE, "1", rate=D("0.05"), status="ACTIVE"),
    live(MAIL, "2", rate=D("2"), status="ACTIVE"),
    live(GOLD, "3", status="Production"),
    live(SILVER, "4", status="Production"),
    live(package_product_ref("Gold", "Voice"), "5", min_qty=D(1), rate=D("0.04")),
    live(package_product_ref("Silver", "Voice"), "6", min_qty=D(1)),
    live(package_product_ref("Silver", "Mail"), "7", min_qty=D(0)),
]


def test_after_is_the_whole_merged_catalog_with_updates_creates_and_deletes() -> None:
    desired = catalog(
        res(VOICE, rate=D("0.06")),  # an update: its status stays as live
        res(FAX, rate=D("1")),  # a create
        res(GOLD, status="Production"),
        res(SILVER, status="Production"),
        res(package_product_ref("Gold", "Voice"), min_qty=D(2)),
        res(package_product_ref("Silver", "Voice"), min_qty=D(1)),
        res(package_product_ref("Silver", "Fax"), min_qty=D(0)),  # created
    )  # Mail and Silver / Mail are deleted (pruned)
    plan, states = states_of(desired, CURRENT)
    expected = merged_whole(plan, desired, CURRENT)
    assert {ref: dict(fields) for ref, fields in states.after.items()} == expected
    assert list(states.after) == list(expected)  # and in the same order
    assert MAIL not in states.after and states.after.get(MAIL) is None
    assert states.after[VOICE] == {"rate": D("0.06"), "status": "ACTIVE"}
    assert list(states.package_products_of("Voice")) == [
        package_product_ref("Gold", "Voice"),
        package_product_ref("Silver", "Voice"),
    ]
    assert list(states.package_products_of("Mail")) == []
    assert list(states.package_products_of("Mail", after=False)) == [
        package_product_ref("Silver", "Mail")
    ]
    assert list(states.package_products_in("Silver")) == [
        package_product_ref("Silver", "Fax"),
        package_product_ref("Silver", "Voice"),
    ]


def test_after_follows_renames_as_the_whole_merged_catalog_does() -> None:
    plus = Resource(product("Voice Plus"), {"rate": D("0.05")}, renamed_from=("Voice",))
    desired = catalog(
        plus,
        res(MAIL, rate=D("2"), status="ACTIVE"),
        res(GOLD, status="Production"),
        res(SILVER, status="Production"),
        res(package_product_ref("Gold", "Voice Plus"), min_qty=D(1), rate=D("0.04")),
        res(package_product_ref("Silver", "Voice Plus"), min_qty=D(1)),
        res(package_product_ref("Silver", "Mail"), min_qty=D(0)),
    )
    plan, states = states_of(desired, CURRENT)
    expected = merged_whole(plan, desired, CURRENT)
    assert {ref: dict(fields) for ref, fields in states.after.items()} == expected
    assert states.before[plus.ref] == {"rate": D("0.05"), "status": "ACTIVE"}
    assert list(states.package_products_of("Voice Plus", after=False)) == [
        package_product_ref("Gold", "Voice Plus"),
        package_product_ref("Silver", "Voice Plus"),
    ]


def test_an_object_s_merged_fields_are_made_once_then_kept() -> None:
    desired = catalog(*(res(r.ref, **r.fields) for r in CURRENT))
    _, states = states_of(desired, CURRENT)
    assert states.after[VOICE] == {"rate": D("0.05"), "status": "ACTIVE"}
    assert states.after[VOICE] is states.after[VOICE]


@settings(max_examples=examples(100), deadline=None)
@given(
    live_pps=st.sets(st.tuples(st.sampled_from("GS"), st.sampled_from("VMF")), max_size=6),
    declared_pps=st.sets(st.tuples(st.sampled_from("GSB"), st.sampled_from("VMFX")), max_size=6),
    rates=st.lists(st.sampled_from(["1", "2"]), min_size=4, max_size=4),
)
def test_the_changed_products_alone_are_indexed_with_the_same_answers(
    live_pps: set[tuple[str, str]], declared_pps: set[tuple[str, str]], rates: list[str]
) -> None:
    """`package_products_of` indexes the package-products of the products the plan changes
    alone (found in C), the others' only when one is asked: every product's answer, before
    and after, is the one a whole index gives (`_package_products_by` without `only`)."""
    names = ["V", "M", "F", "X"]
    current = [live(product(n), str(i), rate=D("1")) for i, n in enumerate(names[:3], 1)]
    current += [live(package_ref(p), f"p{p}") for p in "GS"]
    current += [live(package_product_ref(p, n), f"{p}{n}") for p, n in sorted(live_pps)]
    desired = catalog(
        *(res(product(n), rate=D(rate)) for n, rate in zip(names, rates, strict=True)),
        *(res(package_ref(p)) for p in "GSB"),
        *(res(package_product_ref(p, n), min_qty=D(1)) for p, n in sorted(declared_pps)),
    )
    plan, states = states_of(desired, current)
    whole = pricing._package_products_by(states.before.keys(), states._declared, -1)
    before = pricing._package_products_by(states.before.keys(), (), -1)
    deleted = states._deleted
    for name in reversed(names):  # (the changed and the unchanged, in either order)
        assert list(states.package_products_of(name)) == sorted(
            r for r in whole.get(name, []) if r not in deleted
        )
        assert list(states.package_products_of(name, after=False)) == sorted(before.get(name, []))
    changed = {c.ref.name for c in plan.changes if c.ref.kind is Kind.PRODUCT}
    assert set(states._after_changed) <= changed
