"""`catalogsync doctor`: does this org speak the API the way catalogsync expects?

A doctor run is a list of `Finding`s, one per behaviour: what catalogsync expects (the
ledger, docs/vendor-api.md), what the org did, the verdict, and the setting to put in
catalogsync.yaml where one exists. The core (`catalogsync.doctor.run`) checks what every
backend shares (login, reads, lookup names, duplicate keys); each backend adds its own
checks (`Backend.doctor_checks`), read-only unless a write probe was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from catalogsync.errors import EXIT_ERROR, EXIT_OK


class Verdict(StrEnum):
    """How an org's behaviour compares with what catalogsync expects."""

    OK = "ok"  # as expected
    VARIANT = "variant"  # differs from the primary document; catalogsync handles it
    INCOMPATIBLE = "incompatible"  # catalogsync cannot work with this as it is
    NOT_CHECKED = "not checked"  # needs --write-probe, or an earlier step failed


@dataclass(frozen=True)
class Finding:
    """One behaviour of the org."""

    behaviour: str
    expected: str
    observed: str
    verdict: Verdict
    setting: str = ""  # YAML for catalogsync.yaml when the org differs and a setting helps
    source: str = ""  # where the expectation comes from (ledger row, seed page)

    def to_json(self) -> dict[str, Any]:
        return {
            "behaviour": self.behaviour,
            "expected": self.expected,
            "observed": self.observed,
            "verdict": self.verdict.value,
            "setting": self.setting or None,
            "source": self.source or None,
        }


@dataclass(frozen=True)
class DoctorReport:
    """Every finding of one doctor run against one target."""

    backend: str
    target: str
    target_url: str
    write_probe: bool
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def compatible(self) -> bool:
        return not any(f.verdict is Verdict.INCOMPATIBLE for f in self.findings)

    @property
    def exit_code(self) -> int:
        """0 when the org is compatible, 1 otherwise."""
        return EXIT_OK if self.compatible else EXIT_ERROR

    def to_json(self) -> dict[str, Any]:
        counts = {v.value: sum(f.verdict is v for f in self.findings) for v in Verdict}
        return {
            "backend": self.backend,
            "target": {"name": self.target, "url": self.target_url},
            "write_probe": self.write_probe,
            "compatible": self.compatible,
            "summary": counts,
            "findings": [f.to_json() for f in self.findings],
        }
