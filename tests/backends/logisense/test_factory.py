"""Opening a LogiSense target: where the client id comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.backends.logisense.factory import open_backend
from catalogsync.config import load_project
from catalogsync.errors import ConfigError

pytestmark = pytest.mark.anyio

CONFIG = """\
backend: logisense
targets:
  tenant:
    url: https://acme.dev.logisensebilling.com
    username: {env: LS_USER}
    password: {env: LS_PASSWORD}
"""


def project(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "catalogsync.yaml").write_text(CONFIG + extra, encoding="utf-8")
    return tmp_path


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LS_USER", "user")
    monkeypatch.setenv("LS_PASSWORD", "secret")
    monkeypatch.delenv("LOGISENSE_CLIENT_ID", raising=False)


async def test_client_id_from_the_targets_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_CLIENT_ID", "abc123")
    loaded = load_project(project(tmp_path, "    client_id: {env: ACME_CLIENT_ID}\n"))
    backend = open_backend(loaded, "tenant", loaded.config.targets["tenant"])
    await backend.close()


async def test_client_id_falls_back_to_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOGISENSE_CLIENT_ID", "abc123")
    loaded = load_project(project(tmp_path))
    backend = open_backend(loaded, "tenant", loaded.config.targets["tenant"])
    await backend.close()


def test_a_missing_client_id_is_a_clear_config_error(tmp_path: Path) -> None:
    loaded = load_project(project(tmp_path))
    with pytest.raises(ConfigError, match="needs client_id"):
        open_backend(loaded, "tenant", loaded.config.targets["tenant"])


def test_a_literal_client_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must not be written"):
        load_project(project(tmp_path, "    client_id: 0123456789abcdef\n"))
