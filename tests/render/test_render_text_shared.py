"""A large plan's change blocks are rendered on two cores (`beside.map_beside`): the text is
the same, byte for byte, as rendered here alone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogsync import beside
from catalogsync.catalog import package_product_ref, package_ref, product_ref
from catalogsync.live import LiveCatalog
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.render import text
from tests.fakes import catalog, res

PLAN = build_plan(
    catalog(
        *(res(product_ref(f"P{i}"), rate=Decimal(i)) for i in range(40)),
        res(package_ref("Gold")),
        *(res(package_product_ref("Gold", f"P{i}"), min_qty=Decimal(1)) for i in range(40)),
    ),
    LiveCatalog(),
    PlanOptions(backend="billingplatform"),
)


@pytest.mark.skipif(not beside.available(), reason="needs fork and two cores")
@pytest.mark.parametrize("color", [False, True])
def test_a_plan_rendered_on_two_cores_is_the_text_rendered_on_one(
    monkeypatch: pytest.MonkeyPatch, color: bool
) -> None:
    alone = text.render_text(PLAN, color=color)
    forks: list[int] = []
    share = beside.Beside.share

    def noted(count: int, work: object) -> object:
        forks.append(count)
        return share(count, work)  # type: ignore[arg-type]

    monkeypatch.setattr(beside.Beside, "share", noted)
    monkeypatch.setattr(text, "SHARED_BLOCKS", 2)
    assert text.render_text(PLAN, color=color) == alone
    assert forks == [len(PLAN.changes)]
