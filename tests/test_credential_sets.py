"""Least privilege: a target's read set serves plan/drift/export, its write set only apply.

Against a real loopback BillingPlatform emulator that accepts one login: the reader's or
the writer's. Plus validation: the two ways of giving credentials do not mix, a set needs
its partner, and the sets may not share a variable, each refused with file:line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalogsync.cli import cli
from catalogsync.config import load_project
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from catalogsync.errors import ConfigError

pytestmark = pytest.mark.loopback

READER, WRITER = ("reader", "r-secret"), ("writer", "w-secret")
ENV = {
    "READ_USER": READER[0],
    "READ_PASSWORD": READER[1],
    "WRITE_USER": WRITER[0],
    "WRITE_PASSWORD": WRITER[1],
}
CATALOG = 'products:\n  - {name: Voice, status: ACTIVE, rate: "0.05", rating_method: Usage}\n'


def project(tmp_path: Path, target: str) -> Path:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    (folder / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (folder / "catalogsync.yaml").write_text(
        "backend: billingplatform\ncatalog: [catalog.yaml]\nsettings: {rate_limit: 0}\n"
        f"targets:\n  prod:\n{target}",
        encoding="utf-8",
    )
    return folder


def split_target(url: str) -> str:
    return (
        f"    url: {url}\n"
        "    read:\n"
        "      username: {env: READ_USER}\n"
        "      password: {env: READ_PASSWORD}\n"
        "    write:\n"
        "      username: {env: WRITE_USER}\n"
        "      password: {env: WRITE_PASSWORD}\n"
    )


def run(folder: Path, *args: str, env: dict[str, str] = ENV) -> Result:
    return CliRunner().invoke(cli, ["-C", str(folder), *args], env=env)


def test_plan_drift_and_export_log_in_as_the_reader_only(tmp_path: Path) -> None:
    emulator = BillingPlatformEmulator(credentials=READER)
    with emulator, ServerThread(emulator.app) as server:
        folder = project(tmp_path, split_target(server.url))
        # The write variables are not even set: these commands never read them.
        reader_env = {k: v for k, v in ENV.items() if k.startswith("READ_")}
        assert run(folder, "plan", env=reader_env).exit_code == 0
        assert run(folder, "drift", env=reader_env).exit_code == 2
        exported = run(folder, "export", "--dry-run", env=reader_env)
        assert exported.exit_code == 0, exported.output
        refused = run(folder, "apply", "--auto-approve")  # apply logs in as the writer
    assert refused.exit_code == 1 and "refused the login" in refused.output


def test_apply_logs_in_as_the_writer(tmp_path: Path) -> None:
    emulator = BillingPlatformEmulator(credentials=WRITER)
    with emulator, ServerThread(emulator.app) as server:
        folder = project(tmp_path, split_target(server.url))
        applied = run(folder, "apply", "--auto-approve")
        assert applied.exit_code == 0, applied.output
        planned = run(folder, "plan")  # plan logs in as the reader: refused here
    assert planned.exit_code == 1 and "refused the login" in planned.output


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "    url: https://bp.example.com/acme\n"
            "    username: {env: U}\n"
            "    read: {username: {env: R}, password: {env: RP}}\n"
            "    write: {username: {env: W}, password: {env: WP}}\n",
            "either as username/password",
        ),
        (
            "    url: https://bp.example.com/acme\n"
            "    read: {username: {env: R}, password: {env: RP}}\n",
            "a `read:` credential set needs a `write:` set too",
        ),
        (
            "    url: https://bp.example.com/acme\n"
            "    read: {username: {env: R}, password: {env: SAME}}\n"
            "    write: {username: {env: W}, password: {env: SAME}}\n",
            "the read and write sets share env:SAME",
        ),
    ],
    ids=["mixed", "read-only", "shared"],
)
def test_bad_credential_sets_are_refused_with_file_and_line(
    tmp_path: Path, target: str, message: str
) -> None:
    folder = project(tmp_path, target)
    with pytest.raises(ConfigError) as caught:
        load_project(folder)
    text = str(caught.value)
    assert message in text
    assert "catalogsync.yaml:6" in text, text  # the target's line
    result = run(folder, "validate")
    assert result.exit_code == 1 and message in result.output


def test_a_target_with_one_shared_set_still_works_for_every_command(tmp_path: Path) -> None:
    emulator = BillingPlatformEmulator(credentials=READER)
    with emulator, ServerThread(emulator.app) as server:
        folder = project(
            tmp_path,
            f"    url: {server.url}\n"
            "    username: {env: READ_USER}\n    password: {env: READ_PASSWORD}\n",
        )
        assert run(folder, "apply", "--auto-approve").exit_code == 0
        assert json.loads(run(folder, "plan", "--format", "json").stdout)["summary"]["create"] == 0
