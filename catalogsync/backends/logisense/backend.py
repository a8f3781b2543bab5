"""LogiSenseBackend: fetch the live catalog and write waves of changes.

Reads: the lookup tables once per run, then `Service/Paged` and `Package/Paged/Detail`
(a package's services, frequencies and currencies come with it), concurrently.

Writes, per wave:
- services one request each, run concurrently (`HttpClient` bounds the concurrency and the
  rate): POST creates (no multi-object create is documented for Service), PUT updates of
  only the changed fields, DELETE; package updates and deletes likewise;
- package creates go `batch_size` patch items at a time into `PATCH Package/{id}` requests
  whose `packages.items` carry one `patchType: create` item per package with its
  frequencies and currencies in its `details` (`package_batch.py`; seed 004:754-780); the
  path names a live package, or the first package, POSTed alone when none exists; a
  refused batch is created again one package at a time (a POST, then the PATCH of its
  frequencies and currencies);
- package services (package-products): one `packages.items` update item per package
  carrying every create / update / delete of that package's services in the wave, several
  packages a PATCH (`services_patch.py`): LogiSense runs a PATCH as one transaction, so a
  package's changes land together or not at all.
Child items go in the body's `details` with `packageId` on each; `PackagePatch` proves each
item applied from the answer (created children by their natural key in the answer's
`instance`, never by an echoed `patchClientId`) or, failing that, by reading the package
back.

A create must not duplicate on retry. `HttpClient` never retries a POST or PATCH whose
outcome is unknown; it raises `AmbiguousWriteError`, and the backend re-reads: a service or
package found under its name is adopted (seen on any page, even of a listing the apply's
other creates change while it is read), a PATCH is judged by the package's children as
they are now. Failures are reported per change (ChangeResult), never raised, except for
authentication.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalogsync.aio import gather_or_cancel
from catalogsync.backend_api import (
    Backend,
    Progress,
    Settled,
    gather_settled,
    started_ahead,
)
from catalogsync.backends.logisense.catalog_format import split_frequency
from catalogsync.backends.logisense.client import ListingChanged, LogiSenseClient
from catalogsync.backends.logisense.live_rows import LiveRows
from catalogsync.backends.logisense.mapping import (
    CHILD_FIELDS,
    LOOKUP_TABLES,
    PACKAGE_DETAIL,
    RESOURCE,
    SERVICE,
    SPECS,
    ChildItem,
    Lookups,
    PackageChildren,
    Record,
    child_patch_items,
    encode_fields,
)
from catalogsync.backends.logisense.package_batch import PackageCreates
from catalogsync.backends.logisense.package_patch import PackagePatch
from catalogsync.backends.logisense.reads import LOOKUP_PATHS
from catalogsync.backends.logisense.services_patch import write_package_services
from catalogsync.backends.settle import Settle
from catalogsync.catalog import Kind, Ref
from catalogsync.doctor import Finding
from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError
from catalogsync.live import LiveCatalog, LiveResource, LookupField, LookupTable
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome


class LogiSenseBackend(Backend):
    """LogiSense REST v8 (see the module docstring)."""

    name = "logisense"

    def __init__(
        self, client: LogiSenseClient, *, settle: Settle | None = None, batch_size: int = 200
    ) -> None:
        self.client = client
        self.settle = settle or Settle()
        #: Patch items in one PATCH (at any depth).
        self.batch_size = batch_size
        self._lookups: Lookups | None = None
        self._lookup_lock = asyncio.Lock()
        self._children: dict[str, PackageChildren] = {}
        self._writes_done = False

    def start_session(self) -> None:
        self.client.start_login()

    async def lookups(self) -> Lookups:
        """The lookup tables, fetched once (concurrently) and kept for the run."""
        async with self._lookup_lock:
            if self._lookups is None:
                paths = (LOOKUP_PATHS[t] for t in LOOKUP_TABLES)
                tables = await gather_or_cancel(*(self.client.list_all(p) for p in paths))
                self._lookups = Lookups.from_records(dict(zip(LOOKUP_TABLES, tables, strict=True)))
            return self._lookups

    # No `hand_out` (round seventeen): behind the early login the lookup tables are the
    # read's last answers, so the services are known for good only once the packages'
    # page is in too, save on a loaded host, where the child forked then took the CPU
    # the read's last decoding needed (README, "LogiSense's services no longer handed
    # out").

    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        rows, services, packages, lookups = await self._read(progress, early=True)
        # The live children an update patches against, unless the writes are done.
        keep = not self._writes_done
        resources = rows.finish(services, packages, lookups, children=keep)
        if keep:
            self._children = rows.children
        if rows.in_order:  # (told while the lookup tables were on the wire)
            return LiveCatalog.in_order(tuple(resources))
        return LiveCatalog(tuple(resources))

    async def fetch_live_into(
        self, see: Callable[[LiveResource], None], progress: Progress | None = None
    ) -> int:
        """The read of `fetch_live`; once the writes are done (the verification read) each
        package and package service goes to `see` as it is built from the packages' page,
        and no live catalog of them is made or held (at L, 155,000 of the 205,000 records)."""
        if not self._writes_done:  # the writes need the packages' children: as fetch_live
            return await super().fetch_live_into(see, progress)
        rows, services, packages, lookups = await self._read(progress, early=False)
        return rows.finish_into(see, services, packages, lookups)

    async def _read(
        self, progress: Progress | None, *, early: bool
    ) -> tuple[LiveRows, list[Record], list[Record], Lookups]:
        """The whole read: its services built as they came in (`LiveRows`), the services'
        and the packages' records, and the lookup tables."""
        done = 0

        async def step(job: Awaitable[Any]) -> Any:
            nonlocal done
            result = await job
            done += 1
            if progress is not None:
                progress(done, 3)
            return result

        # Services are built page by page once the lookup tables are in, while the packages'
        # page (nearly always the last answer at L) is on the wire (`LiveRows`); each page's
        # work is queued behind the requests the read sends next. When the lookup tables
        # come last (at M: six small answers paced by the rate limit), the package services
        # are built before they are in (`early`: not for `fetch_live_into`, which hands
        # each one on as it is built rather than holding them).
        rows = LiveRows()
        loop = asyncio.get_running_loop()

        def arrived(page: list[dict[str, Any]]) -> None:
            rows.services(page)
            loop.call_soon(rows.work)

        async def named() -> Lookups:
            lookups = await self.lookups()
            rows.named(lookups)
            loop.call_soon(rows.work)
            return lookups

        async def services_read() -> list[dict[str, Any]]:
            records = await self.client.paged(
                "Service", detail=False, on_page=arrived, record=SERVICE
            )
            rows.services_ended()
            loop.call_soon(rows.work)
            return records

        async def packages_read() -> list[dict[str, Any]]:
            records = await self.client.paged("Package", detail=True, record=PACKAGE_DETAIL)
            if early:
                rows.packages(records)
                loop.call_soon(rows.work)
            return records

        lookups, services, packages = await gather_or_cancel(
            step(named()), step(services_read()), step(packages_read())
        )
        return rows, services, packages, lookups

    async def lookup_tables(
        self, fields: Collection[LookupField]
    ) -> dict[LookupField, LookupTable]:
        """The lookup tables (read once a run) behind the fields that name their rows."""
        lookups = await self.lookups()
        tables: dict[LookupField, LookupTable] = {}
        for kind, name in fields:
            spec = SPECS.get(kind, {}).get(name)
            if spec is not None and spec.lookup:
                table = spec.lookup
                tables[(kind, name)] = LookupTable(name, lookups.known(table))
            elif kind is Kind.PACKAGE and name == "currencies":
                tables[(kind, name)] = LookupTable("currency code", lookups.known("Currency"))
            elif kind is Kind.PACKAGE and name == "frequencies":
                known = lookups.known("FrequencyType")
                tables[(kind, name)] = LookupTable("frequency type", known, _frequency_type)
        return tables

    async def doctor_checks(self, *, write_probe: bool) -> list[Finding]:
        from catalogsync.backends.logisense.doctor import doctor_checks  # only for doctor

        return await doctor_checks(self, write_probe=write_probe)

    def stats(self) -> dict[str, Any]:
        return self.client.stats

    async def close(self) -> None:
        await self.client.aclose()

    # --- writes ----------------------------------------------------------------------

    def writes_done(self) -> None:
        """Let go of the live packages' children the updates patch against, and keep none."""
        self._writes_done = True
        self._children = {}

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        if self._writes_done:
            raise RuntimeError("apply_wave after writes_done: the state writes need is gone")
        lookups = await self.lookups()
        singles: list[Awaitable[list[ChangeResult]]] = []  # a request (or a refusal) each
        by_package: dict[str, list[Change]] = {}
        package_creates: list[Change] = []
        for change in changes:
            if change.ref.kind is Kind.PACKAGE and change.action is Action.CREATE:
                package_creates.append(change)
                continue
            if change.ref.kind is not Kind.PACKAGE_PRODUCT:
                singles.append(self._one(change, lookups))
                continue
            package_id = ids.get(change.ref.package) if change.ref.package else None
            if package_id is None:
                singles.append(_now(_failed(change, f"{change.ref.package} has no id")))
            else:
                by_package.setdefault(package_id, []).append(change)
        ahead = started_ahead(self.client.concurrency)
        jobs = [gather_settled(singles, settled, at_once=ahead)]
        if package_creates:
            live = next(iter(self._children), None)  # a live package the PATCH path can name
            creates = PackageCreates(
                self.client,
                lookups,
                lambda change: self._one(change, lookups),
                batch_size=self.batch_size,
                settle=self.settle,
            )
            jobs.append(creates.run(package_creates, live, settled))
        if by_package:
            jobs.append(
                write_package_services(
                    self.client, lookups, by_package, ids, self.batch_size, settled
                )
            )
        return [result for results in await gather_or_cancel(*jobs) for result in results]

    async def _one(self, change: Change, lookups: Lookups) -> list[ChangeResult]:
        """One service or package change, as one result."""
        try:
            if change.action is Action.CREATE:
                return [await self._create(change, lookups)]
            if change.action is Action.UPDATE:
                return [await self._update(change, lookups)]
            return [await self._delete(change)]
        except AuthenticationError:
            raise
        except (BackendError, KeyError) as exc:
            return [_failed(change, _reason(exc))]

    async def _create(self, change: Change, lookups: Lookups) -> ChangeResult:
        kind, resource = change.ref.kind, RESOURCE[change.ref.kind]
        values = sorted((k, v) for k, v in change.values.items() if k not in CHILD_FIELDS)
        record = {"name": change.ref.name, **encode_fields(kind, values, lookups)}
        try:
            created = await self.client.create(resource, record)
            identity = created.identity or (created.instance or {}).get("identity")
        except AmbiguousWriteError as exc:
            seen = await self.settle.until(
                lambda: self._adopt(resource, change.ref.name),
                lambda seen: seen.identity is not None,
            )
            identity = seen.identity
            if identity is None:
                # Not retried: a POST that timed out may still be running on the server,
                # and a second one could then duplicate it. The next apply creates it.
                unsure = f" ({seen.unsure})" if seen.unsure else ""
                return _failed(
                    change,
                    f"{exc}; not found on re-reading for {self.settle.window:g} s "
                    f"(settings.settle_seconds){unsure}, so not created; run apply again",
                )
        if identity is None:
            return _failed(change, f"POST {resource}: the answer carries no identity")
        remote_id = str(identity)
        if kind is Kind.PACKAGE:
            empty = PackageChildren({}, {})
            problem = await self._patch_children(change, remote_id, empty, lookups, creating=True)
            if problem:
                return ChangeResult(change.ref, Outcome.FAILED, remote_id, problem)
        return ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id)

    async def _adopt(self, resource: str, name: str) -> _Seen:
        """After a create whose outcome is unknown: the record under that name, if any.

        A record a page shows under the name exists, whether or not the listing then
        proves whole: during a wave the apply's other creates land while it is read (at
        L, 15 a second for most of an hour), and a listing that changed meanwhile says
        nothing about absence but everything about what it showed. Not seen in a listing
        that changed is only "not seen yet": `settle` reads again."""
        found: list[int] = []

        def look(records: Sequence[Any]) -> None:
            found.extend(int(r["identity"]) for r in records if r.get("name") == name)

        try:
            await self.client.paged(resource, detail=False, on_page=look)
        except ListingChanged as exc:
            if not found:
                return _Seen(None, str(exc))
        return _Seen(min(found) if found else None, "")

    async def _update(self, change: Change, lookups: Lookups) -> ChangeResult:
        kind, remote_id = change.ref.kind, _need(change.remote_id, change.ref)
        changed = [(f.field, f.after) for f in change.fields if f.field not in CHILD_FIELDS]
        record = encode_fields(kind, [(k, v) for k, v in changed if k != "name"], lookups)
        if change.renamed_from is not None:
            record["name"] = change.ref.name
        if record:
            await self.client.update(RESOURCE[kind], remote_id, record)
        if kind is Kind.PACKAGE:
            live = self._children.get(remote_id, PackageChildren({}, {}))
            problem = await self._patch_children(change, remote_id, live, lookups, creating=False)
            if problem:
                return _failed(change, problem)
        return ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id)

    async def _patch_children(
        self,
        change: Change,
        package_id: str,
        live: PackageChildren,
        lookups: Lookups,
        *,
        creating: bool,
    ) -> str:
        """Add and remove a package's frequencies and currencies; "" or what went wrong
        (each item is proven applied by `PackagePatch`, not assumed from the 200)."""
        source = change.values if creating else {f.field: f.after for f in change.fields}
        before = {f.field: f.before for f in change.fields}
        items: list[ChildItem] = []
        for collection in CHILD_FIELDS:
            if collection not in source:
                continue
            after = _names(source[collection])
            was = () if creating else _names(before.get(collection))
            live_ids = live.currencies if collection == "currencies" else live.frequencies
            try:
                items += child_patch_items(collection, was, after, live_ids, lookups)
            except KeyError as exc:
                return _reason(exc)
        outcomes = await PackagePatch(self.client, package_id).send(items)
        # One line per reason (a refused PATCH fails every item for the same reason).
        failed: dict[str, list[str]] = {}
        for item, outcome in zip(items, outcomes, strict=True):
            if not outcome.applied:
                failed.setdefault(outcome.message, []).append(item.label)
        if not failed:
            return ""
        done = "created, but " if creating else ""
        reasons = "; ".join(f"{', '.join(labels)}: {why}" for why, labels in failed.items())
        return f"{done}its frequencies/currencies were not all changed: {reasons}"

    async def _delete(self, change: Change) -> ChangeResult:
        remote_id = _need(change.remote_id, change.ref)
        report = await self.client.delete(RESOURCE[change.ref.kind], remote_id)
        message = "already deleted" if report is None else ""
        return ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id, message)


def _frequency_type(frequency: str) -> str:
    """`3 Month` names the frequency type `Month`."""
    return split_frequency(frequency)[1]


def _names(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple) else ()


def _need(remote_id: str | None, ref: Ref) -> str:
    if remote_id is None:
        raise KeyError(f"{ref} has no id")
    return remote_id


def _reason(exc: BaseException) -> str:
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


@dataclass(frozen=True)
class _Seen:
    """What one re-reading after an unclear create saw: the record's identity, or None
    and, when the listing changed while it was read, why absence is not proven."""

    identity: int | None
    unsure: str


def _failed(change: Change, message: str) -> ChangeResult:
    return ChangeResult(change.ref, Outcome.FAILED, change.remote_id, message)


async def _now(result: ChangeResult) -> list[ChangeResult]:
    return [result]
