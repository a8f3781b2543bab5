"""What the reliability suites share: backends under test, projects, CLI runs, live-state checks.

A backend enters every suite through one `BackendCase` entry in `BACKENDS`: how to build its
emulator, which S-size catalog to apply, how to seed a partly applied state, and how to
count live records per natural key. The suites never name a backend otherwise, so adding
LogiSense is one more entry here.
"""

from __future__ import annotations

import atexit
import copy
import hashlib
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from starlette.types import ASGIApp

from benchmarks.generate import generate, write_project
from catalogsync.cli import cli
from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.logisense import LogiSenseEmulator
from catalogsync.emulator.server import ServerThread

#: Environment variables the generated projects read their credentials from.
USER_ENV, PASS_ENV = "RELIABILITY_USER", "RELIABILITY_PASS"
CREDENTIALS = {
    USER_ENV: "reliability-user",
    PASS_ENV: "reliability-password",
    "LOGISENSE_CLIENT_ID": "0123456789abcdef0123456789abcdef",  # LogiSense's password grant
}

#: A live natural key: (kind, key parts).
LiveKey = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class BackendCase:
    """One billing system as the reliability suites see it."""

    name: str
    make_emulator: Callable[[Path], BaseEmulator]
    #: The full S-size catalog (as loaded from YAML).
    catalog: Callable[[], dict[str, Any]]
    #: A smaller catalog of the same shape, for suites that run many times (crash safety).
    small_catalog: Callable[[], dict[str, Any]]
    #: From a full catalog: what is live before the run under test (part of the catalog with
    #: other values, plus objects the catalog does not declare, which must never be touched).
    seed_catalog: Callable[[dict[str, Any]], dict[str, Any]]
    #: Live records counted per natural key, by kind; a count above 1 is a duplicate.
    natural_keys: Callable[[BaseEmulator], Counter[LiveKey]]
    #: A regex of record names the emulator fails, matching about 5% of the catalog.
    five_percent_names: str


def _bp_seed(full: dict[str, Any]) -> dict[str, Any]:
    """Every product (every third with another rate), half the packages, and extras.

    The run under test then updates a third of the products and creates the other half of
    the packages with their package-products, while the extras stay unmanaged.
    """
    data = copy.deepcopy(full)
    for index, product in enumerate(data["products"]):
        if index % 3 == 0:
            product["rate"] = "1234.56"
    data["packages"] = data["packages"][: len(data["packages"]) // 2]
    data["products"] += [{"name": f"Unmanaged product {i}", "rate": "1.00"} for i in range(20)]
    data["packages"].append(
        {
            "name": "Unmanaged package",
            "status": "Production",
            "products": [{"product": f"Unmanaged product {i}", "min_qty": 0} for i in range(5)],
        }
    )
    return data


def _bp_natural_keys(emulator: BaseEmulator) -> Counter[LiveKey]:
    assert isinstance(emulator, BillingPlatformEmulator)
    keys: Counter[LiveKey] = Counter()
    for entity in ("PRODUCT", "PACKAGE"):
        keys.update((entity, (r["Name"],)) for r in emulator.records(entity))
    keys.update(
        ("PACKAGE_PRODUCT", (r["PackageId"], r["ProductId"], r.get("ParentPackageProductId", "")))
        for r in emulator.records("PACKAGE_PRODUCT")
    )
    return keys


BILLINGPLATFORM = BackendCase(
    name="billingplatform",
    make_emulator=lambda db: BillingPlatformEmulator(db),
    catalog=lambda: generate(1_000, 100, 3_000, awkward=True),
    small_catalog=lambda: generate(200, 20, 600, awkward=True),
    seed_catalog=_bp_seed,
    natural_keys=_bp_natural_keys,
    # Names are "Product 000123 …" / "Package 000045 …": index % 20 == 0 is 5% of each.
    five_percent_names=r"^ ?(Product|Package) \d{4}[02468]0\b",
)


def _ls_catalog(bp: dict[str, Any]) -> dict[str, Any]:
    """The generated BillingPlatform catalog in LogiSense's shape (no nesting, no rates)."""

    def flat(items: list[dict[str, Any]]) -> Iterator[str]:
        for item in items:
            yield item["product"]
            yield from flat(item.get("children", []))

    return {
        "services": [
            {"name": p["name"], "service_type": "Recurring", "description": p.get("rate", "")}
            for p in bp["products"]
        ],
        "packages": [
            {
                "name": p["name"],
                "currencies": ["USD"],
                "services": [{"service": n, "default_instances": 1} for n in flat(p["products"])],
            }
            for p in bp["packages"]
        ],
    }


def _ls_seed(full: dict[str, Any]) -> dict[str, Any]:
    """As `_bp_seed`: every third service described otherwise, half the packages, extras."""
    data = copy.deepcopy(full)
    for index, service in enumerate(data["services"]):
        if index % 3 == 0:
            service["description"] = "seeded"
    data["packages"] = data["packages"][: len(data["packages"]) // 2]
    extras = [f"Unmanaged service {i}" for i in range(20)]
    data["services"] += [{"name": n, "service_type": "Recurring"} for n in extras]
    data["packages"].append(
        {
            "name": "Unmanaged package",
            "currencies": ["USD"],
            "services": [{"service": n, "default_instances": 1} for n in extras[:5]],
        }
    )
    return data


def _ls_natural_keys(emulator: BaseEmulator) -> Counter[LiveKey]:
    assert isinstance(emulator, LogiSenseEmulator)
    keys: Counter[LiveKey] = Counter()
    for resource in ("Service", "Package"):
        keys.update((resource, (r["name"],)) for r in emulator.records(resource))
    keys.update(
        ("Package/Service", (str(r["packageId"]), str(r["serviceId"])))
        for r in emulator.records("Package/Service")
    )
    return keys


LOGISENSE = BackendCase(
    name="logisense",
    make_emulator=lambda db: LogiSenseEmulator(db),
    catalog=lambda: _ls_catalog(BILLINGPLATFORM.catalog()),
    small_catalog=lambda: _ls_catalog(BILLINGPLATFORM.small_catalog()),
    seed_catalog=_ls_seed,
    natural_keys=_ls_natural_keys,
    five_percent_names=BILLINGPLATFORM.five_percent_names,
)

#: Every backend the suites run against.
BACKENDS = [BILLINGPLATFORM, LOGISENSE]


# -- projects and the CLI ---------------------------------------------------------------


def write_served_project(
    folder: Path,
    backend: str,
    data: dict[str, Any],
    url: str,
    settings: Mapping[str, Any] | None = None,
) -> Path:
    """A project whose one target is `url`, with credentials from `CREDENTIALS`' variables."""
    target = {"url": url, "username": {"env": USER_ENV}, "password": {"env": PASS_ENV}}
    write_project(folder, data, target)
    config = {
        "backend": backend,
        "catalog": ["catalog.yaml"],
        "targets": {"local": target},
        "guards": {"max_change_share": 1.0},
        # no client-side rate limit: the emulator is local and the suites count requests
        "settings": {"rate_limit": 0, "settle_seconds": 2, **(settings or {})},
    }
    # JSON is YAML: the config is written exactly as given.
    (folder / "catalogsync.yaml").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Run:
    """One CLI invocation's outcome."""

    code: int
    out: str
    err: str


def cli_run(project: Path, *args: str, env: Mapping[str, str] | None = None) -> Run:
    """Run `catalogsync -C project ARGS` in process (click's runner)."""
    result = CliRunner().invoke(
        cli, ["-C", str(project), *args], env={**CREDENTIALS, **(env or {})}
    )
    return Run(result.exit_code, result.stdout, result.stderr)


def replan_refs(project: Path) -> set[str]:
    """The refs (as JSON text) a fresh plan still wants to change; asserts the plan ran."""
    run = cli_run(project, "plan", "--format", "json")
    assert run.code == 0, run.err
    return {ref_id(change["ref"]) for change in json.loads(run.out)["changes"]}


def ref_id(ref: Mapping[str, Any]) -> str:
    return json.dumps(ref, sort_keys=True, ensure_ascii=False)


@contextmanager
def served(
    case: BackendCase, db: Path, wrap: Callable[[ASGIApp], ASGIApp] | None = None
) -> Iterator[tuple[BaseEmulator, str]]:
    """The backend's emulator over `db`, served on loopback (optionally behind `wrap`)."""
    emulator = case.make_emulator(db)
    app: ASGIApp = emulator.app if wrap is None else wrap(emulator.app)
    with emulator, ServerThread(app) as server:
        yield emulator, server.url


def seed_live_state(
    case: BackendCase, data: dict[str, Any], db: Path, settings: Mapping[str, Any]
) -> None:
    """Make `db` hold `data` as a clean apply with `settings` leaves it.

    The suites start every run from a seeded live state. Applying it is a third or more of
    a run's time and its outcome is the same every time (no faults), so each process applies
    each distinct seed once, over loopback as before, and copies the emulator's database
    (its whole state: sessions are not kept across a restart anyway) for every run.
    """
    key = json.dumps([case.name, data, dict(settings)], sort_keys=True, ensure_ascii=False)
    cached = _seed_folder() / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.sqlite3"
    if not cached.exists():
        staging = cached.with_suffix(".applying")
        with served(case, staging.with_suffix(".sqlite3.part")) as (_, url):
            project = write_served_project(staging, case.name, data, url, settings)
            seeded = cli_run(project, "apply", "--auto-approve")
            assert seeded.code == 0, seeded.err
        staging.with_suffix(".sqlite3.part").rename(cached)  # the emulator closed it: complete
    shutil.copyfile(cached, db)


_SEEDS: list[Path] = []


def _seed_folder() -> Path:
    """This process's folder of applied seed states, removed when it exits."""
    if not _SEEDS:
        _SEEDS.append(Path(tempfile.mkdtemp(prefix="catalogsync-seeds-")))
        atexit.register(shutil.rmtree, _SEEDS[0], ignore_errors=True)
    return _SEEDS[0]


# -- live-state checks --------------------------------------------------------------------


@dataclass
class LiveCheck:
    """Duplicates and losses between two snapshots of natural-key counts."""

    duplicates: int
    lost: int
    duplicate_keys: list[LiveKey] = field(default_factory=list)
    lost_keys: list[LiveKey] = field(default_factory=list)


def compare_live(before: Counter[LiveKey], after: Counter[LiveKey]) -> LiveCheck:
    """`after` should hold every key of `before`, each exactly once."""
    duplicate_keys = sorted(k for k, n in after.items() if n > 1)
    lost_keys = sorted(set(before) - set(after))
    return LiveCheck(
        duplicates=sum(after[k] - 1 for k in duplicate_keys),
        lost=len(lost_keys),
        duplicate_keys=duplicate_keys[:5],
        lost_keys=lost_keys[:5],
    )


# -- results table ------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the reliability table (docs/reliability.md)."""

    suite: str
    backend: str
    fault: str
    runs: int = 0
    exit_codes: Counter[int] = field(default_factory=Counter)
    duplicates: int = 0
    lost: int = 0
    report_mismatches: int = 0
    converged: int = 0
    #: Evidence the fault happened: injected error answers, drops, spikes, failed records.
    injected: int = 0

    def add(
        self, code: int, check: LiveCheck, mismatches: int, converged: bool, injected: int = 0
    ) -> None:
        self.runs += 1
        self.injected += injected
        self.exit_codes[code] += 1
        self.duplicates += check.duplicates
        self.lost += check.lost
        self.report_mismatches += mismatches
        self.converged += int(converged)


#: Filled by the suites as they run; printed (and written when asked) by conftest.py.
RESULTS: list[Row] = []


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| suite | backend | fault | runs | faults injected | exit codes seen | duplicates "
        "| objects lost | report mismatches | converged |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        codes = ", ".join(f"{code} ×{n}" for code, n in sorted(row.exit_codes.items()))
        lines.append(
            f"| {row.suite} | {row.backend} | {row.fault} | {row.runs} | {row.injected} | {codes} "
            f"| {row.duplicates} | {row.lost} | {row.report_mismatches} "
            f"| {row.converged}/{row.runs} |"
        )
    return "\n".join(lines)
