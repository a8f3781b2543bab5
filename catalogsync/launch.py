"""The `catalogsync` process's entry point (the console script and `python -m catalogsync`).

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
