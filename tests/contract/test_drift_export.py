"""The drift and export contract every backend keeps, through the CLI, against its emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.clirun import run
from tests.contract.harness import Harness
from tests.contract.test_plan_apply import SPEC

pytestmark = pytest.mark.loopback


@pytest.fixture
def applied(harness: Harness, tmp_path: Path) -> Path:
    project = harness.write_project(tmp_path / "project", SPEC)
    assert run(project, "apply", "--auto-approve")[0] == 0
    return project


def test_export_then_plan_is_empty(applied: Path, tmp_path: Path) -> None:
    adopted = tmp_path / "adopted"
    adopted.mkdir()
    shutil.copy(applied / "catalogsync.yaml", adopted)
    code, out, err = run(adopted, "export", "--split-by", "none")
    assert code == 0, err
    assert "Checked: the exported catalog loads and plans with no changes" in out
    text = (adopted / "catalog.yaml").read_text(encoding="utf-8")
    assert "O'Brien Support" in text and "Gerät – Zone 1" in text
    code, out, _ = run(adopted, "plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    assert run(adopted, "drift")[0] == 0


def test_drift_finds_changed_missing_and_unmanaged(harness: Harness, applied: Path) -> None:
    code, out, _ = run(applied, "drift", "--format", "json")
    assert code == 0 and json.loads(out)["drift"] is False
    harness.edit_product("100% Fibre", "42.00")
    harness.delete_package_product("Gold 'Plan'", "  Spaced  ")
    harness.create_product("Fax 50% Off_")
    code, out, _ = run(applied, "drift", "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert report["summary"] == {"changed": 1, "missing": 1, "unmanaged": 1}
    (changed,) = report["changed"]
    assert changed["key"] == ["100% Fibre"] and len(changed["fields"]) == 1
    (missing,) = report["missing"]
    assert missing["key"] == ["Gold 'Plan'", "  Spaced  "]
    (unmanaged,) = report["unmanaged"]
    assert unmanaged["key"] == ["Fax 50% Off_"] and unmanaged["snippet"]
