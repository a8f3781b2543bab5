"""The money-aware review through the CLI, against the example project's embedded emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clirun import run
from tests.conftest import copy_example

POLICIES = """\
pricing: {currency: USD}
policies:
  - {name: cap-increases, rule: max_price_increase, percent: 15}
  - {name: keep-sold-products, rule: no_delete_used_by_production}
"""


@pytest.fixture
def priced(tmp_path: Path) -> Path:
    """The example, applied, then Voice Minutes raised 20 % under a 15 % cap."""
    project = copy_example(tmp_path / "example")
    assert run(project, "apply", "--auto-approve")[0] == 0
    with (project / "catalogsync.yaml").open("a", encoding="utf-8") as config:
        config.write(POLICIES)
    products = project / "products.yaml"
    text = products.read_text(encoding="utf-8")
    products.write_text(text.replace('rate: "0.05"', 'rate: "0.06"', 1), encoding="utf-8")
    return project


def test_a_policy_violation_refuses_the_plan_with_exit_3(priced: Path) -> None:
    code, out, err = run(priced, "plan", "--detailed-exitcode")
    assert code == 3 and out == ""
    assert "policy 'cap-increases' (max_price_increase 15 %):" in err
    assert "product Voice Minutes: rate 0.05 → 0.06 USD (+0.01, +20.0 %)" in err
    # apply without a plan file plans too, so it is refused the same way, writing nothing
    assert run(priced, "apply", "--auto-approve")[0] == 3


def test_an_override_is_recorded_and_detailed_exitcode_keeps_its_codes(
    priced: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    code, out, _ = run(
        priced,
        "plan",
        "--override-policy",
        "cap-increases",
        "--out",
        str(saved),
        "--detailed-exitcode",
    )
    assert code == 2
    assert "Policy overrides (1):" in out
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["format_version"] == 2
    assert data["review"]["policy_overrides"][0]["policy"] == "cap-increases"
    (voice,) = data["review"]["changes"]
    assert voice["risk"] == "high" and voice["inherited_by"] == ["Silver Plan"]
    code, markdown, _ = run(priced, "show", str(saved), "--format", "markdown")
    assert code == 0 and "**⚠️ Policy overrides (1):**" in markdown
    assert "```mermaid" in markdown
    code, html, _ = run(priced, "show", str(saved), "--format", "html")
    assert code == 0 and html.startswith("<!DOCTYPE html>") and "cap-increases" in html
    # the reviewed plan applies; a saved plan takes no new overrides
    assert run(priced, "apply", str(saved), "--override-policy", "cap-increases")[0] == 1
    assert run(priced, "apply", str(saved))[0] == 0
    assert run(priced, "plan", "--detailed-exitcode")[0] == 0


def test_plan_format_json_and_html(priced: Path) -> None:
    code, out, _ = run(priced, "plan", "--format", "json", "--override-policy", "cap-increases")
    assert code == 0
    assert json.loads(out)["review"]["changes"][0]["prices"][0]["percent"] == "20.0"
    code, out, _ = run(priced, "plan", "--format", "html", "--override-policy", "cap-increases")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "Saved the plan" not in out


def test_an_unknown_override_is_a_usage_error(priced: Path) -> None:
    code, _, err = run(priced, "plan", "--override-policy", "cap-increase")
    assert code == 1 and "no such policy" in err


def test_drift_format_html(priced: Path) -> None:
    code, out, _ = run(priced, "drift", "--format", "html")
    assert code == 2
    assert out.startswith("<!DOCTYPE html>") and 'data-action="changed"' in out
