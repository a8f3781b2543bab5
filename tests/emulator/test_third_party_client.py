"""forgineer's `billingplatform` client (PyPI, 0.3.0), unchanged, against `emulator serve`.

It is the documented flow of an existing client: login -> query (and page_query, which
stops on 404) -> create -> upsert -> update -> retrieve -> delete -> logout. It uses
`requests`, builds its own URLs (`{base}/rest/2.0/...`, `/delete/{ENTITY}`), sends the
`sessionid` header, and raises on any non-200 status.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from billingplatform import BillingPlatform  # type: ignore[import-untyped]
from billingplatform.exceptions import (  # type: ignore[import-untyped]
    BillingPlatform401Exception,
    BillingPlatform404Exception,
    BillingPlatform500Exception,
)

from tests.emulator.conftest import ServeProcess

pytestmark = pytest.mark.loopback


def test_the_documented_flow_works_unchanged(
    serve_process: Callable[..., ServeProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    # This public client reads `createResponse` (the vendor's schema pages): that profile.
    monkeypatch.setenv("CATALOGSYNC_EMULATOR_CREDENTIALS", "api.user:secret")
    proc = serve_process("--quiet", "--profile", "create-response")
    # A real base URL carries the org: https://sandbox.billingplatform.com/acme
    bp = BillingPlatform(
        base_url=f"{proc.url}/acme", username="api.user", password="secret", logout_at_exit=False
    )

    methods = bp.query("SELECT Id, RatingMethodType FROM RATING_METHOD")["queryResponse"]
    subscription = next(m for m in methods if m["RatingMethodType"] == "Subscription")

    # The seeds mark Id required on a save: it is sent empty, as public client code does.
    created = bp.create("PACKAGE", {"Id": "", "Name": "Gold", "PackageStatus": "In Development"})
    package_id = created["createResponse"][0]["Id"]
    products = bp.create(
        "PRODUCT",
        [
            {"Id": "", "Name": "Voice", "Rate": "0.05", "RatingMethodId": subscription["Id"]},
            {"Id": "", "Name": "O'Brien Zoë"},
        ],
    )["createResponse"]
    assert [p["ErrorCode"] for p in products] == ["0", "0"]
    voice_id = products[0]["Id"]

    upserted = bp.upsert(
        "PACKAGE_PRODUCT",
        [
            {
                "Id": "",
                "Name": "Voice in Gold",
                "PackageId": package_id,
                "ProductId": voice_id,
                "MinQty": "1",
            }
        ],
        externalIDFieldName="Name",
    )["upsertResponse"][0]
    assert upserted["success"] is True and upserted["created"] is True
    again = bp.upsert(
        "PACKAGE_PRODUCT",
        {"Id": "", "Name": "Voice in Gold", "PackageId": package_id, "MinQty": "1", "MaxQty": "10"},
        externalIDFieldName="Name",
    )["upsertResponse"][0]
    assert again["created"] is False and again["Id"] == upserted["Id"]

    updated = bp.update("PRODUCT", {"Id": voice_id, "Name": "Voice", "Rate": "0.04"})
    updated = updated["updateResponse"][0]
    assert updated["success"] is True
    record = bp.retrieve_by_id("PRODUCT", voice_id)["retrieveResponse"][0]
    assert record["Rate"] == "0.04" and record["Name"] == "Voice"
    found = bp.retrieve_by_query("PRODUCT", "Name = 'O''Brien Zoë'")["retrieveResponse"]
    assert [r["Name"] for r in found] == ["O'Brien Zoë"]

    pages = list(bp.page_query("SELECT Id, Name FROM PRODUCT ORDER BY Name", page_size=1))
    assert [page["queryResponse"][0]["Name"] for page in pages] == ["O'Brien Zoë", "Voice"]

    deleted = bp.delete("PACKAGE_PRODUCT", {"Id": upserted["Id"]})["deleteResponse"][0]
    assert deleted["success"] is True
    refused = bp.delete("PRODUCT", [{"Id": voice_id}, {"Id": "1"}])["deleteResponse"]
    assert [r["success"] for r in refused] == [True, False]
    with pytest.raises(BillingPlatform404Exception):
        bp.retrieve_by_id("PRODUCT", voice_id)

    bp.logout()
    with pytest.raises(BillingPlatform500Exception) as expired:
        bp.query("SELECT Id FROM PACKAGE")
    assert "INVALID_SESSION_ID" in expired.value.message


def test_wrong_credentials_raise_the_clients_401(
    serve_process: Callable[..., ServeProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    # This public client reads `createResponse` (the vendor's schema pages): that profile.
    monkeypatch.setenv("CATALOGSYNC_EMULATOR_CREDENTIALS", "api.user:secret")
    proc = serve_process("--quiet", "--profile", "create-response")
    with pytest.raises(BillingPlatform401Exception):
        BillingPlatform(
            base_url=proc.url, username="api.user", password="nope", logout_at_exit=False
        )
