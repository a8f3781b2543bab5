"""When a command's requests leave and answer, counted from the moment its process starts.

    python -m benchmarks.timeline [--requests] [--repeat N] -- plan [ARGS…]

runs `catalogsync ARGS…` in a new process in the current directory (a project, e.g. one
`python -m benchmarks.serve` set up) and prints, in seconds from just before the process
was started: the first request sent, the last answer read, the process's exit, and the CPU
it used; with `--requests`, each request's start and end. `--repeat` runs it N times and
prints each run's line (take the least: the machine's noise only ever adds).

catalogsync's bytecode is compiled first, as `python -m benchmarks run` does
(`harness.compile_bytecode`). The child wraps httpx's `AsyncClient.send` (every request
catalogsync sends goes through it) as soon as catalogsync imports httpx, not before, and
the login sent before the configuration is validated and the reads sent behind it
(`catalogsync.early_login._exchange`, timed from its connection) as soon as that module is
imported: the child adds nothing to
what the command imports, nor to when it imports it. An early login or read the command did
not adopt is listed too: it was sent. The summary
gives the CPU the process had used when its first request left, which a loaded machine
changes less than the wall time, and when the command's own client sent its first request
(after the early login: the first query, or the client's login) with the CPU its main
thread had used by then (the process's CPU counts the threads working beside it too).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import compile_bytecode

_CHILD = """
import atexit, importlib.abc, importlib.util, json, os, sys, time, runpy
T0 = float(os.environ["TIMELINE_T0"])
_sent = []
def _wrap(httpx):
    _send = httpx.AsyncClient.send
    async def send(self, request, **kwargs):
        started_main = time.thread_time()  # (the event loop's thread: the main one)
        started, started_cpu = time.time() - T0, time.process_time()
        response = await _send(self, request, **kwargs)
        _sent.append((started, time.time() - T0, request.method, request.url.path,
                      len(response.content) if not kwargs.get("stream") else 0,
                      time.process_time(), started_cpu, started_main))
        return response
    httpx.AsyncClient.send = send
def _wrap_early(early_login):
    _exchange = early_login._exchange
    def exchange(intent, method, path, *args):
        started, started_cpu = time.time() - T0, time.process_time()
        sent = _exchange(intent, method, path, *args)
        _sent.append((started, time.time() - T0, method, path.partition("?")[0],
                      len(sent.body), time.process_time(), started_cpu, None))
        return sent
    early_login._exchange = exchange
_WRAPS = {"httpx": _wrap, "catalogsync.early_login": _wrap_early}
class _WhenImported(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        wrap = _WRAPS.pop(name, None)
        if wrap is None:
            return None
        if not _WRAPS:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            wrap(module)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, _WhenImported())
def _write():
    with open(os.environ["TIMELINE_OUT"], "w") as f:
        json.dump({"requests": _sent, "exit": time.time() - T0,
                   "exit_cpu": time.process_time()}, f)
atexit.register(_write)
sys.argv = ["catalogsync", *sys.argv[1:]]
runpy.run_module("catalogsync", run_name="__main__", alter_sys=True)
"""


def run_once(args: Sequence[str]) -> dict[str, Any]:
    """One run of `catalogsync args`: its requests, exit time and CPU, from process start."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "timeline.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        env = {**os.environ, "TIMELINE_T0": repr(t0), "TIMELINE_OUT": str(out)}
        completed = subprocess.run(
            [sys.executable, "-c", _CHILD, *args], env=env, stdout=subprocess.DEVNULL
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        timeline: dict[str, Any] = json.loads(out.read_text())
    timeline["exit_code"] = completed.returncode
    timeline["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return timeline


def summary(timeline: dict[str, Any]) -> str:
    requests = timeline["requests"]
    first = min(requests, default=[float("nan")] * 8)
    last = max((r[1] for r in requests), default=float("nan"))
    # The first request the command's own client sent (the early login is sent before the
    # command starts, from a thread of its own), and the CPU its main thread had used then:
    # what the process's CPU does not tell once other threads work beside it.
    client = min((r for r in requests if r[7] is not None), default=[float("nan")] * 8)
    return (
        f"first request {first[0]:.3f} s (CPU {first[6]:.3f} s), last answer {last:.3f} s,"
        f" exit {timeline['exit']:.3f} s"
        f" (code {timeline['exit_code']}), {len(requests)} requests, CPU {timeline['cpu']:.2f} s;"
        f" the client's first request {client[0]:.3f} s (main thread's CPU {client[7]:.3f} s)"
    )


def after_last_answer(timeline: dict[str, Any]) -> tuple[float, float]:
    """Wall and CPU seconds from the last answer to the process's exit (the process's own
    CPU, threads included): what no overlap with the network can hide."""
    requests = timeline["requests"]
    if not requests:
        return float("nan"), float("nan")
    last = max(requests, key=lambda request: request[1])
    return timeline["exit"] - last[1], timeline["exit_cpu"] - last[5]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.timeline", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--requests", action="store_true", help="print each request too")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- catalogsync's arguments")
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    compile_bytecode()  # as the benchmarks run it (harness.compile_bytecode)
    for _ in range(options.repeat):
        timeline = run_once(command)
        if options.requests:
            for started, ended, method, path, size, *_ in timeline["requests"]:
                print(f"  {started:7.3f} → {ended:7.3f}  {method} {path} {size:,} B")
        print(summary(timeline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
