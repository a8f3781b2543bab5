"""A command's start-up (`catalogsync.launch`): what runs, and in which state, before the
first request leaves."""

from __future__ import annotations

import subprocess
import sys

_COLLECTOR_AT_EARLY_LOGIN = """
import gc, sys
from catalogsync import early_login, launch
seen = []
early_login.start = lambda argv: seen.append(gc.isenabled())
gc.enable()  # as Python starts
sys.argv = ["catalogsync", "--version"]
try:
    launch.main()
finally:
    print("collector on at the early login:", seen)
"""


def test_the_collector_is_off_before_the_early_login_and_the_command_line_import() -> None:
    # Its young collections during those imports freed nothing and cost CPU before the
    # first request (`catalogsync.collector`).
    done = subprocess.run(
        [sys.executable, "-c", _COLLECTOR_AT_EARLY_LOGIN],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "collector on at the early login: [False]" in done.stdout
    assert done.stdout.startswith("catalogsync, version")
