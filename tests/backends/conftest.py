"""Shared fixtures for backend tests: async tests run on asyncio via anyio's plugin."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio only (the emulator and client use it)."""
    return "asyncio"
