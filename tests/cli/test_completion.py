"""Shell completion: `catalogsync completion SHELL` and the completions it drives."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "#compdef catalogsync"), ("fish", "complete")],
)
def test_completion_prints_a_script_for_each_shell(shell: str, marker: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0
    assert "_CATALOGSYNC_COMPLETE" in result.stdout and marker in result.stdout


def complete(words: str) -> list[str]:
    env = {
        **os.environ,
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
        "_CATALOGSYNC_COMPLETE": "bash_complete",
    }
    done = subprocess.run(
        [sys.executable, "-m", "catalogsync"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.splitlines()]


def test_the_script_completes_commands_and_options() -> None:
    assert complete("catalogsync ini") == ["init"]
    assert {"--only", "--out", "--override-policy"} <= set(complete("catalogsync plan --o"))
    assert complete("catalogsync validate --format g") == ["github"]
