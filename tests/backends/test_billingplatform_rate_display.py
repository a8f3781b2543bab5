"""PRODUCT `Rate` as display text (public demo code splits it on `<br/>`): read as its one
amount, so a catalog converges against an org that answers that way (profile rate-display)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.backends.billingplatform.mapping import FieldType, decode_value, display_amount
from catalogsync.cli import cli
from tests.conftest import copy_example


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("USD $0.05<br/>", Decimal("0.05")),
        ("$1,234.50", Decimal("1234.50")),
        ("<br/>€-3 EUR<br/>", Decimal("-3")),
        ("$1.00<br/>€0.90", None),  # one per currency: no single rate
        ("on request", None),
    ],
)
def test_the_one_amount_of_display_text_is_the_rate(text: str, amount: Decimal | None) -> None:
    assert display_amount(text) == amount


def test_a_rate_that_is_neither_a_number_nor_one_amount_shows_as_it_is() -> None:
    assert decode_value("$1.00<br/>€0.90", FieldType.DECIMAL) == "$1.00<br/>€0.90"
    assert decode_value("0.050", FieldType.DECIMAL) == Decimal("0.050")


def test_the_example_converges_when_rates_come_back_as_display_text(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    config = project / "catalogsync.yaml"
    text = config.read_text(encoding="utf-8")
    target = 'local: {url: "emulator:", emulator_profile: rate-display}'
    config.write_text(text.replace('local: {url: "emulator:"}', target), encoding="utf-8")

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["-C", str(project), *args])
        return result.exit_code, result.stdout + result.stderr

    assert run("apply", "--auto-approve")[0] == 0
    code, out = run("plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out, out
