"""The HTML reports in headless Chromium: filters set from the address hide the right rows,
and the page renders (screenshot)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from catalogsync.render.html import render_drift_html, render_plan_html
from catalogsync.review import Risk
from tests.browser.conftest import Browser
from tests.test_html_report import sample_drift, sample_plan

pytestmark = pytest.mark.browser


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
    """The DOM after the page's script ran, with filters set in the address's fragment."""
    return browser("--dump-dom", page.as_uri() + fragment)


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
