"""Plain-value doubles: catalog factories and an in-memory backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from catalogsync.backend_api import Backend, Progress, Settled
from catalogsync.catalog import Catalog, Ref, Resource
from catalogsync.http import HttpSettings
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome

#: The HTTP settings of a test's client against an in-process emulator: the defaults, but
#: no client-side pacing. The vendor's 15 requests/s (the limiter is tested on its own in
#: tests/backends/test_http.py) only made these tests wait, about 25 s of a serial run.
UNPACED = HttpSettings(rate_limit_per_second=0)


def res(ref: Ref, **fields: Any) -> Resource:
    return Resource(ref=ref, fields=fields)


def live(ref: Ref, remote_id: str, **fields: Any) -> LiveResource:
    return LiveResource(ref=ref, remote_id=remote_id, fields=fields)


def catalog(*resources: Resource) -> Catalog:
    return Catalog(tuple(resources))


class InMemoryBackend(Backend):
    """A Backend over a dict; records each wave; fails the refs in `fail`."""

    name = "memory"

    def __init__(self, resources: Sequence[LiveResource] = (), fail: Sequence[Ref] = ()) -> None:
        self.records: dict[Ref, LiveResource] = {r.ref: r for r in resources}
        self.fail = set(fail)
        self.waves: list[list[Change]] = []
        self.next_id = 1000

    async def fetch_live(self, progress: Progress | None = None) -> LiveCatalog:
        return LiveCatalog(tuple(self.records.values()))

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        self.waves.append(list(changes))
        results = []
        for change in changes:
            missing = [
                d for d in change.depends_on if d not in ids and change.action is not Action.DELETE
            ]
            if change.ref in self.fail or missing:
                results.append(ChangeResult(change.ref, Outcome.FAILED, None, "injected failure"))
            else:
                results.append(self._write(change, ids))
            if settled is not None:  # one request per change
                settled(1)
        return results

    def _write(self, change: Change, ids: Mapping[Ref, str]) -> ChangeResult:
        if change.action is Action.DELETE:
            del self.records[self._ref_of(change.remote_id)]
            return ChangeResult(change.ref, Outcome.SUCCEEDED, change.remote_id)
        if change.action is Action.CREATE:
            self.next_id += 1
            remote_id = str(self.next_id)
            self.records[change.ref] = LiveResource(change.ref, remote_id, dict(change.values))
            return ChangeResult(change.ref, Outcome.SUCCEEDED, remote_id)
        old = self.records.pop(self._ref_of(change.remote_id))
        fields = {**old.fields, **{f.field: f.after for f in change.fields if f.field != "name"}}
        self.records[change.ref] = LiveResource(change.ref, old.remote_id, fields)
        return ChangeResult(change.ref, Outcome.SUCCEEDED, old.remote_id)

    def _ref_of(self, remote_id: str | None) -> Ref:
        return next(ref for ref, r in self.records.items() if r.remote_id == remote_id)
