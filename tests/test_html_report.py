"""The HTML reports: self-contained, escaped, and their filters driven in headless Chromium.

Their filters are driven in headless Chromium by tests/browser/test_html_filters.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from catalogsync.catalog import Kind, package_product_ref, product_ref
from catalogsync.config import ObjectRule
from catalogsync.drift import ChangedObject, DriftReport, MissingObject, UnmanagedObject
from catalogsync.plan import FieldChange, Plan
from catalogsync.render.html import render_drift_html, render_plan_html
from catalogsync.review import Risk
from catalogsync.yamlio import read_yaml_file
from tests.conftest import ROOT
from tests.fakes import catalog, res
from tests.test_review import LIVE, desired_from_live, reviewed

D = Decimal


def sample_plan() -> Plan:
    """Seven changes of every action and grade, a name that tries to break out of HTML."""
    resources = [r for r in desired_from_live(Voice_Minutes={"rate": D("0.06")})]
    resources = [
        r for r in resources if r.ref != package_product_ref("Silver Plan", "Voice Minutes")
    ]
    resources += [
        res(product_ref("<script>alert(1)</script> & Co"), rate=D("1.00")),
        res(product_ref("Voicemail"), rate=D("2.00")),
        res(package_product_ref("Gold Plan", "Voicemail"), min_qty=D(0), rate=D("1.50")),
    ]
    return reviewed(
        catalog(*resources),
        LIVE,
        prune=(ObjectRule(kind=Kind.PACKAGE_PRODUCT),),
        currency="USD",
    )


def sample_drift() -> DriftReport:
    return DriftReport(
        backend="billingplatform",
        target="prod",
        target_url="https://example.test/acme",
        changed=(
            ChangedObject(
                product_ref("Voice Minutes"),
                "1",
                (FieldChange("rate", D("0.07"), D("0.05")),),
                updated_by="42",
            ),
        ),
        missing=(MissingObject(product_ref("Video Calls"), "products.yaml:40:5"),),
        unmanaged=(
            UnmanagedObject(
                product_ref("Fax"), "9", "- name: Fax\n  rate: '1.00'\n", "the products: list"
            ),
        ),
    )


# --- without a browser -------------------------------------------------------------------


def test_the_page_is_self_contained_and_escapes_names() -> None:
    page = render_plan_html(sample_plan())
    assert page.startswith("<!DOCTYPE html>")
    # no external asset: no src/href attributes, no url(...) or @import in the styles
    assert not re.search(r"\s(src|href)\s*=", page)
    assert "url(" not in page and "@import" not in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert page.count("<script>") == 1  # only the page's own filter script


def test_plan_rows_carry_kind_action_and_risk_riskiest_first() -> None:
    plan = sample_plan()
    rows = re.findall(
        r'<section class="row" data-kind="([^"]+)" data-action="([^"]+)" '
        r'data-risk="([^"]+)"',
        render_plan_html(plan),
    )
    assert len(rows) == len(plan.changes) == 5
    ranks = [Risk(risk).rank for _, _, risk in rows]
    assert ranks == sorted(ranks, reverse=True)
    assert ("package-product", "delete", "high") in rows
    assert ("product", "create", "low") in rows


def test_plan_page_shows_money_reach_and_overrides() -> None:
    page = render_plan_html(sample_plan())
    assert "+0.01, +20.0 %" in page and "0.05" in page
    assert "inherited by" not in page or "overridden in Gold Plan (0.04 USD)" in page
    assert "effective rate no rate → 1.50 USD (own rate)" in page


def test_drift_page_lists_every_finding() -> None:
    page = render_drift_html(sample_drift())
    assert 'data-action="changed"' in page and 'data-action="missing"' in page
    assert "- name: Fax" in page and "Drift: 1 changed, 1 missing, 1 unmanaged." in page
    assert 'id="f-risk"' not in page  # drift reports, it does not grade


def test_an_empty_plan_page_says_so() -> None:
    page = render_plan_html(reviewed(desired_from_live(), LIVE))
    assert "No changes. The live catalog matches the YAML." in page
    assert '<section class="row"' not in page


@pytest.mark.parametrize(
    ("workflow", "report"),
    [("catalog-plan.yml", "catalog-plan.html"), ("catalog-drift.yml", "catalog-drift.html")],
)
def test_the_shipped_workflows_upload_the_html_report(workflow: str, report: str) -> None:
    steps = read_yaml_file(ROOT / ".github" / "workflows" / workflow).data["jobs"]
    (job,) = steps.values()
    renders = [
        s for s in job["steps"] if "--format html" in s.get("run", "") and report in s["run"]
    ]
    uploads = [
        s
        for s in job["steps"]
        if str(s.get("uses", "")).startswith("actions/upload-artifact")
        and report in s["with"]["path"]
    ]
    assert len(renders) == 1 and len(uploads) == 1
    assert job["steps"].index(renders[0]) < job["steps"].index(uploads[0])
