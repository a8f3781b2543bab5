"""`field_changes`: records of normalised values are compared without deepdiff
(`_flat_changes`), with exactly the changes deepdiff's comparison (`_deep_changes`) finds."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.catalog import Value
from catalogsync.diffing import _deep_changes, _flat, _flat_changes, field_changes
from catalogsync.plan import FieldChange
from tests.conftest import examples

_TEXTS = st.text(max_size=4)
# Values a normalised record holds (`catalog.Value`), with the near misses that matter:
# Decimals equal in other spellings, 1 / True / Decimal(1), "" / None, tuples of texts.
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("1.50"), Decimal("-0"), Decimal(0)]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-5, max_value=5),
    _TEXTS,
    st.tuples(_TEXTS, _TEXTS),
    st.lists(_TEXTS, max_size=3).map(tuple),
)
_KEYS = st.sampled_from(["rate", "status", "min_qty", "currencies", "it's", 'a"b'])
_RECORDS = st.dictionaries(_KEYS, _VALUES, max_size=5)


@settings(max_examples=examples(400))
@given(_RECORDS, st.data())
def test_normalised_records_have_the_changes_deepdiff_finds(
    before: dict[str, Value], data: st.DataObject
) -> None:
    """Records of the same fields (as the planner and the verification compare them)."""
    after = {
        key: data.draw(_VALUES) if data.draw(st.booleans()) else v for key, v in before.items()
    }
    assert _flat(before) and _flat(after)
    assert _flat_changes(before, after) == _deep_changes(before, after)
    assert field_changes(before, after) == _deep_changes(before, after)


@settings(max_examples=examples(100))
@given(_RECORDS, _RECORDS)
def test_records_of_other_fields_are_left_to_deepdiff(
    before: dict[str, Value], after: dict[str, Value]
) -> None:
    assert field_changes(before, after) == _deep_changes(before, after)


def test_values_of_other_types_are_not_flat() -> None:
    """(They go to deepdiff, as every record did.)"""
    assert not _flat({"rate": {"amount": Decimal("1.5")}})  # type: ignore[dict-item]
    assert not _flat({"currencies": ["EUR"]})  # type: ignore[dict-item]
    assert not _flat({"currencies": ("EUR", 1)})  # type: ignore[dict-item]
    assert not _flat({"rate": 1.5})  # type: ignore[dict-item]
    assert _flat({"a": None, "b": True, "c": 1, "d": Decimal(1), "e": "x", "f": ("x",)})


def test_equal_values_in_other_spellings_and_types() -> None:
    assert field_changes({"rate": Decimal("1.50")}, {"rate": Decimal("1.5")}) == ()
    assert field_changes({"flag": 1}, {"flag": True}) == (FieldChange("flag", 1, True),)
    assert field_changes({"rate": 1}, {"rate": Decimal(1)}) == (FieldChange("rate", 1, Decimal(1)),)
    assert field_changes({"b": "x", "a": "y"}, {"b": "z", "a": "w"}) == (
        FieldChange("a", "y", "w"),
        FieldChange("b", "x", "z"),
    )
