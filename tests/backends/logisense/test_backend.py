"""LogiSenseBackend against the in-process emulator: reads, one PATCH per package, atomic
failure per package, settling unclear creates, per-change failures."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.backends.settle import Settle
from catalogsync.catalog import Ref, package_product_ref, package_ref, product_ref
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.plan import Action, Change, FieldChange
from catalogsync.report import ChangeResult, Outcome
from tests.backends.logisense.conftest import DropAfterProcessing, make_client

pytestmark = pytest.mark.anyio
API = "/ResourceServer/api/v8"


def seed(emulator: LogiSenseEmulator) -> dict[str, int]:
    """A package with two services, a frequency and a currency, made "in the UI"."""
    recurring = emulator.lookup_id("ServiceType", "Recurring")
    ids = {
        name: emulator.create("Service", name=name, serviceTypeId=recurring)["identity"]
        for name in ("Fibre", "O'Brien 100%", "Spare")
    }
    package = emulator.create("Package", name="Home", packageCategoryId=3)["identity"]
    emulator.patch(
        "Package",
        package,
        {
            "details": {
                "services": {
                    "items": [
                        {"patchType": "create", "serviceId": ids["Fibre"], "maximumInstances": 2},
                        {"patchType": "create", "serviceId": ids["O'Brien 100%"]},
                    ]
                },
                "frequencies": {"items": [{"patchType": "create", "frequencyTypeId": 3}]},
                "currencies": {"items": [{"patchType": "create", "currencyId": 1}]},
            }
        },
    )
    return {**ids, "Home": package}


def requests(emulator: LogiSenseEmulator, route: str) -> int:
    by_route: dict[str, int] = emulator.stats()["by_route"]
    return by_route.get(route, 0)


def create(ref: Ref, **values: Any) -> Change:
    return Change(Action.CREATE, ref, values=values)


def update(ref: Ref, remote_id: int, **after: Any) -> Change:
    fields = tuple(FieldChange(k, None, v) for k, v in after.items())
    return Change(Action.UPDATE, ref, fields=fields, values=after, remote_id=str(remote_id))


def by_ref(results: list[ChangeResult]) -> dict[Ref, ChangeResult]:
    return {r.ref: r for r in results}


async def test_fetch_reads_lookups_by_name_and_children(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    ids = seed(emulator)
    live = (await backend.fetch_live()).by_ref()
    assert live[product_ref("O'Brien 100%")].fields["service_type"] == "Recurring"
    home = live[package_ref("Home")]
    assert (home.remote_id, home.fields["package_category"]) == (str(ids["Home"]), "Residential")
    assert (home.fields["frequencies"], home.fields["currencies"]) == (("Month",), ("USD",))
    fibre = live[package_product_ref("Home", "Fibre")]
    assert fibre.fields["maximum_instances"] == 2
    assert package_product_ref("Home", "O'Brien 100%") in live
    # lookups (6 tables) are fetched once per run, then two paged reads
    await backend.fetch_live()
    assert requests(emulator, f"GET {API}/ServiceType") == 1
    assert requests(emulator, f"GET {API}/Package/Paged/Detail") == 2


async def test_a_package_s_service_changes_go_in_one_patch(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    ids = seed(emulator)
    live = (await backend.fetch_live()).by_ref()
    fibre, obrien = (live[package_product_ref("Home", n)] for n in ("Fibre", "O'Brien 100%"))
    changes = [
        create(package_product_ref("Home", "Spare"), default_instances=0, maximum_instances=4),
        update(package_product_ref("Home", "Fibre"), int(fibre.remote_id), maximum_instances=5),
        Change(Action.DELETE, obrien.ref, remote_id=obrien.remote_id),
    ]
    ref_ids = {r: x.remote_id for r, x in live.items()} | {product_ref("Spare"): str(ids["Spare"])}
    emulator.reset_stats()
    results = by_ref(await backend.apply_wave(changes, ref_ids))
    assert {r.outcome for r in results.values()} == {Outcome.SUCCEEDED}
    assert emulator.stats()["total"] == 1  # one PATCH Package/{id}
    (spare,) = emulator.find("Package/Service", serviceId=ids["Spare"])
    assert results[package_product_ref("Home", "Spare")].remote_id == str(spare["identity"])
    assert emulator.record("Package/Service", int(fibre.remote_id))["maximumInstances"] == 5
    assert not emulator.find("Package/Service", serviceId=ids["O'Brien 100%"])


async def test_a_refused_patch_fails_that_package_only(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    ids = seed(emulator)
    other = emulator.create("Package", name="Other")["identity"]
    live = (await backend.fetch_live()).by_ref()
    ref_ids = {r: x.remote_id for r, x in live.items()}
    emulator.faults.fail_names_matching = "^Spare$"
    fibre = live[package_product_ref("Home", "Fibre")]
    changes = [
        create(package_product_ref("Home", "Spare")),
        update(fibre.ref, int(fibre.remote_id), maximum_instances=9),
        create(package_product_ref("Other", "Fibre")),
    ]
    results = by_ref(await backend.apply_wave(changes, ref_ids))
    home = [results[c.ref] for c in changes[:2]]
    assert [r.outcome for r in home] == [Outcome.FAILED, Outcome.FAILED]
    assert "injected failure" in home[0].message
    assert results[package_product_ref("Other", "Fibre")].outcome is Outcome.SUCCEEDED
    assert emulator.find("Package/Service", packageId=other)
    # atomic: Home's update did not land either
    assert emulator.record("Package/Service", int(fibre.remote_id))["maximumInstances"] == 2
    assert not emulator.find("Package/Service", serviceId=ids["Spare"])


async def test_an_unclear_patch_is_settled_by_reading_back(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator, dropper: DropAfterProcessing
) -> None:
    ids = seed(emulator)
    live = (await backend.fetch_live()).by_ref()
    ref_ids = {r: x.remote_id for r, x in live.items()}
    dropper.arm("PATCH", f"/Package/{ids['Home']}")
    (result,) = await backend.apply_wave([create(package_product_ref("Home", "Spare"))], ref_ids)
    assert dropper.dropped == 1
    (spare,) = emulator.find("Package/Service", serviceId=ids["Spare"])
    assert (result.outcome, result.remote_id) == (Outcome.SUCCEEDED, str(spare["identity"]))


async def test_an_unclear_create_is_adopted_not_repeated(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator, dropper: DropAfterProcessing
) -> None:
    dropper.arm("POST", "/Service")
    change = create(product_ref("New 'One'"), service_type="Usage")
    (result,) = await backend.apply_wave([change], {})
    (record,) = emulator.find("Service", name="New 'One'")
    assert (result.outcome, result.remote_id) == (Outcome.SUCCEEDED, str(record["identity"]))


class WritesBetweenPages(httpx.AsyncBaseTransport):
    """Another write of the same apply lands while a listing is read: before every
    page 2 of `Service/Paged`, one more service is created (as wave 0 of a LogiSense L
    cold apply creates 15 a second while an unclear create is settled)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, emulator: LogiSenseEmulator) -> None:
        self.inner, self.emulator, self.created = inner, emulator, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        page = json.loads(request.headers.get("Pagination", "{}")).get("pageNumber")
        if request.url.path.endswith("/Service/Paged") and page == 2:
            self.created += 1
            usage = self.emulator.lookup_id("ServiceType", "Usage")
            self.emulator.create("Service", name=f"Meanwhile {self.created}", serviceTypeId=usage)
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("listed_at", ["first", "last"])
async def test_an_unclear_create_is_adopted_while_other_writes_change_the_listing(
    emulator: LogiSenseEmulator, dropper: DropAfterProcessing, listed_at: str
) -> None:
    # The L cold apply's one failure (2026-12-02): an unclear POST Service was settled by
    # reading Service/Paged while other creates landed, and "the listing changed while it
    # was read" failed the change although the read had seen the service. A record seen
    # under the name exists: adopted, listing whole or not.
    usage = emulator.lookup_id("ServiceType", "Usage")
    name = "A new one" if listed_at == "first" else "Zz new one"
    for n in range(5):
        emulator.create("Service", name=f"Old {n}", serviceTypeId=usage)
    busy = WritesBetweenPages(dropper, emulator)
    backend = LogiSenseBackend(make_client(busy, page_size=2), settle=Settle(window=0))
    try:
        await backend.lookups()
        dropper.arm("POST", "/Service")
        (result,) = await backend.apply_wave([create(product_ref(name), service_type="Usage")], {})
    finally:
        await backend.close()
    assert dropper.dropped == 1 and busy.created >= 1
    (record,) = emulator.find("Service", name=name)
    assert (result.outcome, result.remote_id) == (Outcome.SUCCEEDED, str(record["identity"]))


async def test_an_unclear_create_not_seen_in_a_changing_listing_is_not_created_again(
    emulator: LogiSenseEmulator,
) -> None:
    # Not seen, and the listing was not whole: absence is not proven, so the change fails
    # saying so (after the settle window), and nothing is posted a second time.
    usage = emulator.lookup_id("ServiceType", "Usage")
    for n in range(5):
        emulator.create("Service", name=f"Old {n}", serviceTypeId=usage)
    busy = WritesBetweenPages(emulator.async_transport(), emulator)
    backend = LogiSenseBackend(make_client(busy, page_size=2), settle=Settle(window=0))
    try:
        await backend.lookups()
        emulator.faults.fail_next(0, path_contains="/Service")  # dropped before processing
        (result,) = await backend.apply_wave([create(product_ref("X"), service_type="Usage")], {})
    finally:
        await backend.close()
    assert result.outcome is Outcome.FAILED
    assert "the listing changed while it was read" in result.message
    assert "so not created; run apply again" in result.message
    assert not emulator.find("Service", name="X")


async def test_an_unclear_create_that_did_not_happen_fails_without_writing(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    await backend.lookups()  # so the next request to a path with "/Service" is the POST
    emulator.faults.fail_next(0, path_contains="/Service")  # dropped before processing
    (result,) = await backend.apply_wave([create(product_ref("X"), service_type="Usage")], {})
    assert result.outcome is Outcome.FAILED
    assert "not found on re-reading for 0 s (settings.settle_seconds), so not created" in (
        result.message
    )
    assert not emulator.find("Service", name="X")


async def test_bad_values_fail_their_change_only(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    changes = [
        create(product_ref("A"), service_type="Nope"),
        create(product_ref("B"), service_type="Usage", usage_frequency_type="Fortnight"),
        create(product_ref("C"), service_type="Usage"),
        create(package_ref("P"), currencies=("XYZ",)),
    ]
    results = by_ref(await backend.apply_wave(changes, {}))
    assert results[product_ref("A")].message == "unknown service type 'Nope'"
    assert results[product_ref("B")].message == "unknown frequency type 'Fortnight'"
    assert results[product_ref("C")].outcome is Outcome.SUCCEEDED
    package = results[package_ref("P")]
    assert package.outcome is Outcome.FAILED and "unknown currency code 'XYZ'" in package.message
    # the unknown code is found before anything is sent: no package half-created
    assert package.remote_id is None and emulator.records("Package") == []


async def test_package_children_and_fields_update_and_rename(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    ids = seed(emulator)
    await backend.fetch_live()
    change = Change(
        Action.UPDATE,
        package_ref("Home 2"),
        fields=(
            FieldChange("name", "Home", "Home 2"),
            FieldChange("currencies", ("USD",), ("CAD", "EUR")),
            FieldChange("frequencies", ("Month",), ("3 Month", "Month")),
            FieldChange("description", None, "Fibre"),
        ),
        remote_id=str(ids["Home"]),
        renamed_from="Home",
    )
    (result,) = await backend.apply_wave([change], {})
    assert result.outcome is Outcome.SUCCEEDED, result.message
    live = (await backend.fetch_live()).by_ref()[package_ref("Home 2")]
    assert live.fields["currencies"] == ("CAD", "EUR")
    assert live.fields["frequencies"] == ("3 Month", "Month")
    assert live.fields["description"] == "Fibre"


async def test_deletes_and_an_already_deleted_record(
    backend: LogiSenseBackend, emulator: LogiSenseEmulator
) -> None:
    ids = seed(emulator)
    changes = [
        Change(Action.DELETE, package_ref("Home"), remote_id=str(ids["Home"])),
        Change(Action.DELETE, product_ref("Gone"), remote_id="999999"),
    ]
    results = by_ref(await backend.apply_wave(changes, {}))
    assert results[package_ref("Home")].outcome is Outcome.SUCCEEDED
    assert not emulator.records("Package/Service")  # cascaded
    gone = results[product_ref("Gone")]
    assert (gone.outcome, gone.message) == (Outcome.SUCCEEDED, "already deleted")
