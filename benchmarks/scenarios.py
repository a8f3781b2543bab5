"""The scenarios of one catalog size, run in order against one emulator process.

cold apply (empty live) → no-op plan → plan + apply of a 1% change → drift (after a few
edits "in the billing UI") → export. Each is one catalogsync process, measured by
`harness.run_catalogsync`, and set beside its floor (`floor.py`).
"""

from __future__ import annotations

import asyncio
import copy
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.floor import BATCH_SIZE, CONCURRENCY, Floor, scenario_floor
from benchmarks.generate import write_project
from benchmarks.harness import (
    PASSWORD_ENV,
    USER_ENV,
    EmulatorServer,
    Run,
    catalogsync_command,
    run_catalogsync,
)
from catalogsync.backends.billingplatform.client import BillingPlatformClient

PRODUCT, PACKAGE, PP = "PRODUCT", "PACKAGE", "PACKAGE_PRODUCT"
#: Products edited "in the UI" before the drift scenario.
UI_EDITS = 10


@dataclass(frozen=True)
class Shape:
    """What a generated catalog holds: counts per entity, package-products per depth."""

    products: int
    packages: int
    pp_by_depth: tuple[int, ...]

    @property
    def package_products(self) -> int:
        return sum(self.pp_by_depth)

    @property
    def live(self) -> dict[str, int]:
        return {PRODUCT: self.products, PACKAGE: self.packages, PP: self.package_products}

    @staticmethod
    def of(data: dict[str, Any]) -> Shape:
        depths: list[int] = []

        def walk(items: list[dict[str, Any]], depth: int) -> None:
            for item in items:
                while len(depths) <= depth:
                    depths.append(0)
                depths[depth] += 1
                walk(item.get("children", []), depth + 1)

        for package in data["packages"]:
            walk(package["products"], 0)
        return Shape(len(data["products"]), len(data["packages"]), tuple(depths))


@dataclass
class Result:
    """One scenario's measurement beside its floor."""

    scenario: str
    run: Run | None
    floor: Floor
    emulator_requests: int = 0
    expected_exit: tuple[int, ...] = (0,)
    skipped: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"scenario": self.scenario, "floor": self.floor.as_dict()}
        if self.skipped or self.run is None:
            return data | {"skipped": self.skipped}
        run = self.run
        data |= {
            "wall_s": round(run.wall_s, 3),
            "requests": run.requests,
            "emulator_requests": self.emulator_requests,
            "requests_ratio": round(run.requests / self.floor.requests, 3),
            # no floor time without latency and rate limit (the smoke test's setting)
            "wall_ratio": round(run.wall_s / self.floor.seconds, 3) if self.floor.seconds else None,
            "cpu_s": round(run.cpu_s, 3),
            "peak_rss_mb": round(run.peak_rss_mb, 1),
            "exit_code": run.exit_code,
            "ok": run.exit_code in self.expected_exit,
            "stdout_bytes": run.stdout_bytes,
            "client_stats": run.stats,
        }
        if not data["ok"]:
            data["stderr_tail"] = run.stderr_tail
        return data | self.extra


def one_percent_change(data: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """A copy with every 100th product's rate and every 100th package-product's min_qty
    changed; returns it with the numbers of products and package-products changed."""
    changed = copy.deepcopy(data)
    products = changed["products"][::100]
    for product in products:
        product["rate"] = f"{float(product['rate']) + 1:.2f}"
    items: list[dict[str, Any]] = []

    def walk(level: list[dict[str, Any]]) -> None:
        for item in level:
            items.append(item)
            walk(item.get("children", []))

    for package in changed["packages"]:
        walk(package["products"])
    for item in items[::100]:
        item["min_qty"] = 0 if item["min_qty"] else 1
    return changed, len(products), len(items[::100])


def has_command(name: str) -> bool:
    """Whether this catalogsync has the command and its --stats flag (drift, export)."""
    found = subprocess.run(
        [*catalogsync_command(), name, "--help"], capture_output=True, text=True, check=False
    )
    return found.returncode == 0 and "--stats" in found.stdout


async def _edit_in_ui(url: str, data: dict[str, Any]) -> None:
    """Change a few products' rates behind catalogsync's back (the drift to detect)."""
    names = [p["name"] for p in data["products"][1 : 1 + UI_EDITS * 97 : 97]]
    async with BillingPlatformClient(url, "ui-user", "x") as client:
        rows = await client.query_in(PRODUCT, ["Id"], "Name", names)
        await client.update(PRODUCT, [{"Id": row["Id"], "Rate": "0.01"} for row in rows])


def run_size(
    data: dict[str, Any],
    work: Path,
    server: EmulatorServer,
    wanted: set[str],
    log: Callable[[str], None],
) -> list[Result]:
    """Every wanted scenario for one catalog, in order (later ones need earlier state).

    The project's client settings match the emulator's limits (batch 200, 4 in flight,
    the same rate limit), as a user's project for that org would.
    """
    shape = Shape.of(data)
    latency_s, rate = server.latency_ms / 1000, server.rate_limit or 0.0
    target = {"url": server.url, "username": {"env": USER_ENV}, "password": {"env": PASSWORD_ENV}}
    settings = {"rate_limit": rate, "batch_size": BATCH_SIZE, "concurrency": CONCURRENCY}
    project = write_project(work / "project", data, target, settings)
    results: list[Result] = []

    def floor(
        live: dict[str, int],
        waves: list[dict[str, int]] | None = None,
        verify: dict[str, int] | None = None,
    ) -> Floor:
        return scenario_floor(
            live, waves or [], latency_s=latency_s, rate_limit=rate, verify=verify
        )

    def measure(name: str, args: list[str], floor: Floor, expected: int) -> None:
        if name not in wanted:
            return
        server.reset_stats()
        log(f"  {name}: catalogsync {' '.join(args)}")
        run = run_catalogsync(project, *args)
        results.append(Result(name, run, floor, server.stats()["total"], (expected,)))
        log(
            f"    {run.wall_s:.2f}s, {run.requests} requests (floor {floor.requests}), "
            f"exit {run.exit_code}"
        )

    empty = {PRODUCT: 0, PACKAGE: 0, PP: 0}
    creates = [{f"{PRODUCT} create": shape.products, f"{PACKAGE} create": shape.packages}]
    creates += [{f"{PP} create depth {d}": n} for d, n in enumerate(shape.pp_by_depth)]
    measure("cold-apply", ["apply", "--auto-approve"], floor(empty, creates, shape.live), 0)
    measure("noop-plan", ["plan"], floor(shape.live), 0)

    changed, n_products, n_pps = one_percent_change(data)
    write_project(project, changed, target, settings)
    updates = [{f"{PRODUCT} update": n_products, f"{PP} update": n_pps}]
    measure("change-1pct", ["apply", "--auto-approve"], floor(shape.live, updates, shape.live), 0)
    if results and results[-1].scenario == "change-1pct":
        results[-1].extra["changed_objects"] = n_products + n_pps
    for name, args, expected in (
        ("drift", ["drift"], 2),
        ("export", ["export", "--out", str(work / "exported")], 0),
    ):
        if name not in wanted:
            continue
        if not has_command(args[0]):
            skipped = "command not available yet"
            results.append(Result(name, None, floor(shape.live), skipped=skipped))
            continue
        if name == "drift":
            asyncio.run(_edit_in_ui(server.url, changed))
        measure(name, args, floor(shape.live), expected)
    return results
