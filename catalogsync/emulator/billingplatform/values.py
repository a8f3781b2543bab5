"""Converting field values between the wire (JSON) and storage (SQLite).

On the way in the emulator is lenient, as clients are inconsistent: numbers, numeric
strings and booleans are all accepted where they make sense. On the way out every scalar
is a string (reference §10.1), and an empty field is "".
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from catalogsync.emulator.billingplatform.schema import Field, Kind

__all__ = ["StoredValue", "ValueProblem", "decimal_of", "to_storage", "to_wire", "wire_sql"]

StoredValue = str | int | None

_PLAIN_DECIMAL = re.compile(r"-?\d+(\.\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"1", "true", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "no", "n", "off", ""})


class ValueProblem(ValueError):
    """A value that does not fit its field; the message says why."""


def to_storage(field: Field, value: Any) -> StoredValue:
    """Convert a JSON value sent for `field` to what SQLite stores.

    `null` and "" clear a field (stored as NULL, so `IS NULL` finds it); flags clear to 0.
    """
    if isinstance(value, dict | list):
        raise ValueProblem(f"{field.name} must be a single value, not {type(value).__name__}")
    if isinstance(value, str) and field.kind is not Kind.TEXT:
        value = value.strip()  # " 12 " is 12; but text (names) is kept exactly as sent
    if value is None or value == "":
        return 0 if field.kind is Kind.FLAG else None
    converter = _CONVERTERS.get(field.kind, _text)
    return converter(field, value)


def to_wire(value: StoredValue) -> str:
    """A stored value as BillingPlatform returns it: always a string, "" when empty."""
    return "" if value is None else str(value)


def wire_sql(expression: str) -> str:
    """The SQLite expression whose value is `to_wire` of `expression`'s, so a query's rows
    come out of SQLite as wire text (a 10,000-row page had 160,000 `to_wire` calls).

    The same text: a stored value is only ever TEXT (kept as is), INTEGER (SQLite spells
    an integer as `str` does) or NULL (`to_storage` makes no REAL; a TEXT column turns a
    number into text, an INTEGER column keeps whole numbers). Pinned by
    tests/emulator/test_query.py against `to_wire` of the stored records."""
    return f"IFNULL(CAST({expression} AS TEXT), '')"


def decimal_of(value: StoredValue) -> Decimal | None:
    """A stored DECIMAL value as a Decimal, for rules such as MinQty <= MaxQty."""
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _text(field: Field, value: Any) -> StoredValue:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _identifier(field: Field, value: Any) -> StoredValue:
    if isinstance(value, bool):
        raise ValueProblem(f"{field.name} must be a record Id, not {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    raise ValueProblem(f"{field.name} must be a record Id, not {value!r}")


def _decimal(field: Field, value: Any) -> StoredValue:
    if isinstance(value, bool):
        raise ValueProblem(f"{field.name} must be a number, not {value!r}")
    text = repr(value) if isinstance(value, float) else str(value)
    if _PLAIN_DECIMAL.fullmatch(text):
        return text  # kept exactly as sent: "10.50" stays "10.50"
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(f"{field.name} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise ValueProblem(f"{field.name} must be a finite number, not {value!r}")
    return format(number, "f")


def _flag(field: Field, value: Any) -> StoredValue:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return 1 if value.lower() in _TRUE else 0
    raise ValueProblem(f"{field.name} must be a flag (0 or 1), not {value!r}")


def _choice(field: Field, value: Any) -> StoredValue:
    # Accepted in any letter case, stored in the documented spelling.
    text = str(value)
    for choice in field.choices:
        if choice.lower() == text.lower():
            return choice
    allowed = ", ".join(field.choices)
    raise ValueProblem(f"{field.name} must be one of: {allowed} (got {value!r})")


_CONVERTERS = {
    Kind.TEXT: _text,
    Kind.ID: _identifier,
    Kind.DECIMAL: _decimal,
    Kind.FLAG: _flag,
    Kind.CHOICE: _choice,
    Kind.DATETIME: _text,
}
