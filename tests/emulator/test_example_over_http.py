"""The must-show of issue 13 for BillingPlatform: the example project plans, applies and
re-plans "No changes" against `catalogsync emulator serve` in its default, strict profile
(the vendor's documented behaviour), over real loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from tests.conftest import copy_example
from tests.emulator.conftest import ServeProcess

pytestmark = pytest.mark.loopback


def test_the_example_converges_against_the_strict_emulator_over_http(
    serve_process: Callable[..., ServeProcess], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = serve_process("--port", "0", "--quiet")  # no --profile: strict
    assert "profile" not in served.first_line
    project = copy_example(tmp_path / "example")
    config = project / "catalogsync.yaml"
    served_target = (
        f"  served:\n    url: {served.url}/acme\n"
        "    username: {env: EXAMPLE_BP_USER}\n    password: {env: EXAMPLE_BP_PASSWORD}\n"
    )
    text = config.read_text(encoding="utf-8").replace("targets:\n", "targets:\n" + served_target)
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("EXAMPLE_BP_USER", "ci")
    monkeypatch.setenv("EXAMPLE_BP_PASSWORD", "example-secret")

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, ["-C", str(project), *args, "-t", "served"])
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 2 and "Plan: 30 to create, 0 to update, 0 to delete." in out
    code, out, err = run("apply", "--auto-approve")
    assert (code, err) == (0, ""), out
    assert "Apply: 30 succeeded, 0 failed, 0 skipped." in out
    code, out, _ = run("plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out

    # Products were saved with POST (seed 001), never upserted: strict refuses that anyway.
    routes = httpx.get(f"{served.url}/_emulator/stats").json()["by_route"]
    assert routes.get("POST /rest/2.0/PRODUCT", 0) >= 1
    assert "PATCH /rest/2.0/PRODUCT" not in routes
