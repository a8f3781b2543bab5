"""Ctrl-C and SIGTERM: apply settles (or, signalled twice, abandons) what is in flight,
prints the partial report and exits 130 / 143; other commands stop with one line.

Real subprocesses against `catalogsync emulator serve`, as in CI: the emulator outlives
the interrupted command, and the next apply must converge.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalogsync import beside, catalog_cache
from tests.hardening.served import cli, emulator_serve, plan_changes, served_project, signal_during
from tests.reliability.harness import CREDENTIALS
from tests.test_early_login import ENV as EARLY_LOGIN_ENV
from tests.test_early_login import write_project

#: `catalogsync` through its entry point with the early login (`catalogsync.launch`).
LAUNCHED = [sys.executable, "-c", "from catalogsync.launch import main; main()"]
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
    [
        # long: test_interrupted_apply.py settles, reports and converges a stopped apply in
        # process, and test_the_emulator_prints_no_traceback_when_a_client_disconnects
        # interrupts a served apply with real signals
        pytest.param(signal.SIGINT, 130, marks=pytest.mark.long),
        pytest.param(signal.SIGTERM, 143, marks=pytest.mark.reliability),
    ],
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
    # `--out` is relative to the process's working directory, not the project: an export
    # the signal failed to stop must land in tmp_path, never in the checkout (where it
    # made every later run fail with "would overwrite").
    command = [str(tmp_path / "exported") if part == "exported" else part for part in command]
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


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_while_the_early_login_is_on_the_wire_stops_with_one_line(
    tmp_path: Path, signum: int, code: int
) -> None:
    """The signal arrives as the server gets the login sent at the process's first step
    (`catalogsync.launch`), while the command line is still being imported; the login is
    never answered (its thread is still waiting when the process exits)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        project = write_project(tmp_path / "project", url)
        process = subprocess.Popen(
            [*LAUNCHED, "-C", str(project), "plan"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **EARLY_LOGIN_ENV},
        )
        server.settimeout(60)
        connection, _ = server.accept()
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                received += connection.recv(4096)
            assert received.startswith(b"POST /rest/2.0/login ")
            process.send_signal(signum)
            out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert err.strip() == f"Interrupted by {signal.Signals(signum).name}." and out == ""


def test_sigterm_stops_a_process_started_with_sigint_ignored() -> None:
    """A shell's background job starts with SIGINT ignored, and Python leaves it so: SIGTERM,
    which unwinds by re-sending SIGINT, must not be lost with it (the run went on to its
    end and exited 0)."""
    script = (
        "import signal, time\n"
        "from catalogsync import interrupt\n"
        "interrupt.unwind_on_sigterm()\n"
        "interrupt.checkpoint()  # start-up is over\n"
        "try:\n"
        "    signal.raise_signal(signal.SIGTERM)\n"
        "    time.sleep(0.2)  # time for a lost signal to show\n"
        "    print('went on')\n"
        "except KeyboardInterrupt:\n"
        "    interrupt.exit_interrupted()\n"
    )
    background = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", sys.executable, "-c", script]
    run = subprocess.run(background, capture_output=True, text=True, timeout=60, check=False)
    assert (run.returncode, run.stdout, run.stderr) == (143, "", "Interrupted by SIGTERM.\n")


def test_a_keyboard_interrupt_out_of_a_string_run_by_exec_still_exits_130(
    tmp_path: Path,
) -> None:
    """Signals land anywhere, among others in the methods dataclasses and namedtuples
    define by `exec`; CPython then takes the KeyboardInterrupt for an unhandled one, and
    would end a `python -m` process by SIGINT (-2) after its one line."""
    (tmp_path / "interrupted_in_exec.py").write_text(
        "from catalogsync import interrupt\n"
        "try:\n"
        "    exec('raise KeyboardInterrupt')\n"
        "except KeyboardInterrupt:\n"
        "    interrupt.exit_interrupted()\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "interrupted_in_exec"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        timeout=60,
        check=False,
    )
    assert (run.returncode, run.stderr) == (130, "Interrupted by SIGINT.\n")


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_during_start_up_is_raised_at_its_end(signum: int, code: int) -> None:
    """During start-up a signal is noted and raised at its end: a KeyboardInterrupt raised
    where it landed could be swallowed there (a weakref callback, a finalizer, code that
    catches everything as ruamel.yaml's import does), and the command ran to its end."""
    script = (
        "import signal\n"
        "from catalogsync import interrupt\n"
        "interrupt.unwind_on_sigterm()\n"
        "interrupt.remember_sigint()\n"
        "try:\n"
        "    try:\n"
        f"        signal.raise_signal({int(signum)})\n"
        "    except:  # noqa: E722\n"
        "        pass\n"
        "    interrupt.checkpoint()\n"
        "    print('went on')\n"
        "except KeyboardInterrupt:\n"
        "    interrupt.exit_interrupted()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    name = signal.Signals(signum).name
    assert (run.returncode, run.stdout, run.stderr) == (code, "", f"Interrupted by {name}.\n")


#: `catalogsync` through its entry point, its YAML load slowed down: the load, in the forked
#: child that loads beside the read (`catalog_cache.loaded_beside`), notes its pid, then
#: sleeps long before it loads and notes that it finished.
SLOW_LOAD = [
    sys.executable,
    "-c",
    "import os, sys, time\n"
    "from pathlib import Path\n"
    "import catalogsync.loader as loader\n"
    "marks = Path(os.environ['SLOW_LOAD_MARKS'])\n"
    "original = loader.load_catalog\n"
    "def slow(*args, **kwargs):\n"
    "    (marks / 'starting').write_text(str(os.getpid()))\n"
    "    (marks / 'starting').rename(marks / 'started')  # (seen whole)\n"
    "    time.sleep(30)\n"
    "    (marks / 'finished').write_text('')\n"
    "    return original(*args, **kwargs)\n"
    "loader.load_catalog = slow\n"
    "from catalogsync.launch import main\n"
    "main()\n",
]


@pytest.mark.skipif(not beside.available(), reason="the load is forked only with two cores")
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_during_the_forked_catalog_load_abandons_it_at_once(
    tmp_path: Path, signum: int, code: int
) -> None:
    """The catalog is loaded in a forked child while the live one is read; a signal then
    stops the command with its one line, without waiting for the load to end (it waited:
    the thread reading the child's answer was joined as the event loop closed)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    with emulator_serve() as emulator:
        project = served_project(tmp_path / "project", emulator.url, 5, {})
        catalog = project / "catalog.yaml"
        with catalog.open("a", encoding="utf-8") as padded:  # loaded beside from 1 MiB on
            padded.write(f"# {'x' * catalog_cache.BESIDE_LEAST_BYTES}\n")
        with subprocess.Popen(
            [*SLOW_LOAD, "-C", str(project), "plan"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **CREDENTIALS, "SLOW_LOAD_MARKS": str(marks)},
        ) as process:
            try:
                while not (marks / "started").exists():
                    assert process.poll() is None, process.communicate()
                    time.sleep(0.01)
                child = int((marks / "started").read_text())
                process.send_signal(signum)
                out, err = process.communicate(timeout=120)
            finally:
                if process.poll() is None:
                    process.kill()
    assert process.returncode == code, err
    assert (out, err.strip()) == ("", f"Interrupted by {signal.Signals(signum).name}.")
    assert not (marks / "finished").exists(), "the command waited for the load to end"
    with pytest.raises(ProcessLookupError):  # the child is gone, not left loading
        os.kill(child, 0)
