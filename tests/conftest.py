"""Shared fixtures: paths to the example project and the failure fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "catalogs" / "example"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def example_project() -> Path:
    return EXAMPLE
