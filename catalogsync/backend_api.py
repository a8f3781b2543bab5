"""What a billing-system backend provides to the core: the live catalog and writes.

The core (planner, applier, CLI) talks to backends only through `Backend`; backends are
found by name through `catalogsync.registry`, which reads each backend's `BackendSpec`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import (
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
    Sized,
)
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catalogsync.aio import gather_or_cancel
from catalogsync.catalog import Kind, Ref
from catalogsync.doctor import Finding
from catalogsync.live import LiveCatalog, LiveResource, LookupField, LookupTable
from catalogsync.plan import Change
from catalogsync.report import ChangeResult

if TYPE_CHECKING:  # at run time these modules import the registry, which imports this one
    from catalogsync.catalog_format import CatalogFormat
    from catalogsync.config import Target
    from catalogsync.verify import Written

# Called with (done, total) as a long fetch or apply progresses.
Progress = Callable[[int, int], None]
# Told, as a wave's requests finish, how many more of its changes settled (succeeded or
# failed): what moves an apply's progress during one long wave.
Settled = Callable[[int], None]
#: Told, during a read, that every live record of a kind is known for good: the records the
#: read's live catalog will hold of that kind, none of them changed from then on
#: (`Backend.hand_out`).
KindReady = Callable[[Kind, Sequence[LiveResource]], None]


class Backend(ABC):
    """A billing system reached through its API.

    Implementers must:
    - read the whole catalog in as few requests as the API allows (`fetch_live`);
    - write one wave of changes (`apply_wave`), batching records of one entity and running
      batches concurrently, returning exactly one ChangeResult per change, in any order,
      and telling `settled` of each request's or batch's changes as it finishes
      (`gather_settled`);
    - resolve references to objects by name through `ids` (remote ids known so far,
      including those created in earlier waves of the same apply);
    - never duplicate an object when a write is retried, and never raise for a per-record
      failure (report it in the ChangeResult); raise BackendError only when nothing in
      the wave could be trusted (e.g. authentication failed).
    """

    name: str

    def start_session(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Send the login now, without waiting for its answer (called in a running event
        loop, before the command imports what it runs next): the first request that needs
        the session waits for it, and fails as the login fails. By default nothing: the
        first request logs in."""

    @abstractmethod
    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        """The live catalog."""

    async def fetch_live_into(
        self, see: Callable[[LiveResource], None], progress: Progress | None = None
    ) -> int:
        """Every record of the live catalog handed to `see` (in any order), and how many:
        an apply's verification read (`verify.InEffect`), which keeps a few bytes of each
        rather than the records. A backend that builds its records as the read goes may
        hand each over and keep none (at L the whole live catalog need not be held beside
        the plan). By default the records of `fetch_live`."""
        live = await self.fetch_live(progress)
        for resource in live:
            see(resource)
        return len(live)

    async def fetch_written_into(
        self, written: Written, see: Callable[[LiveResource], None]
    ) -> int:
        """An apply's verification read: at least the live records the check of `written`
        looks at (every record under one of its keys, every record of its deleted ids),
        each handed to `see` once, in any order, and how many. A backend may read only
        those where that costs fewer requests than the whole read; each record it hands
        over must be the record the whole read would give, but that it may name the
        products a record holds by `written.product_names` (see `Written`: what that
        trusts). By default the whole read (`fetch_live_into`)."""
        del written
        return await self.fetch_live_into(see)

    def expect_counts(self, counts: Callable[[], Mapping[Kind, int] | None]) -> None:
        """A hint for the next read (`fetch_live` or `fetch_kinds`): `counts()` is how many
        objects of each kind the read should find, once known (None until then): the desired
        catalog's counts for a plan, what the writes so far leave for an apply's re-check and
        verification reads. A backend whose reads page without a total may ask the pages up to
        that many rows together; what proves a read complete must not depend on it. By
        default unused."""
        del counts

    def hand_out(self, ready: KindReady) -> None:
        """For the next `fetch_live`: `ready(kind, records)` as soon as the read knows every
        record of `kind` for good, before it ends (an export starts writing that kind's file
        while the rest is on the wire). The records are those the live catalog will hold of
        that kind, each the very object, none of them changed afterwards; a kind may never
        be handed out, and nothing is once the read has ended. An exception `ready` raises
        ends the read with it. By default nothing is handed out."""
        del ready

    async def fetch_kinds(
        self,
        kinds: Collection[Kind],
        ids: Mapping[Ref, str],
        *,
        keys_only: Collection[Kind] = (),
    ) -> LiveCatalog:
        """The live records of `kinds` (at least): what the per-wave re-check of an apply
        reads. `ids` are the remote ids of the objects the apply knows (read or created),
        so a backend can name the records its answer refers to without reading their kind.
        Records of `keys_only` kinds are looked at by key and id alone (a wave that only
        creates them): a backend may read no other field of them (their `fields` are then
        empty or None). By default the whole catalog."""
        return await self.fetch_live()

    @abstractmethod
    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        """Execute one wave of changes; `settled` (when given) is told how many of them
        settled each time a request or batch finishes."""

    def reads_outlive(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """The command exits once the live catalog's work is done (an export): what the
        next read is built from may be kept to the exit (`collector.outlive`) rather than
        freed object by object before the work that follows. By default nothing is kept."""

    def reads_done(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """The command reads nothing more (an export, once its live catalog is in): what
        only reads use may go now, beside the work that follows, rather than at exit (a
        later read works as before, only slower to start). By default nothing."""

    def writes_done(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """An apply's last wave is over: no write follows in this session. What the backend
        kept from its reads for the writes (at L, hundreds of thousands of ids and rows) may
        go before the verification read, and later reads need not keep it again. A write
        after this is a programming error. By default nothing is kept."""

    async def lookup_tables(
        self, fields: Collection[LookupField]
    ) -> dict[LookupField, LookupTable]:
        """The live lookup tables behind those of `fields` that name lookup rows (a field
        that is not a lookup is left out). Read only when asked, at most once a run."""
        return {}

    async def doctor_checks(self, *, write_probe: bool) -> list[Finding]:
        """What `catalogsync doctor` checks beyond the shared checks: the behaviours the
        ledger could not settle. With `write_probe`, it may create, change and delete
        disposable `catalogsync-probe-<random>` objects, and must always clean them up."""
        return []

    def stats(self) -> dict[str, Any]:
        """Request counts and timings, for --stats."""
        return {}

    async def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections."""


async def gather_settled(
    jobs: Iterable[Awaitable[list[ChangeResult]]],
    settled: Settled | None,
    *,
    at_once: int | None = None,
) -> list[ChangeResult]:
    """The results of `jobs` (each one request's or batch's changes), in the jobs' order,
    run concurrently as `gather_or_cancel` runs them; `settled` is told each job's count as
    that job ends.

    `at_once`: at most that many jobs started and not yet ended at any time, started in
    order (None: every job at once). A job builds its request before it waits for one of
    the client's slots, so when every job of a wave starts at once, the whole wave's records
    are built before the second request leaves (M: 0.2–0.4 s a wave, L: seconds); started a
    few ahead of the client's slots, each is built while the requests before it are on the
    wire. Jobs not started when one fails are closed, never run."""

    async def counted(job: Awaitable[list[ChangeResult]]) -> list[ChangeResult]:
        results = await job
        if settled is not None:
            settled(len(results))
        return results

    if at_once is None:
        done = await gather_or_cancel(*(counted(job) for job in jobs))
        return [result for results in done for result in results]
    waiting = iter(enumerate(jobs))  # shared by the runners: each takes the next job
    ended: dict[int, list[ChangeResult]] = {}

    async def runner() -> None:
        for index, job in waiting:
            ended[index] = await counted(job)

    try:
        await gather_or_cancel(*(runner() for _ in range(max(1, at_once))))
    finally:
        for _, job in waiting:  # left when a job failed or the wave was cancelled
            if isinstance(job, Coroutine):
                job.close()
    return [result for index in sorted(ended) for result in ended[index]]


def started_ahead(concurrency: int) -> int:
    """How many of a wave's jobs to keep started (`gather_settled(at_once=…)`) for a client
    that keeps `concurrency` requests in flight: those, and as many with their request
    built, ready for the next free slot."""
    return 2 * concurrency


def tell_settled(settled: Settled | None, results: Sized) -> None:
    """Results settled without a request (refused before sending) count as done too."""
    if settled is not None and len(results):
        settled(len(results))


#: "package.module:attribute": how a spec names what it loads only when used, so reading a
#: spec imports neither the backend's client nor its emulator.
DottedPath = str


@dataclass(frozen=True)
class Scaffold:
    """What `catalogsync init` writes for a backend beyond what every project has."""

    #: Prefix of the credential variables of a new real target: BP -> BP_SANDBOX_USER.
    env_prefix: str
    #: The URL the commented-out real target shows.
    example_url: str
    #: Credential fields of the target model beyond username/password (e.g. client_id).
    extra_credentials: tuple[str, ...] = ()
    #: Sample catalog files: relative path -> text.
    samples: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendSpec:
    """The one front door of a billing-system backend: all the core knows about it.

    Each `catalogsync/backends/<system>/__init__.py` exports one `SPEC`; the registry
    (`catalogsync.registry`) finds it by name. Heavy parts are dotted paths, loaded lazily.
    """

    #: The name `backend:` takes in catalogsync.yaml.
    name: str
    #: How the backend's catalog YAML reads and writes (kinds, fields, schema, export), and
    #: what a live record links to (`linked_refs`: the dependencies export follows).
    catalog_format: CatalogFormat
    #: The model of one `targets:` entry, with the backend's own credential fields.
    target_model: type[Target]
    #: (project, target_name, target) -> Backend, for a real system or the embedded emulator.
    opener: DottedPath
    #: (db, *, faults, credentials, profile) -> a BaseEmulator of this billing system.
    emulator: DottedPath
    #: The emulator's variant profiles: name -> description, "strict" first.
    emulator_profiles: DottedPath
    #: What `catalogsync init` writes for this backend.
    scaffold: Scaffold
