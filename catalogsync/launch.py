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
from typing import NoReturn


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
    except SystemExit as done:  # (how every command ends)
        _exit(done)


def _exit(done: SystemExit) -> NoReturn:
    """End the process as the interpreter's exit does with `done` (its non-daemon threads
    joined, the exit handlers run, stdout and stderr flushed, the same exit code), without
    the teardown that follows: every module and every object still alive freed one at a
    time (a command keeps its catalogs to its end, `collector.outlive`: at L ~0.02 s).
    Files are closed as they are written (`with`), and what is written at exit is written
    by exit handlers. An exit the interpreter words itself (a message for its code, or
    stdout closed early: "Exception ignored", code 120) is left to it."""
    code = 0 if done.code is None else done.code
    if not isinstance(code, int):
        raise done
    import atexit
    import os
    import threading

    threading._shutdown()  # type: ignore[attr-defined]  # (the interpreter's first step)
    atexit._run_exitfuncs()  # (and they are not run again)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:
        raise done from None
    os._exit(code)
