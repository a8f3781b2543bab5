"""The HTML reports: self-contained, escaped, and their filters driven in headless Chromium.

The browser tests need Debian's `chromium` (scripts/install-chromium, which .ci/run calls):
they skip with the reason on a machine without it, and fail in CI (CI=true) instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from catalogsync.catalog import Kind, package_product_ref, product_ref
from catalogsync.config import ObjectRule
from catalogsync.drift import ChangedObject, DriftReport, MissingObject, UnmanagedObject
from catalogsync.plan import FieldChange, Plan
from catalogsync.render_html import render_drift_html, render_plan_html
from catalogsync.review import Risk
from catalogsync.yamlio import read_yaml_file
from tests.conftest import ROOT
from tests.fakes import catalog, res
from tests.test_review import LIVE, desired_from_live, reviewed

D = Decimal
CHROMIUM = shutil.which("chromium")
Browser = Callable[..., "subprocess.CompletedProcess[bytes]"]


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


# --- in headless Chromium ---------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run installs it (scripts/install-chromium)")
        pytest.skip("chromium is not installed (scripts/install-chromium --yes installs it)")

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # root in CI containers
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ]
        return subprocess.run(command, capture_output=True, timeout=180, check=True)

    return run


def shown_rows(dom: str) -> list[tuple[str, str, str, bool]]:
    """(kind, action, risk, hidden) of every row in a DOM Chromium dumped."""
    rows = []
    for tag in re.findall(r'<section class="row"[^>]*>', dom):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        rows.append(
            (attrs["data-kind"], attrs["data-action"], attrs["data-risk"], " hidden" in tag)
        )
    return rows


def dump(browser: Browser, page: Path, fragment: str) -> str:
    return str(browser("--dump-dom", page.as_uri() + fragment).stdout.decode())


def test_filters_work_in_chromium(browser: Browser, tmp_path: Path) -> None:
    plan = sample_plan()
    page = tmp_path / "plan.html"
    page.write_text(render_plan_html(plan), encoding="utf-8")
    assert plan.review is not None
    high = plan.review.count(Risk.HIGH)

    everything = dump(browser, page, "")
    assert f">{len(plan.changes)} of {len(plan.changes)} shown<" in everything
    assert not any(hidden for *_, hidden in shown_rows(everything))

    by_risk = dump(browser, page, "#risk=high")
    visible = [r for r in shown_rows(by_risk) if not r[3]]
    assert len(visible) == high and all(r[2] == "high" for r in visible)
    assert f">{high} of {len(plan.changes)} shown<" in by_risk

    kind_action = dump(browser, page, "#kind=package-product&action=delete")
    visible = [r for r in shown_rows(kind_action) if not r[3]]
    assert visible == [("package-product", "delete", "high", False)]

    search = dump(browser, page, "#q=VOICEMAIL")  # case-insensitive
    visible = [r for r in shown_rows(search) if not r[3]]
    assert sorted(visible) == [
        ("package-product", "create", "low", False),
        ("product", "create", "low", False),
    ]

    nothing = dump(browser, page, "#kind=package&q=zzz")
    assert f">0 of {len(plan.changes)} shown<" in nothing


def test_drift_filters_work_in_chromium(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "drift.html"
    page.write_text(render_drift_html(sample_drift()), encoding="utf-8")
    dom = dump(browser, page, "#action=unmanaged")
    visible = [r for r in shown_rows(dom) if not r[3]]
    assert visible == [("product", "unmanaged", "", False)]
    assert ">1 of 3 shown<" in dom


def test_screenshot_in_chromium(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "plan.html"
    page.write_text(render_plan_html(sample_plan()), encoding="utf-8")
    shot = tmp_path / "plan.png"
    browser("--hide-scrollbars", "--window-size=1280,1400", f"--screenshot={shot}", page.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


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
