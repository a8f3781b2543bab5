"""`catalogsync emulator serve` and `catalogsync` commands as real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.harness import CREDENTIALS, cli_run, write_served_project

#: The control endpoints' credentials given to the served emulator (from the environment).
CONTROL_ENV = "CATALOGSYNC_EMULATOR_CREDENTIALS"
CONTROL_USER, CONTROL_PASSWORD = CREDENTIALS["RELIABILITY_USER"], CREDENTIALS["RELIABILITY_PASS"]


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "catalogsync", *args]


@dataclass
class Emulator:
    """A served emulator subprocess: its URL and its stderr so far."""

    process: subprocess.Popen[str]
    url: str
    #: What it printed on stderr, once stopped.
    stderr: str = ""
    #: One client for every look at the stats: `signal_during` looks every 10 ms, and
    #: `httpx.get` made a new client each time, reading certifi's roots for a context it
    #: never used (~0.04 s of CPU a look, more than the wait between looks).
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(auth=(CONTROL_USER, CONTROL_PASSWORD), timeout=10)
    )

    def stats(self) -> dict[str, Any]:
        answer = self.client.get(f"{self.url}/_emulator/stats")
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def requests(self) -> int:
        return int(self.stats()["total"])


@contextmanager
def emulator_serve(*extra: str, env: Mapping[str, str] | None = None) -> Iterator[Emulator]:
    """`catalogsync emulator serve --port 0 ...`, stopped with SIGINT afterwards."""
    environment = {
        **os.environ,
        CONTROL_ENV: f"{CONTROL_USER}:{CONTROL_PASSWORD}",
        **(env or {}),
    }
    process = subprocess.Popen(
        command("emulator", "serve", "--port", "0", "--quiet", *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on " in line, line + (process.stderr.read() if process.stderr else "")
        served = Emulator(process, line.rsplit(" ", 1)[-1].strip())
        yield served
    finally:
        if "served" in locals():
            served.client.close()  # before the emulator stops: no connection left open
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        if "served" in locals():
            served.stderr = err


def served_project(folder: Path, url: str, products: int, settings: Mapping[str, Any]) -> Path:
    data = {"products": [{"name": f"Product {i:04d}", "rate": "1.5"} for i in range(products)]}
    return write_served_project(folder, "billingplatform", data, url, settings)


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command("-C", str(project), *args),
        capture_output=True,
        text=True,
        env={**os.environ, **CREDENTIALS},
        timeout=300,
        check=False,
    )


def signal_during(
    project: Path,
    emulator: Emulator,
    args: Sequence[str],
    signals: Sequence[int],
    after_requests: int,
) -> subprocess.CompletedProcess[str]:
    """Run `catalogsync ARGS`; once the emulator has served `after_requests`, send `signals`."""
    process = subprocess.Popen(
        command("-C", str(project), *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **CREDENTIALS},
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and emulator.requests() < after_requests:
        assert time.monotonic() < deadline, "the command neither progressed nor finished"
        time.sleep(0.01)
    for signum in signals:
        if process.poll() is None:
            process.send_signal(signum)
            time.sleep(0.05)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def plan_changes(project: Path) -> int:
    """How many changes a fresh plan wants; in process (nothing here is about signals, and a
    subprocess would only add an interpreter start-up)."""
    run = cli_run(project, "plan", "--format", "json")
    assert run.code == 0, run.err
    return len(json.loads(run.out)["changes"])
