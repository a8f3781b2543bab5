"""The Python API other code seeds and inspects the emulator with."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from catalogsync.emulator.logisense import EmulatorEditError, LogiSenseEmulator
from catalogsync.errors import CatalogSyncError
from tests.emulator.logisense.conftest import BASE, LsApi


def test_lookups_map_names_to_ids(ls: LogiSenseEmulator) -> None:
    assert ls.lookup_id("Currency", "US Dollar") == 1
    assert ls.lookup_id("PackageCategory", "Default") == 2
    assert ls.lookup_id("AccountPackageStatusType", "Enable") == 99
    yen = ls.seed_lookup("Currency", "Yen", code="JPY")
    assert yen >= 1000
    assert ls.record("Currency", yen)["code"] == "JPY"
    package = ls.create("Package", name="Gold")["identity"]
    currency = ls.create("Package/Currency", packageId=package, currencyId=yen)
    assert currency["currencyName"] == "Yen"
    (shown,) = ls.record("Package", package, detail=True)["details"]["currencies"]
    assert shown["currencyCode"] == "JPY"  # Detail output only (seed 004:485)
    with pytest.raises(KeyError):
        ls.lookup_id("Currency", "Doubloon")
    with pytest.raises(ValueError, match="not a lookup"):
        ls.seed_lookup("Service", "Voice")
    with pytest.raises(KeyError, match="unknown LogiSense resource"):
        ls.records("Account")


def test_ui_edits_are_validated_and_list_every_problem(ls: LogiSenseEmulator) -> None:
    with pytest.raises(EmulatorEditError) as caught:
        ls.create("Package/Service", minimumInstances=2, maximumInstances=1)
    assert isinstance(caught.value, CatalogSyncError)
    assert [p.message for p in caught.value.problems] == [
        "'PackageId' is required.",
        "'ServiceId' is required.",
        "'MinimumInstances' (2) MUST be less than or equal to 'MaximumInstances' (1).",
    ]
    with pytest.raises(EmulatorEditError):
        ls.seed_lookup("FrequencyType", "Fortnight", sortOrder="five")


def test_ui_edits_show_up_through_the_api_and_are_not_counted(
    ls: LogiSenseEmulator, api: LsApi, service: int
) -> None:
    ls.reset_stats()
    package = ls.create("Package", name="Gold")["identity"]
    results = ls.patch(
        "Package",
        package,
        {"details": {"services": {"items": [{"patchType": "create", "serviceId": service}]}}},
    )
    assert results[0]["instance"]["serviceId"] == service
    changed = ls.update("Service", service, description="edited in the UI")
    assert changed["description"] == "edited in the UI"
    assert api.ok("GET", f"Service/{service}")["instance"] == changed
    assert [r["action"] for r in ls.delete("Package", package)] == ["deleted", "deleted"]
    assert ls.stats()["total"] == 1  # only the GET above
    assert ls.find("Service", name="voice") == []  # exact, unlike the API's filters
    assert [s["identity"] for s in ls.find("Service", name="Voice")] == [service]
    with pytest.raises(KeyError):
        ls.record("Package", package)


def test_state_survives_a_restart_with_a_file(tmp_path: Path) -> None:
    db = tmp_path / "logisense.sqlite"
    with LogiSenseEmulator(db) as first:
        token = first.login()
        first.create("Service", name="Kept", serviceTypeId=2)
        first.seed_lookup("Currency", "Yen", code="JPY")
    with (
        LogiSenseEmulator(db) as second,
        httpx.Client(base_url=BASE, transport=second.transport()) as http,
    ):
        assert [s["name"] for s in second.records("Service")] == ["Kept"]
        assert len(second.records("Currency")) == 5  # seeds are not added twice
        # Tokens live in memory: a restarted server refuses the old one.
        old = http.get(
            "/ResourceServer/api/v8/Service", headers={"Authorization": f"Bearer {token}"}
        )
        assert old.status_code == 401
