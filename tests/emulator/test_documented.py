"""For each ledger row marked documented (docs/vendor-api.md, "BillingPlatform REST 2.0"): the
strict emulator answers as the vendor's document shows, and the client accepts that answer.

Field lists are copied from the seeds (../shared/seeds/, cited as in the ledger) so that the
emulator cannot drift from them unnoticed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.catalog import package_product_ref
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.plan import Action, Change, FieldChange
from catalogsync.report import Outcome
from tests.fakes import UNPACED

# 001 "Response 200 fields": retrieveResponse.<field> (001@3611 ff.)
PRODUCT_SAVE_ANSWER = {
    "Id", "Status", "Created", "Updated", "Name", "CreatedUserId", "OverridePermissions",
    "CustomizeTaxRules", "RatingMethodId", "ContractRequiredFlag", "DefaultRateFlag", "Rate",
    "ExternalKey", "OrderOfExecution", "UseFormulaSSP", "RestrictUseOfUnreferencedContracts",
    "SfRecordId", "SfSyncBatchId", "SfStatusError", "SfLastSync", "Ranking", "UpdatedUserId",
    "SSPFormula",
}  # fmt: skip
# 000 "Response 200 fields" (000@1151 ff.)
PACKAGE_SAVE_ANSWER = {"Created", "Updated", "CreatedUserId", "UpdatedUserId", "Id", "Name",
                       "PackageStatus"}  # fmt: skip
# 002:73-81 and 003:76-86
UPDATE_ITEM = {"Id", "success", "ErrorText", "ErrorElementField"}
UPSERT_ITEM = UPDATE_ITEM | {"created"}
# 000-003 "Response 404 fields"
ERROR_BODY = {"error", "message"}


@pytest.fixture
def emulator() -> Iterator[BillingPlatformEmulator]:
    with BillingPlatformEmulator() as emu:  # the default profile: strict
        assert emu.profile == "strict"
        yield emu


@pytest.fixture
def http(emulator: BillingPlatformEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url="http://emulator", transport=emulator.transport()) as client:
        login = client.post("/rest/2.0/login", json={"username": "u", "password": "p"})
        (item,) = login.json()["loginResponse"]  # S4: loginResponse[0]
        assert item["ErrorCode"] == "0" and item["SessionID"]
        client.headers["sessionid"] = item["SessionID"]
        yield client


@pytest.fixture
async def bp(emulator: BillingPlatformEmulator) -> AsyncIterator[BillingPlatformClient]:
    async with BillingPlatformClient(
        "http://emulator", "u", "p", transport=emulator.async_transport(), settings=UNPACED
    ) as client:
        yield client


def post(http: httpx.Client, entity: str, records: Any) -> Any:
    response = http.post(f"/rest/2.0/{entity}", json={"brmObjects": records})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_product_save_answers_retrieve_response_with_the_saved_record(
    http: httpx.Client,
) -> None:
    answer = post(http, "PRODUCT", {"Id": "", "Name": "Voice", "Rate": "0.05"})
    assert set(answer) == {"retrieveResponse"}
    record = answer["retrieveResponse"]  # 001@3611: an object
    assert set(record) == PRODUCT_SAVE_ANSWER
    assert record["Id"] and record["Name"] == "Voice" and record["Rate"] == "0.05"


def test_a_package_save_answers_retrieve_response_with_the_saved_record(
    http: httpx.Client,
) -> None:
    record = post(http, "PACKAGE", {"Id": "", "Name": "Gold"})["retrieveResponse"]
    assert set(record) == PACKAGE_SAVE_ANSWER and record["PackageStatus"] == "Production"


def test_the_fields_the_seeds_mark_required_are_required(http: httpx.Client) -> None:
    # 001@225: Id (string, required) on a save: a record without it is refused
    answer = post(http, "PRODUCT", [{"Name": "No Id"}])
    (failure,) = answer["retrieveResponse"]
    assert failure["success"] is False and failure["ErrorElementField"] == "Id"
    package = post(http, "PACKAGE", {"Id": "", "Name": "Gold"})["retrieveResponse"]["Id"]
    product = post(http, "PRODUCT", {"Id": "", "Name": "Voice"})["retrieveResponse"]["Id"]
    record = {"Id": "", "Name": "V", "PackageId": package, "ProductId": product, "MinQty": "0"}
    upserted = http.patch(
        "/rest/2.0/PACKAGE_PRODUCT", json={"brmObjects": [record], "externalIDFieldName": "Name"}
    ).json()["upsertResponse"]
    assert set(upserted[0]) >= UPSERT_ITEM and upserted[0]["created"] is True
    # 002:26-44: Id, Name, MinQty, PackageId required on a PUT, even when unchanged
    pp_id = str(upserted[0]["Id"])
    partial = http.put(
        "/rest/2.0/PACKAGE_PRODUCT", json={"brmObjects": [{"Id": pp_id, "MaxQty": "5"}]}
    ).json()["updateResponse"]
    assert set(partial[0]) >= UPDATE_ITEM and partial[0]["success"] is False
    full = {"Id": pp_id, "Name": "V", "MinQty": "0", "PackageId": package, "MaxQty": "5"}
    (done,) = http.put("/rest/2.0/PACKAGE_PRODUCT", json={"brmObjects": [full]}).json()[
        "updateResponse"
    ]
    assert done["success"] is True


def test_no_upsert_on_product_and_no_rows_is_the_documented_404(http: httpx.Client) -> None:
    refused = http.patch(
        "/rest/2.0/PRODUCT",
        json={"brmObjects": [{"Id": "", "Name": "Voice"}], "externalIDFieldName": "Name"},
    )
    assert refused.status_code == 400 and set(refused.json()) == ERROR_BODY
    empty = http.get("/rest/2.0/query", params={"sql": "SELECT Id FROM PRODUCT"})
    assert empty.status_code == 404 and set(empty.json()) == ERROR_BODY


@pytest.mark.anyio
async def test_the_client_accepts_each_documented_answer(
    bp: BillingPlatformClient, emulator: BillingPlatformEmulator
) -> None:
    (saved,) = await bp.create("PRODUCT", [{"Name": "Voice", "Rate": "0.05"}])  # retrieveResponse
    assert saved.success and saved.id
    assert await bp.query_all("PACKAGE", ["Id"]) == []  # the documented 404: no rows
    (package,) = await bp.upsert("PACKAGE", [{"Name": "Gold"}])  # upsertResponse (S9)
    assert package.success and package.created is True
    assert package.id is not None
    record = {"Name": "V", "PackageId": package.id, "ProductId": saved.id, "MinQty": "1"}
    (pp,) = await bp.upsert("PACKAGE_PRODUCT", [record])  # 003
    assert pp.success and pp.id is not None
    backend = BillingPlatformBackend(bp)
    live = await backend.fetch_live()
    assert len(live.resources) == 3
    # an update re-sends the required fields, unchanged ones as they are live (002:26-44)
    change = Change(
        Action.UPDATE,
        package_product_ref("Gold", "Voice"),
        remote_id=pp.id,
        fields=(FieldChange("max_qty", None, "9"),),
        values={"max_qty": "9"},
    )
    emulator.reset_stats()
    (result,) = await backend.apply_wave([change], {})
    assert result.outcome is Outcome.SUCCEEDED, result.message
    (row,) = [r for r in emulator.records("PACKAGE_PRODUCT") if r["Id"] == pp.id]
    assert (row["MaxQty"], row["MinQty"], row["Name"]) == ("9", "1", "V")
    (deleted,) = await bp.delete("PACKAGE_PRODUCT", [pp.id])  # deleteResponse (G1)
    assert deleted.success
