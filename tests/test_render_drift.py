"""Drift renderers, with plain values."""

from __future__ import annotations

import json
from decimal import Decimal

from catalogsync.catalog import package_product_ref, product_ref
from catalogsync.drift import ChangedObject, DriftReport, MissingObject, UnmanagedObject
from catalogsync.plan import FieldChange
from catalogsync.render.drift import (
    NO_DRIFT,
    render_drift_json,
    render_drift_markdown,
    render_drift_text,
)


def report(n_unmanaged: int = 1, snippet: str = "- name: Fax\n") -> DriftReport:
    return DriftReport(
        backend="billingplatform",
        target="prod",
        target_url="https://example.invalid",
        changed=(
            ChangedObject(
                product_ref("Voice"),
                "7",
                (FieldChange("rate", Decimal("0.06"), Decimal("0.05")),),
                updated_at="2026-11-20T23:01:00Z",
                updated_by="42",
            ),
        ),
        missing=(MissingObject(package_product_ref("Gold", "SMS"), "packages/gold.yaml:4:7"),),
        unmanaged=tuple(
            UnmanagedObject(product_ref(f"Fax {i:04}"), str(i), snippet, "the products: list")
            for i in range(n_unmanaged)
        ),
        ignored=("product *: external_key",),
    )


def test_text_lists_every_class_with_live_and_declared_values() -> None:
    text = render_drift_text(report())
    assert '~ changed product "Voice"' in text
    assert "(updated 2026-11-20T23:01:00Z by user 42)" in text
    assert "rate: live 0.06, declared 0.05" in text
    assert '+ missing package-product "Gold / SMS"' in text
    assert '? unmanaged product "Fax 0000"' in text and "        - name: Fax" in text
    assert text.endswith(
        "Drift: 1 changed, 1 missing, 1 unmanaged.\n"
        "Not compared (ignore rules): product *: external_key."
    )


def test_no_drift_is_one_sentence_in_each_format() -> None:
    clean = DriftReport("billingplatform", "prod", "u")
    assert NO_DRIFT in render_drift_text(clean)
    assert NO_DRIFT in render_drift_markdown(clean)
    assert json.loads(render_drift_json(clean))["drift"] is False


def test_json_keeps_decimal_scale_and_every_finding() -> None:
    data = json.loads(render_drift_json(report()))
    assert data["summary"] == {"changed": 1, "missing": 1, "unmanaged": 1}
    assert data["changed"][0]["fields"] == [
        {"field": "rate", "live": {"decimal": "0.06"}, "declared": {"decimal": "0.05"}}
    ]
    assert data["missing"][0]["location"] == "packages/gold.yaml:4:7"


def test_markdown_fits_the_limit_and_says_how_many_were_left_out() -> None:
    markdown = render_drift_markdown(report(n_unmanaged=500), limit=5_000)
    assert len(markdown) <= 5_000
    assert markdown.startswith("<!-- catalogsync-drift:prod -->")
    assert "more findings not shown" in markdown
    assert "`catalogsync drift --format json`" in markdown


def test_a_snippet_with_backticks_gets_a_longer_fence() -> None:
    markdown = render_drift_markdown(report(snippet="- name: a ``` b\n"))
    assert "````yaml\n- name: a ``` b\n````" in markdown
