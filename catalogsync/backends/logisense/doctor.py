"""`catalogsync doctor` for LogiSense: the behaviours docs/vendor-api.md ("LogiSense REST v8",
"Open assumptions") could not settle, checked on the tenant.

Read-only checks read lookup rows and `Service/Paged`. The write probe creates a service
and a package named `catalogsync-probe-<random>`, changes them, and deletes them, always
(a failure to clean up is itself a finding naming what is left). Each check says what
catalogsync expects (the strict reading of the v8 documents), what the tenant did, and
whether catalogsync handles the difference (VARIANT) or cannot (INCOMPATIBLE).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from catalogsync.doctor import Finding, Verdict
from catalogsync.errors import CatalogSyncError

if TYPE_CHECKING:
    from catalogsync.backends.logisense.backend import LogiSenseBackend

OK, VARIANT, BAD, SKIP = Verdict.OK, Verdict.VARIANT, Verdict.INCOMPATIBLE, Verdict.NOT_CHECKED
PROBE_PREFIX = "catalogsync-probe-"
_LEDGER = "docs/vendor-api.md, LogiSense open assumption"


async def doctor_checks(backend: LogiSenseBackend, *, write_probe: bool) -> list[Finding]:
    client = backend.client
    findings = [
        await _currency_codes(client),
        *await _paging(client),
        await _missing_detail(client),
    ]
    if not write_probe:
        findings.append(
            Finding(
                "write variants (create answer, PATCH children, clearing, delete cascade)",
                "as the v8 documents show",
                "not probed (read-only run)",
                SKIP,
                source="run with --write-probe against a sandbox",
            )
        )
        return findings
    probe = _Probe(backend)
    try:
        findings += await probe.run()
    finally:
        findings.append(await probe.clean_up())
    return findings


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    items = (body.get("results") or {}).get("items") if isinstance(body, dict) else None
    return [i for i in items or [] if isinstance(i, dict)]


async def _currency_codes(client: Any) -> Finding:
    response = await client.exchange("GET", "Currency/")
    rows = response.json().get("items", []) if response.is_success else []
    coded = [r for r in rows if isinstance(r, dict) and r.get("code")]
    observed = f"{len(coded)} of {len(rows)} Currency rows carry `code`"
    verdict = OK if rows and len(coded) == len(rows) else VARIANT
    if not rows:
        observed, verdict = f"GET Currency/ answered HTTP {response.status_code}", BAD
    return Finding(
        "Currency rows name their ISO code in `code`",
        "every row has `code` (else currencies are matched by name)",
        observed,
        verdict,
        source=f"{_LEDGER} 1",
    )


async def _page(client: Any, number: int, size: int) -> tuple[int, dict[str, Any]]:
    header = json.dumps({"pageNumber": number, "pageSize": size, "excludeTotalCount": False})
    response = await client.exchange("GET", "Service/Paged", headers={"Pagination": header})
    body = response.json() if response.is_success else {}
    return response.status_code, body if isinstance(body, dict) else {}


async def _paging(client: Any) -> list[Finding]:
    status, body = await _page(client, 1, client.page_size)
    results = body.get("pagedResults") or {}
    items, total = results.get("items") or [], results.get("totalCount")
    counted = Finding(
        "`excludeTotalCount: false` gives a numeric `totalCount`",
        "a number",
        f"HTTP {status}, totalCount {total!r}",
        OK if isinstance(total, int) else VARIANT,  # uncounted: the client pages to an empty page
        source=f"{_LEDGER} 7",
    )
    if isinstance(total, int) and len(items) < min(total, client.page_size):
        cap = Finding(
            "largest page size",
            f"{client.page_size} rows a page",
            f"{len(items)} rows on a page of {total} (the tenant caps pages)",
            VARIANT,  # the client pages by what one page really held
            source=f"{_LEDGER} 6",
        )
    else:
        cap = Finding(
            "largest page size",
            f"{client.page_size} rows a page",
            f"no cap below {len(items)} rows (the tenant holds {total} services)",
            OK,
            source=f"{_LEDGER} 6",
        )
    if not isinstance(total, int) or total < 2:
        order = Finding(
            "Paged rows in a stable order, pages numbered from 1",
            "the same rows on page 1 twice",
            "not checked: fewer than 2 services",
            SKIP,
            source=f"{_LEDGER} 5",
        )
    else:
        first = [r.get("identity") for r in (await _page(client, 1, 1))[1]["pagedResults"]["items"]]
        again = [r.get("identity") for r in (await _page(client, 1, 1))[1]["pagedResults"]["items"]]
        second = [
            r.get("identity") for r in (await _page(client, 2, 1))[1]["pagedResults"]["items"]
        ]
        stable = first == again and first != second and len(first) == 1
        order = Finding(
            "Paged rows in a stable order, pages numbered from 1",
            "page 1 twice gives the same row; page 2 another",
            f"page 1: {first}, again: {again}, page 2: {second}",
            OK if stable else VARIANT,  # listings are proven whole or refused
            source=f"{_LEDGER} 5",
        )
    return [counted, cap, order]


async def _identities(client: Any, number: int) -> list[Any]:
    """The identities on page `number` of one-row pages."""
    body = (await _page(client, number, 1))[1]
    return [r.get("identity") for r in (body.get("pagedResults") or {}).get("items") or []]


async def _missing_detail(client: Any) -> Finding:
    response = await client.exchange("GET", "Package/2147483000/Detail")
    return Finding(
        "a missing record's Detail",
        "HTTP 404",
        f"HTTP {response.status_code}",
        OK if response.status_code == 404 else VARIANT,
        source=f"{_LEDGER} 9",
    )


class _Probe:
    """The disposable objects of one write probe, and what they showed."""

    def __init__(self, backend: LogiSenseBackend) -> None:
        self.backend = backend
        self.client = backend.client
        self.name = PROBE_PREFIX + secrets.token_hex(4)
        self.service: int | None = None
        self.package: int | None = None

    async def run(self) -> list[Finding]:
        lookups = await self.backend.lookups()
        service_type = min(lookups.names.get("ServiceType", {}) or {0: ""})
        currencies = sorted(lookups.names.get("Currency", {})) or [0]
        # two currencies: the package gets the first by `details`, the second at top level
        currency, other = currencies[0], currencies[-1]
        findings: list[Finding] = []
        steps: list[Callable[[], Awaitable[Finding | list[Finding]]]] = [
            lambda: self._create_service(service_type),
            self._clear_field,
            self._create_package,
            lambda: self._patch_children(currency),
            lambda: self._top_level_children(other),
            self._delete_referenced,
        ]
        for step in steps:
            try:
                found = await step()
            except (CatalogSyncError, httpx.HTTPError, KeyError, ValueError) as exc:
                findings.append(Finding("write probe", "each step answers", str(exc), BAD))
                break
            findings += found if isinstance(found, list) else [found]
        return findings

    async def _create_service(self, service_type: int) -> list[Finding]:
        response = await self.client.exchange(
            "POST", "Service", json={"name": self.name, "serviceTypeId": service_type}
        )
        items = _items(response)
        item = items[0] if items else {}
        wrapped = "instance" in item and "dtoTypeKey" in item
        identity = item.get("identity") or (item.get("instance") or {}).get("identity")
        self.service = int(identity) if identity is not None else None
        status = response.status_code
        return [
            Finding(
                "POST status of a create",
                "HTTP 200 (v8 sample)",
                f"HTTP {status}",
                OK if status == 200 else VARIANT if response.is_success else BAD,
                source=f"{_LEDGER} 8",
            ),
            Finding(
                "shape of a create's result item",
                "the created object itself (v8 sample)",
                "wrapped as {identity, action, dtoTypeKey, instance}"
                if wrapped
                else "the created object"
                if identity is not None
                else f"no identity in {str(items)[:120]}",
                OK if identity is not None and not wrapped else VARIANT if wrapped else BAD,
            ),
        ]

    async def _clear_field(self) -> Finding:
        if self.service is None:
            raise ValueError("the probe service's create named no identity")
        path = f"Service/{self.service}"
        await self.client.exchange("PUT", path, json={"description": "probe"})
        await self.client.exchange("PUT", path, json={"description": None})
        detail = await self.client.get_detail("Service", self.service or 0)
        value = (detail or {}).get("description")
        return Finding(
            "a null value clears a field (PUT)",
            "the field is empty afterwards",
            f"description is {value!r}",
            OK if value in (None, "") else BAD,
        )

    async def _create_package(self) -> Finding:
        response = await self.client.exchange("POST", "Package", json={"name": self.name})
        items = _items(response)
        item = items[0] if items else {}
        identity = item.get("identity") or (item.get("instance") or {}).get("identity")
        self.package = int(identity) if identity is not None else None
        return Finding(
            "create a package",
            "a 2xx answer naming the package",
            f"HTTP {response.status_code}, identity {identity}",
            OK if identity is not None else BAD,
        )

    async def _patch_children(self, currency: int) -> list[Finding]:
        if self.package is None:
            raise ValueError("the probe package's create named no identity")
        item = {"patchType": "create", "patchClientId": 1, "currencyId": currency}
        body = {"details": {"currencies": {"items": [{**item, "packageId": self.package}]}}}
        response = await self.client.exchange("PATCH", f"Package/{self.package}", json=body)
        echoed = any(i.get("patchClientId") == 1 for i in _items(response))
        detail = await self.client.get_detail("Package", self.package or 0)
        children = ((detail or {}).get("details") or {}).get("currencies") or []
        return [
            Finding(
                "PATCH child items are read from the body's `details`",
                "the currency is there on re-read",
                f"HTTP {response.status_code}; {len(children)} currency on re-read",
                OK if children else BAD,
                source=f"{_LEDGER} 2",
            ),
            Finding(
                "PATCH result items echo `patchClientId`",
                "no echo (not documented; the client matches items by natural key)",
                "echoed" if echoed else "not echoed",
                VARIANT if echoed else OK,
            ),
        ]

    async def _top_level_children(self, currency: int) -> Finding:
        item = {"patchType": "create", "currencyId": currency, "packageId": self.package}
        response = await self.client.exchange(
            "PATCH", f"Package/{self.package}", json={"currencies": {"items": [item]}}
        )
        accepted = response.is_success
        said = "accepted" if accepted else f"refused: {' '.join(response.text.split())[:120]}"
        return Finding(
            "PATCH child collections at the body's top level",
            "refused (only `details` is documented; catalogsync sends `details`)",
            f"HTTP {response.status_code}: {said}",
            VARIANT if accepted else OK,
        )

    async def _delete_referenced(self) -> Finding:
        item = {"patchType": "create", "serviceId": self.service, "packageId": self.package}
        body = {"details": {"services": {"items": [{**item, "patchClientId": 1}]}}}
        await self.client.exchange("PATCH", f"Package/{self.package}", json=body)
        response = await self.client.exchange("DELETE", f"Service/{self.service}")
        if response.is_success:
            self.service = None
        return Finding(
            "deleting a service a package still holds",
            "refused, or cascades with a report (catalogsync deletes children first)",
            f"HTTP {response.status_code}: {'deleted' if response.is_success else 'refused'}",
            OK,
        )

    async def clean_up(self) -> Finding:
        left: list[str] = []
        for resource, identity in (("Package", self.package), ("Service", self.service)):
            if identity is None:
                continue
            try:
                response = await self.client.exchange("DELETE", f"{resource}/{identity}")
                if not (response.is_success or response.status_code == 404):
                    left.append(f"{resource} {identity} (HTTP {response.status_code})")
            except (CatalogSyncError, httpx.HTTPError) as exc:
                left.append(f"{resource} {identity} ({exc})")
        return Finding(
            "probe objects cleaned up",
            f"every {PROBE_PREFIX}* object deleted",
            "all deleted" if not left else "LEFT BEHIND: " + ", ".join(left),
            OK if not left else BAD,
        )
