"""BillingPlatform's own fault setting: the longest query its SQL endpoints accept.

The backend-neutral `Faults` holds what every emulator can break; a BillingPlatform
emulator's `faults` is a `BillingPlatformFaults`, which adds the SQL cap (4000 characters,
as the bulk extract page documents for its query text: reference §S6). The cap is set like
any fault: `emulator.faults.max_sql_length = 50`, `POST /_emulator/faults`, or
`catalogsync emulator serve --max-sql-length`.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogsync.emulator.faults import Faults

__all__ = ["DEFAULT_MAX_SQL_LENGTH", "BillingPlatformFaults", "max_sql_length"]

DEFAULT_MAX_SQL_LENGTH = 4_000


@dataclass
class BillingPlatformFaults(Faults):
    """`Faults` plus the longest SQL the query and retrieve endpoints accept."""

    max_sql_length: int = DEFAULT_MAX_SQL_LENGTH

    def validate(self) -> None:
        super().validate()
        if self.max_sql_length <= 0:
            raise ValueError(f"max_sql_length must be positive, not {self.max_sql_length!r}")


def max_sql_length(faults: Faults) -> int:
    """The SQL cap in force. Backend-neutral code may give the emulator a plain `Faults`
    (the fault matrix does): that has no cap of its own, so the documented one applies."""
    if isinstance(faults, BillingPlatformFaults):
        return faults.max_sql_length
    return DEFAULT_MAX_SQL_LENGTH
