"""Run a command and write what it cost (wall and CPU seconds, peak RSS) as JSON: the harness's
measuring wrapper.

`os.wait4` on a child of the harness cannot give a clean peak RSS: a forked child starts
with the harness's memory, and on Linux the peak before `exec` counts in the child's
`ru_maxrss` (the kernel keeps the old memory's high-water mark). The harness holds the
generated catalog (hundreds of MB at L), so every command would seem at least that large.
This wrapper is a small process: the command it forks starts from a few MB, less than
catalogsync itself uses, so the child's `ru_maxrss` is the command's own peak.

    python -m benchmarks.child_usage OUT.json COMMAND [ARGS...]

Exits with the command's exit code.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    out, command = argv[0], argv[1:]
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the command, in place of this small child
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    cost = {
        "wall_s": time.perf_counter() - started,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_kib": usage.ru_maxrss,  # Linux reports KiB
    }
    with open(out, "w", encoding="utf-8") as file:
        json.dump(cost, file)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
