"""One `PATCH Package/{id}` carrying every package-service change of one package in a wave.

LogiSense runs a standard PATCH as a single transaction (reference §7), so a package's
service changes succeed or fail together; a refusal (HTTP 400 with every error listed)
fails each of them with the API's messages. `PackagePatch` sends the items and proves
each one applied (by the answer, else by a re-read); each change gets its own result, a
created one the new record's identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.mapping import ChildItem, Lookups, encode_fields
from catalogsync.backends.logisense.package_patch import PackagePatch
from catalogsync.catalog import Kind, Ref
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome

_KIND = Kind.PACKAGE_PRODUCT


class PackageServicesPatch:
    """Builds and sends one package's services PATCH (see the module docstring)."""

    def __init__(self, client: LogiSenseClient, package_id: str, lookups: Lookups) -> None:
        self.patch = PackagePatch(client, package_id)
        self.lookups = lookups

    async def run(self, changes: Sequence[Change], ids: Mapping[Ref, str]) -> list[ChangeResult]:
        results: list[ChangeResult] = []
        sent: list[tuple[Change, ChildItem]] = []
        for change in changes:
            try:
                sent.append((change, self._item(change, ids)))
            except KeyError as exc:
                message = str(exc.args[0]) if exc.args else str(exc)
                results.append(_failed(change, message))
        outcomes = await self.patch.send([item for _, item in sent])
        for (change, _), outcome in zip(sent, outcomes, strict=True):
            if not outcome.applied:
                results.append(_failed(change, outcome.message))
                continue
            identity = outcome.identity if change.action is Action.CREATE else None
            remote_id = str(identity) if identity is not None else change.remote_id
            results.append(ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id))
        return results

    def _item(self, change: Change, ids: Mapping[Ref, str]) -> ChildItem:
        """The PATCH item of one change. Raises KeyError naming what has no id."""
        label = str(change.ref)
        if change.action is Action.CREATE:
            service = change.ref.product
            service_id = ids.get(service) if service else None
            if service_id is None:
                raise KeyError(
                    f"{service} has no id: it was not created, or its id was not returned"
                )
            values = sorted(change.values.items())
            wire = {
                "patchType": "create",
                "serviceId": int(service_id),
                **encode_fields(_KIND, values, self.lookups),
            }
            return ChildItem("services", wire, label)
        if change.remote_id is None:
            raise KeyError(f"{change.ref} has no id")
        identity = int(change.remote_id)
        if change.action is Action.DELETE:
            return ChildItem("services", {"patchType": "delete", "identity": identity}, label)
        changed = [(f.field, f.after) for f in change.fields]
        wire = {
            "patchType": "update",
            "identity": identity,
            **encode_fields(_KIND, changed, self.lookups),
        }
        return ChildItem("services", wire, label)


def _failed(change: Change, message: str) -> ChangeResult:
    return ChangeResult(change.ref, Outcome.FAILED, change.remote_id, message)
