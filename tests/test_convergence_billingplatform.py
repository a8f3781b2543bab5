"""Issue 14's BillingPlatform-only cases, against the embedded emulator through the CLI:
OrderOfExecution kept as the API keeps it (item 12), long names (item 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from tests.clirun import run
from tests.contract.harness import dump_yaml
from tests.test_e2e_billingplatform import edit_product, query, query_on, ui_request


def write_project(folder: Path, catalog: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "backend": "billingplatform",
        "catalog": ["catalog.yaml"],
        "targets": {"local": {"url": "emulator:"}},
        "guards": {"max_change_share": 1.0},
        "settings": {"rate_limit": 10_000},
    }
    dump_yaml(folder / "catalogsync.yaml", config)
    dump_yaml(folder / "catalog.yaml", catalog)
    return folder


def assert_converged(project: Path) -> None:
    code, out, _ = run(project, "plan", "--detailed-exitcode")
    assert (code, "No changes." in out) == (0, True), out


def test_the_emulator_keeps_order_of_execution_as_text(tmp_path: Path) -> None:
    """Item 12: PRODUCT.OrderOfExecution is a string (seed 001); the emulator stored it as
    a number, so "+5" came back "5"."""
    with BillingPlatformEmulator(tmp_path / "bp.sqlite3") as emulator:
        body = {"brmObjects": {"Id": "", "Name": "Voice", "OrderOfExecution": "+5"}}
        answer = ui_request(emulator, "POST", "/rest/2.0/PRODUCT", json=body)
        assert answer.json()["retrieveResponse"]["Id"]  # a save answers the record (seed 001)
        (row,) = query_on(emulator, "SELECT OrderOfExecution FROM PRODUCT WHERE Name = 'Voice'")
    assert row["OrderOfExecution"] == "+5"


def test_order_of_execution_in_any_spelling_converges(tmp_path: Path) -> None:
    """Item 12: `"+5"`, `"5."`, `"1e1"` came back changed and the plan never converged; a
    value re-saved in another spelling in the UI is no change either."""
    spellings = {"A": "+5", "B": "5.", "C": "1e1", "D": "first"}
    products = [{"name": n, "order_of_execution": v} for n, v in spellings.items()]
    project = write_project(tmp_path / "project", {"products": products})
    code, out, err = run(project, "apply", "--auto-approve")
    assert code == 0, out + err
    assert_converged(project)
    edit_product(project, "A", OrderOfExecution="5.0")
    assert_converged(project)
    rows = query(project, "SELECT Name, OrderOfExecution FROM PRODUCT")
    assert {r["Name"]: r["OrderOfExecution"] for r in rows} == {
        "A": "5.0",
        "B": "5",
        "C": "10",
        "D": "first",
    }
