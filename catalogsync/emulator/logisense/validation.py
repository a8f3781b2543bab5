"""Validation the way the v8 API reports it: every problem at once, each `{code, message}`.

The API "returns all validation errors, not just the first one" (reference §4, [D] S14), so
nothing here raises on the first problem: checks append `Problem`s and the caller answers
400 with all of them. The numeric codes are [GAP] in the docs; [INFERRED] stable 8-digit
codes in the style of the documented samples (11900000 for a range rule, 10400000 for a
constraint between properties), and messages naming properties in PascalCase as the
samples do ('SortOrder' MUST be greater than '0').
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalogsync.emulator.logisense.schema import RESOURCES, Field, Kind, Resource
from catalogsync.emulator.logisense.store import Database, Record

__all__ = [
    "BAD_REQUEST",
    "DUPLICATE",
    "INJECTED",
    "INVALID_VALUE",
    "IN_USE",
    "NOT_FOUND",
    "RANGE",
    "REQUIRED",
    "UNKNOWN_REFERENCE",
    "ApiError",
    "Problem",
    "Validator",
    "coerce",
    "is_int64",
    "pascal",
]

REQUIRED = 10100000
INVALID_VALUE = 10200000
UNKNOWN_REFERENCE = 10300000
DUPLICATE = 10400000
NOT_FOUND = 10500000
IN_USE = 10600000
BAD_REQUEST = 10700000
RANGE = 11900000
INJECTED = 19900000


@dataclass(frozen=True)
class Problem:
    """One entry of the `errors` list."""

    code: int
    message: str

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class ApiError(Exception):
    """Answered as `{"trackingId", "type", "errors": [...]}` with `status`."""

    def __init__(self, status: int, problems: list[Problem] | str, code: int = BAD_REQUEST):
        if isinstance(problems, str):
            problems = [Problem(code, problems)]
        super().__init__("; ".join(p.message for p in problems))
        self.status, self.problems = status, problems


def is_int64(value: Any) -> bool:
    """A JSON integer SQLite can store (larger ones would fail deep in the driver)."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def pascal(name: str) -> str:
    """`minimumInstances` -> `MinimumInstances`, as the vendor's messages spell properties."""
    return name[:1].upper() + name[1:]


def coerce(
    resource: Resource, body: Mapping[str, Any], label: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The writable fields present in `body`, type-checked.

    [INFERRED] Read-only and unknown properties are ignored, as .NET model binding does
    (the samples send `id` and `identity` in PUT bodies); `null` clears a field.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for field in resource.fields:
        if field.name not in body:
            continue
        value, ok = _typed(field, body[field.name])
        if ok:
            values[field.name] = value
        else:
            problems.append(
                Problem(
                    INVALID_VALUE,
                    f"{label}'{pascal(field.name)}' must be {_EXPECTED[field.kind]}, "
                    f"not {body[field.name]!r}.",
                )
            )
    return values, problems


_EXPECTED = {
    Kind.INT: "a whole number",
    Kind.NUMBER: "a number",
    Kind.BOOL: "true or false",
    Kind.STRING: "a string",
    Kind.DATE: "an ISO 8601 date",
}


def _typed(field: Field, value: Any) -> tuple[Any, bool]:
    if value is None:
        return None, True
    kind = field.kind
    if kind is Kind.BOOL:
        return value, isinstance(value, bool)
    if kind is Kind.INT:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value, is_int64(value)
    if kind is Kind.NUMBER:
        return value, isinstance(value, int | float) and not isinstance(value, bool)
    if not isinstance(value, str):
        return value, False
    if kind is Kind.DATE:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value, False
    return value, True


class Validator:
    """Checks whole records (as they would be stored) against the stored data."""

    def __init__(
        self, db: Database, *, unique_names: bool, fail_names: re.Pattern[str] | None
    ) -> None:
        self.db = db
        self.unique_names = unique_names
        self.fail_names = fail_names

    def check(
        self,
        resource: Resource,
        record: Record,
        identity: int | None,
        label: str = "",
        *,
        pending_parent: bool = False,
    ) -> list[Problem]:
        """Every rule the record breaks. `pending_parent`: its package failed to be created
        in the same PATCH, so the package reference is not checked (it has no id)."""
        problems: list[Problem] = []
        skip = {"packageId"} if pending_parent else set()
        for field in resource.fields:
            if field.name in skip:
                continue
            value = record.get(field.name)
            if field.required and (value is None or value == ""):
                problems.append(Problem(REQUIRED, f"{label}'{pascal(field.name)}' is required."))
            elif (
                field.ref is not None
                and value is not None
                and not self.db.exists(RESOURCES[field.ref], value)
            ):
                problems.append(
                    Problem(
                        UNKNOWN_REFERENCE,
                        f"{label}'{pascal(field.name)}' {value} does not refer to an "
                        f"existing {field.ref}.",
                    )
                )
        problems += self._instances(record, label)
        if not pending_parent:
            problems += self._unique_together(resource, record, identity, label)
        problems += self._unique_name(resource, record, identity, label)
        problems += self._injected(resource, record, label)
        return problems

    def _instances(self, record: Record, label: str) -> list[Problem]:
        low, high = record.get("minimumInstances"), record.get("maximumInstances")
        default = record.get("defaultInstances")
        problems: list[Problem] = []
        if low is not None and low < 0:
            problems.append(Problem(RANGE, f"{label}'MinimumInstances' MUST be at least '0'."))
        if low is not None and high is not None and low > high:
            # No default can fit; that follow-on problem is not reported separately.
            default = None
            problems.append(
                Problem(
                    RANGE,
                    f"{label}'MinimumInstances' ({low}) MUST be less than or equal to "
                    f"'MaximumInstances' ({high}).",
                )
            )
        # [INFERRED] the default quantity must lie between the minimum and the maximum.
        out_of_range = default is not None and (
            (low is not None and default < low) or (high is not None and default > high)
        )
        if out_of_range:
            problems.append(
                Problem(
                    RANGE,
                    f"{label}'DefaultInstances' ({default}) MUST be between 'MinimumInstances' "
                    f"and 'MaximumInstances'.",
                )
            )
        return problems

    def _unique_together(
        self, resource: Resource, record: Record, identity: int | None, label: str
    ) -> list[Problem]:
        problems: list[Problem] = []
        for names in resource.unique_together:
            values = {name: record.get(name) for name in names}
            if any(v is None for v in values.values()):
                continue
            others = [i for i in self.db.ids_where(resource, values) if i != identity]
            if others:
                shown = ", ".join(f"'{pascal(n)}' {v}" for n, v in values.items())
                problems.append(
                    Problem(
                        DUPLICATE,
                        f"{label}{shown} is already used by {resource.key} {others[0]}.",
                    )
                )
        return problems

    def _unique_name(
        self, resource: Resource, record: Record, identity: int | None, label: str
    ) -> list[Problem]:
        # [INFERRED] the docs never say names are unique; the emulator allows duplicate
        # names unless built with unique_names=True (then Service and Package names are).
        name = record.get("name")
        if not self.unique_names or resource.parent or resource.lookup or not name:
            return []
        others = [i for i in self.db.ids_where(resource, {"name": name}) if i != identity]
        if not others:
            return []
        return [
            Problem(
                DUPLICATE,
                f"{label}'Name' {name!r} is already used by {resource.key} {others[0]}.",
            )
        ]

    def _injected(self, resource: Resource, record: Record, label: str) -> list[Problem]:
        """`Faults.fail_names_matching`: fail records whose name matches; a package service
        or currency has no name, so [INFERRED] its service's or currency's name is used."""
        if self.fail_names is None:
            return []
        name = record.get("name")
        for field in ("serviceId", "currencyId"):
            target = resource.field(field)
            if name is None and target is not None and record.get(field) is not None:
                assert target.ref is not None
                linked = self.db.get(RESOURCES[target.ref], record[field])
                name = linked["name"] if linked else None
        if isinstance(name, str) and self.fail_names.search(name):
            return [
                Problem(
                    INJECTED,
                    f"{label}injected failure: the name {name!r} matches "
                    f"{self.fail_names.pattern!r}.",
                )
            ]
        return []
