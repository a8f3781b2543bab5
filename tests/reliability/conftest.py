"""The reliability suites: marked `reliability` and deselected unless asked for.

They take minutes, so the default `pytest` run (and `./scripts/test`) leaves them out (the
regression tests for the bugs they found, in test_regressions.py, are fast and always run);
`./scripts/test --full` (what `.ci/run` calls) sets CATALOGSYNC_FULL_TESTS=1 and runs them.
Selecting them explicitly with `-m reliability` works too.

At the end of a run that executed them, the results table is printed, and written as
Markdown to the file named by CATALOGSYNC_RELIABILITY_TABLE when that is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.harness import RESULTS, table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    rows = [row for row in RESULTS if row.runs]
    if not rows:
        return
    text = table(rows)
    terminalreporter.write_sep("=", "reliability results")
    terminalreporter.write_line(text)
    destination = os.environ.get("CATALOGSYNC_RELIABILITY_TABLE")
    if destination:
        Path(destination).write_text(text + "\n", encoding="utf-8")
