"""`catalogsync doctor` for BillingPlatform: what the documents leave open, checked on the org.

Read-only checks read RATING_METHOD, a full page of one entity and a query with a quoted
name. The write probe upserts a PRODUCT named `catalogsync-probe-<random>` (and one whose
name differs only in case), a PACKAGE and a PACKAGE_PRODUCT, changes and deletes them,
always (a failure to clean up is itself a finding naming what is left).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from catalogsync.backends.billingplatform.client import (
    MAX_PAGE_SIZE,
    BillingPlatformClient,
    build_select,
    sql_literal,
)
from catalogsync.doctor import Finding, Verdict
from catalogsync.errors import CatalogSyncError

if TYPE_CHECKING:
    from catalogsync.backends.billingplatform.backend import BillingPlatformBackend

OK, VARIANT, BAD, SKIP = Verdict.OK, Verdict.VARIANT, Verdict.INCOMPATIBLE, Verdict.NOT_CHECKED
PROBE_PREFIX = "catalogsync-probe-"


async def doctor_checks(backend: BillingPlatformBackend, *, write_probe: bool) -> list[Finding]:
    client = backend.client
    findings = [await _rating_methods(client), await _page_cap(client), await _quoting(client)]
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


async def _rating_methods(client: BillingPlatformClient) -> Finding:
    try:
        rows = await client.query_all("RATING_METHOD", ["Id", "Name"], require=("Id", "Name"))
    except CatalogSyncError as exc:
        return Finding("RATING_METHOD lookup table", "readable", str(exc), BAD)
    names = ", ".join(sorted(r["Name"] for r in rows)[:8])
    return Finding("RATING_METHOD lookup table", "readable", f"{len(rows)} rows: {names}", OK)


async def _page_cap(client: BillingPlatformClient) -> Finding:
    sql = build_select("PACKAGE_PRODUCT", ["Id"], None, "Id", (0, MAX_PAGE_SIZE))
    rows = await client.query(sql)
    if len(rows) >= MAX_PAGE_SIZE:
        observed, verdict = f"a full page of {len(rows)} rows", OK
    else:
        observed = f"{len(rows)} rows (the org holds fewer than a page; a lower cap cannot show)"
        verdict = OK
    return Finding(
        "rows a query page may hold",
        f"{MAX_PAGE_SIZE} (OFFSET … FETCH NEXT {MAX_PAGE_SIZE} ROWS ONLY)",
        observed,
        verdict,
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
        (created,) = await self.client.upsert("PRODUCT", [{"Name": self.name, "Rate": "1"}])
        if not created.success or not created.id:
            raise CatalogSyncError(f"upsert of a probe product refused: {created.error_text}")
        self.ids["PRODUCT"].append(created.id)
        return [
            Finding(
                "the answer to an upsert that creates",
                "upsertResponse with the Id and `created: true`",
                f"Id {created.id}, created {created.created!r}",
                OK if created.created is True else VARIANT,
            ),
            await self._case(created.id),
            await self._clear(created.id),
            await self._delete_referenced(created.id),
        ]

    async def _case(self, product_id: str) -> Finding:
        (other,) = await self.client.upsert("PRODUCT", [{"Name": self.name.upper(), "Rate": "2"}])
        if other.id and other.id != product_id:
            self.ids["PRODUCT"].append(other.id)
        matched = other.id == product_id
        return Finding(
            "upsert matching by Name ignores case",
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
        (package,) = await self.client.upsert("PACKAGE", [{"Name": self.name}])
        if not package.id:
            raise CatalogSyncError(f"upsert of a probe package refused: {package.error_text}")
        self.ids["PACKAGE"].append(package.id)
        record = {
            "Name": self.name,
            "PackageId": package.id,
            "ProductId": product_id,
            "MinQty": "0",
        }
        (child,) = await self.client.create("PACKAGE_PRODUCT", [record])
        if child.id:
            self.ids["PACKAGE_PRODUCT"].append(child.id)
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
