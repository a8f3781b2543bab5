"""The process's entry point (the console script's and `python -m catalogsync`'s): the
early login, then the command line.

A command that reads its target has its login sent first (`catalogsync.early_login`: a quick
reading of catalogsync.yaml, the login on a thread of its own), and only then imports the
command line (click, pydantic, httpx, asyncio: ~0.3 s of CPU), which adopts that login when
it is the one it would send.

Ctrl-C and SIGTERM stop the process from its first step as they stop a command
(`catalogsync.interrupt`: one line, exit 130 / 143), although the command line that
handles them is imported only afterwards: with the login on the wire, the server answering
it is the first sign of life a watcher sees, and the command is then still importing.
Before this boundary existed here, a SIGTERM then ended the process by its default action
(-15) and a Ctrl-C with a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    from catalogsync import collector

    # The cyclic collector is off for a command (`collector.for_a_command`), and off from
    # here, before the imports below: left on until the command line turned it off, its
    # young collections during them (the early login's modules, then click and asyncio)
    # were 0.013-0.016 s of the main thread's CPU before a plan's first query, freeing
    # nothing. (A module of one import: the signals' handlers follow at once.)
    collector.for_a_command()
    from catalogsync import generated_code

    # Before the first dataclass is made (`interrupt` imports `errors`'s): each method
    # `dataclasses` writes is compiled once per user, not in every command.
    generated_code.install()
    from catalogsync import interrupt

    # First: nothing here may be left to Python's defaults (`catalogsync.interrupt`).
    interrupt.unwind_on_sigterm()
    interrupt.remember_sigint()
    try:
        from catalogsync import early_login

        early_login.start(sys.argv[1:])

        from catalogsync.cli import main as run_command_line

        run_command_line()
    except KeyboardInterrupt:  # before the command line's own boundary was imported
        interrupt.exit_interrupted()
