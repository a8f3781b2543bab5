"""`catalogsync validate` and `catalogsync schema` through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.cli.validate_cmd import render_schema, schema_filename
from tests.conftest import EXAMPLE, FIXTURES, ROOT


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def make_project(tmp_path: Path, *catalog_files: Path) -> Path:
    (tmp_path / "catalogsync.yaml").write_text(
        "backend: billingplatform\ncatalog: [catalog]\n", encoding="utf-8"
    )
    (tmp_path / "catalog").mkdir()
    for path in catalog_files:
        shutil.copy(path, tmp_path / "catalog" / path.name)
    return tmp_path


def test_example_validates() -> None:
    code, out, err = run("-C", str(EXAMPLE), "validate")
    assert (code, err) == (0, "")
    assert (
        out == "catalog is valid (billingplatform): 10 products, 4 packages, 16 package-products\n"
    )


def test_invalid_catalog_exits_1_with_every_problem_on_stderr(tmp_path: Path) -> None:
    project = make_project(tmp_path, FIXTURES / "bad" / "several-problems.yaml")
    code, out, err = run("-C", str(project), "validate")
    assert code == 1 and out == ""
    assert err.startswith("Error: ")
    assert err.rstrip().endswith("5 problems found (catalog)")
    assert "several-problems.yaml:16:18: min_qty (3) is greater than max_qty (1)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"products:\n  - name: \xff\xfe\n", "file is not valid UTF-8 (byte 0xff)"),
        (b"", "file is empty"),
        (b"- name: A\n", "expected a mapping (billingplatform catalog file), not a list"),
    ],
)
def test_unreadable_files_exit_1_without_traceback(
    tmp_path: Path, content: bytes, message: str
) -> None:
    project = make_project(tmp_path)
    (project / "catalog" / "c.yaml").write_bytes(content)
    code, _, err = run("-C", str(project), "validate")
    assert code == 1
    assert message in err and "Traceback" not in err


def test_missing_project_config_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("-C", str(tmp_path), "validate")
    assert code == 1
    assert "no catalogsync.yaml in" in err


def test_literal_credentials_are_refused(tmp_path: Path) -> None:
    (tmp_path / "catalogsync.yaml").write_text(
        "backend: billingplatform\n"
        "targets:\n  prod:\n    url: https://x.example\n    password: hunter2\n",
        encoding="utf-8",
    )
    code, _, err = run("-C", str(tmp_path), "validate")
    assert code == 1
    assert (
        "catalogsync.yaml:5:15: password: credentials must not be written in catalogsync.yaml"
        in err
    )
    assert "hunter2" not in err


def test_unknown_backend_and_config_fields_are_located(tmp_path: Path) -> None:
    (tmp_path / "catalogsync.yaml").write_text("backend: zuora\nsetings: {}\n", encoding="utf-8")
    code, _, err = run("-C", str(tmp_path), "validate")
    assert code == 1
    assert "catalogsync.yaml:1:10: backend: unknown backend 'zuora'" in err
    assert (
        "catalogsync.yaml:2:1: unknown field 'setings' for a catalogsync.yaml (did you mean 'settings'?)"
        in err
    )


def test_usage_errors_exit_1_not_2() -> None:
    code, _, err = run("validate", "--no-such-flag")
    assert code == 1
    assert "No such option" in err


def test_checked_in_schemas_are_current() -> None:
    path = ROOT / "schemas" / schema_filename("billingplatform")
    assert path.read_text(encoding="utf-8") == render_schema("billingplatform"), (
        "schemas/ is stale: run `catalogsync schema`"
    )


def test_schema_command_writes_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert run("schema", "--check", "--out", str(out))[0] == 1
    code, stdout, _ = run("schema", "--out", str(out))
    assert code == 0 and "billingplatform.catalog.schema.json" in stdout
    assert run("schema", "--check", "--out", str(out))[0] == 0


def test_example_files_carry_the_schema_modeline() -> None:
    for path in sorted(EXAMPLE.rglob("*.yaml")):
        if path.name == "catalogsync.yaml":
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target.is_file(), f"{path}: modeline points at a missing schema"
