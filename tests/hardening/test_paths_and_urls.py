"""Paths, files and URLs: what the tool reads and where it sends credentials."""

from __future__ import annotations

import logging
import os
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from catalogsync.ci.github import GitHubClient, GitHubError
from catalogsync.config import SecretSource
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.transport import SyncEmulatorTransport
from catalogsync.errors import ConfigError
from catalogsync.http import check_base_url
from catalogsync.secret_file import MAX_SECRET_FILE_BYTES
from tests.hardening.conftest import CONFIG, validate
from tests.reliability.harness import cli_run

PRODUCTS = "products:\n  - name: A\n"


@pytest.mark.parametrize("entry", ["/etc/hostname", "../outside.yaml"])
def test_catalog_paths_outside_the_project_are_refused(project: Path, entry: str) -> None:
    (project.parent / "outside.yaml").write_text(PRODUCTS, encoding="utf-8")
    config = CONFIG.replace("catalog: [catalog.yaml]", f"catalog: [catalog.yaml, '{entry}']")
    run = validate(project, PRODUCTS.replace("A", "B"), config)
    assert run.code == 1
    assert f"catalog path '{entry}' leads outside the project folder" in run.err
    assert "allow_catalog_outside_project: true" in run.err


def test_a_symlink_out_of_the_project_is_refused(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "secret.yaml"
    elsewhere.write_text(PRODUCTS, encoding="utf-8")
    (project / "catalog.yaml").symlink_to(elsewhere)
    run = cli_run(project, "validate")
    assert run.code == 1 and "leads outside the project folder" in run.err


def test_outside_paths_are_read_when_explicitly_allowed(project: Path) -> None:
    (project.parent / "outside.yaml").write_text(PRODUCTS, encoding="utf-8")
    config = CONFIG.replace("catalog: [catalog.yaml]", "catalog: [catalog.yaml, ../outside.yaml]")
    run = validate(
        project, "products:\n  - name: B\n", config + "allow_catalog_outside_project: true\n"
    )
    assert run.code == 0, run.err


def test_a_symlink_loop_in_a_catalog_folder_is_a_clear_error(project: Path) -> None:
    folder = project / "catalog"
    folder.mkdir()
    (folder / "a.yaml").symlink_to(folder / "b.yaml")
    (folder / "b.yaml").symlink_to(folder / "a.yaml")
    (folder / "loop").symlink_to(folder)  # a folder loop: never walked into
    (folder / "ok.yaml").write_text(PRODUCTS, encoding="utf-8")
    config = CONFIG.replace("catalog: [catalog.yaml]", "catalog: [catalog]")
    (project / "catalogsync.yaml").write_text(config, encoding="utf-8")
    run = cli_run(project, "validate")
    assert run.code == 1
    assert "a.yaml' is a broken or looping symlink" in run.err
    assert "internal error" not in run.err


# --- {file:} secrets ---------------------------------------------------------------------------


def _secret(project: Path, path: str) -> str:
    return SecretSource(file=path).resolve(project, "password").get_secret_value()


def test_a_regular_secret_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret\n", encoding="utf-8")
    assert _secret(tmp_path, "pw") == "s3cret"


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/dev/zero", "is not a regular file"),
        ("/proc/self/environ", "is empty (or not a real file)"),
        ("big", f"is larger than {MAX_SECRET_FILE_BYTES // 1024} KiB"),
        ("fifo", "is not a regular file"),
        ("folder", "cannot read"),
    ],
)
def test_a_secret_file_must_be_a_small_regular_file(tmp_path: Path, path: str, why: str) -> None:
    (tmp_path / "big").write_bytes(b"x" * (MAX_SECRET_FILE_BYTES + 1))
    os.mkfifo(tmp_path / "fifo")  # no writer: reading it would block for ever
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigError) as caught:
        _secret(tmp_path, path)
    assert why in str(caught.value)


# --- URLs --------------------------------------------------------------------------------------


def test_a_target_url_with_credentials_is_refused_without_echoing_them(project: Path) -> None:
    config = CONFIG.replace('"emulator:"', '"https://admin:hunter2@billing.example.com/acme"')
    run = validate(project, PRODUCTS, config)
    assert run.code == 1
    assert "the URL must not carry credentials (user:pass@)" in run.err
    assert "hunter2" not in run.err and "hunter2" not in run.out


def test_allow_insecure_http_warns_every_time(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            check_base_url(
                "http://billing.example.com", has_transport=False, allow_insecure_http=True
            )
        check_base_url("http://127.0.0.1:8000", has_transport=False, allow_insecure_http=True)
    warnings = [r.getMessage() for r in caplog.records if "allow_insecure_http" in r.getMessage()]
    assert len(warnings) == 2  # every run, and not for loopback
    assert "billing.example.com over plain http://" in warnings[0]


@pytest.mark.parametrize(
    "link", ["http://api.github.com/repos/acme/catalog/issues?page=2", "https://evil.example/x"]
)
def test_github_pagination_never_follows_another_scheme_or_host(link: str) -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, json=[{"id": 1}], headers={"Link": f'<{link}>; rel="next"'})

    transport = httpx.MockTransport(answer)
    client = GitHubClient("https://api.github.com", "ghs_token", transport=transport)
    with closing(client), pytest.raises(GitHubError, match="another host or scheme"):
        list(client.paginate("/repos/acme/catalog/issues"))
    assert len(sent) == 1


# --- the served emulator's control endpoints ---------------------------------------------------


def test_control_endpoints_need_the_emulators_credentials() -> None:
    with (
        BillingPlatformEmulator(credentials=("admin", "pw")) as emulator,
        httpx.Client(transport=SyncEmulatorTransport(emulator.app), base_url="http://e") as client,
    ):
        assert client.get("/_emulator/stats").status_code == 401
        assert client.post("/_emulator/reset-stats", auth=("admin", "no")).status_code == 401
        assert client.get("/_emulator/stats", auth=("admin", "pw")).status_code == 200
    with (
        BillingPlatformEmulator() as open_emulator,  # no credentials: open, as before
        httpx.Client(transport=SyncEmulatorTransport(open_emulator.app), base_url="http://e") as c,
    ):
        assert c.get("/_emulator/stats").status_code == 200


def test_serve_refuses_credentials_on_the_command_line() -> None:
    run = cli_run(Path("."), "emulator", "serve", "--port", "0", "--credentials", "admin:pw")
    assert run.code == 1
    assert "visible to every user in `ps`" in run.err
