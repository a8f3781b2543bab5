"""The money-aware review's part of catalogsync.yaml: `pricing`, `risk`, `policies`, `lint`.

```yaml
pricing: {currency: USD}          # shown next to prices; decides the decimals lint
risk: {high_increase_percent: 10} # a price increase above this is high risk
policies:                         # evaluated at plan time; a violation refuses (exit 3)
  - {name: cap-increases, rule: max_price_increase, percent: 15, kinds: [product]}
  - {name: keep-sold-products, rule: no_delete_used_by_production}
lint: {product_in_no_package: warning, rate_precision: off}
```
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from catalogsync.catalog import Kind
from catalogsync.catalog_format import KindWord


class _Model(BaseModel):
    # Each model is built when first used (`defer_build`), not at import: a command pays only
    # for the models it validates with (tests/test_deferred_models.py: the same errors).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Pricing(_Model):
    """How prices are shown and linted."""

    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        None, description="ISO 4217 code the catalog's prices are in, e.g. USD."
    )
    max_decimals: int | None = Field(
        None, ge=0, le=12, description="Decimals a rate may have (default: the currency's)."
    )


class RiskSettings(_Model):
    """Thresholds of the risk grades."""

    high_increase_percent: Decimal = Field(
        Decimal(10), ge=0, description="A price increase above this percentage is high risk."
    )


class PolicyRule(StrEnum):
    """The rules a policy can enforce."""

    MAX_PRICE_INCREASE = "max_price_increase"
    MAX_PRICE_DECREASE = "max_price_decrease"
    NO_DELETE_USED_BY_PRODUCTION = "no_delete_used_by_production"
    RATE_REQUIRED_IN_PRODUCTION = "rate_required_in_production"

    @property
    def takes_percent(self) -> bool:
        return self in (PolicyRule.MAX_PRICE_INCREASE, PolicyRule.MAX_PRICE_DECREASE)

    @property
    def needs_prices(self) -> bool:
        return self is not PolicyRule.NO_DELETE_USED_BY_PRODUCTION


_POLICY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class Policy(_Model):
    """One rule every plan must keep (or override explicitly, by name)."""

    name: str = Field(description="Name given to --override-policy (letters, digits, - _ .).")
    rule: PolicyRule
    percent: Decimal | None = Field(
        None, ge=0, description="The limit of max_price_increase / max_price_decrease."
    )
    kinds: tuple[KindWord, ...] = Field(
        tuple(Kind), description="Kinds the rule applies to (in the backend's words too)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if _POLICY_NAME.fullmatch(self.name) is None:
            raise ValueError(f"policy name {self.name!r} must be letters, digits, '-', '_' or '.'")
        if self.rule.takes_percent and self.percent is None:
            raise ValueError(f"policy '{self.name}': rule {self.rule.value} needs 'percent'")
        if not self.rule.takes_percent and self.percent is not None:
            raise ValueError(f"policy '{self.name}': rule {self.rule.value} takes no 'percent'")
        return self


class LintLevel(StrEnum):
    """What a pricing lint rule's finding is: switched off, a warning, or an error."""

    OFF = "off"
    WARNING = "warning"
    ERROR = "error"


def _off_is_false(value: Any) -> Any:
    """YAML 1.1 readers take a bare `off` for false: it still means off here."""
    return LintLevel.OFF.value if value is False else value


Level = Annotated[LintLevel, BeforeValidator(_off_is_false)]


class LintSwitches(_Model):
    """The pricing lint rules of `validate`, each off, warning or error (exit 1)."""

    product_in_no_package: Level = LintLevel.WARNING
    package_without_products: Level = LintLevel.WARNING
    inactive_product_in_production: Level = LintLevel.ERROR
    rate_precision: Level = LintLevel.WARNING
    negative_rate: Level = LintLevel.ERROR
    duplicate_package_product: Level = LintLevel.ERROR
