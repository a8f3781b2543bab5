"""The floor of the LogiSense REST v8 API: the fewest requests and the least time its
documented operations allow (docs/vendor-api.md, "LogiSense REST v8").

Requests.
- A session costs one request: the password-grant login.
- The six lookup tables (service types, frequency types, currencies, package categories,
  package and service status types) are one `GET X/` each, read once a run.
- Reading services (`Service/Paged`) or packages with their children
  (`Package/Paged/Detail`) costs ``pages(n) = max(1, ceil(n / P))`` requests, P = 10,000
  (what the client asks; no largest page size is documented): the first page's
  `totalCount` says how many pages follow, and they are asked together (chain 2).
- Creating services costs one `POST Service/` each: no multi-object create is documented for
  Service (the v8 Service page lists `PATCH Service/{id}` but shows no body for it).
  Updating one costs one `PUT Service/{id}`.
- Packages are created in `PATCH Package/{id}` requests whose `packages.items` hold several
  `patchType: create` items, each with its frequencies and currencies in its `details`
  (seed 004:754-780), up to B = 200 patch items a request. The path names an existing
  package, so with none live the first package is POSTed first (chain 2).
- Package services are written in `PATCH Package/{id}` requests too: per package one
  `patchType: update` item carrying its service items, up to B patch items a request:
  ``ceil((k + packages) / B)`` for k package services over that many packages.
- An apply verifies what it wrote with one more read of services and packages (lookups
  are kept from the first read).

Time: as for BillingPlatform (`floor.Floor`): each phase takes at least
``max(chain * L, ceil(n / C) * L, (n - 1) / R + L)`` and phases add up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from benchmarks.floor import BATCH_SIZE, Floor, Phase

PAGE_SIZE = 10_000
#: ServiceType, FrequencyType, Currency, Package/Category, Account/Package/StatusType,
#: Service/StatusType (catalogsync.backends.logisense.mapping.LOOKUP_PATHS)
LOOKUP_TABLES = 6
#: Children each benchmark package carries (one frequency, one currency).
CHILDREN_PER_PACKAGE = 2

FORMULA = (
    "requests = 1 login + 6 lookup tables + per entity (services, packages with detail) "
    "max(1, ceil(n/10000)) pages; writes: 1 POST per service created, 1 PUT per service "
    "updated, packages in PATCH Package/{id} packages.items of up to 200 patch items "
    "(children nested; the first package POSTed when none is live), package services in "
    "PATCH requests of up to 200 items (+1 per package); + (apply) one verification read; "
    "time as for BillingPlatform"
)


@dataclass(frozen=True)
class Counts:
    """Live objects of each kind."""

    services: int
    packages: int
    package_services: int


def pages(rows: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(rows / page_size))


def _entity_reads(counts: Counts) -> tuple[int, int]:
    """Requests and the longest chain of reading services and packages."""
    counts_ = [pages(counts.services), pages(counts.packages)]
    return sum(counts_), max(2 if n > 1 else 1 for n in counts_)


def _read(counts: Counts, name: str, lookups: bool) -> Phase:
    requests, chain = _entity_reads(counts)
    return Phase(name, requests + (LOOKUP_TABLES if lookups else 0), chain)


def _batches(items: int) -> int:
    return math.ceil(items / BATCH_SIZE)


def cold_apply(counts: Counts, *, latency_s: float, rate_limit: float) -> Floor:
    """Empty tenant → the catalog, verified."""
    package_items = (counts.packages - 1) * (1 + CHILDREN_PER_PACKAGE)
    package_writes = (1 + _batches(package_items)) if counts.packages else 0
    waves = [
        Phase(
            "write wave 0",
            counts.services + package_writes,
            2 if counts.packages > 1 else 1,
        ),
        Phase("write wave 1", _batches(counts.package_services + counts.packages)),
    ]
    return Floor(
        (
            Phase("login", 1),
            _read(Counts(0, 0, 0), "read", lookups=True),
            *(w for w in waves if w.requests),
            _read(counts, "verify read", lookups=False),
        ),
        latency_s,
        rate_limit,
    )


def read_only(counts: Counts, *, latency_s: float, rate_limit: float) -> Floor:
    """No-op plan, drift, export: one read of the catalog."""
    return Floor((Phase("login", 1), _read(counts, "read", lookups=True)), latency_s, rate_limit)


def change(
    counts: Counts,
    services: int,
    package_services: int,
    *,
    packages_touched: int = 0,
    latency_s: float,
    rate_limit: float,
) -> Floor:
    """Update `services` services and `package_services` package services (over
    `packages_touched` packages; 0: one package each), verified."""
    touched = packages_touched or package_services
    writes = services + _batches(package_services + touched)
    return Floor(
        (
            Phase("login", 1),
            _read(counts, "read", lookups=True),
            Phase("write wave 0", writes),
            _read(counts, "verify read", lookups=False),
        ),
        latency_s,
        rate_limit,
    )
