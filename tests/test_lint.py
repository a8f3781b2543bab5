"""Pricing lint through `catalogsync validate`: every rule, its file:line, its switch."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli

BASE = """\
products:
  - name: Voice Minutes
    status: ACTIVE
    rate: "0.05"
  - name: Loyalty Discount
    rating_method: Discount
    rate: "-5.00"
packages:
  - name: Gold Plan
    status: Production
    products:
      - product: Voice Minutes
        min_qty: 1
      - product: Loyalty Discount
        min_qty: 0
"""


def project(
    tmp_path: Path, catalog: str, config: str = "", backend: str = "billingplatform"
) -> Path:
    (tmp_path / "catalogsync.yaml").write_text(
        f"backend: {backend}\ncatalog: [catalog.yaml]\n{textwrap.dedent(config)}", encoding="utf-8"
    )
    (tmp_path / "catalog.yaml").write_text(textwrap.dedent(catalog), encoding="utf-8")
    return tmp_path


def validate(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(path), "validate"])
    return result.exit_code, result.stdout, result.stderr


def test_a_clean_catalog_has_no_findings(tmp_path: Path) -> None:
    code, out, err = validate(project(tmp_path, BASE))
    assert (code, err) == (0, "")
    assert out.startswith("catalog is valid (billingplatform)")


def test_product_in_no_package_is_a_warning_with_its_line(tmp_path: Path) -> None:
    catalog = BASE.replace("packages:", '  - name: Fax\n    rate: "1.00"\npackages:')
    code, out, err = validate(project(tmp_path, catalog))
    assert code == 0 and "(1 lint warning)" in out
    assert err.endswith(
        "/catalog.yaml:8:5: warning: product 'Fax' is in no package [lint product_in_no_package]\n"
    )


def test_package_without_products_is_a_warning(tmp_path: Path) -> None:
    catalog = BASE + "  - name: Empty Plan\n    status: In Development\n"
    code, _, err = validate(project(tmp_path, catalog))
    assert code == 0
    assert "catalog.yaml:16:5: warning: package 'Empty Plan' has no products" in err


def test_inactive_product_in_production_is_an_error(tmp_path: Path) -> None:
    catalog = BASE.replace("status: ACTIVE", "status: INACTIVE")
    code, _, err = validate(project(tmp_path, catalog))
    assert code == 1
    assert (
        "catalog.yaml:12:9: error: Production package 'Gold Plan' contains inactive product "
        "'Voice Minutes' [lint inactive_product_in_production]"
    ) in err
    # not in a package in development
    code, _, _ = validate(project(tmp_path, catalog.replace("Production", "In Development")))
    assert code == 0


def test_rate_precision_follows_the_currency(tmp_path: Path) -> None:
    catalog = BASE.replace('"0.05"', '"0.055"')
    code, _, err = validate(project(tmp_path, catalog))
    assert code == 0
    assert "catalog.yaml:2:5: warning: product Voice Minutes: rate 0.055 has 3 decimals" in err
    code, _, err = validate(project(tmp_path, catalog, "pricing: {currency: KWD}\n"))
    assert "rate_precision" not in err  # the dinar has 3 decimals
    code, _, err = validate(project(tmp_path, BASE, "pricing: {currency: JPY}\n"))
    assert "rate 0.05 has 2 decimals; JPY allows 0" in err
    code, _, err = validate(project(tmp_path, catalog, "pricing: {max_decimals: 4}\n"))
    assert "rate_precision" not in err


def test_negative_rate_outside_discounts_is_an_error(tmp_path: Path) -> None:
    assert validate(project(tmp_path, BASE))[0] == 0  # the discount may be negative
    catalog = BASE.replace('"0.05"', '"-0.05"')
    code, _, err = validate(project(tmp_path, catalog))
    assert code == 1
    assert (
        "catalog.yaml:2:5: error: product Voice Minutes: negative rate -0.05 on a product that "
        "is not a discount [lint negative_rate]"
    ) in err
    # a package-product's negative rate is judged by its product
    pp = BASE.replace("        min_qty: 0\n", '        min_qty: 0\n        rate: "-1.00"\n')
    assert validate(project(tmp_path, pp))[0] == 0


def test_duplicate_package_products_are_errors(tmp_path: Path) -> None:
    nested = BASE.replace(
        "      - product: Loyalty Discount\n        min_qty: 0\n",
        "      - product: Loyalty Discount\n        min_qty: 0\n        children:\n"
        "          - product: Voice Minutes\n            min_qty: 0\n",
    )
    code, _, err = validate(project(tmp_path, nested))
    assert code == 1
    assert "product 'Voice Minutes' is in package 'Gold Plan' more than once" in err
    named = BASE.replace("        min_qty: 1\n", "        min_qty: 1\n        name: GP\n").replace(
        "        min_qty: 0\n", "        min_qty: 0\n        name: GP\n"
    )
    code, _, err = validate(project(tmp_path, named))
    assert code == 1 and "package-product name 'GP' is used by 2 package-products" in err


@pytest.mark.parametrize("level", ["off", "'off'", "warning", "error"])
def test_each_rule_has_a_switch(tmp_path: Path, level: str) -> None:
    catalog = BASE.replace("packages:", '  - name: Fax\n    rate: "1.00"\npackages:')
    code, _, err = validate(
        project(tmp_path, catalog, f"lint: {{product_in_no_package: {level}}}\n")
    )
    expected = {"off": (0, False), "'off'": (0, False), "warning": (0, True), "error": (1, True)}
    assert (code, "product_in_no_package" in err) == expected[level]


def test_a_bad_switch_is_a_located_config_error(tmp_path: Path) -> None:
    code, _, err = validate(project(tmp_path, BASE, "lint: {negative_rate: loud}\n"))
    assert code == 1
    assert "catalogsync.yaml:3:23: negative_rate: invalid value 'loud'" in err
    code, _, err = validate(project(tmp_path, BASE, "lint: {no_such_rule: error}\n"))
    assert code == 1 and "unknown field 'no_such_rule' for a lint" in err


def test_logisense_lint_has_no_price_rules_but_checks_the_rest(tmp_path: Path) -> None:
    catalog = """\
    services:
      - name: Internet
        service_type: Recurring
        is_active: false
      - name: Spare
        service_type: Recurring
    packages:
      - name: Home
        services:
          - service: Internet
    """
    code, _, err = validate(project(tmp_path, catalog, backend="logisense"))
    assert code == 1
    # In LogiSense's words (issue 19 item 3): a LogiSense product is a service.
    assert "warning: service 'Spare' is in no package" in err
    assert "error: Production package 'Home' contains inactive service 'Internet'" in err
