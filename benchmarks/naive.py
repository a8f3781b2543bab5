"""The naive baseline: one request per object, one after another (as Terraform providers do).

A naive tool reads each object by id (a "refresh") and writes each object alone. It runs
against the same emulator, with the same latency and the same client-side rate limit
(a client that ignored it would be answered 429 and go no faster). Running it in full takes
N requests at 15 a second — over four minutes for S, hours for L — so by default it runs a
sample of each request kind and extrapolates: time per request x requests needed. The
samples leave the emulator's state as it was: reads read, and writes re-send the values
the records already have.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.floor import RATE_LIMIT
from catalogsync.backends.billingplatform.client import BillingPlatformClient, build_select
from catalogsync.http import HttpSettings

_ENTITIES = ("PRODUCT", "PACKAGE", "PACKAGE_PRODUCT")


@dataclass(frozen=True)
class NaiveRates:
    """Seconds per naive request, measured on a sample of each kind."""

    login_s: float
    read_s: float
    write_s: float
    sampled_reads: int
    sampled_writes: int

    def estimate(self, reads: int, writes: int) -> dict[str, Any]:
        """The naive tool's requests and wall time for a scenario needing these requests."""
        measured = reads <= self.sampled_reads and writes <= self.sampled_writes
        return {
            "requests": 1 + reads + writes,
            "wall_s": round(self.login_s + reads * self.read_s + writes * self.write_s, 2),
            "how": "measured in full"
            if measured
            else f"estimated from a sample of {self.sampled_reads} reads and "
            f"{self.sampled_writes} writes, one at a time",
        }


async def _sample(url: str, sample: int, rate_limit: float) -> NaiveRates:
    settings = HttpSettings(rate_limit_per_second=rate_limit, concurrency=1)
    async with BillingPlatformClient(url, "naive", "x", settings=settings) as client:
        started = time.perf_counter()
        await client.login()
        login_s = time.perf_counter() - started
        per_entity = max(1, sample // len(_ENTITIES))
        rows = {
            entity: await client.query(
                build_select(entity, ["Id", "Name"], None, "Id", (0, per_entity))
            )
            for entity in _ENTITIES
        }
        if rate_limit:
            await asyncio.sleep(1.0)  # start the timed sample with the limiter at rest
        started = time.perf_counter()
        reads = 0
        for entity, found in rows.items():
            for row in found:
                where = f"Id = '{row['Id']}'"
                await client.query(build_select(entity, ["Id", "Name"], where, "Id"))
                reads += 1
        read_s = (time.perf_counter() - started) / max(reads, 1)
        started = time.perf_counter()
        writes = 0
        for entity, found in rows.items():
            for row in found:
                await client.update(entity, [{"Id": row["Id"], "Name": row["Name"]}])
                writes += 1
        write_s = (time.perf_counter() - started) / max(writes, 1)
    return NaiveRates(login_s, read_s, write_s, reads, writes)


def sample_rates(url: str, sample: int = 60, rate_limit: float = RATE_LIMIT) -> NaiveRates:
    """Time `sample` single-object reads and as many single-object writes, sequentially."""
    return asyncio.run(_sample(url, sample, rate_limit))
