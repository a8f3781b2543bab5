"""The plan hash an apply works out while its first wave waits (`cli.first_wave`): in a
forked child when one can help, here otherwise; the same hash either way."""

from __future__ import annotations

import dataclasses
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from catalogsync import beside
from catalogsync.catalog import Kind, package_product_ref, package_ref, product_ref
from catalogsync.cli import first_wave
from catalogsync.config import ObjectRule
from catalogsync.live import LiveCatalog
from catalogsync.plan import Plan
from catalogsync.planner import PlanOptions, build_plan
from tests.clirun import run
from tests.conftest import copy_example
from tests.fakes import catalog, live, res


def _plan() -> Plan:
    """A fresh plan (its hash not yet worked out): creates, an update and a delete."""
    plan = build_plan(
        catalog(
            *(res(product_ref(f"P{i}"), rate=Decimal(i)) for i in range(30)),
            res(package_ref("Gold"), status="Production"),
            *(res(package_product_ref("Gold", f"P{i}"), min_qty=Decimal(1)) for i in range(30)),
        ),
        LiveCatalog(
            (
                live(product_ref("P0"), "7", rate=Decimal(5)),
                live(product_ref("Old"), "8", rate=Decimal(1)),
            )
        ),
        PlanOptions(backend="billingplatform", prune=(ObjectRule(kind=Kind.PRODUCT),)),
    )
    assert {c.action.value for c in plan.changes} == {"create", "update", "delete"}
    return plan


def _hashed_here(plan: Plan) -> str:
    return dataclasses.replace(plan).plan_hash  # another instance: hashed now, here


@pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")
def test_the_hash_is_worked_out_by_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan()
    here = os.getpid()
    hashed_in: list[int] = []
    worked_out = first_wave._worked_out

    def noted(plan: Plan) -> str:
        hashed_in.append(os.getpid())
        return worked_out(plan)

    monkeypatch.setattr(first_wave, "_worked_out", noted)
    monkeypatch.setattr(first_wave, "FORKED_CHANGES", 2)
    first_wave.prepare(plan)
    assert hashed_in == []  # (a child's list is its own copy): not hashed in this process
    assert "plan_hash" in vars(plan) and here == os.getpid()
    assert plan.plan_hash == _hashed_here(plan)


@pytest.mark.parametrize("few", [False, True])
def test_without_a_child_it_is_worked_out_here(monkeypatch: pytest.MonkeyPatch, few: bool) -> None:
    plan = _plan()
    if few:  # fewer changes than a fork is worth
        monkeypatch.setattr(first_wave, "FORKED_CHANGES", len(plan.changes) + 1)
    monkeypatch.setattr(beside.Beside, "stream", classmethod(lambda cls, work, abandon=None: None))
    first_wave.prepare(plan)
    assert "plan_hash" in vars(plan)
    assert plan.plan_hash == _hashed_here(plan)


@pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")
def test_a_lost_child_s_hash_is_worked_out_here(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan()
    here = os.getpid()
    worked_out = first_wave._worked_out

    def dies_in_the_child(plan: Plan) -> str:
        if os.getpid() != here:
            os._exit(3)  # killed, out of memory: no answer
        return worked_out(plan)

    monkeypatch.setattr(first_wave, "_worked_out", dies_in_the_child)
    monkeypatch.setattr(first_wave, "FORKED_CHANGES", 2)
    first_wave.prepare(plan)
    assert plan.plan_hash == _hashed_here(plan)


def test_a_hash_known_is_the_plan_s_hash_from_then_on() -> None:
    plan = _plan()
    plan.hash_known("sha256:" + "0" * 64)
    assert plan.plan_hash == "sha256:" + "0" * 64


def test_an_apply_reports_the_hash_of_the_plan_it_printed(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "project")
    code, out, _ = run(project, "plan", "--out", str(tmp_path / "plan.json"))
    assert code == 0, out
    saved = json.loads((tmp_path / "plan.json").read_text())["plan_hash"]
    code, out, _ = run(project, "apply", "--auto-approve", "--format", "json")
    assert code == 0, out
    assert json.loads(out)["plan_hash"] == saved
