"""Ctrl-C and SIGTERM: apply settles (or, signalled twice, abandons) what is in flight,
prints the partial report and exits 130 / 143; other commands stop with one line.

Real subprocesses against `catalogsync emulator serve`, as in CI: the emulator outlives
the interrupted command, and the next apply must converge.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from tests.hardening.served import cli, emulator_serve, plan_changes, served_project, signal_during

#: Slow writes (latency) and small batches: the apply takes dozens of requests.
SETTINGS = {"batch_size": 5, "concurrency": 2}
PRODUCTS = 150
_SUMMARY = re.compile(
    r"Apply interrupted by (SIG\w+): (\d+) succeeded, (\d+) failed, (\d+) not attempted\. "
    r"Run `catalogsync apply` again to converge\."
)


def _summary(err: str) -> tuple[str, int, int, int]:
    found = _SUMMARY.search(err)
    assert found, err
    name, succeeded, failed, not_attempted = found.groups()
    return name, int(succeeded), int(failed), int(not_attempted)


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGINT, 130), pytest.param(signal.SIGTERM, 143, marks=pytest.mark.reliability)],
    ids=["SIGINT", "SIGTERM"],
)
def test_a_signal_during_apply_settles_reports_and_converges(
    tmp_path: Path, signum: int, code: int
) -> None:
    with emulator_serve("--latency-ms", "40") as emulator:
        project = served_project(tmp_path, emulator.url, PRODUCTS, SETTINGS)
        run = signal_during(project, emulator, ["apply", "--auto-approve"], [signum], 8)
        assert run.returncode == code, run.stderr
        assert "Traceback" not in run.stderr + run.stdout
        name, succeeded, failed, not_attempted = _summary(run.stderr)
        assert name == signal.Signals(signum).name
        assert succeeded > 0 and failed == 0 and not_attempted > 0
        assert succeeded + not_attempted == PRODUCTS
        assert "not attempted: apply was interrupted" in run.stdout  # the report lists them
        # What the report calls succeeded is live; the rest is exactly what is left to do.
        assert plan_changes(project) == not_attempted
        again = cli(project, "apply", "--auto-approve")
        assert again.returncode == 0, again.stderr
        assert plan_changes(project) == 0


@pytest.mark.reliability
def test_a_second_sigint_abandons_the_requests_in_flight(tmp_path: Path) -> None:
    with emulator_serve("--latency-ms", "300") as emulator:
        project = served_project(tmp_path, emulator.url, PRODUCTS, SETTINGS)
        signals = [signal.SIGINT, signal.SIGINT]
        run = signal_during(project, emulator, ["apply", "--auto-approve"], signals, 6)
        assert run.returncode == 130, run.stderr
        assert "Traceback" not in run.stderr + run.stdout
        _, succeeded, failed, not_attempted = _summary(run.stderr)
        assert succeeded + failed + not_attempted == PRODUCTS
        assert "abandoned in flight" in run.stdout
        again = cli(project, "apply", "--auto-approve")
        assert again.returncode == 0, again.stderr
        assert plan_changes(project) == 0


@pytest.mark.reliability
@pytest.mark.parametrize("command", [["plan"], ["drift"], ["export", "--out", "exported"]])
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_read_only_commands_stop_with_one_line(
    tmp_path: Path, command: list[str], signum: int, code: int
) -> None:
    with emulator_serve("--latency-ms", "200") as emulator:
        project = served_project(tmp_path, emulator.url, 20, {})
        cli(project, "apply", "--auto-approve")
        run = signal_during(project, emulator, command, [signum], emulator.requests() + 1)
        assert run.returncode == code, run.stderr
        assert "Traceback" not in run.stderr + run.stdout
        assert f"Interrupted by {signal.Signals(signum).name}" in run.stderr


def test_the_emulator_prints_no_traceback_when_a_client_disconnects(tmp_path: Path) -> None:
    with emulator_serve("--latency-ms", "300") as emulator:
        project = served_project(tmp_path, emulator.url, 30, SETTINGS)
        run = signal_during(project, emulator, ["apply", "--auto-approve"], [signal.SIGINT] * 2, 8)
        assert run.returncode == 130
    assert "Traceback" not in emulator.stderr, emulator.stderr
    assert "catalogsync emulator stopped" in emulator.stderr
