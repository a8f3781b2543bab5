"""`catalogsync init`: a new project that validates, plans and applies at once; `--from`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.cli.validate_cmd import render_schema, schema_filename
from catalogsync.config import config_schema_text
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from tests.conftest import ROOT, TEST_SETTINGS, copy_example


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("backend", ["billingplatform", "logisense"])
def test_a_new_project_validates_plans_and_applies(tmp_path: Path, backend: str) -> None:
    project = tmp_path / "new"
    code, out, err = run("init", str(project), "--backend", backend)
    assert code == 0, err
    assert "Next:" in out
    config = (project / "catalogsync.yaml").read_text(encoding="utf-8")
    assert 'local: {url: "emulator:"}' in config
    assert "  # sandbox:\n" in config  # a real target, commented out
    assert (project / ".gitignore").read_text(encoding="utf-8").endswith(".catalogsync/\n")
    assert run("-C", str(project), "validate")[0] == 0
    schemas = project / "schemas"
    assert (schemas / schema_filename(backend)).read_text() == render_schema(backend)
    assert (schemas / "catalogsync.schema.json").read_text() == config_schema_text()
    # unpaced (TEST_SETTINGS): the vendor's 15 requests/s would only make the apply wait
    with (project / "catalogsync.yaml").open("a", encoding="utf-8") as config_file:
        config_file.write(f"settings: {json.dumps(TEST_SETTINGS)}\n")
    code, out, _ = run("-C", str(project), "apply", "--auto-approve", "--summary")
    assert code == 0 and "Apply: 5 succeeded, 0 failed, 0 skipped." in out
    assert run("-C", str(project), "plan", "--detailed-exitcode")[0] == 0


def test_the_commented_target_works_once_uncommented(tmp_path: Path) -> None:
    project = tmp_path / "new"
    run("init", str(project))
    config = project / "catalogsync.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  # sandbox:", "  sandbox:").replace("  #   ", "    "))
    assert run("-C", str(project), "validate")[0] == 0


def test_init_never_overwrites(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    code, _, err = run("init", str(project))
    assert code == 1
    assert "init does not overwrite files; these exist already:" in err
    assert "catalogsync.yaml" in err


def test_ci_github_writes_a_workflow_that_validates_with_annotations(tmp_path: Path) -> None:
    project = tmp_path / "new"
    assert run("init", str(project), "--ci", "github")[0] == 0
    workflow = project / ".github" / "workflows" / "catalog.yml"
    text = workflow.read_text(encoding="utf-8")
    assert "catalogsync validate --format github" in text
    assert run("-C", str(project), "validate")[0] == 0  # the workflow is not read as catalog
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(workflow),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.loopback
def test_init_from_a_running_billing_system_adopts_its_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = BillingPlatformEmulator(tmp_path / "live.sqlite3")
    with emulator, ServerThread(emulator.app) as server:
        seed = copy_example(tmp_path / "seed")
        config = seed / "catalogsync.yaml"
        config.write_text(
            config.read_text().replace(
                'local: {url: "emulator:"}',
                f"local: {{url: '{server.url}', username: {{env: U}}, password: {{env: P}}}}",
            )
        )
        monkeypatch.setenv("U", "seed-user")
        monkeypatch.setenv("P", "seed-password")
        assert run("-C", str(seed), "apply", "--auto-approve")[0] == 0

        project = tmp_path / "adopted"
        code, _, err = run("init", str(project), "--from", server.url)
        assert code == 1
        assert "target 'live' username: environment variable BP_LIVE_USER is not set" in err
        assert "The project is created; nothing was exported." in err

        project = tmp_path / "adopted-2"
        monkeypatch.setenv("BP_LIVE_USER", "someone")
        monkeypatch.setenv("BP_LIVE_PASSWORD", "their-password")
        code, out, err = run("init", str(project), "--from", server.url)
        assert code == 0, err
        assert "Exported 10 products, 4 packages, 16 package-products from 'live'" in out
        assert not (project / "packages" / "starter.yaml").exists()  # no sample: the live one
        assert (project / "packages" / "gold-plan.yaml").is_file()
        code, out, _ = run("-C", str(project), "plan", "--detailed-exitcode")
        assert code == 0 and "No changes." in out
        code, out, _ = run("-C", str(project), "export")
        assert code == 0 and out.startswith("Nothing new to export")


def test_from_the_embedded_emulator_is_refused(tmp_path: Path) -> None:
    code, _, err = run("init", str(tmp_path / "x"), "--from", "emulator:")
    assert code == 1 and "--from needs the URL of a running billing system" in err


def test_benchmarks_generate_has_help_and_writes_a_project(tmp_path: Path) -> None:
    helped = subprocess.run(
        [sys.executable, "-m", "benchmarks.generate", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert helped.returncode == 0 and "usage: python -m benchmarks.generate" in helped.stdout
    from benchmarks.generate import main

    assert main([str(tmp_path / "gen"), "--size", "S"]) == 0
    assert (tmp_path / "gen" / "catalog.yaml").is_file()


def test_the_license_is_the_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
