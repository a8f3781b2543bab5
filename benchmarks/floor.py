"""The floor: the fewest requests and the least time the BillingPlatform API allows.

Requests. BillingPlatform answers at most P = 10,000 rows per query page and takes at most
B = 200 records per write batch (catalogsync's default and the vendor's guidance).

- A session costs one request: the login.
- Reading an entity of n live records costs ``pages(n) = floor(n / P) + 1`` queries: a
  client learns that it has every row only from a page shorter than P (an empty answer,
  HTTP 404, when n is a multiple of P; a COUNT query first would cost the same request).
  P itself is stated only by community code, and a server may cap its pages lower, so a
  short page proves the end only if it is shorter than a page the server has answered:
  when no entity fills a page, the entities whose first page is the largest (usually one)
  each need one COUNT to prove it (docs/vendor-api.md, "Paging").
  The floor reads PRODUCT, PACKAGE and PACKAGE_PRODUCT. The RATING_METHOD lookup is needed
  only when a live row names a rating method, which the generated catalogs never do, and
  catalogsync then skips it too.
- Writing costs ``ceil(k / B)`` batches for the k records of one entity and one action
  within one dependency wave: products and packages first (wave 0), then package-products
  level by level (a child's `ParentPackageProductId` is known only once its parent exists).
  Updates of existing records need no new ids, so all of them form one wave.
- An apply verifies what it wrote by re-reading it (DESIGN.md §8), after the last wave:
  of each entity it wrote k records of, the fewer of its whole read (``pages(n)``, n = the
  records after the apply) and ``ceil(k / I)`` statements naming the written records
  (``Id IN`` lists of at most I = 1,000 items, each answered in one page: fewer rows than a
  page, so the short page proves the end); an entity it wrote nothing of is not read. The
  statements are independent (a chain of 1). This is a lower bound: catalogsync's read-back
  also reads what a "held twice" check needs (a written key's other holders) and reads
  some kinds whole where naming them would cost more statements
  (`backends/billingplatform/read_back.py`).

Time. With latency L per request, at most C = 4 requests in flight and at most R = 15
requests a second (the vendor's sustained limit; the emulator's burst allowance is not
something a client can plan on), a phase of n requests whose longest chain of requests
that must follow one another is d long takes at least

    T(phase) = max(d * L, ceil(n / C) * L, (n - 1) / R + L)

and phases that depend on one another (login, reads, then each write wave) add up:
``T_floor = sum of T(phase)``. Reads are one phase: the entities are read concurrently,
the pages of one entity one after another (each page's OFFSET follows the previous one),
so d = the largest page count. A write wave's batches are independent, so d = 1. The floor
leaves out everything that is not the API's: process start, YAML parsing, planning, the
server's own processing time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

PAGE_SIZE = 10_000
BATCH_SIZE = 200
IN_ITEMS = 1_000  # items of one `IN` list (docs/vendor-api.md: assumed for `/query`)
RATE_LIMIT = 15.0
CONCURRENCY = 4

FORMULA = (
    "requests = 1 login + sum over entities of (floor(n/10000) + 1) pages"
    " (+1 COUNT per largest entity when none fills a 10,000-row page)"
    " + sum over waves and entities of ceil(k/200) batches"
    " + (apply) a read-back of what was written: per entity written, the fewer of its"
    " pages and ceil(k/1000) Id IN statements; "
    "time = sum over phases (login, reads, each write wave) of "
    "max(chain*L, ceil(n/4)*L, (n-1)/15 + L)"
)


@dataclass(frozen=True)
class Phase:
    """Requests that may run together; `chain` of them must run one after another."""

    name: str
    requests: int
    chain: int = 1


@dataclass(frozen=True)
class Floor:
    """The floor of one scenario: its phases, total requests and latency-bound time."""

    phases: tuple[Phase, ...]
    latency_s: float
    rate_limit: float = RATE_LIMIT
    concurrency: int = CONCURRENCY
    notes: tuple[str, ...] = field(default=())

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.phases)

    @property
    def seconds(self) -> float:
        return sum(self.phase_seconds(p) for p in self.phases)

    def phase_seconds(self, phase: Phase) -> float:
        if phase.requests == 0:
            return 0.0
        latency = self.latency_s
        by_chain = phase.chain * latency
        by_concurrency = math.ceil(phase.requests / self.concurrency) * latency
        by_rate = (phase.requests - 1) / self.rate_limit + latency if self.rate_limit else 0.0
        return max(by_chain, by_concurrency, by_rate)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "phases": [
                asdict(p) | {"seconds": round(self.phase_seconds(p), 3)} for p in self.phases
            ],
            "formula": FORMULA,
            "notes": list(self.notes),
        }


def pages(rows: int, page_size: int = PAGE_SIZE) -> int:
    """Queries needed to read `rows` rows and know that there are no more."""
    return rows // page_size + 1


def batches(records: int, batch_size: int = BATCH_SIZE) -> int:
    return math.ceil(records / batch_size)


def proof_counts(live: Mapping[str, int], page_size: int = PAGE_SIZE) -> int:
    """COUNT queries that prove short reads complete: none when some entity fills a page
    (or none has rows), else one per entity whose first page is the largest."""
    largest = max(live.values(), default=0)
    if largest == 0 or largest >= page_size:
        return 0
    return sum(1 for n in live.values() if n == largest)


def read_phase(live: Mapping[str, int]) -> Phase:
    """Reading every live record of each entity (entity name → live count)."""
    counts = [pages(n) for n in live.values()]
    proofs = proof_counts(live)
    chain = max(counts, default=0) + (1 if proofs else 0)
    return Phase("read", sum(counts) + proofs, chain)


def write_waves(waves: Sequence[Mapping[str, int]]) -> list[Phase]:
    """One phase per wave; each wave maps "ENTITY action" to its record count."""
    return [
        Phase(f"write wave {index}", sum(batches(k) for k in wave.values()))
        for index, wave in enumerate(waves)
        if any(wave.values())
    ]


def scenario_floor(
    live: Mapping[str, int],
    waves: Sequence[Mapping[str, int]] = (),
    *,
    latency_s: float,
    rate_limit: float = RATE_LIMIT,
    notes: Sequence[str] = (),
    verify: Mapping[str, int] | None = None,
    written: Mapping[str, int] | None = None,
) -> Floor:
    """Login, one read of the live catalog, the write waves, then (an apply) the read-back
    of what they wrote (`verify`: each entity's record count after them; `written`: the
    records written of each, see `verify_phase`; None: every record, as a cold apply)."""
    phases = [Phase("login", 1), read_phase(live), *write_waves(waves)]
    if verify is not None:
        phases.append(verify_phase(verify, verify if written is None else written))
    return Floor(tuple(phases), latency_s, rate_limit, notes=tuple(notes))


def verify_phase(after: Mapping[str, int], written: Mapping[str, int]) -> Phase:
    """Re-reading what an apply wrote (module docstring): each entity written read whole
    or by `Id IN` statements, whichever is fewer requests; an entity not written, not at all."""
    whole: dict[str, int] = {}
    statements = 0
    for entity, count in after.items():
        k = written.get(entity, 0)
        if k <= 0:
            continue
        if pages(count) <= math.ceil(k / IN_ITEMS):
            whole[entity] = count
        else:
            statements += math.ceil(k / IN_ITEMS)
    read = read_phase(whole) if whole else Phase("read", 0, 0)
    chain = max(read.chain, 1 if statements else 0)
    return Phase("verify read", read.requests + statements, chain)
