"""The `harness` fixture: every contract test runs once per backend and emulator profile.

The default run covers each backend's "strict" profile (what the vendor documents show);
the variant profiles (what the documents leave open) are marked `variant_profile` and run
only in the full run (`./scripts/test --full`, CATALOGSYNC_FULL_TESTS=1) or when selected
with `-m variant_profile`, so the matrix does not slow the default run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from catalogsync.emulator.backends import emulator_profiles, make_emulator
from catalogsync.emulator.profiles import DEFAULT_PROFILE
from catalogsync.emulator.server import ServerThread
from catalogsync.registry import backend_names, load_dotted, register_backend, unregister_backend
from tests.contract.harness import HARNESSES, Harness

#: Backends defined outside catalogsync that the suite covers too: name → (its spec, its
#: harness). Registered only while a contract test runs, so the rest of the suite sees the
#: shipped backends alone. The toy backend's entry is the one line it adds to join.
TEST_BACKENDS = {"toy": ("tests.toy_backend:SPEC", "tests.toy_backend.harness:ToyHarness")}


@contextmanager
def registered_test_backends() -> Iterator[None]:
    """TEST_BACKENDS registered (and their harnesses imported) for the `with` block."""
    for name, (spec, harness) in TEST_BACKENDS.items():
        register_backend(name, spec)
        load_dotted(harness)
    try:
        yield
    finally:
        for name in TEST_BACKENDS:
            unregister_backend(name)


with registered_test_backends():
    #: (backend, profile) pairs: every profile of every registered backend (each must have
    #: a harness).
    CASES = [
        pytest.param(
            (backend, profile),
            id=backend if profile == DEFAULT_PROFILE else f"{backend}+{profile}",
            marks=() if profile == DEFAULT_PROFILE else (pytest.mark.variant_profile,),
        )
        for backend in backend_names()
        for profile in emulator_profiles(backend)
    ]


@pytest.fixture(params=CASES)
def harness(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    backend, profile = request.param
    with registered_test_backends():
        harness_type = HARNESSES[backend]
        for name, value in harness_type.env.items():
            monkeypatch.setenv(name, value)
        with make_emulator(backend, tmp_path / "served.sqlite3", profile=profile) as emulator:
            harness = harness_type(emulator)
            harness.profile = profile
            with ServerThread(harness.dropper) as server:
                harness.url = server.url
                yield harness
