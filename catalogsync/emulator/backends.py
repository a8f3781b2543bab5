"""Which emulators `catalogsync emulator serve --backend NAME` can run, and their profiles.

A lookup rather than an if-chain, so adding an emulator is one entry here. The factories
and profile lists import lazily: serving one backend never imports the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.profiles import DEFAULT_PROFILE, check_profile

__all__ = ["EMULATOR_BACKENDS", "EmulatorFactory", "emulator_profiles", "make_emulator"]

#: (db, faults, credentials, profile) -> a ready emulator.
EmulatorFactory = Callable[[Path | None, Faults, tuple[str, str] | None, str], BaseEmulator]


def _billingplatform(
    db: Path | None, faults: Faults, credentials: tuple[str, str] | None, profile: str
) -> BaseEmulator:
    from catalogsync.emulator.billingplatform import BillingPlatformEmulator

    return BillingPlatformEmulator(db, faults=faults, credentials=credentials, profile=profile)


def _logisense(
    db: Path | None, faults: Faults, credentials: tuple[str, str] | None, profile: str
) -> BaseEmulator:
    from catalogsync.emulator.logisense import LogiSenseEmulator

    return LogiSenseEmulator(db, faults=faults, credentials=credentials, profile=profile)


EMULATOR_BACKENDS: dict[str, EmulatorFactory] = {
    "billingplatform": _billingplatform,
    "logisense": _logisense,
}


def emulator_profiles(backend: str) -> dict[str, str]:
    """The variant profiles of `backend`'s emulator: name → description, "strict" first."""
    if backend not in EMULATOR_BACKENDS:
        raise KeyError(backend)
    module = importlib.import_module(f"catalogsync.emulator.{backend}.profiles")
    profiles: dict[str, str] = module.PROFILES
    return profiles


def make_emulator(
    backend: str,
    db: Path | None = None,
    faults: Faults | None = None,
    credentials: tuple[str, str] | None = None,
    profile: str = DEFAULT_PROFILE,
) -> BaseEmulator:
    """Build the emulator registered as `backend` (KeyError if there is none) in `profile`
    (ValueError naming the known profiles if it has no such profile)."""
    factory = EMULATOR_BACKENDS[backend]
    check_profile(backend, profile, emulator_profiles(backend))
    return factory(db, faults or Faults(), credentials, profile)
