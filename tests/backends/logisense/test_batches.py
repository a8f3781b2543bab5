"""Several packages in one `PATCH Package/{id}` (issue 21): package creates through
`packages.items`, and the package services of several packages; a refused batch falls
back to one package at a time, an unclear one is settled by name."""

from __future__ import annotations

import pytest

from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.backends.settle import Settle
from catalogsync.catalog import Ref, package_product_ref, package_ref
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.report import Outcome
from tests.backends.logisense.conftest import DropAfterProcessing, make_client
from tests.backends.logisense.test_backend import API, by_ref, create, requests, seed

pytestmark = pytest.mark.anyio
MONTHLY_USD = {"frequencies": ("Month",), "currencies": ("USD",)}


def _children(emulator: LogiSenseEmulator, package_id: str) -> tuple[int, int]:
    (record,) = [
        p for p in emulator.records("Package", detail=True) if p["identity"] == int(package_id)
    ]
    return len(record["details"]["frequencies"]), len(record["details"]["currencies"])


async def test_a_cold_wave_posts_the_first_package_and_patches_the_rest_in_one(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    refs = [package_ref(f"P{i}") for i in range(4)]
    await backend.fetch_live()
    emulator.reset_stats()
    results = by_ref(await backend.apply_wave([create(r, **MONTHLY_USD) for r in refs], {}))
    assert {r.outcome for r in results.values()} == {Outcome.SUCCEEDED}
    assert requests(emulator, f"POST {API}/Package") == 1  # nothing to name in a PATCH path
    # the first package's children, then the other three with theirs
    assert emulator.stats()["total"] == 1 + 2
    stored = {p["name"]: str(p["identity"]) for p in emulator.records("Package")}
    for ref in refs:
        assert results[ref].remote_id == stored[ref.name]
        assert _children(emulator, stored[ref.name]) == (1, 1)


async def test_with_a_live_package_no_package_is_posted_and_batches_hold_batch_size_items(
    dropper: DropAfterProcessing, emulator: LogiSenseEmulator
) -> None:
    seed(emulator)
    backend = LogiSenseBackend(make_client(dropper), settle=Settle(window=0), batch_size=6)
    try:
        await backend.fetch_live()
        emulator.reset_stats()
        changes = [create(package_ref(f"P{i}"), **MONTHLY_USD) for i in range(5)]
        results = await backend.apply_wave(changes, {})
    finally:
        await backend.close()
    assert {r.outcome for r in results} == {Outcome.SUCCEEDED}
    # 3 patch items a package (itself, a frequency, a currency): 2 a PATCH of 6 items
    assert emulator.stats()["by_route"] == {f"PATCH {API}/Package/{{id}}": 3}


async def test_a_refused_batch_creates_each_package_alone_so_a_bad_one_fails_alone(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    seed(emulator)
    await backend.fetch_live()
    emulator.faults.fail_names_matching = "^Bad$"
    refs = [package_ref(n) for n in ("Good 1", "Bad", "Good 2")]
    results = by_ref(await backend.apply_wave([create(r) for r in refs], {}))
    assert results[refs[1]].outcome is Outcome.FAILED
    assert "injected failure" in results[refs[1]].message
    assert [results[r].outcome for r in (refs[0], refs[2])] == [Outcome.SUCCEEDED] * 2
    assert sorted(p["name"] for p in emulator.records("Package")) == ["Good 1", "Good 2", "Home"]


async def test_an_unclear_batch_is_settled_by_name_and_never_sent_twice(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator, dropper: DropAfterProcessing
) -> None:
    ids = seed(emulator)
    await backend.fetch_live()
    dropper.arm("PATCH", f"/Package/{ids['Home']}")
    refs = [package_ref(n) for n in ("A", "B")]
    results = by_ref(await backend.apply_wave([create(r, **MONTHLY_USD) for r in refs], {}))
    assert dropper.dropped == 1
    assert {r.outcome for r in results.values()} == {Outcome.SUCCEEDED}
    stored = {p["name"]: str(p["identity"]) for p in emulator.records("Package")}
    assert [results[r].remote_id for r in refs] == [stored["A"], stored["B"]]
    assert requests(emulator, f"PATCH {API}/Package/{{id}}") == 1


async def test_the_services_of_several_packages_go_in_one_patch(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    ids = seed(emulator)
    other = emulator.create("Package", name="Other")["identity"]
    live = (await backend.fetch_live()).by_ref()
    ref_ids: dict[Ref, str] = {r: x.remote_id for r, x in live.items()}
    changes = [
        create(package_product_ref("Home", "Spare"), maximum_instances=3),
        create(package_product_ref("Other", "Spare"), maximum_instances=4),
        create(package_product_ref("Other", "Fibre")),
    ]
    emulator.reset_stats()
    results = by_ref(await backend.apply_wave(changes, ref_ids))
    assert {r.outcome for r in results.values()} == {Outcome.SUCCEEDED}
    assert emulator.stats()["total"] == 1
    # the same service in two packages: each result names its own package's record
    for package, maximum in ((ids["Home"], 3), (other, 4)):
        (record,) = emulator.find("Package/Service", packageId=package, serviceId=ids["Spare"])
        assert record["maximumInstances"] == maximum
        ref = package_product_ref("Home" if package == ids["Home"] else "Other", "Spare")
        assert results[ref].remote_id == str(record["identity"])
