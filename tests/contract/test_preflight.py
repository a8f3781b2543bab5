"""Plan-time checks against the live system, per backend: lookup names resolve, and a
declared key held by two live records is an error naming both ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.catalog import Kind
from tests.clirun import run
from tests.contract.harness import Harness, Spec

pytestmark = pytest.mark.loopback

SPEC = Spec(products={"Voice": "1.50", "SMS": "2.50"}, packages={"Gold": ("Voice", "SMS")})
# (text in the harness's catalog, the typo put in its place, the expected message): each
# harness's `lookup_typos`.


def test_unknown_lookup_names_fail_the_plan_all_at_once_with_file_and_line(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    monkeypatch.chdir(project)
    catalog = project / "catalog.yaml"
    text = catalog.read_text()
    for old, new, _ in harness.lookup_typos:
        assert old in text, text
        text = text.replace(old, new, 1)
    catalog.write_text(text)
    lines = text.splitlines()
    for command in (["plan"], ["apply", "--auto-approve"]):
        code, out, err = run(project, *command)
        assert code == 1, out
        for *_, message in harness.lookup_typos:
            typo = message.split("'")[1]
            typo_line = next(i for i, line in enumerate(lines, 1) if typo in line)
            assert f"catalog.yaml:{typo_line}:" in err and message in err, err
    assert harness.names(Kind.PRODUCT) == []  # nothing was written


def test_a_declared_key_held_by_two_live_records_is_an_error_naming_both_ids(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    assert run(project, "apply", "--auto-approve")[0] == 0
    duplicated = harness.make_duplicate()
    for command in (["plan"], ["drift"]):
        code, _, err = run(project, *command)
        assert code == 1
        assert f"{duplicated} is held by 2 live records (ids " in err, err
        assert "Delete (or rename) the extra record(s)" in err
