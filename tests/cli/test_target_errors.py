"""Failures of a billing system name the target and its URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync import workflow
from catalogsync.cli import cli
from catalogsync.errors import AuthenticationError, BackendError
from catalogsync.live import LiveCatalog
from tests.conftest import copy_example


class RefusingBackend:
    def __init__(self, error: BackendError) -> None:
        self.error = error

    def start_session(self) -> None:
        pass

    def expect_counts(self, counts: object) -> None:
        pass

    async def fetch_live(self, progress: object = None) -> LiveCatalog:
        raise self.error

    async def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("BillingPlatform login failed: HTTP 401"),
        BackendError("POST /rest/2.0/login failed after 6 attempts: ConnectError: refused"),
    ],
)
def test_errors_name_the_target_and_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BackendError
) -> None:
    project = copy_example(tmp_path / "example")
    monkeypatch.setattr(workflow, "open_backend", lambda *args: RefusingBackend(error))
    monkeypatch.setenv("BP_SANDBOX_READ_USER", "someone")
    monkeypatch.setenv("BP_SANDBOX_READ_PASSWORD", "their-password")
    result = CliRunner().invoke(cli, ["-C", str(project), "plan", "-t", "sandbox"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: target 'sandbox' (https://sandbox.billingplatform.com/acme): {error}\n"
    )


@pytest.mark.loopback
def test_a_refused_connection_names_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_example(tmp_path / "example")
    config = project / "catalogsync.yaml"
    text = config.read_text().replace(
        "https://sandbox.billingplatform.com/acme", "http://127.0.0.1:9"
    )
    config.write_text(
        text.replace("  rate_limit: 10000\n", "  rate_limit: 10000\n  max_retries: 0\n")
    )
    monkeypatch.setenv("BP_SANDBOX_READ_USER", "someone")
    monkeypatch.setenv("BP_SANDBOX_READ_PASSWORD", "their-password")
    result = CliRunner().invoke(cli, ["-C", str(project), "plan", "-t", "sandbox"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: target 'sandbox' (http://127.0.0.1:9): ")
