"""Any name round-trips: created over HTTP, found again by the name filter, stored as sent."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogsync.emulator.logisense import LogiSenseEmulator
from tests.conftest import examples
from tests.emulator.logisense.conftest import LsApi

EVIL = 'x\'); DROP TABLE Service; -- 100%_\\ Zoë "quoted" 名前'

# Any text a JSON body can carry (no lone surrogates), not empty (the name is required).
NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


def _by_name(api: LsApi, name: str) -> list[str]:
    header = json.dumps({"filters": [{"name": "name", "operator": "eq", "value": name}]})
    found = api.ok("GET", "Service", headers={"SearchRequest": header})["items"]
    return [item["name"] for item in found]


def test_an_evil_name_is_data_not_sql(ls: LogiSenseEmulator, api: LsApi) -> None:
    api.create("Service", name=EVIL, serviceTypeId=1)
    assert _by_name(api, EVIL) == [EVIL]
    contains = json.dumps({"filters": [{"name": "name", "operator": "contains", "value": "%_"}]})
    assert api.ok("GET", "Service", headers={"SearchRequest": contains})["totalCount"] == 1
    assert [s["name"] for s in ls.records("Service")] == [EVIL]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES)
def test_any_name_round_trips(name: str) -> None:
    with (
        LogiSenseEmulator() as emu,
        httpx.Client(base_url="http://ls", transport=emu.transport()) as http,
    ):
        api = LsApi(http)
        created = api.create("Service", name=name, serviceTypeId=1)
        assert created["name"] == name
        assert name in _by_name(api, name)
        assert emu.find("Service", name=name)[0]["identity"] == created["identity"]
