"""The LogiSense example project against `catalogsync emulator serve --backend logisense`.

The served emulator runs its strict default profile (what the vendor documents show), over
real loopback HTTP in its own process, reached through a target with credentials from the
environment, exactly as a real tenant would be.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.emulator.logisense import DEFAULT_CLIENT_ID, LogiSenseEmulator
from tests.conftest import TEST_SETTINGS
from tests.emulator.conftest import ServeProcess

EXAMPLE = Path(__file__).resolve().parents[1] / "catalogs" / "logisense-example"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """(url, state file) of a served strict LogiSense emulator."""
    db = tmp_path / "served.sqlite3"
    monkeypatch.setenv("CATALOGSYNC_EMULATOR_CREDENTIALS", "ops:secret")  # never on argv
    process = ServeProcess("--backend", "logisense", "--db", str(db), "--quiet")
    try:
        yield process.url, db
    finally:
        code, err = process.stop()
        assert code == 0, err


@pytest.fixture
def project(tmp_path: Path, served: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example project with a `served` target (credentials from the environment)."""
    url, _ = served
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".catalogsync"))
    config = project / "catalogsync.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "rate_limit: 15\n", f"rate_limit: {TEST_SETTINGS['rate_limit']}\n"
    )
    served_target = (
        f"  served:\n    url: {url}\n    username: {{env: LS_E2E_USER}}\n"
        "    password: {env: LS_E2E_PASSWORD}\n    client_id: {env: LS_E2E_CLIENT}\n"
    )
    config.write_text(text.replace("targets:\n", f"targets:\n{served_target}"), encoding="utf-8")
    monkeypatch.setenv("LS_E2E_USER", "ops")
    monkeypatch.setenv("LS_E2E_PASSWORD", "secret")
    monkeypatch.setenv("LS_E2E_CLIENT", DEFAULT_CLIENT_ID)
    return project


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args, "--target", "served"])
    return result.exit_code, result.stdout, result.stderr


def test_example_plan_apply_replan_over_loopback_against_the_strict_emulator(
    project: Path, served: tuple[str, Path]
) -> None:
    code, out, err = run(project, "plan", "--detailed-exitcode")
    assert code == 2, out + err
    assert "to create, 0 to update, 0 to delete." in out
    code, out, err = run(project, "apply", "--auto-approve")
    assert (code, err) == (0, ""), out
    assert " 0 failed, 0 skipped." in out
    code, out, err = run(project, "plan", "--detailed-exitcode")
    assert (code, err) == (0, "") and "No changes." in out, out
    _, db = served
    with LogiSenseEmulator(db) as emulator:
        packages = emulator.records("Package", detail=True)
    assert packages and all(p["details"]["services"] for p in packages)


def test_the_plan_names_kinds_in_logisense_words(project: Path, served: tuple[str, Path]) -> None:
    code, out, err = run(project, "plan")
    assert code == 0, out + err
    assert '+ service "' in out and '+ package service "' in out, out
    assert 'product "' not in out
    code, out, err = run(project, "plan", "--format", "markdown")
    assert code == 0, out + err
    assert "| service |" in out and "| package service |" in out, out
    assert "product" not in out
