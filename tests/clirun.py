"""Running the CLI in process against a project folder, as the tests do most often."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from catalogsync.cli import cli


def run(project: Path, *args: str) -> tuple[int, str, str]:
    """`catalogsync -C PROJECT ARGS…`: its exit code, stdout and stderr."""
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    return result.exit_code, result.stdout, result.stderr
