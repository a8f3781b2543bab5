"""Helpers for the hardening tests: a one-file project and the CLI run on it.

The slow attacks are marked `reliability`: tests/conftest.py leaves them out of the fast run.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.harness import Run, cli_run

CONFIG = (
    'backend: billingplatform\ncatalog: [catalog.yaml]\ntargets:\n  local: {url: "emulator:"}\n'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "catalogsync.yaml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def validate(project: Path, catalog: str, config: str | None = None) -> Run:
    """`catalogsync validate` on `catalog` (and `config`, if given)."""
    (project / "catalog.yaml").write_text(catalog, encoding="utf-8")
    if config is not None:
        (project / "catalogsync.yaml").write_text(config, encoding="utf-8")
    return cli_run(project, "validate")


@pytest.fixture(autouse=True)
def _interruptible_children() -> Iterator[None]:
    """Commands run here start with SIGINT as from a terminal, whichever way the suite was
    started: a shell's background job (`./scripts/test --full &`) starts with SIGINT
    ignored, its children too, and Python leaves it ignored in them, so Ctrl-C tests would
    find nothing to stop. (A caught signal is reset to its default in a child.)"""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
