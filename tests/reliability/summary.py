"""The reliability results table at the end of a run, in one process or across xdist workers.

The suites append `Row`s to `harness.RESULTS` in the process that runs them. In a serial run
that is this process; under pytest-xdist (`./scripts/test` runs `-n 4`) each worker holds
its own rows, sends them back as `workeroutput` when it finishes, and the controller (which
runs no test and loads no conftest below tests/) merges them into collection order, so the
table reads the same either way.

Registered from tests/conftest.py, the one conftest the xdist controller loads.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.reliability.harness import Row

_HARNESS = "tests.reliability.harness"
_OUTPUT_KEY = "catalogsync_reliability_rows"
#: Rows received from xdist workers: (collection index of the test that made it, row).
_FROM_WORKERS: list[tuple[int, dict[str, Any]]] = []
#: In a worker or a serial run: id(row) -> collection index of the test that appended it.
_ORIGIN: dict[int, int] = {}


def _local_rows() -> list[Row]:
    """The rows this process's tests appended (none if no reliability suite was imported)."""
    harness = sys.modules.get(_HARNESS)
    return [] if harness is None else list(harness.RESULTS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    before = len(_local_rows())
    try:
        return (yield)
    finally:
        index = item.session.items.index(item)
        for row in _local_rows()[before:]:
            _ORIGIN[id(row)] = index


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is None:  # not an xdist worker
        return
    rows = [_to_dict(row) | {"_origin": _ORIGIN.get(id(row), 0)} for row in _local_rows()]
    workeroutput[_OUTPUT_KEY] = json.dumps(rows)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    output = getattr(node, "workeroutput", {}).get(_OUTPUT_KEY)
    for row in json.loads(output) if output else []:
        _FROM_WORKERS.append((row.pop("_origin"), row))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if hasattr(terminalreporter.config, "workeroutput"):
        return  # a worker: the controller prints the table
    rows = [row for row in _rows() if row.runs]
    if not rows:
        return
    from tests.reliability.harness import table

    text = table(rows)
    terminalreporter.write_sep("=", "reliability results")
    terminalreporter.write_line(text)
    destination = os.environ.get("CATALOGSYNC_RELIABILITY_TABLE")
    if destination:
        Path(destination).write_text(text + "\n", encoding="utf-8")


def _rows() -> list[Row]:
    """Every row of the run, in the order of the tests that made them."""
    if not _FROM_WORKERS:
        local = _local_rows()
        return sorted(local, key=lambda row: _ORIGIN.get(id(row), 0))
    from tests.reliability.harness import Row

    ordered = sorted(_FROM_WORKERS, key=lambda pair: pair[0])
    return [_from_dict(Row, data) for _, data in ordered]


def _to_dict(row: Row) -> dict[str, Any]:
    data = dict(vars(row))
    data["exit_codes"] = sorted(row.exit_codes.items())
    return data


def _from_dict(row_type: type[Row], data: dict[str, Any]) -> Row:
    codes = Counter({int(code): n for code, n in data.pop("exit_codes")})
    return row_type(**data, exit_codes=codes)
