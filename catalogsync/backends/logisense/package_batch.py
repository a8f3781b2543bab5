"""Package creates of one wave, several packages in each `PATCH Package/{id}`.

Seed 004:754-780: `PATCH Package/{id}` "Update or Add the Package object … Patch end points
allow for adding/updating multiple related entities", its body a `packages.items` list of
`patchType: create` items. Each item carries the package's fields and its frequencies and
currencies in its own `details`, the way Detail output nests a package's children
(004:292-487; that a created item's `details` is read is assumed, docs/vendor-api.md).
The path names an existing package: a live one, or, when there is none, the first package,
created alone (`POST Package/`, then its children) first.

A PATCH is one transaction (reference §7): a refused batch (HTTP 400) created nothing, and
its packages are created again one at a time, so a bad package fails alone. A created
package is found in the answer by its `instance.name`, its children by their package and
natural key (`PackagePatch.settle`); a package the answer does not show, or every package of
a batch whose outcome is unknown (connection lost), is looked for by name in a re-read
(for `settings.settle_seconds`) and never sent twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from catalogsync.aio import gather_or_cancel
from catalogsync.backend_api import Settled, gather_settled, started_ahead, tell_settled
from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.mapping import (
    CHILD_FIELDS,
    ChildItem,
    Lookups,
    child_patch_items,
    encode_fields,
)
from catalogsync.backends.logisense.package_patch import (
    ItemOutcome,
    PackagePatch,
    batches,
    child_collections,
)
from catalogsync.backends.settle import Settle
from catalogsync.catalog import Kind
from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError
from catalogsync.plan import Change
from catalogsync.report import ChangeResult, Outcome

__all__ = ["PackageCreates"]

#: Creates one package on its own (POST, then the PATCH of its children): the fallback.
CreateOne = Callable[[Change], Awaitable[list[ChangeResult]]]


@dataclass(frozen=True)
class _Create:
    change: Change
    record: dict[str, Any]
    children: list[ChildItem]

    @property
    def name(self) -> str:
        return self.change.ref.name


class PackageCreates:
    """Creates a wave's packages in batches (see the module docstring)."""

    def __init__(
        self,
        client: LogiSenseClient,
        lookups: Lookups,
        one: CreateOne,
        *,
        batch_size: int,
        settle: Settle,
    ) -> None:
        self.client = client
        self.lookups = lookups
        self.one = one
        self.batch_size = batch_size
        self.settle = settle

    async def run(
        self, changes: Sequence[Change], anchor: str | None, settled: Settled | None = None
    ) -> list[ChangeResult]:
        """One result per change; `anchor`: a live package's id, for the PATCH path;
        `settled` told of each request's or batch's packages as it ends."""
        results: list[ChangeResult] = []
        creates: list[_Create] = []
        for change in changes:
            try:
                creates.append(self._prepare(change))
            except KeyError as exc:
                results.append(_failed(change, str(exc.args[0]) if exc.args else str(exc)))
        tell_settled(settled, results)
        if creates and anchor is None:
            first = await self.one(creates.pop(0).change)
            tell_settled(settled, first)
            results += first
            anchor = first[0].remote_id if first else None
        if not creates:
            return results
        if anchor is None:  # no package to name in a PATCH path: one at a time
            jobs = [self.one(create.change) for create in creates]
        else:
            runs = batches([1 + len(c.children) for c in creates], self.batch_size)
            jobs = [self._batch(anchor, [creates[i] for i in run]) for run in runs]
        return results + await gather_settled(
            jobs, settled, at_once=started_ahead(self.client.concurrency)
        )

    def _prepare(self, change: Change) -> _Create:
        """The create item's fields and children. Raises KeyError for an unknown lookup."""
        values = sorted((k, v) for k, v in change.values.items() if k not in CHILD_FIELDS)
        record = {"name": change.ref.name, **encode_fields(Kind.PACKAGE, values, self.lookups)}
        children: list[ChildItem] = []
        for collection in CHILD_FIELDS:
            wanted = change.values.get(collection)
            names = tuple(wanted) if isinstance(wanted, tuple) else ()
            if collection in change.values:
                children += child_patch_items(collection, (), names, {}, self.lookups)
        return _Create(change, record, children)

    async def _batch(self, anchor: str, creates: list[_Create]) -> list[ChangeResult]:
        items = []
        for number, create in enumerate(creates, start=1):
            item = {"patchType": "create", "patchClientId": number, **create.record}
            if create.children:
                item["details"] = child_collections(create.children, None)
            items.append(item)
        try:
            answers = await self.client.patch("Package", anchor, {"packages": {"items": items}})
        except AuthenticationError:
            raise
        except AmbiguousWriteError as exc:
            return await self._found_by_name(creates, str(exc))
        except BackendError:
            # one transaction: nothing was created; each package on its own, so a bad one
            # fails alone with the API's words
            done = await gather_or_cancel(*(self.one(c.change) for c in creates))
            return [result for results in done for result in results]
        created = {
            str(instance.get("name")): int(identity)
            for answer in answers
            if answer.action == "created" and answer.dto_type_key in ("", "package")
            for instance in [answer.instance or {}]
            if "packageId" not in instance
            for identity in [answer.identity or instance.get("identity")]
            if identity is not None
        }
        shown = [c for c in creates if c.name in created]
        results = [
            _outcome(
                c,
                created[c.name],
                await PackagePatch(self.client, str(created[c.name])).settle(c.children, answers),
            )
            for c in shown
        ]
        missing = [c for c in creates if c.name not in created]
        if missing:
            why = "PATCH answered 200 but did not report this package"
            results += await self._found_by_name(missing, why)
        return results

    async def _found_by_name(self, creates: list[_Create], why: str) -> list[ChangeResult]:
        """After a batch whose outcome is unclear: each package as a re-read finds it."""
        wanted = {c.name for c in creates}

        async def read() -> dict[str, int]:
            found: dict[str, int] = {}
            for record in await self.client.paged("Package", detail=False):
                name = record.get("name")
                if name in wanted and name not in found:
                    found[str(name)] = int(record["identity"])
            return found

        found = await self.settle.until(read, lambda found: wanted <= set(found))
        results = []
        for create in creates:
            identity = found.get(create.name)
            if identity is None:
                message = (
                    f"{why}; not found on re-reading for {self.settle.window:g} s "
                    "(settings.settle_seconds), so not created; run apply again"
                )
                results.append(_failed(create.change, message))
                continue
            patch = PackagePatch(self.client, str(identity))
            outcomes = await patch.unknown(create.children, why) if create.children else []
            results.append(_outcome(create, identity, outcomes))
        return results


def _outcome(create: _Create, identity: int, children: Sequence[ItemOutcome]) -> ChangeResult:
    """Created; failed if a child was not applied (as a POSTed package whose children
    PATCH failed)."""
    failed: dict[str, list[str]] = {}
    for item, outcome in zip(create.children, children, strict=True):
        if not outcome.applied:
            failed.setdefault(outcome.message, []).append(item.label)
    if not failed:
        return ChangeResult(create.change.ref, Outcome.SUCCEEDED, str(identity))
    reasons = "; ".join(f"{', '.join(labels)}: {why}" for why, labels in failed.items())
    message = f"created, but its frequencies/currencies were not all changed: {reasons}"
    return ChangeResult(create.change.ref, Outcome.FAILED, str(identity), message)


def _failed(change: Change, message: str) -> ChangeResult:
    return ChangeResult(change.ref, Outcome.FAILED, change.remote_id, message)
