"""Run `catalogsync.cli.main` in a fresh interpreter and look at the process it leaves:
what a command's start-up imported, how it left the garbage collector."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

_PROBE = """
import gc, json, sys
from catalogsync.cli import main
report = sys.argv[1]
sys.argv = ["catalogsync", *sys.argv[2:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, **eval(report)}))
"""


@dataclass(frozen=True)
class Probed:
    """What the command printed (the probe's own line taken off stdout), and `found`: the
    probe's dict, its "exit" the command's exit code."""

    stdout: str
    stderr: str
    found: dict[str, object]


def run_main(report: str, *args: str) -> Probed:
    """`catalogsync ARGS` through `main()`; then `report`, a Python expression of a dict
    (`gc`, `sys` and `json` imported), is evaluated in the process it left."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, report, *args], capture_output=True, text=True, timeout=120
    )
    *printed, probe = done.stdout.splitlines() or [""]
    assert probe.startswith("{"), done.stderr
    return Probed("\n".join(printed), done.stderr, json.loads(probe))
