"""BillingPlatform's `columns_pass`: whether `check` surely finds nothing in a run's
columns, told in C (None by identity), as the pair by pair comparison told it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from catalogsync.backends.billingplatform.catalog_format import FORMAT
from catalogsync.catalog import Kind
from tests.conftest import examples

_QUANTITIES = st.sampled_from([None, Decimal(0), Decimal(1), Decimal("1.0"), Decimal(5)])


@settings(max_examples=examples(300), deadline=None)
@given(
    pairs=st.lists(st.tuples(_QUANTITIES, _QUANTITIES), max_size=6),
    kind=st.sampled_from(list(Kind)),
    held=st.sampled_from(["both", "min_qty", "max_qty", "linked"]),
)
@example(
    pairs=[(Decimal(1), None), (Decimal(5), Decimal(1))], kind=Kind.PACKAGE_PRODUCT, held="both"
)
@example(
    pairs=[(Decimal(1), None), (Decimal(1), Decimal(5))], kind=Kind.PACKAGE_PRODUCT, held="both"
)
@example(
    pairs=[(None, Decimal(0)), (Decimal(0), Decimal(0))], kind=Kind.PACKAGE_PRODUCT, held="both"
)
def test_a_run_passes_as_each_pair_told_it(
    pairs: list[tuple[Decimal | None, Decimal | None]], kind: Kind, held: str
) -> None:
    """Whatever the minima and maxima (None among them or not), the answer is the one
    pair by pair: every pair giving both has its minimum at most its maximum; other
    kinds pass, a run naming a linked product is not sure, a run without either passes."""
    low = [a for a, _ in pairs]
    high = [b for _, b in pairs]
    fields: dict[str, list[object]] = {}
    if held in ("both", "min_qty", "linked"):
        fields["min_qty"] = list(low)
    if held in ("both", "max_qty", "linked"):
        fields["max_qty"] = list(high)
    if held == "linked":
        fields["link_product"] = [None] * len(pairs)
    if kind is not Kind.PACKAGE_PRODUCT:
        expected = True
    elif held == "linked":
        expected = False
    elif held != "both":
        expected = True
    else:
        expected = all(a is None or b is None or a <= b for a, b in pairs)
    assert FORMAT.columns_pass(kind, ["x"] * len(pairs), fields) is expected
    assert fields.get("min_qty", low) == low and fields.get("max_qty", high) == high  # untouched
