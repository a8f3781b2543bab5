"""`policies:` of catalogsync.yaml: each rule, the refusal (exit 3), overrides, config errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from catalogsync.assess import assess_plan
from catalogsync.catalog import Catalog, Kind, package_product_ref, package_ref, product_ref
from catalogsync.config import ObjectRule, load_project
from catalogsync.errors import EXIT_REFUSED, ConfigError, PolicyRefusedError, UsageError
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Plan
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.registry import get_format
from catalogsync.review_config import Policy, PolicyRule, Pricing, RiskSettings
from tests.fakes import catalog, live, res

D = Decimal
VOICE, MAIL = product_ref("Voice Minutes"), product_ref("Voicemail")
GOLD, BETA = package_ref("Gold Plan"), package_ref("Beta")
GOLD_VOICE = package_product_ref("Gold Plan", "Voice Minutes")
GOLD_MAIL = package_product_ref("Gold Plan", "Voicemail")
LIVE = [
    live(VOICE, "1", rate=D("0.05")),
    live(MAIL, "2", rate=D("2.00")),
    live(GOLD, "3", status="Production"),
    live(GOLD_VOICE, "4", min_qty=D(1), rate=D("0.04")),
]


def policy(name: str, rule: str, percent: str | None = None, **extra: object) -> Policy:
    return Policy.model_validate(
        {"name": name, "rule": rule, **({"percent": percent} if percent else {}), **extra}
    )


def assessed(
    desired: Catalog,
    policies: tuple[Policy, ...],
    overrides: tuple[str, ...] = (),
    current: list[LiveResource] = LIVE,
    prune: tuple[ObjectRule, ...] = (),
) -> Plan:
    live_catalog = LiveCatalog(tuple(current))
    plan = build_plan(desired, live_catalog, PlanOptions(backend="billingplatform", prune=prune))
    return assess_plan(
        plan,
        desired,
        live_catalog,
        get_format("billingplatform"),
        pricing=Pricing(),
        risk=RiskSettings(),
        policies=policies,
        overrides=overrides,
    )


def with_rates(voice: str, mail: str = "2.00", gold_voice: str | None = "0.04") -> Catalog:
    return catalog(
        res(VOICE, rate=D(voice)),
        res(MAIL, rate=D(mail)),
        res(GOLD, status="Production"),
        res(GOLD_VOICE, min_qty=D(1), rate=None if gold_voice is None else D(gold_voice)),
    )


def test_max_price_increase_refuses_naming_the_rule_and_the_change() -> None:
    cap = policy("cap-increases", "max_price_increase", "15")
    with pytest.raises(PolicyRefusedError) as caught:
        assessed(with_rates("0.06"), (cap,))
    message = str(caught.value)
    assert "policy 'cap-increases' (max_price_increase 15 %)" in message
    assert "product Voice Minutes: rate 0.05 → 0.06 (+0.01, +20.0 %)" in message
    assert "--override-policy cap-increases" in message
    assert caught.value.exit_code == EXIT_REFUSED == 3
    assessed(with_rates("0.0575"), (cap,))  # +15.0 %: within the cap


def test_max_price_increase_only_for_its_kinds() -> None:
    cap = policy("cap", "max_price_increase", "5", kinds=["package_product"])
    assessed(with_rates("0.06"), (cap,))  # a product's increase: not this policy's kind
    with pytest.raises(PolicyRefusedError, match="Gold Plan / Voice Minutes"):
        assessed(with_rates("0.05", gold_voice="0.05"), (cap,))


def test_max_price_decrease() -> None:
    cap = policy("cap-decreases", "max_price_decrease", "10")
    with pytest.raises(PolicyRefusedError, match=r"Voicemail: rate 2.00 → 1.50"):
        assessed(with_rates("0.05", mail="1.50"), (cap,))
    assessed(with_rates("0.05", mail="1.80"), (cap,))  # -10.0 %: allowed
    assessed(with_rates("0.10", mail="2.00"), (cap,))  # increases are not its business


def test_price_policy_judges_a_package_product_by_its_effective_rate() -> None:
    cap = policy("cap", "max_price_increase", "10")
    # Gold drops its own 0.04 and inherits 0.05: +25 % for Gold's customers
    with pytest.raises(PolicyRefusedError, match=r"Gold Plan / Voice Minutes: rate 0.04 → 0.05"):
        assessed(with_rates("0.05", gold_voice=None), (cap,))


def test_no_delete_used_by_production() -> None:
    keep = policy("keep-sold", "no_delete_used_by_production")
    desired = catalog(res(VOICE, rate=D("0.05")), res(MAIL, rate=D("2.00")), res(GOLD))
    prune = (ObjectRule(kind=Kind.PACKAGE_PRODUCT),)
    with pytest.raises(PolicyRefusedError, match="deleted, used by Production package"):
        assessed(desired, (keep,), prune=prune)
    beta = [*LIVE[:2], live(BETA, "9", status="In Development")]
    everything = tuple(ObjectRule(kind=k) for k in Kind)
    assessed(catalog(res(VOICE), res(MAIL)), (keep,), current=beta, prune=everything)


def test_rate_required_in_production() -> None:
    rates = policy("rates", "rate_required_in_production")
    with pytest.raises(PolicyRefusedError, match="no rate of its own in Production package"):
        assessed(with_rates("0.05", gold_voice=None), (rates,))
    # a package created into production with a package-product that has no rate
    desired = catalog(
        res(VOICE, rate=D("0.05")),
        res(MAIL, rate=D("2.00")),
        res(GOLD, status="Production"),
        res(GOLD_VOICE, min_qty=D(1), rate=D("0.04")),
        res(BETA, status="Production"),
        res(package_product_ref("Beta", "Voicemail"), min_qty=D(0)),
    )
    with pytest.raises(PolicyRefusedError, match="package-product Voicemail has no rate"):
        assessed(desired, (rates,))
    # In Development packages are not held to it
    dev = catalog(*[r for r in desired if r.ref != BETA], res(BETA, status="In Development"))
    assessed(dev, (rates,))


def test_an_override_lets_the_plan_through_and_is_recorded_in_it() -> None:
    cap = policy("cap-increases", "max_price_increase", "15")
    plan = assessed(with_rates("0.06"), (cap,), overrides=("cap-increases",))
    assert plan.review is not None
    (override,) = plan.review.policy_overrides
    assert override.policy == "cap-increases" and override.rule == "max_price_increase 15 %"
    assert override.violations == ("product Voice Minutes: rate 0.05 → 0.06 (+0.01, +20.0 %)",)
    assert Plan.loads(plan.dumps()).review == plan.review  # in the file, under its hash


def test_an_override_of_a_policy_that_holds_records_nothing() -> None:
    cap = policy("cap-increases", "max_price_increase", "50")
    plan = assessed(with_rates("0.06"), (cap,), overrides=("cap-increases",))
    assert plan.review is not None and plan.review.policy_overrides == ()


def test_an_override_naming_no_policy_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no such policy"):
        assessed(with_rates("0.06"), (), overrides=("typo",))


# --- configuration ----------------------------------------------------------------------


def write_project(tmp_path: Path, policies: str, backend: str = "billingplatform") -> Path:
    (tmp_path / "catalogsync.yaml").write_text(
        f"backend: {backend}\ntargets:\n  local: {{url: 'emulator:'}}\npolicies:\n{policies}",
        encoding="utf-8",
    )
    return tmp_path


def test_policies_load_from_catalogsync_yaml(tmp_path: Path) -> None:
    project = load_project(
        write_project(
            tmp_path,
            "  - {name: cap, rule: max_price_increase, percent: 15, kinds: [product]}\n"
            "  - {name: keep, rule: no_delete_used_by_production}\n",
        )
    )
    cap, keep = project.config.policies
    assert cap.rule is PolicyRule.MAX_PRICE_INCREASE and cap.percent == D(15)
    assert cap.kinds == (Kind.PRODUCT,) and keep.kinds == tuple(Kind)


@pytest.mark.parametrize(
    ("policies", "message"),
    [
        (
            "  - {name: cap, rule: max_price_increase}\n",
            "5:5: policies: policy 'cap': rule max_price_increase needs 'percent'",
        ),
        ("  - {name: k, rule: no_delete_used_by_production, percent: 3}\n", "takes no 'percent'"),
        ("  - {name: k, rule: no_such_rule}\n", "5:21: rule: invalid value 'no_such_rule'"),
        (
            "  - {name: k, rule: max_price_decrease, percent: 5, colour: red}\n",
            "unknown field 'colour'",
        ),
        (
            "  - {name: a, rule: no_delete_used_by_production}\n"
            "  - {name: a, rule: no_delete_used_by_production}\n",
            "6:12: policy name 'a' is used twice",
        ),
        ("  - {name: 'has space', rule: no_delete_used_by_production}\n", "must be letters"),
    ],
)
def test_policy_config_errors_are_located(tmp_path: Path, policies: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project(write_project(tmp_path, policies))
    assert "catalogsync.yaml:" in str(caught.value)
    assert message in str(caught.value)


def test_price_policies_on_a_backend_without_prices_are_refused(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"5:23: policy 'cap': rule max_price_increase needs prices, and logisense catalogs have none",
    ):
        load_project(
            write_project(
                tmp_path,
                "  - {name: cap, rule: max_price_increase, percent: 5}\n",
                backend="logisense",
            )
        )
    load_project(
        write_project(
            tmp_path, "  - {name: keep, rule: no_delete_used_by_production}\n", "logisense"
        )
    )
