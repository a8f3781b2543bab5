"""The money-aware review with plain values: price moves, reach, risk grades, plan file."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal

import pytest

from catalogsync.assess import assess_plan
from catalogsync.catalog import (
    Catalog,
    Kind,
    Resource,
    package_product_ref,
    package_ref,
    product_ref,
)
from catalogsync.config import ObjectRule
from catalogsync.errors import PlanError
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.money import PriceMove, decimals, describe_move, minor_units
from catalogsync.plan import Plan, digest
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.registry import get_format
from catalogsync.review import ChangeReview, PlanReview, Risk
from catalogsync.review_config import Pricing, RiskSettings
from tests.fakes import catalog, live, res

BP = get_format("billingplatform")
LS = get_format("logisense")
VOICE = product_ref("Voice Minutes")
MAIL = product_ref("Voicemail")
GOLD, SILVER, OBRIEN = (
    package_ref("Gold Plan"),
    package_ref("Silver Plan"),
    package_ref("O'Brien & Söhne Business"),
)
GOLD_VOICE = package_product_ref("Gold Plan", "Voice Minutes")
SILVER_VOICE = package_product_ref("Silver Plan", "Voice Minutes")
OBRIEN_VOICE = package_product_ref("O'Brien & Söhne Business", "Voice Minutes")
D = Decimal


def reviewed(
    desired: Catalog,
    current: list[LiveResource],
    *,
    backend: str = "billingplatform",
    prune: tuple[ObjectRule, ...] = (),
    currency: str | None = None,
    threshold: str = "10",
) -> Plan:
    options = PlanOptions(backend=backend, target="t", target_url="u", prune=prune)
    plan = build_plan(desired, LiveCatalog(tuple(current)), options)
    return assess_plan(
        plan,
        desired,
        LiveCatalog(tuple(current)),
        get_format(backend),
        pricing=Pricing(currency=currency),
        risk=RiskSettings(high_increase_percent=D(threshold)),
        policies=(),
    )


def entry(plan: Plan, ref: object) -> ChangeReview:
    assert plan.review is not None
    found = plan.review.of(ref)  # type: ignore[arg-type]
    assert found is not None, f"no review for {ref}"
    return found


# The example: three packages sell Voice Minutes; two have their own rate.
LIVE = [
    live(VOICE, "1", rate=D("0.05"), status="ACTIVE"),
    live(GOLD, "2", status="Production"),
    live(SILVER, "3", status="Production"),
    live(OBRIEN, "4", status="Production"),
    live(GOLD_VOICE, "5", min_qty=D(1), max_qty=D(100), rate=D("0.04")),
    live(SILVER_VOICE, "6", min_qty=D(1), rate=None),
    live(OBRIEN_VOICE, "7", min_qty=D(1), rate=D("0.03")),
]


def desired_from_live(**overrides: Mapping[str, object]) -> Catalog:
    """The live catalog as YAML, with some objects' fields changed (keyed by label)."""
    resources = []
    for r in LIVE:
        fields = {**r.fields, **overrides.get(r.ref.label.replace(" ", "_"), {})}
        resources.append(res(r.ref, **fields))
    return catalog(*resources)


# --- money -------------------------------------------------------------------------------


def test_price_moves_read_as_money_with_sign_and_percent_in_decimal() -> None:
    assert describe_move(PriceMove("rate", D("0.05"), D("0.06"))) == "0.05 → 0.06 (+0.01, +20.0 %)"
    assert describe_move(PriceMove("rate", D("2.00"), D("1.50")), "USD") == (
        "2.00 → 1.50 USD (-0.50, -25.0 %)"
    )
    assert describe_move(PriceMove("rate", None, D("0.06"))) == "new price 0.06"
    assert describe_move(PriceMove("rate", D("0.05"), None), "EUR") == (
        "price removed (was 0.05 EUR)"
    )
    assert describe_move(PriceMove("rate", D(0), D("1"))) == "0 → 1 (+1, from zero)"
    # one third of a percent: Decimal, rounded half-even, never a float artefact
    assert PriceMove("rate", D("3"), D("3.01")).percent == D("0.3")
    assert PriceMove("rate", D("0.10"), D("0.10")).direction == "same"
    assert decimals(D("0.050")) == 3 and decimals(D("25")) == 0
    assert minor_units("JPY") == 0 and minor_units("KWD") == 3 and minor_units(None) == 2


# --- effective prices --------------------------------------------------------------------


def test_a_product_rate_change_reaches_inheriting_packages_and_names_the_overrides() -> None:
    plan = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE)
    voice = entry(plan, VOICE)
    assert voice.inherited_by == ("Silver Plan",)
    assert voice.overridden_in == (
        ("Gold Plan", D("0.04")),
        ("O'Brien & Söhne Business", D("0.03")),
    )
    assert [m.direction for m in voice.prices] == ["increase"]


def test_a_package_product_rate_change_shows_its_effective_rate_own_or_inherited() -> None:
    changes: dict[str, Mapping[str, object]] = {
        "Gold_Plan_/_Voice_Minutes": {"rate": None},  # drops its own rate: inherits 0.05
        "Silver_Plan_/_Voice_Minutes": {"rate": D("0.045")},  # gets its own rate
    }
    desired = desired_from_live(**changes)
    plan = reviewed(desired, LIVE)
    gold = entry(plan, GOLD_VOICE).effective
    assert gold is not None and (gold.move.before, gold.move.after) == (D("0.04"), D("0.05"))
    assert (gold.before_from, gold.after_from) == ("own", "product")
    silver = entry(plan, SILVER_VOICE).effective
    assert silver is not None and (silver.before_from, silver.after_from) == ("product", "own")
    # graded on what is charged: Gold's effective rate goes up 25 %, Silver's down 10 %
    assert entry(plan, GOLD_VOICE).risk is Risk.HIGH
    assert "price increase above 10 %" in entry(plan, GOLD_VOICE).findings[0].reason
    assert "price decrease" in entry(plan, SILVER_VOICE).findings[0].reason


def test_logisense_has_no_prices_so_no_moves_and_no_reach() -> None:
    svc = product_ref("Internet")
    plan = reviewed(
        catalog(res(svc, service_type="Recurring", description="new")),
        [live(svc, "1", service_type="Recurring", description="old")],
        backend="logisense",
    )
    assert entry(plan, svc).prices == () and entry(plan, svc).risk is Risk.LOW


# --- risk grades: one test per rule ----------------------------------------------------


def test_grade_price_decrease_is_high() -> None:
    plan = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.049")}), LIVE)
    assert entry(plan, VOICE).risk is Risk.HIGH


def test_grade_increase_above_threshold_is_high_at_or_below_is_medium() -> None:
    above = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE)
    assert entry(above, VOICE).risk is Risk.HIGH
    at = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.055")}), LIVE)
    assert entry(at, VOICE).risk is Risk.MEDIUM  # exactly +10.0 %
    relaxed = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE, threshold="25")
    assert entry(relaxed, VOICE).risk is Risk.MEDIUM


def test_grade_price_removed_is_medium() -> None:
    plan = reviewed(desired_from_live(Voice_Minutes={"rate": None}), LIVE)
    assert entry(plan, VOICE).risk is Risk.MEDIUM
    assert entry(plan, VOICE).findings[0].reason.startswith("price removed")


def test_grade_deleting_what_a_production_package_uses_is_high() -> None:
    desired = catalog(*(res(r.ref, **r.fields) for r in LIVE if r.ref != GOLD_VOICE))
    plan = reviewed(desired, LIVE, prune=(ObjectRule(kind=Kind.PACKAGE_PRODUCT),))
    found = entry(plan, GOLD_VOICE)
    assert found.risk is Risk.HIGH
    assert found.findings[0].reason == "removes Voice Minutes from Production package Gold Plan"


def test_grade_deleting_a_production_package_and_its_product_is_high() -> None:
    current = [
        live(MAIL, "8", rate=D(2), status="ACTIVE"),
        live(GOLD, "2", status="Production"),
        live(package_product_ref("Gold Plan", "Voicemail"), "9", min_qty=D(0)),
    ]
    everything = (ObjectRule(kind=kind) for kind in Kind)
    plan = reviewed(catalog(), current, prune=tuple(everything))
    assert entry(plan, GOLD).findings[0].reason == "deletes a Production package"
    assert entry(plan, MAIL).findings[0].reason == (
        "deletes a product used by Production package(s) Gold Plan"
    )
    assert entry(plan, MAIL).risk is Risk.HIGH


def test_grade_deleting_what_no_production_package_uses_is_medium() -> None:
    current = [live(MAIL, "8", rate=D(2)), live(package_ref("Beta"), "2", status="In Development")]
    everything = (ObjectRule(kind=kind) for kind in Kind)
    plan = reviewed(catalog(), current, prune=tuple(everything))
    assert entry(plan, MAIL).risk is Risk.MEDIUM
    assert entry(plan, package_ref("Beta")).risk is Risk.MEDIUM


def test_grade_deactivating_a_product_production_packages_use_is_high() -> None:
    plan = reviewed(desired_from_live(Voice_Minutes={"status": "INACTIVE"}), LIVE)
    assert entry(plan, VOICE).findings[0].reason == (
        "deactivates a product used by Production package(s) "
        "Gold Plan, O'Brien & Söhne Business, Silver Plan"
    )
    unused = reviewed(catalog(res(MAIL, status="INACTIVE")), [live(MAIL, "8", status="ACTIVE")])
    assert entry(unused, MAIL).risk is Risk.MEDIUM


def test_grade_deactivating_a_logisense_service_in_a_package_is_high() -> None:
    svc, pkg = product_ref("Internet"), package_ref("Home")
    current = [
        live(svc, "1", service_type="Recurring", is_active=True),
        live(pkg, "2"),
        live(package_product_ref("Home", "Internet"), "3"),
    ]
    desired = catalog(
        res(svc, service_type="Recurring", is_active=False),
        res(pkg),
        res(package_product_ref("Home", "Internet")),
    )
    plan = reviewed(desired, current, backend="logisense")
    assert entry(plan, svc).risk is Risk.HIGH


def test_grade_taking_a_package_out_of_production_is_high() -> None:
    plan = reviewed(desired_from_live(Gold_Plan={"status": "In Development"}), LIVE)
    assert entry(plan, GOLD).findings[0].reason == "takes a Production package out of production"


def test_grade_rename_is_medium() -> None:
    plus = Resource(product_ref("Voicemail Plus"), {"rate": D(2)}, renamed_from=("Voicemail",))
    plan = reviewed(catalog(plus), [live(MAIL, "8", rate=D(2))])
    assert entry(plan, plus.ref).risk is Risk.MEDIUM
    assert entry(plan, plus.ref).findings[0].reason == 'renamed from "Voicemail"'


def test_grade_narrowing_quantities_is_medium_widening_is_low() -> None:
    narrow = reviewed(desired_from_live(**{"Gold_Plan_/_Voice_Minutes": {"max_qty": D(50)}}), LIVE)
    assert entry(narrow, GOLD_VOICE).findings[0].reason == "narrows max_qty 100 → 50"
    raised = reviewed(desired_from_live(**{"Gold_Plan_/_Voice_Minutes": {"min_qty": D(2)}}), LIVE)
    assert entry(raised, GOLD_VOICE).risk is Risk.MEDIUM
    wide = reviewed(desired_from_live(**{"Gold_Plan_/_Voice_Minutes": {"max_qty": D(500)}}), LIVE)
    assert entry(wide, GOLD_VOICE).risk is Risk.LOW


def test_grade_create_and_new_price_are_low() -> None:
    plan = reviewed(catalog(res(MAIL, rate=D("2.00"))), [])
    assert entry(plan, MAIL).risk is Risk.LOW
    assert [m.direction for m in entry(plan, MAIL).prices] == ["new"]


# --- the plan file -----------------------------------------------------------------------


def test_review_is_in_the_plan_file_and_its_hash() -> None:
    plan = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE, currency="USD")
    data = plan.to_json()
    assert data["format_version"] == 2
    voice = next(c for c in data["review"]["changes"] if c["ref"]["key"] == ["Voice Minutes"])
    assert voice["risk"] == "high" and voice["prices"][0]["percent"] == "20.0"
    loaded = Plan.loads(plan.dumps())
    assert loaded == plan and loaded.review == plan.review
    with pytest.raises(PlanError, match="modified after it was written"):
        Plan.loads(plan.dumps().replace('"risk": "high"', '"risk": "low"', 1))


def test_version_1_plan_files_still_load_and_verify() -> None:
    plan = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE)
    old = dataclasses.replace(plan, review=None, format_version=1)
    text = old.dumps()
    assert '"review"' not in text and '"format_version": 1' in text
    loaded = Plan.loads(text)
    assert loaded.format_version == 1 and loaded.review is None
    assert loaded.plan_hash == old.plan_hash


def test_plan_file_of_an_unknown_version_is_refused() -> None:
    text = reviewed(catalog(), []).dumps().replace('"format_version": 2', '"format_version": 9')
    with pytest.raises(PlanError, match="format_version 9 is not supported"):
        Plan.loads(text)


def test_review_round_trips_as_json() -> None:
    plan = reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE)
    assert plan.review is not None
    assert PlanReview.from_json(plan.review.to_json()) == plan.review


def test_the_streamed_hash_of_a_reviewed_plan_is_the_digest_of_its_whole_body() -> None:
    for plan in (
        reviewed(desired_from_live(Voice_Minutes={"rate": D("0.06")}), LIVE, currency="EUR"),
        reviewed(catalog(), []),
    ):
        assert plan.plan_hash == digest(plan._body())
