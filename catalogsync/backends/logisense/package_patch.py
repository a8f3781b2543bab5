"""One `PATCH Package/{id}` changing a package's child records, and proof of each change.

Body, as the seed's PATCH sample places collections (004:760-763) and Detail output shows
a package's children (004:292-487): `{"details": {"services": {"items": [...]},
"frequencies": {...}, "currencies": {...}}}`. Every item names its package (`packageId`),
updates and deletes name their record (`identity`), creates carry a `patchClientId` (the
request sample has one) but nothing relies on it coming back: the seed's answer items are
`{identity, action, dtoTypeKey, instance}` with no echo.

A 200 is not proof that each item took effect. Each item is confirmed by the answer: a
create by an item of its `dtoTypeKey` whose `instance` holds the same natural key (the
service; the frequency and its type; the currency), an update or delete by an item with
its identity and action. Whatever the answer does not confirm, and every item of a PATCH
whose outcome is unknown (connection lost after sending), is judged by reading the package
back once (`GET Package/{id}/Detail`). Nothing is sent twice, so nothing can be
duplicated; an item the re-read does not show fails on its own, and the next apply plans
it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.mapping import ChildItem, details
from catalogsync.backends.logisense.wire import WriteResult
from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError

__all__ = ["ItemOutcome", "PackagePatch", "batches", "send_many"]

#: The `dtoTypeKey` of each child collection's records.
DTO_TYPE = {
    "services": "packageService",
    "frequencies": "packageFrequency",
    "currencies": "packageCurrency",
}
#: The fields that tell two children of one package apart (the natural key of a create).
NATURAL_KEY = {
    "services": ("serviceId",),
    "frequencies": ("frequency", "frequencyTypeId"),
    "currencies": ("currencyId",),
}
_NOT_FIELDS = frozenset({"patchType", "patchClientId", "identity", "packageId"})


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one item: applied (with the record's identity) or why not."""

    applied: bool
    identity: int | None = None
    message: str = ""


class PackagePatch:
    """Sends one package's child items and settles each of them (module docstring)."""

    def __init__(self, client: LogiSenseClient, package_id: str) -> None:
        self.client = client
        self.package_id = int(package_id)

    def body(self, items: Sequence[ChildItem]) -> dict[str, Any]:
        """The PATCH body: each item in its collection under `details`, with `packageId`."""
        return {"details": child_collections(items, self.package_id)}

    async def send(self, items: Sequence[ChildItem]) -> list[ItemOutcome]:
        """One outcome per item, in order. Raises only `AuthenticationError`."""
        if not items:
            return []
        try:
            answers = await self.client.patch("Package", self.package_id, self.body(items))
        except AuthenticationError:
            raise
        except AmbiguousWriteError as exc:
            return await self.unknown(items, str(exc))
        except BackendError as exc:
            # One transaction (ref §7): a refusal means none of the items was applied.
            return [ItemOutcome(False, message=str(exc)) for _ in items]
        return await self.settle(items, answers)

    async def settle(
        self, items: Sequence[ChildItem], answers: Sequence[WriteResult]
    ) -> list[ItemOutcome]:
        """One outcome per item: from the PATCH answer, else from a re-read."""
        outcomes: dict[int, ItemOutcome] = {}
        unconfirmed: dict[int, str] = {}
        for index, item in enumerate(items):
            found = _confirmed(item, answers, self.package_id)
            if found is None:
                unconfirmed[index] = "PATCH answered 200 but did not report this change"
            else:
                outcomes[index] = found
        if unconfirmed:
            outcomes |= await self._reread(items, unconfirmed)
        return [outcomes[index] for index in range(len(items))]

    async def unknown(self, items: Sequence[ChildItem], why: str) -> list[ItemOutcome]:
        """Outcomes of items sent in a PATCH whose outcome is unknown: by a re-read."""
        settled = await self._reread(items, {i: why for i in range(len(items))})
        return [settled[index] for index in range(len(items))]

    async def _reread(
        self, items: Sequence[ChildItem], reasons: Mapping[int, str]
    ) -> dict[int, ItemOutcome]:
        """Judge the items `reasons` names by the package's children as they are now."""
        try:
            package = await self.client.get_detail("Package", self.package_id)
        except AuthenticationError:
            raise
        except BackendError as exc:
            return {
                i: ItemOutcome(False, message=f"{why}; re-read failed: {exc}")
                for i, why in reasons.items()
            }
        outcomes = {}
        for index, why in reasons.items():
            item = items[index]
            children = details(package or {}, item.collection)
            identity = _in_state(item, children)
            if identity is None:
                message = f"{why}; a re-read shows it was not applied: run apply again"
                outcomes[index] = ItemOutcome(False, message=message)
            else:
                outcomes[index] = ItemOutcome(True, identity)
        return outcomes


def child_collections(items: Sequence[ChildItem], package_id: int | None) -> dict[str, Any]:
    """A package's child items by collection (`{"services": {"items": [...]}, ...}`), each
    naming the package (unless it is being created: None); creates numbered by
    `patchClientId` (never relied on)."""
    collections: dict[str, Any] = {}
    for number, item in enumerate(items, start=1):
        wire = dict(item.wire) if package_id is None else {**item.wire, "packageId": package_id}
        if item.kind == "create":
            wire["patchClientId"] = number
        collections.setdefault(item.collection, {"items": []})["items"].append(wire)
    return collections


def batches(sizes: Sequence[int], limit: int) -> list[list[int]]:
    """Indexes of `sizes` packed in order into runs of at most `limit` in total; a size
    above `limit` runs alone."""
    runs: list[list[int]] = []
    total = 0
    for index, size in enumerate(sizes):
        if not runs or total + size > limit:
            runs.append([])
            total = 0
        runs[-1].append(index)
        total += size
    return runs


async def send_many(
    client: LogiSenseClient, groups: Mapping[int, Sequence[ChildItem]]
) -> dict[int, list[ItemOutcome]] | None:
    """Several packages' child items in one `PATCH Package/{id}`: each package a
    `patchType: update` item of `packages.items` (seed 004:758-780) naming it by `identity`,
    its children in the item's `details`; the path names the first of them. One outcome
    per item, by package; None when the PATCH was refused (one transaction: nothing was
    written, and the caller sends each package on its own). Raises only
    `AuthenticationError`."""
    patches = {package_id: PackagePatch(client, str(package_id)) for package_id in groups}
    body = {
        "packages": {
            "items": [
                {
                    "patchType": "update",
                    "identity": package_id,
                    "details": child_collections(items, package_id),
                }
                for package_id, items in groups.items()
            ]
        }
    }
    try:
        answers = await client.patch("Package", next(iter(groups)), body)
    except AuthenticationError:
        raise
    except AmbiguousWriteError as exc:
        return {p: await patches[p].unknown(items, str(exc)) for p, items in groups.items()}
    except BackendError:
        return None
    return {p: await patches[p].settle(items, answers) for p, items in groups.items()}


def _confirmed(
    item: ChildItem, answers: Sequence[WriteResult], package_id: int
) -> ItemOutcome | None:
    """The answer item that reports `item` (a child of `package_id`) as done, as an
    outcome; None if there is none."""
    dto = DTO_TYPE[item.collection]
    for answer in answers:
        if answer.dto_type_key and answer.dto_type_key != dto:
            continue
        if item.kind == "create":
            instance = answer.instance or {}
            if instance.get("packageId", package_id) != package_id:
                continue  # the same child created in another package of the request
            if answer.action == "created" and _same_key(item, instance):
                identity = answer.identity or instance.get("identity")
                return ItemOutcome(True, int(identity)) if identity is not None else None
        elif answer.identity == item.identity and answer.action == f"{item.kind}d":
            return ItemOutcome(True, item.identity)
    return None


def _in_state(item: ChildItem, children: Sequence[Mapping[str, Any]]) -> int | None:
    """The identity of the record showing `item` applied in the package's children (for a
    delete: the gone record's), or None when it is not applied."""
    if item.kind == "create":
        found = [c for c in children if _same_key(item, c)]
        return int(found[0]["identity"]) if found else None
    record = next((c for c in children if c.get("identity") == item.identity), None)
    if item.kind == "delete":
        return item.identity if record is None else None
    if record is None:
        return None
    fields = {k: v for k, v in item.wire.items() if k not in _NOT_FIELDS}
    return item.identity if all(record.get(k) == v for k, v in fields.items()) else None


def _same_key(item: ChildItem, record: Mapping[str, Any]) -> bool:
    return all(record.get(k) == item.wire.get(k) for k in NATURAL_KEY[item.collection])
