"""Field-level differences between a live record and a desired one: the one deepdiff seam.

The planner compares normalised records with `==` first and calls `field_changes` only for
the unequal ones, so a large no-op plan never pays for deepdiff; records of normalised
values (all of them, in practice) are compared field by field without it
(`_flat_changes`). deepdiff's result keys (`values_changed`, `root['rate']`, …) never leave
this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from catalogsync.catalog import Value
from catalogsync.plan import FieldChange

_ROOT_KEY = re.compile(r"^root\[(?P<quote>['\"])(?P<key>.*)(?P=quote)\]")


def field_changes(
    before: Mapping[str, Value], after: Mapping[str, Value]
) -> tuple[FieldChange, ...]:
    """The fields whose value differs, sorted by field name.

    Both mappings must have the same keys (the declared fields); values are compared as
    normalised values, so Decimal("10.50") equals Decimal("10.5").
    """
    if before.keys() == after.keys() and _flat(before) and _flat(after):
        return _flat_changes(before, after)
    return _deep_changes(before, after)


#: The types of a normalised value (`catalog.Value`): none holds another but a tuple of
#: texts, which `==` compares item by item.
_SCALARS = frozenset({str, Decimal, bool, int, type(None)})


def _flat(fields: Mapping[str, Value]) -> bool:
    return all(
        type(value) in _SCALARS
        or (type(value) is tuple and all(type(item) is str for item in value))
        for value in fields.values()
    )


def _flat_changes(
    before: Mapping[str, Value], after: Mapping[str, Value]
) -> tuple[FieldChange, ...]:
    """`_deep_changes` of records of the same fields, normalised values, without deepdiff:
    for values none of which holds another (but a tuple of texts), what deepdiff reports of
    them is every field whose values are not `==` or not of one type, and those `_same`
    keeps. (Of records whose fields differ, deepdiff may report the whole record, which
    names no field: those are left to it.) A DeepDiff
    costs ~0.15 ms, and its import ~0.15 s: most of a 1% change's plan at M (400 updates)
    beyond the `==` every field already had (`tests/test_diffing.py` holds the two
    together)."""
    return tuple(
        FieldChange(key, before[key], after[key])
        for key in sorted(before)
        if not _same(before[key], after[key])
    )


def _deep_changes(
    before: Mapping[str, Value], after: Mapping[str, Value]
) -> tuple[FieldChange, ...]:
    """`field_changes` by deepdiff, for any values."""
    # Imported here: deepdiff takes ~0.15 s to import, and a plan without changes never
    # gets this far.
    from deepdiff import DeepDiff

    diff = DeepDiff(dict(before), dict(after), ignore_numeric_type_changes=False)
    changed: set[str] = set()
    for kind in (
        "values_changed",
        "type_changes",
        "dictionary_item_added",
        "dictionary_item_removed",
        "iterable_item_added",  # a tuple-of-names field that gained or lost a name
        "iterable_item_removed",
    ):
        for path in _paths(diff.get(kind, ())):
            match = _ROOT_KEY.match(path)
            if match:
                changed.add(match.group("key"))
    # deepdiff reports Decimal precision and None→value as changes of type; equal values are
    # not changes, whatever their representation.
    return tuple(
        FieldChange(key, before.get(key), after.get(key))
        for key in sorted(changed)
        if not _same(before.get(key), after.get(key))
    )


def _paths(section: Any) -> list[str]:
    if isinstance(section, Mapping):
        return [str(p) for p in section]
    return [str(p) for p in section]


def _same(a: Value, b: Value) -> bool:
    return type(a) is type(b) and a == b
