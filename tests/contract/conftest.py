"""The `harness` fixture: every contract test runs once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogsync.emulator.server import ServerThread
from tests.contract.harness import HARNESSES, Harness


@pytest.fixture(params=sorted(HARNESSES))
def harness(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    harness_type, make_emulator = HARNESSES[request.param]
    for name, value in harness_type.env.items():
        monkeypatch.setenv(name, value)
    with make_emulator(tmp_path / "served.sqlite3") as emulator:
        harness = harness_type(emulator)
        with ServerThread(harness.dropper) as server:
            harness.url = server.url
            yield harness
