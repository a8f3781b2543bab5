"""The end of a run: once the command is done, the interpreter's teardown must not re-scan
every object the run kept (see `catalogsync.cli.main`)."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import gc, sys
from catalogsync.cli import main
sys.argv = ["catalogsync", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print("frozen:", gc.get_freeze_count() > 0, "exit:", code, flush=True)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120
    )


def test_a_finished_command_leaves_what_it_kept_out_of_the_teardown_collections() -> None:
    done = _run("--version")
    assert done.returncode == 0, done.stderr
    version, probe = done.stdout.splitlines()
    assert version.startswith("catalogsync")
    assert probe == "frozen: True exit: 0"


def test_a_failed_command_still_says_why_and_exits_with_its_code() -> None:
    done = _run("plan", "--no-such-option")
    assert "No such option" in done.stderr
    assert done.stdout.strip() == "frozen: True exit: 1"
