"""Whatever JSON a client sends, the emulator answers 200 or a 4xx envelope, never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogsync.emulator.logisense import LogiSenseEmulator
from tests.conftest import examples
from tests.emulator.logisense.conftest import API, BASE

KEYS = st.sampled_from(
    [
        "name",
        "identity",
        "id",
        "patchType",
        "patchClientId",
        "details",
        "items",
        "services",
        "frequencies",
        "currencies",
        "packages",
        "serviceId",
        "packageId",
        "currencyId",
        "frequencyTypeId",
        "minimumInstances",
        "maximumInstances",
        "isActive",
        "start",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["create", "update", "delete", "", "2021-04-26T15:25:27.587Z"]),
    st.text(max_size=5),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["POST", "PUT", "PATCH"]),
    path=st.sampled_from(["Package", "Package/{p}", "Package/0", "Package/Service/{s}", "Service"]),
    body=JSON,
)
def test_no_body_makes_the_emulator_fail(method: str, path: str, body: Any) -> None:
    with (
        LogiSenseEmulator() as emu,
        httpx.Client(base_url=BASE, transport=emu.transport()) as http,
    ):
        service = emu.create("Service", name="Voice", serviceTypeId=1)["identity"]
        package = emu.create("Package", name="Gold")["identity"]
        link = emu.create("Package/Service", packageId=package, serviceId=service)["identity"]
        url = f"{API}/{path.format(p=package, s=link)}"
        headers = {"Authorization": f"Bearer {emu.login()}"}
        response = http.request(method, url, json=body, headers=headers)
        assert response.status_code in (200, 400, 404, 405), response.text
        assert "trackingId" in response.json()


FILTER_KEYS = st.sampled_from(
    [
        "filters",
        "orderBy",
        "name",
        "operator",
        "value",
        "condition",
        "direction",
        "pageNumber",
        "pageSize",
        "excludeTotalCount",
        "query",
        "search",
        "top",
        "pagination",
    ]
)
HEADER_JSON = st.recursive(
    SCALARS | st.sampled_from(["eq", "in", "contains", "name", "identity", "asc", "desc"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FILTER_KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pagination=HEADER_JSON,
    search=HEADER_JSON,
    path=st.sampled_from(["Service", "Service/Paged", "Package/Paged/Detail", "Currency/Paged"]),
)
def test_no_read_header_makes_the_emulator_fail(pagination: Any, search: Any, path: str) -> None:
    with (
        LogiSenseEmulator() as emu,
        httpx.Client(base_url=BASE, transport=emu.transport()) as http,
    ):
        emu.create("Service", name="Voice", serviceTypeId=1)
        headers = {
            "Authorization": f"Bearer {emu.login()}",
            "Pagination": json.dumps(pagination),
            "SearchRequest": json.dumps(search),
        }
        response = http.get(f"{API}/{path}", headers=headers)
        assert response.status_code in (200, 400), response.text
        searched = http.post(f"{API}/Service/Search", json=search, headers=headers)
        assert searched.status_code in (200, 400), searched.text
