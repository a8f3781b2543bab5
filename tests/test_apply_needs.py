"""The plan says, before apply, which deletes need --allow-delete and which kinds --force.

Every format says it: text, Markdown (at the top of the PR comment) and JSON (the plan
file, hash-covered); a plan with no needs keeps its old bytes and hash.
"""

from __future__ import annotations

import dataclasses
import json

from catalogsync.catalog import Kind, product_ref
from catalogsync.config import Guards, ObjectRule
from catalogsync.guards import GuardOptions, apply_needs
from catalogsync.live import LiveCatalog
from catalogsync.plan import Plan
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.render import render_json, render_markdown, render_text
from tests.fakes import catalog, live, res
from tests.test_guards import GOLD, PACKAGES, plan_deleting_gold


def with_needs(plan: Plan, options: GuardOptions) -> Plan:
    return dataclasses.replace(plan, needs=apply_needs(plan, options))


def test_the_plan_names_the_deletes_that_need_allow_delete_in_every_format() -> None:
    plan = with_needs(plan_deleting_gold(), GuardOptions(prune=(PACKAGES,)))
    assert len(plan.needs.allow_delete) == 3 and not plan.needs.force
    text = render_text(plan)
    assert (
        'Apply needs:\n    --allow-delete for 3 deletes: package-product "Gold / Voice / SMS"'
        in text
    )
    markdown = render_markdown(plan)
    alert = markdown.index("> **Apply needs:**")
    assert alert < markdown.index("| kind |")  # before the table and the details: comment first
    assert "--allow-delete for 3 deletes:" in markdown and 'package "Gold"' in markdown
    data = json.loads(render_json(plan))
    assert {"kind": "package", "key": ["Gold"]} in data["apply_needs"]["allow_delete"]
    assert Plan.loads(plan.dumps()) == plan


def test_allow_delete_in_the_config_means_no_flag_is_needed() -> None:
    plan = with_needs(plan_deleting_gold(), GuardOptions(prune=(PACKAGES,), allow_delete=True))
    assert not plan.needs
    assert "Apply needs" not in render_text(plan) + render_markdown(plan)
    # No needs: the plan file is what it was before apply_needs existed (same hash).
    assert "apply_needs" not in json.loads(plan.dumps())
    assert plan.plan_hash == plan_deleting_gold().plan_hash


def test_the_plan_says_which_kind_needs_force_and_what_is_refused() -> None:
    products = [product_ref(f"P{n}") for n in range(10)]
    current = LiveCatalog(tuple(live(ref, str(n), Rate="1") for n, ref in enumerate(products)))
    desired = catalog(*(res(ref, Rate="2") for ref in products[:4]), *map(res, products[4:]))
    plan = build_plan(desired, current, PlanOptions(backend="test"))
    options = GuardOptions(
        guards=Guards(max_change_share=0.3, min_objects=10),
        protect=(ObjectRule(kind=Kind.PACKAGE),),
    )
    plan = with_needs(plan, options)
    (excess,) = plan.needs.force
    assert (excess.kind, excess.touched, excess.live) == (Kind.PRODUCT, 4, 10)
    expected = (
        "--force: the plan updates or deletes 4 of 10 live products (40%, over the 30% guard)"
    )
    assert expected in render_text(plan)
    assert expected in render_markdown(plan)
    deleting = with_needs(
        plan_deleting_gold(), GuardOptions(prune=(PACKAGES,), protect=options.protect)
    )
    assert f"refused whatever the flags: {GOLD} is protected" in render_text(deleting)
