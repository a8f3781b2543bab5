"""What every emulator shares is written once, and loads no vendor's emulator; what one
backend adds (BillingPlatform's SQL cap) lives in its own package (issue 19 item 4)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.emulator.backends import emulator_faults, make_emulator
from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.billingplatform.faults import (
    DEFAULT_MAX_SQL_LENGTH,
    BillingPlatformFaults,
    max_sql_length,
)
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.logisense import LogiSenseEmulator

# Importing these must not import a vendor emulator (or its dependencies, e.g. sqlglot).
NEUTRAL = (
    "catalogsync.emulator",
    "catalogsync.emulator.backends",
    "catalogsync.emulator.base",
    "catalogsync.emulator.faults",
    "catalogsync.emulator.middleware",
    "catalogsync.emulator.server",
)


def test_neutral_emulator_modules_import_no_vendor_emulator() -> None:
    probe = (
        "import importlib, sys\n"
        f"for name in {NEUTRAL!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith("
        "('catalogsync.emulator.billingplatform', 'catalogsync.emulator.logisense', "
        "'sqlglot')))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


def _client(emulator: BaseEmulator) -> httpx.Client:
    return httpx.Client(base_url="http://emulator", transport=emulator.transport())


# -- faults: what every emulator shares, and what is one backend's own ---------------------


def test_each_emulator_starts_with_its_own_faults() -> None:
    with BillingPlatformEmulator() as bp, LogiSenseEmulator() as ls:
        assert type(bp.faults) is BillingPlatformFaults
        assert bp.faults.max_sql_length == DEFAULT_MAX_SQL_LENGTH
        assert type(ls.faults) is Faults
        assert "max_sql_length" not in Faults.field_names()
    assert type(make_emulator("billingplatform").faults) is BillingPlatformFaults
    assert type(emulator_faults("logisense")) is Faults


def test_a_plain_faults_on_a_billingplatform_emulator_keeps_the_documented_sql_cap() -> None:
    assert max_sql_length(Faults()) == DEFAULT_MAX_SQL_LENGTH
    assert max_sql_length(BillingPlatformFaults(max_sql_length=50)) == 50
    with BillingPlatformEmulator(faults=Faults()) as bp, _client(bp) as client:
        token = client.post("/rest/2.0/login", json={"username": "u", "password": "p"})
        session = {"sessionid": token.json()["loginResponse"][0]["SessionID"]}
        long_sql = "SELECT Id FROM RATING_METHOD WHERE ExternalKey <> '" + "x" * 4000 + "'"
        answer = client.get("/rest/2.0/query", params={"sql": long_sql}, headers=session)
        assert answer.status_code == 400 and "4000" in answer.json()["message"]


def test_backend_faults_update_from_json_by_their_field_types() -> None:
    faults = BillingPlatformFaults()
    faults.update({"max_sql_length": 50, "latency_ms": 5})
    assert (faults.max_sql_length, faults.latency_ms) == (50, 5.0)
    for bad in ({"max_sql_length": "50"}, {"max_sql_length": 0}, {"max_sql_length": True}):
        with pytest.raises(ValueError):
            faults.update(bad)
    assert faults.max_sql_length == 50
    with pytest.raises(ValueError, match="unknown fault field"):
        Faults().update({"max_sql_length": 50})


def test_a_backend_refuses_another_backends_fault() -> None:
    with LogiSenseEmulator() as ls, _client(ls) as client:
        refused = client.post("/_emulator/faults", json={"max_sql_length": 50})
        assert refused.status_code == 400
    result = CliRunner().invoke(
        cli, ["emulator", "serve", "--backend", "logisense", "--max-sql-length", "50"]
    )
    assert result.exit_code == 1
    assert "unknown fault field(s): max_sql_length (the logisense emulator)" in result.output


def test_serve_applies_a_backends_own_fault_flag() -> None:
    faults = emulator_faults("billingplatform")
    faults.update({"max_sql_length": 50})
    assert isinstance(faults, BillingPlatformFaults) and faults.max_sql_length == 50
