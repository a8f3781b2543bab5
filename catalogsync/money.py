"""Prices as money: before → after with the absolute and percentage change, in Decimal only.

`0.05 → 0.06 (+0.01, +20.0 %)`. A price that appears is `new price 0.06`, one that goes is
`price removed (was 0.05)`. The currency is shown when the project names it
(`pricing: {currency: USD}` in catalogsync.yaml): neither billing system's catalog records
carry a currency next to a rate. Never float: a percentage is computed in Decimal and
rounded half-even to one decimal, so the same plan always prints the same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

_HUNDRED = Decimal(100)
_ONE_DECIMAL = Decimal("0.1")

# ISO 4217 minor units of the currencies billing teams most often price in; any other code
# is taken as 2 (the ISO default) unless `pricing.max_decimals` says otherwise.
MINOR_UNITS: dict[str, int] = {
    "BHD": 3, "CLP": 0, "ISK": 0, "JOD": 3, "JPY": 0, "KRW": 0, "KWD": 3, "OMR": 3,
    "TND": 3, "UGX": 0, "VND": 0, "XAF": 0, "XOF": 0,
}  # fmt: skip
DEFAULT_MINOR_UNITS = 2


def minor_units(currency: str | None) -> int:
    """Decimals a currency's amounts have (2 when the currency is not known)."""
    return MINOR_UNITS.get(currency or "", DEFAULT_MINOR_UNITS)


def decimals(value: Decimal) -> int:
    """How many decimals `value` is written with: `0.050` → 3, `25` → 0."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass(frozen=True, slots=True)
class PriceMove:
    """One money field's value before and after a change (None: no price)."""

    field: str
    before: Decimal | None
    after: Decimal | None

    @property
    def delta(self) -> Decimal | None:
        """after - before, or None when either side has no price."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def percent(self) -> Decimal | None:
        """The change in percent of `before`, one decimal; None from no price or from zero."""
        delta = self.delta
        if delta is None or self.before is None or self.before == 0:
            return None
        return (delta / abs(self.before) * _HUNDRED).quantize(_ONE_DECIMAL, ROUND_HALF_EVEN)

    @property
    def direction(self) -> str:
        """`new`, `removed`, `increase`, `decrease` or `same`."""
        if self.before is None:
            return "new" if self.after is not None else "same"
        if self.after is None:
            return "removed"
        delta = self.after - self.before
        return "increase" if delta > 0 else "decrease" if delta < 0 else "same"


def money(value: Decimal, currency: str | None = None) -> str:
    """`0.05` or `0.05 USD`: the value with the scale it was given, never an exponent."""
    text = format(value, "f")
    return f"{text} {currency}" if currency else text


def signed(value: Decimal) -> str:
    """`+0.01`, `-0.01`, `0.00`."""
    text = format(value, "f")
    return "+" + text if value > 0 else text


def describe_move(move: PriceMove, currency: str | None = None) -> str:
    """`0.05 → 0.06 USD (+0.01, +20.0 %)`, `new price 0.06`, `price removed (was 0.05)`."""
    unit = f" {currency}" if currency else ""
    if move.before is None:
        return "no price" if move.after is None else f"new price {money(move.after, currency)}"
    if move.after is None:
        return f"price removed (was {money(move.before, currency)})"
    delta = move.after - move.before
    percent = move.percent
    share = "from zero" if percent is None else f"{signed(percent)} %"
    return (
        f"{format(move.before, 'f')} → {format(move.after, 'f')}{unit} ({signed(delta)}, {share})"
    )
