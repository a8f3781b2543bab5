"""The package-service changes of one wave: several packages in each `PATCH Package/{id}`.

LogiSense runs a standard PATCH as a single transaction (reference §7). The packages of a
wave go `batch_size` patch items at a time into one PATCH (`package_patch.send_many`: a
`packages.items` update item per package, its service items in its `details`), a package
never split over two requests, so a package's service changes still land together or not
at all. A refused PATCH (HTTP 400, nothing written) is sent again one package at a time
(`PackagePatch`), so one package's bad change fails that package alone, with the API's
messages. Each item is proven applied (by the answer, else by a re-read); each change gets
its own result, a created one the new record's identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from catalogsync.backend_api import Settled, gather_settled, started_ahead, tell_settled
from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.mapping import ChildItem, Lookups, encode_fields
from catalogsync.backends.logisense.package_patch import (
    ItemOutcome,
    PackagePatch,
    batches,
    send_many,
)
from catalogsync.catalog import Kind, Ref
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome

__all__ = ["write_package_services"]

_KIND = Kind.PACKAGE_PRODUCT
_Sent = list[tuple[Change, ChildItem]]


async def write_package_services(
    client: LogiSenseClient,
    lookups: Lookups,
    by_package: Mapping[str, Sequence[Change]],
    ids: Mapping[Ref, str],
    batch_size: int,
    settled: Settled | None = None,
) -> list[ChangeResult]:
    """One result per change of `by_package` (package id → its package-service changes);
    `settled` told of each PATCH's changes as it ends."""
    results: list[ChangeResult] = []
    sent: dict[int, _Sent] = {}
    for package_id, changes in sorted(by_package.items()):
        items: _Sent = []
        for change in changes:
            try:
                items.append((change, _item(change, ids, lookups)))
            except KeyError as exc:
                results.append(_failed(change, str(exc.args[0]) if exc.args else str(exc)))
        if items:
            sent[int(package_id)] = items
    packages = list(sent)
    runs = batches([len(sent[p]) + 1 for p in packages], batch_size)
    groups = [{p: sent[p] for p in (packages[i] for i in run)} for run in runs]
    tell_settled(settled, results)
    return results + await gather_settled(
        (_send(client, group) for group in groups),
        settled,
        at_once=started_ahead(client.concurrency),
    )


async def _send(client: LogiSenseClient, group: dict[int, _Sent]) -> list[ChangeResult]:
    items = {p: [item for _, item in pairs] for p, pairs in group.items()}
    outcomes = await send_many(client, items) if len(group) > 1 else None
    if outcomes is None:  # one package, or a refused batch: each package on its own
        outcomes = {p: await PackagePatch(client, str(p)).send(i) for p, i in items.items()}
    return [
        _result(change, outcome)
        for p, pairs in group.items()
        for (change, _), outcome in zip(pairs, outcomes[p], strict=True)
    ]


def _result(change: Change, outcome: ItemOutcome) -> ChangeResult:
    if not outcome.applied:
        return _failed(change, outcome.message)
    identity = outcome.identity if change.action is Action.CREATE else None
    remote_id = str(identity) if identity is not None else change.remote_id
    return ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id)


def _item(change: Change, ids: Mapping[Ref, str], lookups: Lookups) -> ChildItem:
    """The PATCH item of one change. Raises KeyError naming what has no id."""
    label = str(change.ref)
    if change.action is Action.CREATE:
        service = change.ref.product
        service_id = ids.get(service) if service else None
        if service_id is None:
            raise KeyError(f"{service} has no id: it was not created, or its id was not returned")
        values = sorted(change.values.items())
        wire = {
            "patchType": "create",
            "serviceId": int(service_id),
            **encode_fields(_KIND, values, lookups),
        }
        return ChildItem("services", wire, label)
    if change.remote_id is None:
        raise KeyError(f"{change.ref} has no id")
    identity = int(change.remote_id)
    if change.action is Action.DELETE:
        return ChildItem("services", {"patchType": "delete", "identity": identity}, label)
    changed = [(f.field, f.after) for f in change.fields]
    wire = {"patchType": "update", "identity": identity, **encode_fields(_KIND, changed, lookups)}
    return ChildItem("services", wire, label)


def _failed(change: Change, message: str) -> ChangeResult:
    return ChangeResult(change.ref, Outcome.FAILED, change.remote_id, message)
