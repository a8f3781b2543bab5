"""The benchmark tools run in the test process: what they do as a command would (turn the
cyclic collector off, keep objects to the exit: `benchmarks.planning`'s `fetched_once`)
must not outlast a test, or a later test in the same worker sees a command's collector
(`tests/test_export_check.py`'s test of what a command keeps found the choice kept)."""

from __future__ import annotations

import pytest

from catalogsync import collector


@pytest.fixture(autouse=True)
def not_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`collector.for_a_command` does nothing here."""
    monkeypatch.setattr(collector, "for_a_command", lambda: None)
