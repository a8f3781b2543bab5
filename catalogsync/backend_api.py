"""What a billing-system backend provides to the core: the live catalog and writes.

The core (planner, applier, CLI) talks to backends only through `Backend`; backends are
found by name through `catalogsync.registry`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from catalogsync.catalog import Ref
from catalogsync.doctor import Finding
from catalogsync.live import LiveCatalog, LookupField, LookupTable
from catalogsync.plan import Change
from catalogsync.report import ChangeResult

# Called with (done, total) as a long fetch or apply progresses.
Progress = Callable[[int, int], None]


class Backend(ABC):
    """A billing system reached through its API.

    Implementers must:
    - read the whole catalog in as few requests as the API allows (`fetch_live`);
    - write one wave of changes (`apply_wave`), batching records of one entity and running
      batches concurrently, returning exactly one ChangeResult per change, in any order;
    - resolve references to objects by name through `ids` (remote ids known so far,
      including those created in earlier waves of the same apply);
    - never duplicate an object when a write is retried, and never raise for a per-record
      failure (report it in the ChangeResult); raise BackendError only when nothing in
      the wave could be trusted (e.g. authentication failed).
    """

    name: str

    @abstractmethod
    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        """The live catalog."""

    @abstractmethod
    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str]
    ) -> list[ChangeResult]:
        """Execute one wave of changes."""

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
