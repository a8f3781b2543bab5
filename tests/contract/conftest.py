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
from starlette.types import ASGIApp, Receive, Scope, Send

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


class ServedApp:
    """The app of a worker's one contract server: the running test's emulator (through its
    harness's dropper), or a 503 between tests."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no contract test is running"})


@pytest.fixture(scope="session")
def contract_server() -> Iterator[tuple[ServedApp, str]]:
    """One loopback server per worker for every contract test, each serving its own emulator
    in turn: a server started and stopped per test cost ~0.15 s of waiting each (uvicorn
    notices a stop at its next 0.1 s tick, then waits 0.1 s more) and ~0.03 s of CPU."""
    served = ServedApp()
    with ServerThread(served) as server:
        yield served, server.url


@pytest.fixture(params=CASES)
def harness(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    contract_server: tuple[ServedApp, str],
) -> Iterator[Harness]:
    backend, profile = request.param
    served, url = contract_server
    with registered_test_backends():
        harness_type = HARNESSES[backend]
        for name, value in harness_type.env.items():
            monkeypatch.setenv(name, value)
        with make_emulator(backend, tmp_path / "served.sqlite3", profile=profile) as emulator:
            harness = harness_type(emulator)
            harness.profile = profile
            harness.url = url
            served.app = harness.dropper
            try:
                yield harness
            finally:
                served.app = None
