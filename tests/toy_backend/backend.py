"""The toy billing system's backend: its client, its `Backend` and its opener.

Reads the three tables at once; writes one request per change (POST, PUT of the changed
fields, DELETE). A create whose answer is lost is settled by re-reading, never re-sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from catalogsync.aio import gather_or_cancel
from catalogsync.backend_api import Backend, Progress, Settled, gather_settled
from catalogsync.backends.project_settings import http_settings, settle_policy
from catalogsync.backends.settle import Settle
from catalogsync.catalog import Kind, Ref, Value, package_product_ref, package_ref, product_ref
from catalogsync.config import Project, Target
from catalogsync.doctor import Finding, Verdict
from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError, ConfigError
from catalogsync.http import AuthHook, HttpClient
from catalogsync.live import LiveCatalog, LiveResource, LookupField, LookupTable
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome
from tests.toy_backend.catalog_format import FIELDS

TABLE = {Kind.PRODUCT: "products", Kind.PACKAGE: "packages", Kind.PACKAGE_PRODUCT: "items"}
Record = dict[str, Any]


class _Login(AuthHook):
    def __init__(self, username: str, password: str) -> None:
        self._body = {"username": username, "password": password}

    async def login(self, client: HttpClient) -> dict[str, str]:
        answer = await client.request(
            "POST", "/toy/login", json=self._body, idempotent=True, authenticate=False,
            accept={401},
        )  # fmt: skip
        if answer.status_code == 401:
            raise AuthenticationError("the toy system refused the login")
        return {"Authorization": f"Bearer {answer.json()['token']}"}


class ToyBackend(Backend):
    name = "toy"

    def __init__(self, client: HttpClient, settle: Settle) -> None:
        self.client, self.settle = client, settle

    async def _read(self, path: str, key: str = "records") -> list[Any]:
        answer = await self.client.request("GET", path, idempotent=True)
        return list(answer.json()[key])

    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        products, packages, items = await gather_or_cancel(
            *(self._read(f"/toy/{table}") for table in TABLE.values())
        )
        product_names = {p["id"]: p["name"] for p in products}
        package_names = {p["id"]: p["name"] for p in packages}
        live = [LiveResource(product_ref(p["name"]), str(p["id"]), _fields(p)) for p in products]
        live += [LiveResource(package_ref(p["name"]), str(p["id"])) for p in packages]
        live += [
            LiveResource(
                package_product_ref(package_names[i["package_id"]], product_names[i["product_id"]]),
                str(i["id"]),
            )
            for i in items
            if i["package_id"] in package_names and i["product_id"] in product_names
        ]
        if progress is not None:
            progress(1, 1)
        return LiveCatalog(tuple(live))

    async def lookup_tables(
        self, fields: Collection[LookupField]
    ) -> dict[LookupField, LookupTable]:
        if (Kind.PRODUCT, "unit") not in fields:
            return {}
        units = frozenset(await self._read("/toy/units", "units"))
        return {(Kind.PRODUCT, "unit"): LookupTable("unit", units)}

    async def doctor_checks(self, *, write_probe: bool) -> list[Finding]:
        behaviour, expected = "a created product reads back", "found by its name"
        if not write_probe:
            return [Finding(behaviour, expected, "not probed (read-only run)", Verdict.NOT_CHECKED)]
        probe = {"name": f"catalogsync-probe-{secrets.token_hex(4)}", "value": "0"}
        created = await self.client.request("POST", "/toy/products", json=probe, idempotent=False)
        try:
            found = await self._find("products", probe)
        finally:
            path = f"/toy/products/{created.json()['id']}"
            await self.client.request("DELETE", path, idempotent=True, accept={404})
        observed, verdict = ("found", Verdict.OK) if found else ("missing", Verdict.INCOMPATIBLE)
        return [Finding(behaviour, expected, observed, verdict)]

    def stats(self) -> dict[str, Any]:
        return self.client.stats

    async def close(self) -> None:
        await self.client.aclose()

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        async def one(change: Change) -> list[ChangeResult]:
            return [await self._one(change, ids)]

        return await gather_settled((one(c) for c in changes), settled)

    async def _one(self, change: Change, ids: Mapping[Ref, str]) -> ChangeResult:
        table = TABLE[change.ref.kind]
        try:
            if change.action is Action.CREATE:
                return await self._create(change, table, _record(change, ids))
            remote_id = change.remote_id
            if change.action is Action.DELETE:
                path = f"/toy/{table}/{remote_id}"
                answer = await self.client.request("DELETE", path, idempotent=True, accept={404})
                gone = "already deleted" if answer.status_code == 404 else ""
                return ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id, gone)
            record = {f.field: f.after for f in change.fields}
            if change.renamed_from is not None:
                record["name"] = change.ref.name
            await self.client.request(
                "PUT", f"/toy/{table}/{remote_id}", json=record, idempotent=True
            )
            return ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id)
        except AuthenticationError:
            raise
        except (BackendError, KeyError) as exc:
            return ChangeResult(change.ref, Outcome.FAILED, change.remote_id, str(exc))

    async def _create(self, change: Change, table: str, record: Record) -> ChangeResult:
        try:
            answer = await self.client.request(
                "POST", f"/toy/{table}", json=record, idempotent=False
            )
            return ChangeResult(change.ref, Outcome.SUCCEEDED, str(answer.json()["id"]))
        except AmbiguousWriteError as exc:
            found = await self.settle.until(lambda: self._find(table, record), bool)
            if found:
                return ChangeResult(change.ref, Outcome.SUCCEEDED, found)
            return ChangeResult(
                change.ref,
                Outcome.FAILED,
                None,
                f"{exc}; not found on re-reading for {self.settle.window:g} s "
                "(settings.settle_seconds), so not created; run apply again",
            )

    async def _find(self, table: str, record: Record) -> str:
        """The id of the record a lost create made, or "" (matched by its key fields)."""
        keys = ("package_id", "product_id") if table == "items" else ("name",)
        for found in await self._read(f"/toy/{table}"):
            if all(found.get(k) == record[k] for k in keys):
                return str(found["id"])
        return ""


def _fields(record: Record) -> dict[str, Value]:
    """A product's managed fields as the catalog normalises them (a flag never empty, an
    empty text None)."""
    fields: dict[str, Value] = {k: record.get(k) or None for k in FIELDS[Kind.PRODUCT]}
    fields["active"] = bool(record.get("active"))
    return fields


def _record(change: Change, ids: Mapping[Ref, str]) -> Record:
    ref = change.ref
    if ref.kind is Kind.PACKAGE_PRODUCT:
        assert ref.package is not None and ref.product is not None
        return {"package_id": int(ids[ref.package]), "product_id": int(ids[ref.product])}
    return {"name": ref.name, **change.values}


def open_backend(project: Project, target_name: str, target: Target) -> Backend:
    settings = project.config.settings
    if target.is_emulator:
        raise ConfigError.single("the toy backend has no embedded emulator target")
    if target.username is None or target.password is None:
        raise ConfigError.single(f"target '{target_name}' needs username and password")
    username = target.username.resolve(project.root, f"target '{target_name}' username")
    password = target.password.resolve(project.root, f"target '{target_name}' password")
    client = HttpClient(
        target.url,
        settings=http_settings(settings),
        auth=_Login(username.get_secret_value(), password.get_secret_value()),
        allow_insecure_http=target.allow_insecure_http,
    )
    client.add_secret(username.get_secret_value())
    client.add_secret(password.get_secret_value())
    return ToyBackend(client, settle_policy(settings))
