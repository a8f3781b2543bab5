"""Injection: hostile names survive plan → apply → re-plan and never change a query's meaning.

Live decoys are names a broken escape would match instead (`x` for `x' OR '1'='1`, `axb`
for `a_b`, `100X Fibre` for `100% Fibre`, the text before a newline or a `--`, …). They
are not declared, so they must come out of every run exactly as they went in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from catalogsync.backends.billingplatform.client import BillingPlatformClient, build_select
from catalogsync.backends.billingplatform.client import sql_literal as literal
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from tests.reliability.harness import cli_run, write_served_project

pytestmark = pytest.mark.reliability

HOSTILE = [
    "x' OR '1'='1",
    "'; DELETE FROM PACKAGE_PRODUCT WHERE '1'='1",
    "semi; DROP TABLE PRODUCT; --",
    "O'Brien -- not a comment",
    "100% Fibre",
    "%",
    "a_b",
    "_",
    "back\\slash \\' end\\",
    "line one\nline two",
    "tab\tand\r\ncarriage",
    "Größe 日本 🙂",
    '"double" quotes',
    " padded both ends ",
]
DECOYS = [
    "x",
    "1",
    "O",
    "semi",
    "O'Brien",
    "100X Fibre",
    "axb",
    "a",
    "back",
    "line one",
    "Größe",
    "padded both ends",
]


def _catalog(names: list[str], rate: str, package: str) -> dict[str, Any]:
    return {
        "products": [{"name": name, "rate": rate} for name in names],
        "packages": [
            {
                "name": package,
                "status": "Production",
                "products": [
                    {
                        "product": names[0],
                        "min_qty": 1,
                        "children": [{"product": names[1], "min_qty": 0}],
                    },
                    *({"product": name, "min_qty": 0} for name in names[2:]),
                ],
            }
        ],
    }


def _rates(emulator: BillingPlatformEmulator) -> dict[str, str]:
    return {r["Name"]: r["Rate"] for r in emulator.records("PRODUCT")}


def _plan(project: Path) -> dict[str, Any]:
    run = cli_run(project, "plan", "--format", "json")
    assert run.code == 0, run.err
    result: dict[str, Any] = json.loads(run.out)
    return result


def test_hostile_names_round_trip_and_match_only_themselves(tmp_path: Path) -> None:
    emulator = BillingPlatformEmulator(tmp_path / "db.sqlite3")
    with emulator, ServerThread(emulator.app) as server:
        decoy_project = write_served_project(
            tmp_path / "decoys", "billingplatform", _catalog(DECOYS, "1.00", "x"), server.url
        )
        assert cli_run(decoy_project, "apply", "--auto-approve").code == 0
        decoys = {name: rate for name, rate in _rates(emulator).items()}
        decoy_pps = emulator.records("PACKAGE_PRODUCT")

        package = "pkg' OR ''='"
        project = write_served_project(
            tmp_path / "hostile", "billingplatform", _catalog(HOSTILE, "2.00", package), server.url
        )
        plan = _plan(project)
        # every hostile object is new: none matched a decoy
        assert plan["summary"] == {
            "create": 2 * len(HOSTILE) + 1,
            "delete": 0,
            "unmanaged": len(DECOYS) * 2 + 1,
            "update": 0,
        }
        run = cli_run(project, "apply", "--auto-approve")
        assert run.code == 0, run.out + run.err
        assert cli_run(project, "plan", "--detailed-exitcode").code == 0
        rates = _rates(emulator)
        assert {name: rates[name] for name in HOSTILE} == dict.fromkeys(HOSTILE, "2.00")
        assert {name: rates[name] for name in DECOYS} == decoys
        assert set(rates) == set(HOSTILE) | set(DECOYS)

        # updates go to exactly the hostile records, renames too
        changed = _catalog(HOSTILE, "3.00", package)
        changed["products"][0] = {
            "name": "y' OR 'a'='a",
            "renamed_from": [HOSTILE[0]],
            "rate": "3.00",
        }
        changed["packages"][0]["products"][0]["product"] = "y' OR 'a'='a"
        write_served_project(project, "billingplatform", changed, server.url)
        plan = _plan(project)
        assert plan["summary"]["update"] == len(HOSTILE) and plan["summary"]["create"] == 0
        assert plan["summary"]["delete"] == 0
        assert cli_run(project, "apply", "--auto-approve").code == 0
        assert cli_run(project, "plan", "--detailed-exitcode").code == 0
        rates = _rates(emulator)
        assert {name: rates[name] for name in DECOYS} == decoys
        assert rates["y' OR 'a'='a"] == "3.00" and HOSTILE[0] not in rates
        assert [r for r in emulator.records("PACKAGE_PRODUCT") if r in decoy_pps] == decoy_pps

        # the client's own queries: a hostile name as a literal matches only itself
        async def lookups() -> list[list[str]]:
            client = BillingPlatformClient(server.url, "u", "p")
            async with client:
                found = []
                for name in [*HOSTILE[1:], "y' OR 'a'='a"]:
                    rows = await client.query_in("PRODUCT", ["Id", "Name"], "Name", [name])
                    found.append([r["Name"] for r in rows])
                    rows = await client.query(
                        build_select("PRODUCT", ["Name"], f"Name = {literal(name)}")
                    )
                    found.append([r["Name"] for r in rows])
                return found

        expected = [[name] for name in [*HOSTILE[1:], "y' OR 'a'='a"] for _ in range(2)]
        assert anyio.run(lookups) == expected
