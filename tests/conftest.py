"""Shared fixtures: paths to the example project and the failure fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "catalogs" / "example"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# Tests talk to emulators that answer in microseconds; the vendor's 15 requests/s pacing
# (tested on its own in tests/backends/test_http.py) would only make them wait.
# Unpaced; an unclear create is settled within 5 s (the emulators never commit one late).
TEST_SETTINGS = {"rate_limit": 10_000, "settle_seconds": 5}


def copy_example(destination: Path) -> Path:
    """A copy of the example project (without its emulator state), unpaced for tests."""
    shutil.copytree(EXAMPLE, destination, ignore=shutil.ignore_patterns(".catalogsync"))
    config = destination / "catalogsync.yaml"
    text = config.read_text(encoding="utf-8")
    assert "rate_limit: 15\n" in text
    unpaced = "rate_limit: 10000\n  settle_seconds: 5\n"  # see TEST_SETTINGS
    config.write_text(text.replace("rate_limit: 15\n", unpaced), encoding="utf-8")
    return destination


@pytest.fixture
def example_project() -> Path:
    return EXAMPLE
