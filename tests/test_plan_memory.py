"""What a large plan holds through an apply: one object per ref, not a copy per dependency
(a cold apply's plan at L holds 205,000 changes through the whole apply), and one copy of
the values of creates alike."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogsync.catalog import product_ref
from catalogsync.live import LiveCatalog
from catalogsync.plan import Action, Change, FieldChange
from catalogsync.planner import PlanOptions, build_plan
from tests.fakes import catalog, res
from tests.test_recheck_scope import DESIRED


def test_a_dependency_is_the_created_change_s_own_ref() -> None:
    plan = build_plan(DESIRED, LiveCatalog(), PlanOptions(backend="billingplatform"))
    own = {id(change.ref) for change in plan.changes}
    depends = [ref for change in plan.changes for ref in change.depends_on]
    assert len(depends) >= 4  # package and product of each package-product, and a parent
    assert all(id(ref) in own for ref in depends)


def test_creates_of_alike_values_share_one_copy_of_them() -> None:
    """A cold apply's 150,000 package-products at L have 501 distinct contents: their values
    and field changes were made once per create (~60 MB held through the apply)."""
    desired = catalog(
        res(product_ref("A"), rate=Decimal("1.0"), status="ACTIVE"),
        res(product_ref("B"), rate=Decimal("1.0"), status="ACTIVE"),
        res(product_ref("C"), rate=Decimal("1"), status="ACTIVE"),  # equal, spelt otherwise
        res(product_ref("D"), status="ACTIVE", rate=Decimal("1.0")),  # another order
        res(product_ref("E"), rate=True, status="ACTIVE"),
        res(product_ref("F"), rate=1, status="ACTIVE"),  # True == 1, not alike
        res(product_ref("G"), rate=None, status="None"),
        res(product_ref("H"), rate="None", status=None),
    )
    plan = build_plan(desired, LiveCatalog(), PlanOptions(backend="billingplatform"))
    by_name = {change.ref.name: change for change in plan.changes}
    a, b = by_name["A"], by_name["B"]
    assert a.values is b.values and a.fields is b.fields
    assert a.fields == (
        FieldChange("rate", None, Decimal("1.0")),
        FieldChange("status", None, "ACTIVE"),
    )
    # Whatever differs in type, spelling or order has values of its own, as declared.
    for name in "CDEFGH":
        change = by_name[name]
        assert change.values is not a.values and change.fields is not a.fields
        assert change.values == dict(desired.by_ref()[change.ref].fields)
        assert [str(f.after) for f in change.fields] == [
            str(v) for _, v in sorted(desired.by_ref()[change.ref].fields.items())
        ]
    assert list(by_name["D"].values) == ["status", "rate"]
    assert str(by_name["C"].values["rate"]) == "1" and type(by_name["F"].values["rate"]) is int
    assert by_name["G"].values != by_name["H"].values


def test_a_change_copies_values_it_is_given_as_a_dict() -> None:
    given = {"rate": Decimal("1")}
    change = Change(Action.CREATE, product_ref("A"), values=given)
    given["rate"] = Decimal("2")
    assert change.values == {"rate": Decimal("1")}
    with pytest.raises(TypeError):
        change.values["rate"] = Decimal("3")  # type: ignore[index]
