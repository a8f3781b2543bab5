"""What a command spends after its last answer: wall and CPU from the last response to the
process's exit, as a user runs it (start-up included).

    cd PROJECT && python -m benchmarks.after_read [--repeat N] -- plan [ARGS …]

Run it in a project served by `python -m benchmarks.serve SIZE BACKEND DIR` (with its
CATALOGSYNC_BENCH_* variables). Each run prints when the last answer came back and what
followed it (CPU is the whole process's, threads included); with --repeat, the least
post-read CPU of the runs is printed last. The time from the last answer to the report is
what no overlap with the network can hide, so it is where the read-only scenarios' CPU
shows beside their floor. The runs are `benchmarks.timeline`'s.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.harness import compile_bytecode
from benchmarks.timeline import after_last_answer, run_once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.after_read")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- plan [ARGS …]")
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"] or ["plan"]
    compile_bytecode()  # as the benchmarks run it
    least = float("inf")
    for _ in range(args.repeat):
        timeline = run_once(command)
        wall, cpu = after_last_answer(timeline)
        least = min(least, cpu)
        print(
            f"last answer at {timeline['exit'] - wall:.3f} s, exit at {timeline['exit']:.3f} s"
            f" (CPU {timeline['exit_cpu']:.3f} s): after the last answer {wall:.3f} s wall,"
            f" {cpu:.3f} s CPU"
        )
    print(f"least CPU after the last answer: {least:.3f} s ({args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
