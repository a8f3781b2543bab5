"""`catalogsync doctor` for BillingPlatform: what the documents leave open, checked on the org.

Read-only checks read RATING_METHOD, a full page (and a COUNT) of the entities and a query
with a quoted name. The write probe POSTs a PRODUCT named `catalogsync-probe-<random>`, tries
an upsert of PRODUCT, POSTs a PACKAGE and a PACKAGE_PRODUCT, upserts the package-product's
name in upper case, clears a field and deletes the referenced product, then deletes every
probe record, always (a failure to clean up is itself a finding naming what is left).
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from catalogsync.backends.billingplatform.client import (
    MAX_PAGE_SIZE,
    BillingPlatformClient,
    build_select,
    sql_literal,
)
from catalogsync.backends.billingplatform.mapping import RATING_METHOD_TYPES
from catalogsync.doctor import Finding, Verdict
from catalogsync.errors import CatalogSyncError

if TYPE_CHECKING:
    from catalogsync.backends.billingplatform.backend import BillingPlatformBackend

OK, VARIANT, BAD, SKIP = Verdict.OK, Verdict.VARIANT, Verdict.INCOMPATIBLE, Verdict.NOT_CHECKED
PROBE_PREFIX = "catalogsync-probe-"


async def doctor_checks(backend: BillingPlatformBackend, *, write_probe: bool) -> list[Finding]:
    client = backend.client
    findings = [
        _columns(backend),
        await _rating_methods(client),
        await _page_cap(client),
        await _quoting(client),
    ]
    if not write_probe:
        findings.append(
            Finding(
                "write variants (create answer, upsert matching, clearing, delete of a "
                "referenced record)",
                "as the REST 2.0 documents show",
                "not probed (read-only run)",
                SKIP,
                source="run with --write-probe against a sandbox",
            )
        )
        return findings
    probe = _Probe(client)
    try:
        findings += await probe.run()
    except CatalogSyncError as exc:
        findings.append(Finding("write probe", "each step answers", str(exc), BAD))
    finally:
        findings.append(await probe.clean_up())
    return findings


def _columns(backend: BillingPlatformBackend) -> Finding:
    """The fetch (already run) found which columns the mapping reads this org lacks."""
    missing = sorted(f"{e}.{c}" for e, cols in backend.missing_columns.items() for c in cols)
    return Finding(
        "every column the mapping reads exists",
        "yes (the vendor's schema pages)",
        "missing: " + ", ".join(missing) if missing else "yes",
        VARIANT if missing else OK,  # read as empty; a catalog that sets one cannot apply
    )


async def _rating_methods(client: BillingPlatformClient) -> Finding:
    sql = build_select("RATING_METHOD", ["Id", "RatingMethodType"], None, "Id", (0, 200))
    try:
        rows = await client.query(sql, require=("Id",))
    except CatalogSyncError as exc:
        return Finding("RATING_METHOD lookup table", "readable by RatingMethodType", str(exc), BAD)
    types = sorted({r.get("RatingMethodType", "") for r in rows} - {""})
    unknown = sorted(set(types) - set(RATING_METHOD_TYPES))
    return Finding(
        "RATING_METHOD lookup table",
        "readable; types among the documented ones",
        f"{len(rows)} rows on the first page; types: {', '.join(types) or 'none'}"
        + (f" (undocumented: {', '.join(unknown)})" if unknown else ""),
        VARIANT if unknown else OK,
    )


async def _page_cap(client: BillingPlatformClient) -> Finding:
    expected = f"{MAX_PAGE_SIZE} rows (OFFSET … FETCH NEXT {MAX_PAGE_SIZE} ROWS ONLY)"
    largest = (0, 0, "PACKAGE_PRODUCT")  # (rows on the page, rows in all, entity)
    for entity in ("PACKAGE_PRODUCT", "PRODUCT", "PACKAGE"):
        rows = await client.query(build_select(entity, ["Id"], None, "Id", (0, MAX_PAGE_SIZE)))
        total = await client.count(entity)
        if len(rows) < min(total, MAX_PAGE_SIZE):
            return Finding(
                "rows a query page may hold",
                expected,
                f"{len(rows)} rows of {total} {entity} on a page (the org caps pages)",
                VARIANT,  # the client proves a read whole by COUNT and pages on
            )
        largest = max(largest, (len(rows), total, entity))
        if total >= MAX_PAGE_SIZE:
            break
    shown, total, entity = largest
    return Finding(
        "rows a query page may hold",
        expected,
        f"no cap below {shown} rows ({entity} holds {total})",
        OK,
    )


async def _quoting(client: BillingPlatformClient) -> Finding:
    name = f"{PROBE_PREFIX}O'Brien 100% _x"
    sql = build_select("PRODUCT", ["Id", "Name"], f"Name = {sql_literal(name)}", "Id", None)
    try:
        rows = await client.query(sql)
    except CatalogSyncError as exc:
        return Finding("a quoted name in a query (`''`)", "no error", str(exc), BAD)
    return Finding(
        "a quoted name in a query (`''`)",
        "answered (no rows)",
        f"answered, {len(rows)} rows",
        OK,
    )


class _Probe:
    """The disposable records of one write probe."""

    def __init__(self, client: BillingPlatformClient) -> None:
        self.client = client
        self.name = PROBE_PREFIX + secrets.token_hex(4)
        self.ids: dict[str, list[str]] = {"PACKAGE_PRODUCT": [], "PACKAGE": [], "PRODUCT": []}

    async def run(self) -> list[Finding]:
        findings = [await self._create_answer()]
        product_id = self.ids["PRODUCT"][0]
        findings.append(await self._rate_read_back(product_id))
        findings.append(await self._product_upsert())
        (package,) = await self.client.create("PACKAGE", [{"Name": self.name}])
        if not package.success or not package.id:
            raise CatalogSyncError(f"POST of a probe package refused: {package.error_text}")
        self.ids["PACKAGE"].append(package.id)
        record = {"Name": self.name, "PackageId": package.id, "ProductId": product_id}
        (child,) = await self.client.create("PACKAGE_PRODUCT", [{**record, "MinQty": "0"}])
        if not child.success or not child.id:
            raise CatalogSyncError(f"POST of a probe package-product refused: {child.error_text}")
        self.ids["PACKAGE_PRODUCT"].append(child.id)
        findings += [
            await self._case({**record, "MinQty": "1"}, child.id),
            await self._clear(product_id),
            await self._delete_referenced(product_id),
        ]
        return findings

    async def _create_answer(self) -> Finding:
        body = {"brmObjects": [{"Id": "", "Name": self.name, "Rate": "1"}]}
        response = await self.client.exchange("POST", "PRODUCT", json=body)
        answer = response.json() if response.is_success else {}
        key = next((k for k in ("retrieveResponse", "createResponse") if k in answer), "")
        rows = answer.get(key) or []
        first = rows[0] if isinstance(rows, list) and rows else {}
        if isinstance(first, dict) and first.get("Id"):
            self.ids["PRODUCT"].append(str(first["Id"]))
        else:
            raise CatalogSyncError(f"POST PRODUCT: HTTP {response.status_code}, no Id in {answer}")
        return Finding(
            "the answer to a POST (create)",
            "retrieveResponse with the saved record (seeds 000/001)",
            f"HTTP {response.status_code}, {key or 'neither retrieveResponse nor createResponse'}",
            OK if key == "retrieveResponse" else VARIANT if key else BAD,
        )

    async def _rate_read_back(self, product_id: str) -> Finding:
        sql = build_select("PRODUCT", ["Id", "Rate"], f"Id = {int(product_id)}", "Id", None)
        rows = await self.client.query(sql)
        value = rows[0].get("Rate", "") if rows else ""
        try:
            Decimal(value)
            plain = True
        except (InvalidOperation, ValueError):
            plain = False
        return Finding(
            "PRODUCT Rate as a query answers it",
            "a plain number (saved as 1)",
            f"{value!r}",
            OK if plain else VARIANT,  # display text: the client reads its one amount
        )

    async def _product_upsert(self) -> Finding:
        body = {
            "brmObjects": [{"Id": "", "Name": self.name + "-upsert", "Rate": "1"}],
            "externalIDFieldName": "Name",
        }
        response = await self.client.exchange("PATCH", "PRODUCT", json=body)
        answer = response.json() if response.is_success else {}
        results = answer.get("upsertResponse") or []
        made = [r for r in results if isinstance(r, dict) and r.get("Id")]
        ok = [r for r in made if str(r.get("success", "")).lower() in ("true", "1")]
        self.ids["PRODUCT"] += [str(r["Id"]) for r in made]
        return Finding(
            "upsert of PRODUCT keyed by Name",
            "refused (no document lists an upsert key for PRODUCT; catalogsync POSTs products)",
            "accepted" if ok else f"refused (HTTP {response.status_code})",
            VARIANT if ok else OK,
        )

    async def _case(self, record: dict[str, str], child_id: str) -> Finding:
        upper = {**record, "Name": self.name.upper()}
        (other,) = await self.client.upsert("PACKAGE_PRODUCT", [upper])
        if other.id and other.id != child_id:
            self.ids["PACKAGE_PRODUCT"].insert(0, other.id)
        matched = other.id == child_id
        return Finding(
            "upsert matching by Name ignores case (PACKAGE_PRODUCT)",
            "no: a name differing only in case is another record",
            "yes: it updated the probe" if matched else "no: it created another record",
            VARIANT if matched else OK,
        )

    async def _clear(self, product_id: str) -> Finding:
        await self.client.update("PRODUCT", [{"Id": product_id, "ExternalKey": self.name}])
        await self.client.update("PRODUCT", [{"Id": product_id, "ExternalKey": ""}])
        sql = build_select("PRODUCT", ["Id", "ExternalKey"], f"Id = {int(product_id)}", "Id", None)
        rows = await self.client.query(sql)
        value = rows[0].get("ExternalKey") if rows else None
        return Finding(
            "an empty value clears a field (PUT)",
            "the field reads back empty",
            f"ExternalKey reads {value!r}",
            OK if not value else BAD,
        )

    async def _delete_referenced(self, product_id: str) -> Finding:
        (deleted,) = await self.client.delete("PRODUCT", [product_id])
        if deleted.success:
            self.ids["PRODUCT"].remove(product_id)
        return Finding(
            "deleting a product a package-product references",
            "refused (catalogsync deletes children first and never orphans a product)",
            "deleted" if deleted.success else f"refused: {deleted.error_text.strip()[:100]}",
            VARIANT if deleted.success else OK,
        )

    async def clean_up(self) -> Finding:
        left: list[str] = []
        for entity, ids in self.ids.items():  # children first
            for record_id in ids:
                try:
                    (result,) = await self.client.delete(entity, [record_id])
                    gone = result.success or not await self._exists(entity, record_id)
                except CatalogSyncError:
                    gone = False
                if not gone:
                    left.append(f"{entity} {record_id}")
        return Finding(
            "probe records cleaned up",
            f"every {PROBE_PREFIX}* record deleted",
            "all deleted" if not left else "LEFT BEHIND: " + ", ".join(left),
            OK if not left else BAD,
        )

    async def _exists(self, entity: str, record_id: str) -> bool:
        sql = build_select(entity, ["Id"], f"Id = {int(record_id)}", "Id", None)
        return bool(await self.client.query(sql))
