"""Processes the benchmarks measure: the emulator server, and catalogsync as a user runs it.

The emulator runs in its own process (`catalogsync emulator serve`), so its CPU never
counts as catalogsync's. Each catalogsync command is a process too, forked by a small
wrapper (`child_usage.py`) whose `os.wait4` gives the command's own CPU time and peak RSS
without sampling, and without counting the emulator or this process's memory.
"""

from __future__ import annotations

import compileall
import contextlib
import functools
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import httpx

#: Credentials the emulator accepts (any) and the benchmark projects name.
USER_ENV, PASSWORD_ENV = "CATALOGSYNC_BENCH_USER", "CATALOGSYNC_BENCH_PASSWORD"
#: LogiSense logins name the client id the vendor issued for the tenant.
CLIENT_ID_ENV = "CATALOGSYNC_BENCH_CLIENT_ID"
CREDENTIALS = {USER_ENV: "bench", PASSWORD_ENV: "bench", CLIENT_ID_ENV: "bench"}


def catalogsync_command() -> list[str]:
    """How to start catalogsync: the installed script next to this Python, or `-m`; its
    bytecode compiled first (`compile_bytecode`)."""
    compile_bytecode()
    script = Path(sys.executable).with_name("catalogsync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "catalogsync"]


@functools.cache
def compile_bytecode() -> None:
    """Compile catalogsync's modules to bytecode (`__pycache__`), once per run, so that each
    command starts as an installed catalogsync does: pip compiles a wheel's modules when it
    installs them. From a checkout (an editable install) with PYTHONDONTWRITEBYTECODE set,
    as in some containers, every command would otherwise compile each module's source
    again: ~0.2 s of CPU before the first request of a plan, counted in every row. Python
    still checks each cached file against its source, so an edit is never run stale."""
    spec = importlib.util.find_spec("catalogsync")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP stop the run as KeyboardInterrupt, so every `with` on the
    way out runs: the emulator process is stopped, not left behind. A process started with
    `&` from a script inherits SIGINT ignored, and Python's SIGTERM default ends it without
    any clean-up: both left the emulator running, an orphan holding its port."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    wanted: dict[signal.Signals, Callable[[int, FrameType | None], object]] = {
        signal.SIGINT: signal.default_int_handler,
        signal.SIGTERM: interrupt,
        signal.SIGHUP: interrupt,
    }
    before = {signum: signal.signal(signum, handler) for signum, handler in wanted.items()}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


@dataclass(frozen=True)
class Run:
    """One catalogsync process: what it cost and what it said."""

    args: tuple[str, ...]
    exit_code: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    stats: dict[str, Any]
    stdout_bytes: int
    stderr_tail: str

    @property
    def requests(self) -> int:
        return int(self.stats.get("requests", 0))


def run_catalogsync(project: Path, *args: str, timeout_s: float = 3600.0) -> Run:
    """Run `catalogsync -C project ARGS --stats`, wait, and measure it.

    The command runs under `child_usage.py`, a small process that forks it and reports its
    wall time, CPU time and peak RSS (`os.wait4` here would count this process's memory in
    the child's peak). stdout goes to a file (as in CI logs), not a pipe the harness must
    drain.
    """
    command = [*catalogsync_command(), "-C", str(project), *args, "--stats"]
    env = {**os.environ, **CREDENTIALS, "NO_COLOR": "1"}
    out_path = project / ".bench-stdout.txt"
    err_path = project / ".bench-stderr.txt"
    usage_path = project / ".bench-usage.json"
    usage_path.unlink(missing_ok=True)
    wrapper = [sys.executable, "-S", str(Path(__file__).with_name("child_usage.py"))]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        child = subprocess.Popen(
            [*wrapper, str(usage_path), *command],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # a timeout stops the command with its wrapper
        )
        try:
            exit_code = child.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _stop_group(child)
            raise TimeoutError(f"{' '.join(args)} ran over {timeout_s:.0f}s") from None
        except BaseException:  # interrupted (`stopped_by_signals`): the command stops too
            _stop_group(child)
            raise
    cost = json.loads(usage_path.read_text(encoding="utf-8"))
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    return Run(
        args=tuple(args),
        exit_code=exit_code,
        wall_s=float(cost["wall_s"]),
        cpu_s=float(cost["cpu_s"]),
        peak_rss_mb=float(cost["peak_rss_kib"]) / 1024,
        stats=_stats_line(stderr),
        stdout_bytes=out_path.stat().st_size,
        stderr_tail=stderr[-2000:],
    )


def _stop_group(child: subprocess.Popen[bytes]) -> None:
    """Kill the measured command with its wrapper (their own process group), and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def _stats_line(stderr: str) -> dict[str, Any]:
    for line in reversed(stderr.splitlines()):
        if line.startswith("stats: "):
            parsed: dict[str, Any] = json.loads(line.removeprefix("stats: "))
            return parsed
    return {}


def startup_seconds(repeat: int = 3) -> float:
    """Wall time of `catalogsync --version`: the interpreter and imports, paid by every run."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([*catalogsync_command(), "--version"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def python_speed_seconds(repeat: int = 3) -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions), the least of `repeat`.

    The machine's speed is not its own: on this shared host a loop like it (run at module
    level) took 1.26 s one hour and 0.82 s two hours later, and every read-only row moved
    with it (the floor does not: it is the network's). Kept beside each size's rows, so two
    runs say whether they compare."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        total = 0
        for step in range(10_000_000):
            total += step
        best = min(best, time.process_time() - started)
    return best


class EmulatorServer:
    """`catalogsync emulator serve` in a child process, on a free loopback port."""

    def __init__(
        self,
        db: Path,
        *,
        latency_ms: float,
        rate_limit: float | None,
        backend: str = "billingplatform",
    ) -> None:
        self.db = db
        self.backend = backend
        self.latency_ms = latency_ms
        self.rate_limit = rate_limit
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> EmulatorServer:
        command = [*catalogsync_command(), "emulator", "serve", "--port", "0", "--quiet"]
        command += ["--backend", self.backend]
        command += ["--db", str(self.db), "--latency-ms", str(self.latency_ms)]
        if self.rate_limit:
            command += ["--rate-limit", str(self.rate_limit)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # "... listening on http://127.0.0.1:PORT"
        if "listening on " not in line:
            self._stop()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.url = line.rsplit("listening on ", 1)[1].strip()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def stats(self) -> dict[str, Any]:
        """The emulator's own request counters (control calls are not counted)."""
        response = httpx.get(f"{self.url}/_emulator/stats", timeout=30)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def reset_stats(self) -> None:
        httpx.post(f"{self.url}/_emulator/reset-stats", timeout=30).raise_for_status()

    def set_faults(self, **changes: Any) -> None:
        httpx.post(f"{self.url}/_emulator/faults", json=changes, timeout=30).raise_for_status()


def fresh_dir(path: Path) -> Path:
    """An empty folder at `path` (removed first if it exists)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
