"""The checks every backend shares, then the backend's own (`Backend.doctor_checks`)."""

from __future__ import annotations

from catalogsync.backend_api import Backend
from catalogsync.catalog import Catalog, kind_word
from catalogsync.doctor import DoctorReport, Finding, Verdict
from catalogsync.errors import AuthenticationError, CatalogSyncError, CatalogValidationError
from catalogsync.live import LiveCatalog
from catalogsync.preflight import check_duplicate_keys, check_lookup_names


async def run_doctor(
    backend: Backend,
    desired: Catalog | None,
    *,
    target: str,
    target_url: str,
    write_probe: bool,
) -> DoctorReport:
    """Check `backend`'s org; `desired` (the project's catalog, if it loads) adds the
    lookup-name and duplicate-key checks."""
    findings: list[Finding] = []

    def report() -> DoctorReport:
        return DoctorReport(backend.name, target, target_url, write_probe, tuple(findings))

    try:
        live = await backend.fetch_live()
    except AuthenticationError as exc:
        findings.append(
            Finding("login", "the credentials are accepted", str(exc), Verdict.INCOMPATIBLE)
        )
        return report()
    except CatalogSyncError as exc:
        findings.append(
            Finding(
                "login and read of every catalog entity",
                "a session, then every entity and field the mapping reads answers",
                str(exc),
                Verdict.INCOMPATIBLE,
            )
        )
        return report()
    counts = ", ".join(f"{n} {kind_word(kind)}s" for kind, n in sorted(live.count().items()))
    findings.append(
        Finding(
            "login and read of every catalog entity",
            "a session, then every entity and field the mapping reads answers",
            f"read {counts}",
            Verdict.OK,
        )
    )
    findings += await backend.doctor_checks(write_probe=write_probe)
    if desired is not None:
        findings += await _catalog_checks(backend, desired, live)
    return report()


async def _catalog_checks(backend: Backend, desired: Catalog, live: LiveCatalog) -> list[Finding]:
    findings: list[Finding] = []
    try:
        await check_lookup_names(desired, backend)
        observed, verdict = "every lookup name resolves", Verdict.OK
    except CatalogValidationError as exc:
        observed, verdict = "; ".join(str(i) for i in exc.issues), Verdict.INCOMPATIBLE
    findings.append(
        Finding(
            "lookup names the catalog uses",
            "each exists in the org's lookup tables",
            observed,
            verdict,
        )
    )
    try:
        check_duplicate_keys(desired, live)
        observed, verdict = "none", Verdict.OK
    except CatalogSyncError as exc:
        observed, verdict = str(exc).splitlines()[0], Verdict.INCOMPATIBLE
    findings.append(
        Finding(
            "declared keys held by several live records",
            "none (which record the YAML means could not be known)",
            observed,
            verdict,
        )
    )
    return findings
