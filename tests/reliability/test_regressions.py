"""Fast regression tests for the bugs the reliability suites found; part of the default run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from tests.reliability.harness import BILLINGPLATFORM, PASS_ENV, USER_ENV, write_served_project


def test_a_refused_login_prints_one_error_line_and_no_asyncio_warnings(tmp_path: Path) -> None:
    """The fetch's four queries run at once; when the login fails, the three others used to be
    left to `asyncio.run`'s shutdown, which printed "coroutine 'connect_tcp…try_connect' was
    never awaited" after the error message."""
    emulator = BillingPlatformEmulator(credentials=("someone", "else"))
    with emulator, ServerThread(emulator.app) as server:
        data = BILLINGPLATFORM.small_catalog()
        project = write_served_project(tmp_path / "p", "billingplatform", data, server.url)
        env = {**os.environ, USER_ENV: "wrong", PASS_ENV: "wrong"}
        done = subprocess.run(
            [sys.executable, "-m", "catalogsync", "-C", str(project), "plan"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == (
        "Error: BillingPlatform refused the login (HTTP 401); "
        "check the username and password configured for this target\n"
    )
