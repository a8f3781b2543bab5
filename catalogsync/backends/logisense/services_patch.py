"""One `PATCH Package/{id}` carrying every package-service change of one package in a wave.

LogiSense runs a standard PATCH as a single transaction (reference §7), so a package's
service changes succeed or fail together; a refusal (HTTP 400 with every error listed)
fails each of them with the API's messages. Created children come back with the
`patchClientId` the request gave them, which maps each new identity to its change.

When the outcome is unknown (connection dropped after sending), the package's services
are read back (`GET Package/{id}/Detail`) and each change is judged by what is there: a
create whose service is now in the package was applied, a delete whose record is gone
was applied, an update whose fields now hold the new values was applied. Nothing is sent
twice, so nothing can be duplicated; whatever was not applied fails and the next apply
plans it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.mapping import (
    Lookups,
    decode_fields,
    details,
    encode_fields,
)
from catalogsync.catalog import Kind, Ref
from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome

_KIND = Kind.PACKAGE_PRODUCT


class PackageServicesPatch:
    """Builds, sends and settles one package's services PATCH (see the module docstring)."""

    def __init__(self, client: LogiSenseClient, package_id: str, lookups: Lookups) -> None:
        self.client = client
        self.package_id = package_id
        self.lookups = lookups

    async def run(self, changes: Sequence[Change], ids: Mapping[Ref, str]) -> list[ChangeResult]:
        results: list[ChangeResult] = []
        items: list[tuple[Change, dict[str, Any]]] = []
        for change in changes:
            try:
                items.append((change, self._item(change, ids, len(items) + 1)))
            except KeyError as exc:
                message = str(exc.args[0]) if exc.args else str(exc)
                results.append(_failed(change, message))
        if not items:
            return results
        body = {"services": {"items": [item for _, item in items]}}
        try:
            answers = await self.client.patch("Package", self.package_id, body)
        except AuthenticationError:
            raise
        except AmbiguousWriteError as exc:
            return results + await self._settle(items, str(exc))
        except BackendError as exc:
            return results + [_failed(change, str(exc)) for change, _ in items]
        created = {a.patch_client_id: a.identity for a in answers if a.patch_client_id is not None}
        for change, item in items:
            if change.action is Action.CREATE:
                identity = created.get(item["patchClientId"])
                if identity is None:
                    results.append(_failed(change, "PATCH answer has no item for this create"))
                    continue
                results.append(ChangeResult(change.ref, Outcome.SUCCEEDED, str(identity)))
            else:
                results.append(ChangeResult(change.ref, Outcome.SUCCEEDED, change.remote_id))
        return results

    def _item(self, change: Change, ids: Mapping[Ref, str], client_id: int) -> dict[str, Any]:
        """The PATCH item of one change. Raises KeyError naming what has no id."""
        if change.action is Action.CREATE:
            service = change.ref.product
            service_id = ids.get(service) if service else None
            if service_id is None:
                raise KeyError(f"{service} has no id (it was not created)")
            values = sorted(change.values.items())
            return {
                "patchType": "create",
                "patchClientId": client_id,
                "packageId": int(self.package_id),
                "serviceId": int(service_id),
                **encode_fields(_KIND, values, self.lookups),
            }
        if change.remote_id is None:
            raise KeyError(f"{change.ref} has no id")
        identity = int(change.remote_id)
        if change.action is Action.DELETE:
            return {"patchType": "delete", "identity": identity, "id": identity}
        changed = [(f.field, f.after) for f in change.fields]
        return {
            "patchType": "update",
            "identity": identity,
            "id": identity,
            **encode_fields(_KIND, changed, self.lookups),
        }

    async def _settle(
        self, items: list[tuple[Change, dict[str, Any]]], reason: str
    ) -> list[ChangeResult]:
        try:
            package = await self.client.get_detail("Package", self.package_id)
        except BackendError as exc:
            return [_failed(c, f"{reason}; re-read failed: {exc}") for c, _ in items]
        children = details(package or {}, "services")
        by_id = {int(c["identity"]): c for c in children}
        by_service = {int(c["serviceId"]): c for c in children if c.get("serviceId") is not None}
        results = []
        for change, item in items:
            applied, identity = self._applied(change, item, by_id, by_service)
            if applied:
                results.append(ChangeResult(change.ref, Outcome.SUCCEEDED, identity))
            else:
                message = f"{reason}; re-read shows it was not applied: run apply again"
                results.append(_failed(change, message))
        return results

    def _applied(
        self,
        change: Change,
        item: Mapping[str, Any],
        by_id: Mapping[int, Mapping[str, Any]],
        by_service: Mapping[int, Mapping[str, Any]],
    ) -> tuple[bool, str | None]:
        if change.action is Action.CREATE:
            found = by_service.get(int(item["serviceId"]))
            return (found is not None, str(found["identity"]) if found else None)
        identity = int(item["identity"])
        if change.action is Action.DELETE:
            return identity not in by_id, change.remote_id
        record = by_id.get(identity)
        if record is None:
            return False, change.remote_id
        now = decode_fields(_KIND, record, self.lookups)
        return all(now.get(f.field) == f.after for f in change.fields), change.remote_id


def _failed(change: Change, message: str) -> ChangeResult:
    return ChangeResult(change.ref, Outcome.FAILED, change.remote_id, message)
