"""What a command spends after its last answer: wall and CPU from the last response to the
end of the command, as a user runs it (the CLI in this process, its start-up included).

    cd PROJECT && python -m benchmarks.after_read [--repeat N] -- plan [ARGS …]

Run it in a project served by `python -m benchmarks.serve SIZE BACKEND DIR` (with its
CATALOGSYNC_BENCH_* variables). Each run prints when the last answer came back and what
followed it (CPU is the whole process's, threads included); with --repeat, the least
post-read CPU of the runs is printed last. The time from the last answer to the report is
what no overlap with the network can hide, so it is where the read-only scenarios' CPU
shows beside their floor.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

_CHILD = """
import sys, time
started, cpu = time.perf_counter(), time.process_time()
from catalogsync.http.transport import HttpClient
last = [0.0, 0.0]
request = HttpClient.request
async def timed(self, *args, **kwargs):
    try:
        return await request(self, *args, **kwargs)
    finally:
        last[:] = [time.perf_counter() - started, time.process_time() - cpu]
HttpClient.request = timed
from catalogsync.cli import main
sys.argv = ["catalogsync", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
end, end_cpu = time.perf_counter() - started, time.process_time() - cpu
print(f"{last[0]:.3f} {last[1]:.3f} {end:.3f} {end_cpu:.3f}", file=sys.stderr)
"""


def _run(command: list[str]) -> tuple[float, float, float, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    last_line = done.stderr.strip().splitlines()[-1]
    answer, answer_cpu, end, end_cpu = map(float, last_line.split())
    return answer, answer_cpu, end, end_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.after_read")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- plan [ARGS …]")
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"] or ["plan"]
    least = None
    for _ in range(args.repeat):
        answer, answer_cpu, end, end_cpu = _run(command)
        after = end_cpu - answer_cpu
        least = after if least is None else min(least, after)
        print(
            f"last answer at {answer:.3f} s (CPU {answer_cpu:.3f} s), end at {end:.3f} s "
            f"(CPU {end_cpu:.3f} s): after the last answer {end - answer:.3f} s wall, "
            f"{after:.3f} s CPU"
        )
    print(f"least CPU after the last answer: {least:.3f} s ({args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
