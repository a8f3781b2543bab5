"""A command's start-up (`catalogsync.launch`): what runs, and in which state, before the
first request leaves."""

from __future__ import annotations

import subprocess
import sys

_COLLECTOR_AT_EARLY_LOGIN = """
import atexit, gc, sys
from catalogsync import early_login, launch
seen = []
early_login.start = lambda argv: seen.append(gc.isenabled())
gc.enable()  # as Python starts
sys.argv = ["catalogsync", "--version"]
atexit.register(lambda: print("collector on at the early login:", seen))
launch.main()  # (it ends the process)
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


_ENDING = """
import atexit, sys, threading, time
from catalogsync import launch
atexit.register(lambda: print("exit handler", end=""))
def late():
    time.sleep(0.2)
    print("thread;", end="")
threading.Thread(target=late).start()
print("output;", end="")
print("error;", end="", file=sys.stderr)
launch._exit(SystemExit(CODE))
print("never")
"""


def test_a_command_ends_as_the_interpreter_would_without_its_teardown() -> None:
    """`launch._exit`: threads joined, exit handlers run, buffered output flushed, the
    same exit code; a code the interpreter words itself is left to it."""
    for code, returned, error in ((None, 0, "error;"), (3, 3, "error;"), ("'bye'", 1, "bye")):
        done = subprocess.run(
            [sys.executable, "-c", _ENDING.replace("CODE", str(code))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == returned, done.stderr
        assert done.stdout == "output;thread;exit handler"
        assert done.stderr.startswith("error;") and done.stderr.rstrip().endswith(error)
