"""BillingPlatformBackend: fetch the live catalog and write waves of changes.

Reads: paged queries of products, packages and package-products run concurrently, 10,000
rows a page (the client proves each read complete, see `query_rest`; once the desired
catalog's counts are known, the rest of an entity's pages are asked together), and rating
methods when a live row names one. Writes, per wave and entity, in batches of `batch_size`, through
documented operations only (docs/vendor-api.md):
- creates of products are POSTs ("save", seed 001: no upsert key is documented for
  PRODUCT); an unclear outcome is settled by re-reading by Name (names are unique);
- creates of packages are upserts keyed by Name (the vendor's PACKAGE PATCH page), so a
  retry can never duplicate;
- creates of package-products are upserts keyed by Name too (seed 003), *unless* that Name
  is already used by a live package-product (two packages may hold a product under the
  same name) or is given to one by an update of the same wave (a rename landing first
  would turn the upsert into a takeover of the renamed record): such records are POSTed,
  and an unclear outcome is settled by re-reading;
- an upsert meant as a create that answers `created: false` for a record that existed
  before this apply has updated another record: it is reported failed, never success;
- updates are PUTs by Id with the changed fields plus the fields the seeds mark required
  (Name; for package-products also MinQty and PackageId, unchanged ones from the live
  record); deletes are by Id.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from catalogsync import collector
from catalogsync.aio import gather_or_cancel
from catalogsync.backend_api import (
    Backend,
    KindReady,
    Progress,
    Settled,
    gather_settled,
    started_ahead,
    tell_settled,
)
from catalogsync.backends.billingplatform import pages_beside
from catalogsync.backends.billingplatform.catalog_format import default_package_product_name
from catalogsync.backends.billingplatform.client import (
    MAX_IN_ITEMS,
    BillingPlatformClient,
    PagesAhead,
    Paging,
    RecordResult,
    in_conditions,
)
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.live_rows import LiveRows
from catalogsync.backends.billingplatform.mapping import (
    ENTITY,
    RATING_METHOD_TYPES,
    FieldType,
    encode_fields,
    select_fields,
)
from catalogsync.backends.billingplatform.read_back import kinds_to_read, read_written
from catalogsync.backends.settle import Settle
from catalogsync.catalog import Kind, Ref, package_product_ref
from catalogsync.doctor import Finding
from catalogsync.errors import AmbiguousWriteError, AuthenticationError, BackendError
from catalogsync.live import LiveCatalog, LiveResource, LookupField, LookupTable
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome
from catalogsync.verify import Written

log = logging.getLogger(__name__)
_Prepared = tuple[Change, dict[str, str]]
#: What a PACKAGE_PRODUCT PUT must carry besides Id (seed 002 "required").
_PP_REQUIRED = ("Name", "MinQty", "PackageId")
_PP_READ = ["Id", *_PP_REQUIRED]
#: What a re-check that looks at records by key alone reads (a wave creating them): the
#: columns a key is made of, and what the writes remember from a read (`_remember`).
#: A tenth of a PRODUCT row's columns: a cold apply's re-checks cost the server and this
#: client a fraction of a full read.
_KEY_COLUMNS: dict[Kind, tuple[str, ...]] = {
    Kind.PRODUCT: ("Id", "Name"),
    Kind.PACKAGE: ("Id", "Name"),
    Kind.PACKAGE_PRODUCT: (
        *("Id", "PackageId", "ProductId", "ParentPackageProductId"),
        *("Name", "MinQty"),  # with PackageId, what an update re-sends (_PP_REQUIRED)
    ),
}
#: What identifies a created record when an unclear create is settled by re-reading.
_SETTLE_KEYS: dict[Kind, tuple[str, ...]] = {
    Kind.PRODUCT: ("Name",),
    Kind.PACKAGE: ("Name",),
    Kind.PACKAGE_PRODUCT: ("Name", "PackageId", "ProductId", "ParentPackageProductId"),
}
_T = TypeVar("_T")


class BillingPlatformBackend(Backend):
    """BillingPlatform REST 2.0 (see the module docstring)."""

    name = "billingplatform"

    def __init__(
        self, client: BillingPlatformClient, *, batch_size: int = 200, settle: Settle | None = None
    ) -> None:
        self.client = client
        self.batch_size = batch_size
        self.settle = settle or Settle()
        #: Rating method types live rows showed in the last fetch (besides the documented ones).
        self._live_rating_method_types: frozenset[str] = frozenset()
        #: The RATING_METHOD row saved for each change of the current wave that names one.
        self._rating_method_ids: dict[Ref, str] = {}
        self._pp_names: Counter[str] = Counter()
        self._package_ids: dict[str, str] = {}
        #: Columns the org's schema lacks, per entity, found by the last fetch.
        self.missing_columns: dict[str, tuple[str, ...]] = {}
        self._fetched: dict[Kind, set[str]] = {}  # the records the last read of a kind read
        self._pp_names_assigned: Counter[str] = Counter()
        #: The next full read's hint: how many rows of each kind it should find.
        self._expected_counts: Callable[[], Mapping[Kind, int] | None] = _unknown_counts
        #: Live package-product rows by Id: an update re-sends their required fields.
        #: (The `_PP_REQUIRED` texts, in that order: a tuple is a quarter of a dict's size.)
        self._live_pps: dict[str, tuple[str, ...]] = {}
        #: What `_remember` kept of each kind's last read, until `_settle_reads` (the Id
        #: column; of package-products also the `_PP_REQUIRED` ones, in that order).
        self._unsettled: dict[Kind, tuple[Sequence[str], ...]] = {}
        self._writes_done = False
        #: Whether what a read is built from is kept to the exit (`reads_outlive`).
        self._reads_outlive = False
        #: The next `fetch_live`'s `hand_out`.
        self._ready: KindReady | None = None

    def start_session(self) -> None:
        self.client.start_login()

    def expect_counts(self, counts: Callable[[], Mapping[Kind, int] | None]) -> None:
        self._expected_counts = counts

    def hand_out(self, ready: KindReady) -> None:
        self._ready = ready

    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        counts, self._expected_counts = self._expected_counts, _unknown_counts
        ready, self._ready = self._ready, None
        found = await self._records(frozenset(Kind), {}, progress, expected=counts, ready=ready)
        return LiveCatalog(tuple(found))

    async def fetch_live_into(
        self, see: Callable[[LiveResource], None], progress: Progress | None = None
    ) -> int:
        """The read of `fetch_live`, each record handed to `see` in the order the read
        built it: no live catalog is made of them (the verification read's check takes
        them in any order; at L, sorting 205,000 records by key was ~0.3 s of CPU)."""
        counts, self._expected_counts = self._expected_counts, _unknown_counts
        found = await self._records(frozenset(Kind), {}, progress, expected=counts)
        for resource in found:
            see(resource)
        return len(found)

    async def fetch_written_into(
        self, written: Written, see: Callable[[LiveResource], None]
    ) -> int:
        """The records the check of `written` looks at, by name and id where that costs
        fewer requests than the whole read (`read_back`), else the whole read."""
        counts = self._expected_counts()
        kinds = kinds_to_read(written, counts)
        if kinds is None:
            return await self.fetch_live_into(see)
        self._expected_counts = _unknown_counts
        return await read_written(self, written, kinds, see, counts or {})

    async def whole_rows(self, kind: Kind, expected: int | None) -> Columns:
        """Every row of `kind` (`expected`: how many it should hold, if known)."""
        paging = Paging(ENTITY[kind], select_fields(kind), require=_required(kind))
        kept, first = await self._first_page(paging)
        return await self.client.query_rest(kept, first, lambda: expected)

    async def rows_in(
        self, kind: Kind, field: str, values: Collection[str], most: int = MAX_IN_ITEMS
    ) -> Columns:
        """The rows of `kind` whose `field` is one of `values` (`client.in_conditions`'s
        statements of at most `most` values, asked together), without the columns this
        org's schema lacks."""
        entity = ENTITY[kind]
        lacks = self.missing_columns.get(entity, ())
        fields = [name for name in select_fields(kind) if name not in lacks]

        read = Paging(entity, fields, require=_required(kind))

        async def statement(where: str) -> Columns:
            kept, first = await self._first_page(replace(read, where=where))
            return await self.client.query_rest(kept, first)

        conditions = in_conditions(read, field, values, most)
        if len(conditions) == 1:  # asked at once, no task between
            return await statement(conditions[0])
        joined = Columns(select_fields(kind))
        for rows in await gather_or_cancel(*(statement(where) for where in conditions)):
            joined.extend(rows)
        return joined

    async def rating_methods(self, named: Collection[str]) -> dict[str, str]:
        """The type of each RATING_METHOD row of `named` Ids, by Id (the table holds
        per-product configuration rows, so it may be large: read by the Ids live rows
        name; none named, no request). A rating method is named by its type (the vendor's
        schema pages show no Name on RATING_METHOD)."""
        if not named:
            return {}
        rows = await self.client.query_in(
            "RATING_METHOD", ["Id", "RatingMethodType"], "Id", sorted(named)
        )
        return {r["Id"]: r.get("RatingMethodType", "") for r in rows if "Id" in r}

    async def fetch_kinds(
        self,
        kinds: Collection[Kind],
        ids: Mapping[Ref, str],
        *,
        keys_only: Collection[Kind] = (),
    ) -> LiveCatalog:
        """Only the entities of `kinds`: a package-product names its product and package by
        the ids the apply knows, so a wave of package-products reads PACKAGE_PRODUCT alone.
        Of `keys_only` kinds only the columns of `_KEY_COLUMNS` are read."""
        counts, self._expected_counts = self._expected_counts, _unknown_counts
        only = frozenset(keys_only)
        found = await self._records(frozenset(kinds), ids, None, only, expected=counts)
        return LiveCatalog(tuple(found))

    async def _records(
        self,
        kinds: frozenset[Kind],
        ids: Mapping[Ref, str],
        progress: Progress | None,
        keys_only: frozenset[Kind] = frozenset(),
        expected: Callable[[], Mapping[Kind, int] | None] | None = None,
        ready: KindReady | None = None,
    ) -> list[LiveResource]:
        """The live records of `kinds`, in the order the read built them; rows of the other
        kinds are named from `ids`. `expected`: see `Backend.expect_counts` (pages of one
        entity, after a full first page, are asked together up to that many rows:
        `client.query_rest`). `ready`: see `Backend.hand_out` (a kind whose records
        `LiveRows.final` knows for good once its read has ended)."""
        done = 0
        read = [kind for kind in Kind if kind in kinds]
        pagings = [
            Paging(
                ENTITY[kind],
                list(_KEY_COLUMNS[kind]) if kind in keys_only else select_fields(kind),
                require=_required(kind),
            )
            for kind in read
        ]
        # Every entity's first page before any read goes on: then the largest of them shows
        # what this server serves, and only a read as long as that one may need a COUNT to
        # prove its end (client.query_rest): one COUNT a plan at most when pages are short.
        # When the counts are known by the time the session is open (the catalog cache
        # tells them early, while the login is on the wire), the pages those counts fill
        # are asked right behind the first ones (client.ask_ahead); a first page that is
        # not full drops them at once, so that most are never sent (an empty org).
        if expected is not None:
            await self.client.ensure_session()  # every page waits for it in any case
        ahead: dict[Kind, PagesAhead] = {kind: PagesAhead() for kind in read}

        async def first_page(kind: Kind, paging: Paging) -> tuple[Paging, Columns]:
            try:
                kept, page = await self._first_page(paging)
            except BaseException:
                await ahead[kind].drop()
                raise
            if kept != paging or len(page) < paging.size:
                await ahead[kind].drop()  # the end, a cap, or other columns: of no use
            return kept, page

        first_pages = [
            asyncio.ensure_future(first_page(k, p)) for k, p in zip(read, pagings, strict=True)
        ]
        asking = asyncio.ensure_future(
            self._ask_ahead_once_counted(read, pagings, first_pages, expected, ahead)
        )
        try:
            firsts = await gather_or_cancel(*first_pages)
            await asking
        except BaseException:
            asking.cancel()
            await asyncio.gather(asking, return_exceptions=True)
            await gather_or_cancel(*(pages.drop() for pages in ahead.values()))
            raise
        # Live rows are built page by page while later pages are on the wire (`LiveRows`):
        # each page's work is queued behind the requests the read sends next.
        live = LiveRows(kinds)
        for kind in Kind:
            if kind not in kinds:
                live.end(kind, _known_rows(kind, ids))
        loop = asyncio.get_running_loop()

        def arrived(kind: Kind, page: Columns) -> None:
            live.add(kind, page)
            loop.call_soon(live.work)

        # Each entity's whole rows once its read has ended. Not the reads' results: the
        # gather's result list outlives this step of the loop, and with it what it holds.
        ended: dict[Kind, Columns] = {}

        async def rest(kind: Kind, paging: Paging, first: Columns) -> None:
            nonlocal done

            def rows_expected() -> int | None:
                counts = expected() if expected is not None else None
                return None if counts is None else counts.get(kind)

            arrived(kind, first)
            rows = await self.client.query_rest(
                paging, first, rows_expected, functools.partial(arrived, kind), ahead[kind]
            )
            live.end(kind, rows)
            # Handed over while another read goes on (once the last one ends, the read is
            # as good as over), before the other kinds' pages waiting are built.
            going_on = any(other not in ended for other in read if other is not kind)
            if ready is not None and going_on and (records := live.final(kind)) is not None:
                ready(kind, records)
            loop.call_soon(live.work)
            ended[kind] = rows
            done += 1
            if progress is not None:
                progress(done, len(read))

        reading = {
            kind: asyncio.ensure_future(rest(kind, paging, first))
            for kind, (paging, first) in zip(read, firsts, strict=True)
        }

        async def rating_methods_in_use() -> dict[str, str]:
            naming = [kind for kind in (Kind.PRODUCT, Kind.PACKAGE_PRODUCT) if kind in reading]
            for kind in naming:
                await reading[kind]
            named = {i for kind in naming for i in ended[kind].column("RatingMethodId")} - {""}
            return await self.rating_methods(named)

        rating_methods = (await gather_or_cancel(rating_methods_in_use(), *reading.values()))[0]
        assert isinstance(rating_methods, dict)
        self._remember(ended, frozenset(rating_methods.values()) - {""})
        found = live.finish(rating_methods, keep=self._reads_outlive)  # or it lets them go
        # The read's pages and whole rows are let go of before the catalog sorts what was
        # found (a key and a slot per record): at L, all of it held at once was the peak of
        # an apply's verification read. An export keeps them to its exit instead: freed
        # here they were ~15 ms of CPU at M, ~70 ms at L, before its fork.
        if self._reads_outlive:
            collector.outlive(live, dict(ended), list(ahead.values()), firsts)
        reading.clear()
        ended.clear()
        ahead.clear()
        del firsts, first_pages, asking
        return found

    def _remember(self, fetched: Mapping[Kind, Columns], method_types: frozenset[str]) -> None:
        """What the writes use from the last read of each kind (kinds not read are kept):
        its columns only, until a write needs them (`_settle_reads`). A plan, drift or export
        writes nothing: at L, the sets, counts and rows made of them at once were ~0.15 s of
        CPU after the last answer and ~35 MB held through the plan for nothing."""
        if len(fetched) == len(Kind):
            self._live_rating_method_types = method_types
        else:
            self._live_rating_method_types |= method_types
        if self._writes_done:
            return  # what follows is for writes: none comes any more
        for kind, kind_rows in fetched.items():
            # Only what an update re-sends: whole rows held through planning were ~150 MB
            # of a 150,000-record catalog.
            kept = ("Id", *_PP_REQUIRED) if kind is Kind.PACKAGE_PRODUCT else ("Id",)
            self._unsettled[kind] = tuple(kind_rows.column(name) for name in kept)

    def _settle_reads(self) -> None:
        """What the reads since the last write `_remember`ed, as the writes look it up: the
        Ids each read, the package-products' Names counted and their required texts by Id.
        Each read replaces what an earlier read of its kind left, as when it was made."""
        unsettled, self._unsettled = self._unsettled, {}
        for kind, (ids, *required) in unsettled.items():
            self._fetched[kind] = set(ids)
            if kind is Kind.PACKAGE_PRODUCT:
                self._pp_names = Counter(required[0])  # Name: the first required text
                rows = zip(*required, strict=True)
                self._live_pps = dict(zip(ids, rows, strict=True))

    def _was_read(self, remote_id: str) -> bool:
        """Whether the last read of some kind read this record."""
        return any(remote_id in ids for ids in self._fetched.values())

    async def _first_page(self, paging: Paging) -> tuple[Paging, Columns]:
        """The first page of a read; if the org refuses the query, the columns its schema
        lacks are found, reported (a warning naming them) and left out, so the rest of the
        catalog is still read. A managed field whose column is missing reads as empty."""
        try:
            return paging, await self.client.columns_page(paging, 0)
        except BackendError as exc:
            if "HTTP 400" not in str(exc):
                raise
            optional = [f for f in paging.fields if f not in ("Id", *paging.require)]
            refused = await self.client.refused_columns(paging.entity, optional)
            if not refused:
                raise
        self.missing_columns[paging.entity] = tuple(refused)
        log.warning(
            "%s: this org's schema has no column %s; catalogsync reads it as empty and a "
            "catalog that sets it cannot be applied (docs/vendor-api.md)",
            paging.entity,
            ", ".join(refused),
        )
        kept = replace(paging, fields=[f for f in paging.fields if f not in refused])
        return kept, await self.client.columns_page(kept, 0)

    async def _save_rating_methods(
        self, changes: Sequence[Change]
    ) -> tuple[dict[Ref, str], list[ChangeResult]]:
        """A RATING_METHOD row of the wanted type for each change that writes a rating method
        (POST, the vendor's RATING_METHOD page): rows are per-product configuration, so a
        product gets its own rather than sharing another's. Returns the new Id per change,
        and a failure for each change whose row could not be saved."""
        wanted = [(c, _rating_method_written(c)) for c in changes]
        wanted = [(c, method) for c, method in wanted if method is not None]
        if not wanted:
            return {}, []
        records = [{"RatingMethodType": method} for _, method in wanted]
        try:
            answers = await self.client.create("RATING_METHOD", records)
        except AuthenticationError:
            raise
        except BackendError as exc:
            return {}, [_failed(c, f"saving its rating method failed: {exc}") for c, _ in wanted]
        saved: dict[Ref, str] = {}
        failures: list[ChangeResult] = []
        for (change, _), answer in zip(wanted, answers, strict=True):
            if answer.success and answer.id:
                saved[change.ref] = answer.id
            else:
                text = answer.error_text.strip() or "rejected"
                failures.append(_failed(change, f"saving its rating method failed: {text}"))
        return saved, failures

    async def lookup_tables(
        self, fields: Collection[LookupField]
    ) -> dict[LookupField, LookupTable]:
        """A rating method is named by its type (RatingMethodType): the documented types and
        any other type a live RATING_METHOD row showed in the last fetch. No request."""
        wanted = [f for f in fields if f[1] == "rating_method"]
        if not wanted:
            return {}
        names = frozenset(RATING_METHOD_TYPES) | self._live_rating_method_types
        return dict.fromkeys(wanted, LookupTable("rating_method", names))

    async def doctor_checks(self, *, write_probe: bool) -> list[Finding]:
        from catalogsync.backends.billingplatform.doctor import doctor_checks  # only for doctor

        return await doctor_checks(self, write_probe=write_probe)

    def stats(self) -> dict[str, Any]:
        return self.client.stats

    async def close(self) -> None:
        await self.client.aclose()

    # --- writes ----------------------------------------------------------------------

    def reads_outlive(self) -> None:
        """Keep the next reads' pages and tables to the exit (`collector.outlive`)."""
        self._reads_outlive = True

    def reads_done(self) -> None:
        """Let the page worker go (`pages_beside.let_go`): its exit overlaps the export's
        work instead of being waited for at the command's exit."""
        pages_beside.let_go()

    def writes_done(self) -> None:
        """Let go of what the reads kept for the writes (`_remember`), and keep it no more."""
        self._writes_done = True
        self._unsettled = {}
        self._fetched = {}
        self._pp_names = Counter()
        self._pp_names_assigned = Counter()
        self._live_pps = {}
        self._package_ids = {}
        self._rating_method_ids = {}

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        if self._writes_done:
            raise RuntimeError("apply_wave after writes_done: the state writes need is gone")
        self._settle_reads()
        # Built once per wave (ids only grow between waves): per change, it cost
        # O(changes x ids) — minutes for a 40,000-object apply.
        self._package_ids = {r.name: i for r, i in ids.items() if r.kind is Kind.PACKAGE}
        self._rating_method_ids, failed = await self._save_rating_methods(
            [c for c in changes if c.action is not Action.DELETE]
        )
        refused = {result.ref for result in failed}
        tell_settled(settled, failed)
        groups: dict[tuple[Kind, Action], list[Change]] = {}
        for change in changes:
            if change.ref not in refused:
                groups.setdefault((change.ref.kind, change.action), []).append(change)
        # Names the wave's package-product updates give: taken for this wave's creates.
        self._pp_names_assigned = Counter(
            _pp_name(c)
            for c in groups.get((Kind.PACKAGE_PRODUCT, Action.UPDATE), ())
            if any(f.field == "name" for f in c.fields)
        )
        batches = [
            self._run_group(kind, action, group, ids, settled)
            for (kind, action), group in sorted(groups.items())
        ]
        done = [result for results in await gather_or_cancel(*batches) for result in results]
        return failed + done

    async def _run_group(
        self,
        kind: Kind,
        action: Action,
        changes: list[Change],
        ids: Mapping[Ref, str],
        settled: Settled | None,
    ) -> list[ChangeResult]:
        if action is Action.UPDATE and kind is Kind.PACKAGE_PRODUCT:
            await self._read_live_pps([c.remote_id for c in changes if c.remote_id])
        # Each batch builds its own records when it starts, and batches start a few ahead
        # of the client's free slots: the first request leaves after 200 records are built,
        # not the wave's 20,000, and the rest are built while the requests before them are
        # in flight.
        if action is Action.CREATE and kind is Kind.PACKAGE_PRODUCT:
            upserts, posts = self._split_ambiguous(changes)
            jobs = [self._send(kind, "upsert", b, ids) for b in self._batches(upserts)]
            jobs += [self._post(kind, b, ids) for b in self._batches(posts)]
        elif action is Action.CREATE and kind is Kind.PRODUCT:
            jobs = [self._post(kind, b, ids) for b in self._batches(changes)]
        else:
            verb = {Action.CREATE: "upsert", Action.UPDATE: "update", Action.DELETE: "delete"}
            jobs = [self._send(kind, verb[action], b, ids) for b in self._batches(changes)]
        return await gather_settled(jobs, settled, at_once=started_ahead(self.client.concurrency))

    def _batches(self, changes: list[Change]) -> list[list[Change]]:
        size = self.batch_size
        return [changes[i : i + size] for i in range(0, len(changes), size)]

    def _prepare(
        self, changes: list[Change], ids: Mapping[Ref, str]
    ) -> tuple[list[_Prepared], list[ChangeResult]]:
        """The wire records of a batch, and the failures of changes that have none."""
        prepared: list[_Prepared] = []
        failed: list[ChangeResult] = []
        for change in changes:
            try:
                prepared.append((change, self._record(change, ids)))
            except KeyError as exc:
                failed.append(_failed(change, str(exc.args[0])))
        return prepared, failed

    def _split_ambiguous(self, changes: list[Change]) -> tuple[list[Change], list[Change]]:
        """Package-products whose Name is unique may be upserted; the others are POSTed."""
        names = [_pp_name(change) for change in changes]  # the Name each record writes
        in_wave = Counter(names)
        upserts: list[Change] = []
        posts: list[Change] = []
        for change, name in zip(changes, names, strict=True):
            taken = self._pp_names[name] + self._pp_names_assigned[name]
            unique = taken == 0 and in_wave[name] == 1
            (upserts if unique else posts).append(change)
        return upserts, posts

    def _record(self, change: Change, ids: Mapping[Ref, str]) -> dict[str, str]:
        """The wire record of a change. Raises KeyError naming a reference with no id."""
        ref, kind = change.ref, change.ref.kind
        if change.action is Action.DELETE:
            return {"Id": _need(change.remote_id, ref)}
        if change.action is Action.UPDATE:
            changed = [(f.field, f.after) for f in change.fields if f.field != "name"]
            record = {"Id": _need(change.remote_id, ref), **self._required_now(change)}
            if any(f.field == "name" for f in change.fields):
                record["Name"] = ref.name if kind is not Kind.PACKAGE_PRODUCT else _pp_name(change)
            return record | encode_fields(kind, changed, self._resolver(change, ids))
        values = [(k, v) for k, v in sorted(change.values.items()) if k != "name"]
        record = encode_fields(kind, values, self._resolver(change, ids))
        if kind is not Kind.PACKAGE_PRODUCT:
            return {"Name": ref.name, **record}
        return {
            "Name": _pp_name(change),
            "PackageId": _need(ids.get(ref.package) if ref.package else None, ref.package),
            "ProductId": _need(ids.get(ref.product) if ref.product else None, ref.product),
            **(
                {"ParentPackageProductId": _need(ids.get(ref.parent), ref.parent)}
                if ref.parent
                else {}
            ),
            **record,
        }

    def _required_now(self, change: Change) -> dict[str, str]:
        """The fields the seeds mark required on a PUT, as they are live (seeds 000/001: Id
        and Name; 002: PACKAGE_PRODUCT Id, Name, MinQty, PackageId). Changed ones are
        overwritten by the caller. Raises KeyError when the live record is unknown."""
        if change.ref.kind is not Kind.PACKAGE_PRODUCT:
            return {"Name": change.ref.name}
        live = self._live_pps.get(change.remote_id or "")
        if live is None:
            raise KeyError(f"{change.ref} was not found live (deleted meanwhile?)")
        return dict(zip(_PP_REQUIRED, live, strict=True))

    async def _ask_ahead_once_counted(
        self,
        read: Sequence[Kind],
        pagings: Sequence[Paging],
        first_pages: Sequence[asyncio.Future[tuple[Paging, Columns]]],
        expected: Callable[[], Mapping[Kind, int] | None] | None,
        ahead: dict[Kind, PagesAhead],
    ) -> None:
        """Ask ahead (`client.ask_ahead`) the pages the expected counts fill, for each read
        whose first page is still on the wire, as soon as the counts are known: the catalog
        cache tells them from the loading thread a few milliseconds into the read, and a
        session opened before the command read its configuration (`early_login`) leaves no
        login's round trip for that any more. Once every first page is in, the reads ask
        the rest themselves (`client.query_rest`, with the counts then known)."""
        if expected is None:
            return
        while (known := expected()) is None:
            if all(page.done() for page in first_pages):
                return
            await asyncio.sleep(_COUNTS_POLL_SECONDS)
        # A first page's own step drops its reads' pages once it is in (`first_page` in
        # `_fetch`), in the step that completes it: those done are left to `query_rest`.
        waiting = [i for i, page in enumerate(first_pages) if not page.done()]
        asked = self.client.ask_ahead([(pagings[i], known.get(read[i])) for i in waiting])
        for i, pages in zip(waiting, asked, strict=True):
            ahead[read[i]] = pages

    async def _read_live_pps(self, remote_ids: Sequence[str]) -> None:
        """Read the package-products an update needs but the last fetch did not hold."""
        missing = [i for i in remote_ids if i not in self._live_pps]
        if missing:
            rows = await self.client.query_in(ENTITY[Kind.PACKAGE_PRODUCT], _PP_READ, "Id", missing)
            self._live_pps.update(
                {
                    row["Id"]: tuple(row.get(k, "") for k in _PP_REQUIRED)
                    for row in rows
                    if "Id" in row
                }
            )

    def _resolver(self, change: Change, ids: Mapping[Ref, str]) -> dict[FieldType, dict[str, str]]:
        linked: dict[str, str] = {}
        link_package, link_product = (
            change.values.get("link_package"),
            change.values.get("link_product"),
        )
        if isinstance(link_package, str) and isinstance(link_product, str):
            found = ids.get(package_product_ref(link_package, link_product))
            if found is not None:
                linked[link_product] = found
        saved = self._rating_method_ids.get(change.ref)
        rating_method = _rating_method_written(change)
        return {
            FieldType.RATING_METHOD: {rating_method: saved} if saved and rating_method else {},
            FieldType.PACKAGE: self._package_ids,
            FieldType.LINKED_PRODUCT: linked,
        }

    async def _send(
        self, kind: Kind, verb: str, changes: list[Change], ids: Mapping[Ref, str]
    ) -> list[ChangeResult]:
        batch, failed = self._prepare(changes, ids)
        return failed + (await self._sent(kind, verb, batch) if batch else [])

    async def _sent(self, kind: Kind, verb: str, batch: list[_Prepared]) -> list[ChangeResult]:
        entity = ENTITY[kind]
        records = [record for _, record in batch]
        try:
            if verb == "upsert":
                answers = await self.client.upsert(entity, records)
            elif verb == "update":
                answers = await self.client.update(entity, records)
            else:
                answers = await self.client.delete(entity, [r["Id"] for r in records])
        except AuthenticationError:
            raise
        except BackendError as exc:
            return [_failed(change, str(exc)) for change, _ in batch]
        results = [self._result(item, answer) for item, answer in zip(batch, answers, strict=True)]
        if verb == "delete":
            results = await self._already_deleted(entity, results)
        return results

    async def _already_deleted(
        self, entity: str, results: list[ChangeResult]
    ) -> list[ChangeResult]:
        """A failed delete whose record is gone anyway reached its goal.

        This happens when a retried DELETE follows one that worked but whose answer was
        lost: the retry then fails with "no such record".
        """
        failed = [r.remote_id for r in results if r.outcome is Outcome.FAILED and r.remote_id]
        if not failed:
            return results
        try:
            rows = await self.client.query_in(entity, ["Id"], "Id", failed)
        except BackendError:
            return results
        present = {row["Id"] for row in rows}
        return [
            ChangeResult(r.ref, Outcome.SUCCEEDED, r.remote_id, "already deleted")
            if r.outcome is Outcome.FAILED and r.remote_id and r.remote_id not in present
            else r
            for r in results
        ]

    async def _post(
        self, kind: Kind, changes: list[Change], ids: Mapping[Ref, str]
    ) -> list[ChangeResult]:
        batch, failed = self._prepare(changes, ids)
        return failed + (await self._posted(kind, batch) if batch else [])

    async def _posted(self, kind: Kind, batch: list[_Prepared]) -> list[ChangeResult]:
        """Create records whose Name is not unique; settle an unclear outcome by re-reading."""
        entity = ENTITY[kind]
        try:
            answers = await self.client.create(entity, [record for _, record in batch])
        except AmbiguousWriteError:
            return await self._settle(kind, batch)
        except AuthenticationError:
            raise
        except BackendError as exc:
            return [_failed(change, str(exc)) for change, _ in batch]
        return [self._result(item, answer) for item, answer in zip(batch, answers, strict=True)]

    async def _settle(self, kind: Kind, batch: list[_Prepared]) -> list[ChangeResult]:
        """After a create whose outcome is unknown: what exists now is what was created.

        Re-read (with backoff, over `settle.window`) until every record shows up: the
        server may still be running the create it did not answer (see `Settle`)."""
        keys = _SETTLE_KEYS[kind]
        # Package-products are looked up by their product's id, short whatever the length of
        # their Name (a Name of ~4,000 characters fits in no query).
        by = "ProductId" if kind is Kind.PACKAGE_PRODUCT else "Name"
        values = sorted({record.get(by, "") for _, record in batch})
        wanted = {tuple(record.get(k, "") for k in keys) for _, record in batch}

        async def read() -> dict[tuple[str, ...], str]:
            rows = await self.client.query_in(ENTITY[kind], ["Id", *keys], by, values)
            return {tuple(row.get(k, "") for k in keys): row["Id"] for row in rows}

        try:
            found = await self.settle.until(read, lambda now: wanted <= set(now))
        except BackendError as exc:
            return [
                _failed(c, f"create outcome unknown and re-read failed: {exc}") for c, _ in batch
            ]
        results = []
        for change, record in batch:
            remote_id = found.get(tuple(record.get(k, "") for k in keys))
            if remote_id is None:
                results.append(_failed(change, _not_created(self.settle)))
            else:
                results.append(ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id))
        return results

    def _result(self, item: _Prepared, answer: RecordResult) -> ChangeResult:
        change, record = item
        if not answer.success:
            where = f" ({answer.error_field})" if answer.error_field.strip() else ""
            code = f"{answer.error_code}: " if answer.error_code not in ("", "0") else ""
            return _failed(change, f"{code}{answer.error_text.strip() or 'rejected'}{where}")
        took_over = answer.created is False and self._was_read(answer.id or "")
        if change.action is Action.CREATE and took_over:
            return _failed(
                change,
                f"the create (an upsert keyed by Name '{record.get('Name', '')}') updated "
                f"the existing record {answer.id} instead of creating one; check that "
                "record, then run plan again",
            )
        if change.ref.kind is Kind.PACKAGE_PRODUCT and "Name" in record:
            self._pp_names[record["Name"]] += 1
        return ChangeResult(change.ref, Outcome.SUCCEEDED, answer.id or change.remote_id)


def _pp_name(change: Change) -> str:
    """The Name a package-product create or update writes."""
    return str(change.values.get("name") or default_package_product_name(change.ref))


def _rating_method_written(change: Change) -> str | None:
    """The rating method (type) a create or update writes, if it writes one."""
    if change.action is Action.CREATE:
        value = change.values.get("rating_method")
    elif change.action is Action.UPDATE:
        value = next((f.after for f in change.fields if f.field == "rating_method"), None)
    else:
        value = None
    return None if value is None else str(value)


def _need(remote_id: str | None, ref: Ref | None) -> str:
    if remote_id is None:
        raise KeyError(f"{ref} has no id: it was not created, or its id was not returned")
    return remote_id


def _not_created(settle: Settle) -> str:
    return (
        f"create outcome unknown and not found on re-reading for {settle.window:g} s "
        "(settings.settle_seconds), so it was not created; run apply again"
    )


def _failed(change: Change, message: str) -> ChangeResult:
    return ChangeResult(change.ref, Outcome.FAILED, change.remote_id, message)


#: How often a read looks whether the expected counts are known yet, while its first pages
#: are on the wire (`BillingPlatformBackend._ask_ahead_once_counted`).
_COUNTS_POLL_SECONDS = 0.005


def _required(kind: Kind) -> tuple[str, ...]:
    """The columns every row of a read of `kind` must hold: the mapping indexes rows by
    them, and a row without one is a malformed answer."""
    return ("Id",) if kind is Kind.PACKAGE_PRODUCT else ("Id", "Name")


def _unknown_counts() -> Mapping[Kind, int] | None:
    return None


def _known_rows(kind: Kind, ids: Mapping[Ref, str]) -> Columns:
    """Rows of a kind not read, named by the ids the apply knows (products and packages:
    what a package-product's key needs)."""
    if kind is Kind.PACKAGE_PRODUCT:
        return Columns(["Id"])
    known = [{"Id": i, "Name": ref.name} for ref, i in ids.items() if ref.kind is kind]
    return Columns.from_rows(["Id", "Name"], known)
