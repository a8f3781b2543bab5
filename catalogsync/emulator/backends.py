"""Which emulators `catalogsync emulator serve --backend NAME` can run.

A lookup rather than an if-chain, so adding the LogiSense emulator is one entry here. The
factories import lazily: serving one backend never imports the others.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.faults import Faults

__all__ = ["EMULATOR_BACKENDS", "EmulatorFactory", "make_emulator"]

#: (db, faults, credentials) -> a ready emulator.
EmulatorFactory = Callable[[Path | None, Faults, tuple[str, str] | None], BaseEmulator]


def _billingplatform(
    db: Path | None, faults: Faults, credentials: tuple[str, str] | None
) -> BaseEmulator:
    from catalogsync.emulator.billingplatform import BillingPlatformEmulator

    return BillingPlatformEmulator(db, faults=faults, credentials=credentials)


def _logisense(
    db: Path | None, faults: Faults, credentials: tuple[str, str] | None
) -> BaseEmulator:
    from catalogsync.emulator.logisense import LogiSenseEmulator

    return LogiSenseEmulator(db, faults=faults, credentials=credentials)


EMULATOR_BACKENDS: dict[str, EmulatorFactory] = {
    "billingplatform": _billingplatform,
    "logisense": _logisense,
}


def make_emulator(
    backend: str,
    db: Path | None = None,
    faults: Faults | None = None,
    credentials: tuple[str, str] | None = None,
) -> BaseEmulator:
    """Build the emulator registered as `backend` (KeyError if there is none)."""
    return EMULATOR_BACKENDS[backend](db, faults or Faults(), credentials)
