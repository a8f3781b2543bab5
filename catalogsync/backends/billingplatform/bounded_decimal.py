"""BillingPlatform's bounded decimals (`Money`, `Quantity`), checked without pydantic's
digit count for the values that are plainly within bounds.

pydantic checks `max_digits` and `decimal_places` by calling `Decimal.normalize()` and
`Decimal.as_tuple()` on every value: about 600 ns each, 290,000 times when a
BillingPlatform L catalog is validated (every rate and quantity). Most values are quoted
money with a few places ("424.46") or whole quantities (`min_qty: 1`), whose bounds their
spelling already proves: at most `WHOLE_DIGITS` digits before the point and
`DECIMAL_PLACES` after, so the normalised value has no more either. Those become their
Decimal here (the same Decimal pydantic makes of them: `Decimal(text)`, `Decimal(int)`);
any other value (a Decimal, a float, an exponent, a sign a quantity refuses, spaces,
underscores, too many digits...) goes to pydantic's exact check, unchanged, which accepts,
refuses and words its errors as before (tests/backends/test_bounded_decimal.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, ValidatorFunctionWrapHandler, WrapValidator

# Catalogsync's own bounds (docs/vendor-api.md, "Decimal bounds"): 18 digits before the
# point and 10 after cover any price or quantity, and refuse `1e999999999` (a billion
# digits once printed) or a 5,000-digit rate at validation.
WHOLE_DIGITS = 18
DECIMAL_PLACES = 10
_BOUNDED = {"max_digits": WHOLE_DIGITS + DECIMAL_PLACES, "decimal_places": DECIMAL_PLACES}

#: pydantic's own checks, as the fields had them: the fallback, and what the fast path
#: must agree with.
EXACT_MONEY = Annotated[Decimal, Field(allow_inf_nan=False, **_BOUNDED)]
EXACT_QUANTITY = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, **_BOUNDED)]

_UNSIGNED = rf"[0-9]{{1,{WHOLE_DIGITS}}}(?:\.[0-9]{{0,{DECIMAL_PLACES}}})?"
_LIMIT = 10**WHOLE_DIGITS


def _within(
    spelt: Callable[[str], object], lowest: int
) -> Callable[[Any, ValidatorFunctionWrapHandler], Any]:
    """A wrap validator: the Decimal of a value its spelling proves within bounds (digits
    only, `spelt`; an int from `lowest` up), else pydantic's exact check (`exact`)."""

    def within(value: Any, exact: ValidatorFunctionWrapHandler) -> Any:
        kind = type(value)  # (not isinstance: a bool is an int, and refused as before)
        if kind is str:
            if spelt(value):
                return Decimal(value)
        elif kind is int and lowest <= value < _LIMIT:
            return Decimal(value)
        return exact(value)

    return within


Money = Annotated[
    EXACT_MONEY, WrapValidator(_within(re.compile("-?" + _UNSIGNED).fullmatch, 1 - _LIMIT))
]
# (no sign: "-0" is a quantity, but pydantic's check says so)
Quantity = Annotated[EXACT_QUANTITY, WrapValidator(_within(re.compile(_UNSIGNED).fullmatch, 0))]
