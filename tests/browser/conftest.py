"""Tests that drive Debian's chromium headless: marked `browser`, run in the full run.

Each launch of a browser takes seconds, so the default run (`./scripts/test`) leaves them
out; `./scripts/test --full` (what `.ci/run` calls, after `scripts/install-chromium`) runs
them, as does `-m browser`. Where chromium (or Mermaid's bundle) is missing they skip with
the reason, except in CI (CI=true), where they fail: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium")
MERMAID_BUNDLES = sorted((ROOT / "tools" / "mermaid").glob("mermaid-*.min.js"))

# Runs chromium headless with these extra arguments; returns what it printed on stdout.
Browser = Callable[..., str]


def need(what: str, present: bool) -> None:
    """Skip (fail in CI) when a tool the browser tests need is not installed."""
    if present:
        return
    reason = f"{what} is not installed (scripts/install-chromium --yes installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: .ci/run installs it in CI")
    pytest.skip(reason)


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    need("chromium", CHROMIUM is not None)
    assert CHROMIUM is not None

    def run(*args: str) -> str:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # root in CI containers
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ]
        done = subprocess.run(command, capture_output=True, timeout=180, check=True)
        return done.stdout.decode()

    return run
