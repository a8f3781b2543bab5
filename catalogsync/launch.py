"""The entry point with the early login: NOT the console script's or `python -m
catalogsync`'s for now (they run `catalogsync.cli:main`).

It was, for part of round six, and the full run's `tests/hardening/test_signals.py::
test_read_only_commands_stop_with_one_line` then failed in about a third of its cases: a
SIGINT or SIGTERM arriving while the early login was on the wire and the command was still
importing left the process killed by SIGINT (-2) after its "Interrupted by …" line, or
ignored (exit 0), instead of exiting 130 / 143. Not understood yet; until it is, the early
login is opt-in through this function (`tests/test_early_login.py` runs it), and every
figure measured with it says so.

A command that reads its target has its login sent first (`catalogsync.early_login`: a quick
reading of catalogsync.yaml, the login on a thread of its own), and only then imports the
command line (click, pydantic, httpx, asyncio: ~0.3 s of CPU), which adopts that login when
it is the one it would send.
"""

from __future__ import annotations

import sys


def main() -> None:
    from catalogsync import early_login

    early_login.start(sys.argv[1:])

    from catalogsync.cli import main as run_command_line

    run_command_line()
