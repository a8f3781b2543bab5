"""The LogiSense catalog format: loading, normalisation, semantic checks, write-back."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.catalog import Catalog, Kind, Value, package_product_ref, package_ref, product_ref
from catalogsync.cli.validate_cmd import render_schema, schema_filename
from catalogsync.errors import CatalogValidationError
from catalogsync.loader import load_catalog
from catalogsync.registry import get_format
from catalogsync.yamlio import dump_yaml
from tests.conftest import ROOT

FMT = get_format("logisense")
EXAMPLE = ROOT / "catalogs" / "logisense-example"


def load(tmp_path: Path, text: str) -> Catalog:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return load_catalog([path], FMT, tmp_path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(CatalogValidationError) as caught:
        load(tmp_path, text)
    return [str(issue) for issue in caught.value.issues]


def test_example_loads_with_the_expected_counts() -> None:
    files = sorted(EXAMPLE.rglob("*.yaml"))
    catalog = load_catalog([f for f in files if f.name != "catalogsync.yaml"], FMT, EXAMPLE)
    assert catalog.count() == {Kind.PRODUCT: 8, Kind.PACKAGE: 3, Kind.PACKAGE_PRODUCT: 10}


def test_fields_are_normalised_and_only_declared_ones_kept(tmp_path: Path) -> None:
    catalog = load(
        tmp_path,
        """
services:
  - name: " Spaced "
    service_type: Usage
packages:
  - name: P
    start: 2026-01-01T00:00:00+00:00
    expiry: "2026-06-30T12:00:00-02:00"
    frequencies: [Year, 1 Month, 3  Month]
    currencies: [USD, CAD]
    services:
      - service: " Spaced "
        minimum_instances: 0
""",
    )
    by_ref = catalog.by_ref()
    assert dict(by_ref[product_ref(" Spaced ")].fields) == {"service_type": "Usage"}
    package = dict(by_ref[package_ref("P")].fields)
    assert package == {
        "start": "2026-01-01",
        "expiry": "2026-06-30T14:00:00Z",
        "frequencies": ("3 Month", "Month", "Year"),
        "currencies": ("CAD", "USD"),
    }
    assert dict(by_ref[package_product_ref("P", " Spaced ")].fields) == {"minimum_instances": 0}


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            "services: [{service: S, minimum_instances: 3, maximum_instances: 2}]",
            "minimum_instances (3) is greater than maximum_instances (2) for service 'S'",
        ),
        (
            "services: [{service: S, default_instances: 5, maximum_instances: 2}]",
            "default_instances (5) is above maximum_instances (2) for service 'S'",
        ),
        (
            "services: [{service: S, default_instances: 0, minimum_instances: 1}]",
            "default_instances (0) is below minimum_instances (1) for service 'S'",
        ),
        ("currencies: [usd]", "'usd' is not a currency code like USD"),
        ("currencies: [USD, USD]", "listed more than once: USD"),
        ("frequencies: ['0 Month']", "count of a billing frequency is between 1 and 9999"),
        ("frequencies: ['3']", "is not a billing frequency"),
        ("start: next tuesday", "is not an ISO 8601 date or date-time"),
        ("services: [{service: S, minimum_instances: -1}]", "greater than or equal to 0"),
        ("services: [{service: S, min_qty: 1}]", "min_qty"),
    ],
)
def test_semantic_and_type_problems_are_located(
    tmp_path: Path, snippet: str, expected: str
) -> None:
    text = f"services: [{{name: S, service_type: Usage}}]\npackages:\n  - name: P\n    {snippet}\n"
    found = problems(tmp_path, text)
    assert any(expected in p for p in found), found
    assert all("catalog.yaml:" in p for p in found)


def test_a_service_needs_its_type(tmp_path: Path) -> None:
    found = problems(tmp_path, "services: [{name: S}]\n")
    assert any("service_type" in p for p in found), found


def test_write_back_loads_to_the_same_resources(tmp_path: Path) -> None:
    files = sorted(EXAMPLE.rglob("*.yaml"))
    original = load_catalog([f for f in files if f.name != "catalogsync.yaml"], FMT, EXAMPLE)
    document = FMT.document(original)
    assert [s["name"] for s in document["services"]][:2] == [
        "Fibre 1000 Access",
        "Fibre 500 Access",
    ]
    path = tmp_path / "exported.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    again = load_catalog([path], FMT, tmp_path)
    assert [(r.ref, dict(r.fields)) for r in again] == [(r.ref, dict(r.fields)) for r in original]


def test_export_fields_drop_empty_values_and_false_flags() -> None:
    fields: dict[str, Value] = {
        "service_type": "Usage",
        "is_active": False,
        "description": None,
        "is_tax_exempt": True,
    }
    assert FMT.export_fields(product_ref("S"), fields) == {
        "service_type": "Usage",
        "is_tax_exempt": True,
    }
    pp: dict[str, Value] = {"default_instances": 0, "maximum_instances": None}
    assert FMT.export_fields(package_product_ref("P", "S"), pp) == {"default_instances": 0}


def test_checked_in_schema_is_current() -> None:
    path = ROOT / "schemas" / schema_filename("logisense")
    assert path.read_text(encoding="utf-8") == render_schema("logisense"), (
        "schemas/ is stale: run `catalogsync schema`"
    )
