"""`--record FILE.har`: valid HAR 1.2 of every exchange, with credentials, tokens and
session ids redacted (sentinel values in every encoding), per backend over loopback."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from tests.contract.harness import Harness, Spec

pytestmark = pytest.mark.loopback

SPEC = Spec(products={"Voice": "1.50"}, packages={"Gold": ("Voice",)})
USER = "sentinel-user-5ad1c"
PASSWORD = 'sentinel pa"ss\\w&rd=9f2e/+'


def encodings(secret: str) -> set[str]:
    return {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
    }


def test_every_exchange_is_recorded_and_no_secret_survives(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(harness.user_env, USER)
    monkeypatch.setenv(harness.password_env, PASSWORD)
    project = harness.write_project(tmp_path / "project", SPEC)
    sentinels = {USER, PASSWORD, *(v for k, v in harness.env.items() if "CLIENT_ID" in k)}
    for command in (["plan"], ["apply", "--auto-approve"], ["drift"], ["export", "--dry-run"]):
        har = tmp_path / f"{command[0]}.har"
        result = CliRunner().invoke(cli, ["-C", str(project), *command, "--record", str(har)])
        assert result.exit_code in (0, 2), result.output
        text = har.read_text(encoding="utf-8")
        for secret in sentinels:
            for form in encodings(secret):
                assert form not in text, (command, form)
        log = json.loads(text)["log"]
        assert log["version"] == "1.2" and log["creator"]["name"] == "catalogsync"
        entries = log["entries"]
        assert entries and all(e["response"]["status"] >= 200 for e in entries)
        login, *calls = entries
        assert "login" in login["request"]["url"].lower()
        assert "REDACTED" in login["request"]["postData"]["text"]
        assert "REDACTED" in login["response"]["content"]["text"]  # the token / session id
        for entry in calls:
            sent = {h["name"].lower(): h["value"] for h in entry["request"]["headers"]}
            session = sent.get("authorization") or sent.get("sessionid")
            assert session == "REDACTED", entry["request"]["url"]
    # the apply's writes are there, with their bodies, for turning into an emulator test
    apply_log = json.loads((tmp_path / "apply.har").read_text())["log"]["entries"]
    writes = [e for e in apply_log if e["request"]["method"] != "GET"][1:]
    assert writes and all(
        "Voice" in json.dumps(e["request"]) or "Gold" in json.dumps(e["request"])
        for e in writes[:1]
    )
