"""Kinds in the billing system's words: a LogiSense document says service and package
service where a BillingPlatform one says product and package-product (the words are the
catalog format's `kind_names`)."""

from __future__ import annotations

import dataclasses

from catalogsync.catalog import Kind, package_product_ref, package_ref, product_ref
from catalogsync.drift import DriftReport
from catalogsync.plan import ApplyNeeds, ShareExcess
from catalogsync.registry import get_format
from catalogsync.render import render_markdown, render_report_markdown, render_report_text
from catalogsync.render.common import kind_words
from catalogsync.render.drift import render_drift_markdown, render_drift_text
from catalogsync.render.html import render_drift_html, render_plan_html
from catalogsync.render.outputs import PLAN_OUTPUTS, OutputFormat, OutputStyle
from catalogsync.render.text import render_text, render_text_summary
from catalogsync.report import ApplyReport, ChangeResult, Outcome
from tests.test_html_report import sample_drift
from tests.test_render import SMALL, SMALL_TEXT

LOGISENSE_PLAN = dataclasses.replace(SMALL, backend="logisense")


def _logisense(report: DriftReport) -> DriftReport:
    return dataclasses.replace(report, backend="logisense")


def test_the_words_are_the_catalog_formats() -> None:
    for backend in ("billingplatform", "logisense"):
        words = kind_words(backend)
        assert {k: words.label(k) for k in Kind} == dict(get_format(backend).kind_names)
    assert kind_words("logisense").counted(3, Kind.PACKAGE_PRODUCT) == "3 package services"
    assert kind_words("logisense").title(package_product_ref("Gold", "Voice")) == (
        'package service "Gold / Voice"'
    )
    assert kind_words("logisense").title(package_ref("Gold")) == 'package "Gold"'


def test_a_backend_the_registry_does_not_know_gets_the_generic_words() -> None:
    assert kind_words("toy").label(Kind.PACKAGE_PRODUCT) == "package-product"


def test_billingplatform_plan_text_is_unchanged() -> None:
    assert render_text(SMALL) == SMALL_TEXT


def test_logisense_plan_text_says_service() -> None:
    text = render_text(LOGISENSE_PLAN)
    assert '+ service "Voice Minutes"\n' in text
    assert '+ package service "Gold Plan / Voice Minutes"\n' in text
    assert "(service id known after apply)" in text
    assert "(package service id known after apply)" in text
    assert "left alone): 1 service, 2 packages\n" in text
    assert '    service "Legacy"\n' in text
    assert "product" not in text


def test_logisense_plan_summary_counts_services() -> None:
    text = render_text_summary(LOGISENSE_PLAN)
    assert "    services: 1 to delete, 1 to create\n" in text
    assert "    package services: 2 to create\n" in text
    assert PLAN_OUTPUTS[OutputFormat.TEXT](LOGISENSE_PLAN, OutputStyle(summary=True)) == text


def test_logisense_plan_markdown_says_service() -> None:
    md = render_markdown(LOGISENSE_PLAN)
    assert '<summary><code>+ service "Voice Minutes"</code></summary>' in md
    assert "| service | 1 | 0 | 1 |" in md
    assert "| package service | 2 | 0 | 0 |" in md
    assert "(1 service, 2 packages)" in md
    assert '- <code>service "Legacy"</code>' in md
    assert "inherits the service's price" in md  # the picture's legend
    assert "product" not in md


def test_logisense_plan_html_filters_and_titles_by_service() -> None:
    page = render_plan_html(LOGISENSE_PLAN)
    assert '<option value="package service">package service</option>' in page
    assert 'data-kind="service"' in page
    assert ">product<" not in page


def test_logisense_apply_report_says_service() -> None:
    report = ApplyReport(
        plan_hash=LOGISENSE_PLAN.plan_hash,
        results=(
            ChangeResult(product_ref("Voice Minutes"), Outcome.FAILED, message="refused"),
            ChangeResult(
                package_product_ref("Gold Plan", "Voice Minutes"), Outcome.SKIPPED, message=""
            ),
        ),
    )
    text = render_report_text(report, LOGISENSE_PLAN)
    assert '+ service "Voice Minutes": refused' in text
    assert 'depends on failed service "Voice Minutes"' in text
    md = render_report_markdown(report, LOGISENSE_PLAN)
    assert 'depends on failed service "Voice Minutes"' in md.replace("&quot;", '"')


def test_logisense_drift_says_service() -> None:
    report = _logisense(sample_drift())
    text = render_drift_text(report)
    assert '~ changed service "Voice Minutes"\n' in text
    assert '+ missing service "Video Calls"\n' in text
    assert '? unmanaged service "Fax"\n' in text
    md = render_drift_markdown(report)
    assert "| service | 1 | 1 | 1 |" in md
    assert '- <code>service "Video Calls"</code>' in md
    assert "<code>service" in md
    page = render_drift_html(report)
    assert 'data-kind="service"' in page
    # (the sample's file names and snippets are BillingPlatform's: data, not labels)
    assert 'product "' not in text
    assert "| product |" not in md


def test_billingplatform_drift_still_says_product() -> None:
    text = render_drift_text(sample_drift())
    assert '~ changed product "Voice Minutes"\n' in text


def test_logisense_words_reach_every_table_entry() -> None:
    for fmt in (OutputFormat.TEXT, OutputFormat.MARKDOWN, OutputFormat.HTML):
        assert "service" in PLAN_OUTPUTS[fmt](LOGISENSE_PLAN, OutputStyle())


def test_logisense_apply_needs_say_service() -> None:
    needs = ApplyNeeds(
        allow_delete=(product_ref("Legacy Minutes"),),
        force=(ShareExcess(Kind.PACKAGE_PRODUCT, 4, 10, 0.3),),
    )
    text = render_text(dataclasses.replace(LOGISENSE_PLAN, needs=needs))
    assert '--allow-delete for 1 delete: service "Legacy Minutes"' in text
    assert "deletes 4 of 10 live package services (40%, over the 30% guard)" in text
