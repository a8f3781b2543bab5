"""Bulk throughput of the BillingPlatform emulator: upsert N products, read them back.

10,000 products (every 7th with quotes, `%`, `_`, `--`, backslashes or non-ASCII in its
name) are upserted by Name in batches of 200, up to 4 batches in flight, then read back with
paged `OFFSET n ROWS FETCH NEXT 10000 ROWS ONLY` queries until the 404 that ends paging:
10,000 rows take two queries. Every name must come back exactly once.

    python -m benchmarks.emulator_bulk [--mode loopback|inprocess] [--count N] ...
    python benchmarks/emulator_bulk.py

`loopback` (the default) serves the emulator with uvicorn on 127.0.0.1 and talks real HTTP;
`inprocess` goes through `async_transport()`. Prints the time of each phase.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from catalogsync.emulator import Faults
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread

AWKWARD = ["O'Brien", "100% Fibre", "snake_case", "a -- b; c", "back\\slash", "Größe", "日本"]


@dataclass(frozen=True)
class BulkResult:
    """What one run measured."""

    count: int
    batches: int
    queries: int
    upsert_seconds: float
    query_seconds: float
    requests: int

    @property
    def total_seconds(self) -> float:
        return self.upsert_seconds + self.query_seconds


def product_names(count: int) -> list[str]:
    """Deterministic product names; every 7th carries characters that break naive SQL."""
    return [
        f"Product {i:05d}" + (f" {AWKWARD[i // 7 % len(AWKWARD)]}" if i % 7 == 0 else "")
        for i in range(count)
    ]


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/rest/2.0/login", json={"username": "bench", "password": "x"})
    response.raise_for_status()
    return {"sessionid": response.json()["loginResponse"][0]["SessionID"]}


async def _upsert_all(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    names: list[str],
    batch_size: int,
    concurrency: int,
) -> int:
    gate = asyncio.Semaphore(concurrency)

    async def upsert(batch: list[str]) -> None:
        # PACKAGE: its upsert keyed by Name is documented (PRODUCT has none).
        records = [{"Id": "", "Name": name, "PackageStatus": "Production"} for name in batch]
        body = {"brmObjects": records, "externalIDFieldName": "Name"}
        async with gate:
            response = await client.patch("/rest/2.0/PACKAGE", json=body, headers=headers)
        response.raise_for_status()
        failures = [r for r in response.json()["upsertResponse"] if not r["success"]]
        if failures:
            raise RuntimeError(f"{len(failures)} records failed, first: {failures[0]}")

    batches = [names[i : i + batch_size] for i in range(0, len(names), batch_size)]
    await asyncio.gather(*(upsert(batch) for batch in batches))
    return len(batches)


async def _read_all(
    client: httpx.AsyncClient, headers: dict[str, str], page_size: int
) -> tuple[list[str], int]:
    names: list[str] = []
    queries = 0
    while True:
        sql = (
            f"SELECT Id, Name FROM PACKAGE ORDER BY Id "
            f"OFFSET {len(names)} ROWS FETCH NEXT {page_size} ROWS ONLY"
        )
        response = await client.get("/rest/2.0/query", params={"sql": sql}, headers=headers)
        queries += 1
        if response.status_code == 404:  # BP's "no (more) rows"
            return names, queries
        response.raise_for_status()
        names.extend(row["Name"] for row in response.json()["queryResponse"])


async def _run_with(
    client: httpx.AsyncClient, count: int, batch_size: int, page_size: int, concurrency: int
) -> tuple[int, int, float, float]:
    headers = await _login(client)
    names = product_names(count)
    started = time.perf_counter()
    batches = await _upsert_all(client, headers, names, batch_size, concurrency)
    upserted = time.perf_counter()
    read, queries = await _read_all(client, headers, page_size)
    finished = time.perf_counter()
    # Batches run concurrently, so Id order need not follow the input order: compare as
    # multisets (every name exactly once, byte for byte).
    if sorted(read) != sorted(names):
        raise RuntimeError(f"read back {len(read)} names, expected {len(names)} identical ones")
    return batches, queries, upserted - started, finished - upserted


def run(
    count: int = 10_000,
    *,
    batch_size: int = 200,
    page_size: int = 10_000,
    concurrency: int = 4,
    mode: str = "loopback",
    latency_ms: float = 0.0,
) -> BulkResult:
    """Upsert `count` products and read them back; raises if anything is lost or altered."""
    with BillingPlatformEmulator(faults=Faults(latency_ms=latency_ms)) as emulator:

        async def go(base_url: str, transport: httpx.AsyncBaseTransport | None) -> Any:
            timeout = httpx.Timeout(120.0)
            async with httpx.AsyncClient(
                base_url=base_url, transport=transport, timeout=timeout
            ) as client:
                return await _run_with(client, count, batch_size, page_size, concurrency)

        if mode == "inprocess":
            outcome = asyncio.run(go("http://emulator", emulator.async_transport()))
        else:
            with ServerThread(emulator.app) as server:
                outcome = asyncio.run(go(server.url, None))
        batches, queries, upsert_seconds, query_seconds = outcome
        requests = emulator.stats()["total"]
    return BulkResult(count, batches, queries, upsert_seconds, query_seconds, requests)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: run once and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--mode", choices=("loopback", "inprocess"), default="loopback")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    result = run(
        args.count,
        batch_size=args.batch_size,
        page_size=args.page_size,
        concurrency=args.concurrency,
        mode=args.mode,
        latency_ms=args.latency_ms,
    )
    print(
        f"emulator bulk ({args.mode}): {result.count} products upserted in {result.batches} "
        f"batches of {args.batch_size} in {result.upsert_seconds:.2f}s; read back with "
        f"{result.queries} paged queries in {result.query_seconds:.2f}s; "
        f"total {result.total_seconds:.2f}s over {result.requests} requests"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
