"""Building the emulator of a backend, for `catalogsync emulator serve --backend NAME`, the
embedded `emulator:` targets and the tests.

Which emulators exist is the registry's business (each backend's spec names its emulator
and profiles by dotted path); this module only builds one. Imports are lazy: serving one
backend never imports the others.
"""

from __future__ import annotations

from pathlib import Path

from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.profiles import DEFAULT_PROFILE, check_profile
from catalogsync.registry import backend_names, emulator_profiles, get_spec, load_dotted

__all__ = ["emulator_backends", "emulator_faults", "emulator_profiles", "make_emulator"]


def emulator_backends() -> tuple[str, ...]:
    """The backends whose emulator can be built: every registered backend, sorted."""
    return backend_names()


def emulator_faults(backend: str) -> Faults:
    """A fresh fault configuration of the kind `backend`'s emulator applies: its
    `faults_type`, which may add faults of the backend's own to `Faults`."""
    factory = load_dotted(get_spec(backend).emulator)
    if isinstance(factory, type) and issubclass(factory, BaseEmulator):
        return factory.faults_type()
    return Faults()


def make_emulator(
    backend: str,
    db: Path | None = None,
    faults: Faults | None = None,
    credentials: tuple[str, str] | None = None,
    profile: str = DEFAULT_PROFILE,
) -> BaseEmulator:
    """Build the emulator registered as `backend` (KeyError if there is none) in `profile`
    (ValueError naming the known profiles if it has no such profile). Without `faults` it
    starts with its own (`faults_type`: a backend may have faults of its own)."""
    factory = load_dotted(get_spec(backend).emulator)
    check_profile(backend, profile, emulator_profiles(backend))
    emulator: BaseEmulator = factory(db, faults=faults, credentials=credentials, profile=profile)
    return emulator
