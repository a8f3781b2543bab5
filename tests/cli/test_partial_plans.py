"""`plan`/`apply --only KIND[:GLOB] --exclude KIND[:GLOB]`: partial plans, marked and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from tests.conftest import copy_example


def run(project: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "example")


def test_only_a_package_plans_it_with_what_it_needs_and_says_it_is_partial(
    example: Path,
) -> None:
    code, out, _ = run(example, "plan", "--only", "package:Silver*", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["selection"] == ["only package:Silver*"]
    refs = {(c["ref"]["kind"], tuple(c["ref"]["key"])) for c in data["changes"]}
    # the package, its package-products, and the products they need; nothing of Gold Plan
    assert ("package", ("Silver Plan",)) in refs
    assert ("package_product", ("Silver Plan", "Voice Minutes")) in refs
    assert ("product", ("Voice Minutes",)) in refs
    assert not any(key[0] == "Gold Plan" for kind, key in refs if kind != "product")
    assert ("product", ("Call Recording",)) not in refs  # only Gold Plan uses it

    code, out, _ = run(example, "plan", "--only", "package:Silver*")
    assert "Partial plan (--only package:Silver*)" in out.splitlines()[2]


def test_exclude_a_kind_and_the_underscore_spelling_is_accepted(example: Path) -> None:
    code, out, _ = run(example, "plan", "--exclude", "package_product", "--format", "json")
    assert code == 0
    kinds = {c["ref"]["kind"] for c in json.loads(out)["changes"]}
    assert kinds == {"product", "package"}


def test_a_whole_plan_file_has_no_selection_key(example: Path) -> None:
    _, out, _ = run(example, "plan", "--format", "json")
    assert "selection" not in json.loads(out)


def test_partial_apply_applies_only_the_selection_then_the_rest_remains(example: Path) -> None:
    code, out, _ = run(example, "apply", "--auto-approve", "--only", "product:Voicemail")
    assert code == 0 and "Apply: 1 succeeded, 0 failed, 0 skipped." in out
    code, out, _ = run(example, "plan", "--only", "product:Voicemail", "--detailed-exitcode")
    assert code == 0
    code, _, _ = run(example, "plan", "--detailed-exitcode")
    assert code == 2


def test_a_saved_plan_applies_only_with_the_selection_it_was_made_with(example: Path) -> None:
    plan_file = example / "partial.json"
    assert run(example, "plan", "--only", "product", "--out", str(plan_file))[0] == 0
    code, _, err = run(example, "apply", str(plan_file))
    assert code == 1
    assert "the plan was made with --only product:*, but apply was given no --only/--exclude" in err
    code, _, err = run(example, "apply", str(plan_file), "--only", "package")
    assert code == 1 and "but apply was given --only package:*" in err
    code, out, _ = run(example, "apply", str(plan_file), "--only", "product")
    assert code == 0 and "Apply: 10 succeeded" in out

    whole = example / "whole.json"
    run(example, "plan", "--out", str(whole))
    code, _, err = run(example, "apply", str(whole), "--only", "package")
    assert code == 1 and "the plan was made with no --only/--exclude" in err


def test_an_unknown_kind_is_a_usage_error(example: Path) -> None:
    code, _, err = run(example, "plan", "--only", "widget:X")
    assert code == 1
    assert "'widget:X': expected KIND[:GLOB]" in err
