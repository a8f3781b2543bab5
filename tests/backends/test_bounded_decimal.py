"""BillingPlatform's `Money` and `Quantity` (bounded_decimal) take a fast path for values
their spelling proves within bounds, and pydantic's exact check for the others: for any
input, old (the exact check alone) and new accept the same values, make the same Decimal
(its digits, exponent and sign), and refuse the same values with the same errors and the
same message catalogsync shows."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, get_args

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from catalogsync.backends.billingplatform.bounded_decimal import (
    EXACT_MONEY,
    EXACT_QUANTITY,
    Money,
    Quantity,
)
from catalogsync.validation import _message
from tests.conftest import examples

_CONFIG = ConfigDict(frozen=True, extra="forbid")


def _model(annotation: Any) -> type[BaseModel]:
    return create_model("Item", __config__=_CONFIG, value=(annotation | None, None))


PAIRS = {
    "money": (_model(EXACT_MONEY), _model(Money)),
    "quantity": (_model(EXACT_QUANTITY), _model(Quantity)),
}


def _outcome(model: type[BaseModel], value: object) -> tuple[str, ...]:
    """What validating `value` gives: the Decimal's repr, or each error and its message."""
    try:
        made = model.model_validate({"value": value})
    except ValidationError as exc:
        return tuple(
            repr((err["type"], err["loc"], err["msg"], err["input"], err.get("ctx"), _message(err)))
            for err in exc.errors(include_url=False)
        )
    return ("ok", repr(made.__dict__["value"]))


def _same(value: object) -> None:
    for old, new in PAIRS.values():
        assert _outcome(new, value) == _outcome(old, value)


_DIGITS = st.text("0123456789", min_size=0, max_size=32)
#: Texts shaped like numbers: sign, digits, point, places, exponent, spaces, underscores.
_NUMBER_TEXT = st.builds(
    lambda sign, whole, point, places, exponent, pad: (
        f"{pad}{sign}{whole}{point}{places}{exponent}{pad}"
    ),
    st.sampled_from(["", "-", "+", "--"]),
    _DIGITS,
    st.sampled_from(["", ".", ".."]),
    _DIGITS,
    st.one_of(st.just(""), st.builds("e{}".format, st.integers(-40, 40))),
    st.sampled_from(["", " ", "\t"]),
)
_ANY = st.one_of(
    _NUMBER_TEXT,
    st.text(max_size=12),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(places=12, min_value=-(10**20), max_value=10**20).map(str),
    st.integers(),
    st.integers(-(10**19), 10**19),
    st.floats(),
    st.booleans(),
    st.sampled_from(["NaN", "-Infinity", "inf", "sNaN", "-0", "-0.00", "1_000", "", "1e999999999"]),
)


@given(_ANY)
@settings(max_examples=examples(1200), deadline=None)
@example("1" * 18 + "." + "1" * 10)  # the widest a spelling passes the fast path with
@example("1" * 19)
@example("0." + "0" * 10 + "1")
@example("1.12345678900")  # trailing zeros: within bounds once normalised
@example(10**18 - 1)
@example(10**18)
@example(-(10**18) + 1)
@example(-(10**18))
@example(-1)
@example(True)
@example(Decimal("-0"))
@example(math.nan)
@example(None)
def test_fast_path_agrees_with_pydantics_check(value: object) -> None:
    _same(value)


def test_the_fast_path_takes_the_common_shapes() -> None:
    # Not a speed assertion: these make the same Decimal as pydantic, which a value that
    # fell back would too, so check that they do not fall back.
    def refused(value: Any) -> Any:
        raise AssertionError(f"{value!r} fell back to pydantic's check")

    for annotation, value in [(Money, "424.46"), (Money, "-5"), (Quantity, 1), (Quantity, "2.5")]:
        wrap = get_args(annotation)[-1]
        assert wrap.func(value, refused) == Decimal(str(value))
        _same(value)


def test_the_json_schema_is_unchanged() -> None:
    for old, new in PAIRS.values():
        assert new.model_json_schema() == old.model_json_schema()
