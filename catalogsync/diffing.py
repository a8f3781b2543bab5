"""Field-level differences between a live record and a desired one: the one deepdiff seam.

The planner compares normalised records with `==` first and calls `field_changes` only for
the unequal ones, so a large no-op plan never pays for deepdiff. deepdiff's result keys
(`values_changed`, `root['rate']`, …) never leave this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
