"""The CPU of reading a live catalog, without the network: record a backend's answers once,
then replay them in-process as often as wanted.

    python -m benchmarks.live_reads record BACKEND URL FILE   # against a running emulator
    python -m benchmarks.live_reads run BACKEND FILE [--repeat N]

`record` runs `fetch_live` against URL (e.g. one `catalogsync emulator serve` with a cold
applied catalog) and saves every answer to FILE; `run` replays them with no latency and no
rate limit and prints the least CPU of N runs of `fetch_live`, of its mapping step (and of
the part of it left once every answer is in: `LiveRows.finish`), and a digest of the live
resources (the same digest before and after a change of the read path shows the planner
gets the same input). On a shared machine the least of several runs is what compares; the
FILE of one catalog can be replayed on two checkouts (`PYTHONPATH=<checkout>`, from outside
either checkout) back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import pickle
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from catalogsync import collector
from catalogsync.backend_api import Backend
from catalogsync.http import HttpSettings
from catalogsync.live import LiveCatalog

_Key = tuple[str, str, bytes, str | None]
_Answer = tuple[int, dict[str, str], bytes]


class _Replay(httpx.AsyncBaseTransport):
    """Forwards to `inner` and records (record), or answers from `saved` (run).

    A replay answers the largest answer last, once no other request is in flight and what
    the others' answers lead to has run, as an emulator does (the largest page takes it the
    longest to build): what a backend does before and after its last answer is then what it
    does on the wire."""

    def __init__(self, saved: dict[_Key, _Answer], inner: httpx.AsyncBaseTransport | None) -> None:
        self.saved, self.inner = saved, inner
        self._largest = max(saved, key=lambda k: len(saved[k][2])) if inner is None else None
        self._in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.raw_path.decode(), request.read(),
               request.headers.get("pagination"))  # fmt: skip
        if self.inner is not None:
            answer = await self.inner.handle_async_request(request)
            headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-type"}
            self.saved[key] = (answer.status_code, headers, await answer.aread())
        elif key == self._largest:
            while self._in_flight:
                await asyncio.sleep(0)
            for _ in range(100):
                await asyncio.sleep(0)
        self._in_flight += key != self._largest
        try:
            await asyncio.sleep(0)
        finally:
            self._in_flight -= key != self._largest
        status, headers, content = self.saved[key]
        return httpx.Response(status, headers=headers, content=content, request=request)


def _backend(name: str, url: str, transport: httpx.AsyncBaseTransport) -> Backend:
    settings = HttpSettings(rate_limit_per_second=0)
    if name == "billingplatform":
        from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
        from catalogsync.backends.billingplatform.client import BillingPlatformClient

        bp = BillingPlatformClient(
            url, "b", "b", settings=settings, transport=transport, allow_insecure_http=True
        )
        return BillingPlatformBackend(bp)
    from catalogsync.backends.logisense.backend import LogiSenseBackend
    from catalogsync.backends.logisense.client import LogiSenseClient

    ls = LogiSenseClient(
        url, "b", "b", "b", settings=settings, transport=transport, allow_insecure_http=True
    )
    return LogiSenseBackend(ls)


def _timed_mapping(backend: Backend, spent: list[float], finishing: list[float]) -> None:
    """Add the CPU of the backend's mapping step to `spent[-1]`: the module's
    `live_resources`, or the `work` and `finish` of its `LiveRows` (built page by page);
    and that of `finish` alone (what is left once every answer is in) to `finishing[-1]`."""
    module = sys.modules[type(backend).__module__]
    builder = getattr(module, "LiveRows", None)
    owner, names = (builder, ("work", "finish")) if builder else (module, ("live_resources",))
    depth = [0]  # `finish` calls `work`: the outer call alone is timed

    def timed(real: Callable[..., Any], last: bool) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            depth[0] += 1
            try:
                return real(*args, **kwargs)
            finally:
                depth[0] -= 1
                if not depth[0]:
                    spent[-1] += time.process_time() - started
                    if last:
                        finishing[-1] += time.process_time() - started

        return call

    for name in names:
        setattr(owner, name, timed(getattr(owner, name), name in ("finish", "live_resources")))


async def _fetch(backend: Backend) -> tuple[float, LiveCatalog]:
    try:
        gc.collect()
        started = time.process_time()
        live = await backend.fetch_live()
        return time.process_time() - started, live
    finally:
        await backend.close()


def digest(live: LiveCatalog) -> str:
    """A hash of everything the planner reads of the live catalog."""
    hashed = hashlib.sha256()
    for r in live:
        fields = sorted(r.fields.items())
        hashed.update(repr((r.ref, r.remote_id, fields, r.updated_at, r.updated_by)).encode())
    return hashed.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live_reads")
    parser.add_argument("mode", choices=["record", "run"])
    parser.add_argument("backend", choices=["billingplatform", "logisense"])
    parser.add_argument("where", nargs="+", help="record: URL FILE; run: FILE")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--memory", action="store_true", help="also the tracemalloc peak of one fetch_live"
    )
    args = parser.parse_args(argv)
    collector.for_a_command()  # as the catalogsync command runs
    if args.mode == "record":
        url, file = args.where
        saved: dict[_Key, _Answer] = {}
        transport = _Replay(saved, httpx.AsyncHTTPTransport())
        _, live = asyncio.run(_fetch(_backend(args.backend, url, transport)))
        Path(file).write_bytes(pickle.dumps({"url": url, "answers": saved}))
        print(f"recorded {len(saved)} answers, {len(live)} live resources")
        return 0
    (file,) = args.where
    recorded = pickle.loads(Path(file).read_bytes())  # a file `record` wrote
    saved = recorded["answers"]
    fetches: list[float] = []
    mapping: list[float] = []
    finishing: list[float] = []
    for repeat in range(args.repeat):
        backend = _backend(args.backend, recorded["url"], _Replay(saved, None))
        if not repeat:
            _timed_mapping(backend, mapping, finishing)
        mapping.append(0.0)
        finishing.append(0.0)
        spent, live = asyncio.run(_fetch(backend))
        fetches.append(spent)
    if args.memory:
        tracemalloc.start()
        _, live = asyncio.run(_fetch(_backend(args.backend, recorded["url"], _Replay(saved, None))))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"fetch_live tracemalloc peak {peak / 1e6:.1f} MB (the recorded answers aside)")
    print(
        f"fetch_live {min(fetches):.3f} s CPU, mapping {min(mapping):.3f} s, of which once "
        f"every answer is in {min(finishing):.3f} s (least of {args.repeat}); {len(live)} "
        f"live resources, digest {digest(live)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
