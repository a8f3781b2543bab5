"""The hostile inputs of issue 16, each run through the real CLI and measured.

    .venv/bin/python -m benchmarks.attacks [--big] > table.md

Each attack is built in a temporary project and run as `catalogsync ...` under
`/usr/bin/time -v`; the table gives the exit code, the wall time, the peak memory (maximum
resident set size) and the first line printed on stderr. `--big` adds the 30 MB catalogs
(valid, with one bad field, with a syntax error), which take minutes. docs/reliability.md
holds the result.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGSYNC = [sys.executable, "-m", "catalogsync"]
CONFIG = (
    'backend: billingplatform\ncatalog: [catalog.yaml]\ntargets:\n  local: {url: "emulator:"}\n'
)
ENV = {"ATTACK_USER": "attack-user", "ATTACK_PASS": 'p"a\\ss&w%rd'}


@dataclass
class Measured:
    attack: str
    command: str
    code: int
    times: Times
    printed: str


def _time_v(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, Times, str]:
    """Run under /usr/bin/time -v: (exit code, times, what it printed)."""
    report = cwd / ".time"
    started = time.monotonic()
    done = subprocess.run(
        ["/usr/bin/time", "-v", "-o", str(report), *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    seconds = time.monotonic() - started
    code, times = _report(report.read_text(), seconds)
    return code if code is not None else done.returncode, times, done.stderr + done.stdout


@dataclass
class Times:
    seconds: float
    cpu_seconds: float
    peak_mb: float


def _report(text: str, seconds: float) -> tuple[int | None, Times]:
    """The exit status and the times in a `/usr/bin/time -v` report."""

    def number(label: str) -> float:
        found = re.search(rf"{re.escape(label)}: ([\d.]+)", text)
        return float(found[1]) if found else 0.0

    status = re.search(r"Exit status: (\d+)", text)
    cpu = number("User time (seconds)") + number("System time (seconds)")
    peak = number("Maximum resident set size (kbytes)") / 1024
    return (int(status[1]) if status else None), Times(seconds, cpu, peak)


def _last_line(output: str) -> str:
    """The error line, after any progress or warning lines."""
    lines = [line for line in output.splitlines() if line.startswith("Error")]
    return _first_line(lines[-1] if lines else output)


def _first_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    line = lines[0] if lines else "(nothing)"
    line = re.sub(r"/tmp/\S*?/(?=[\w.-]+(:|'|$))", "", line)
    return (line[:150] + "…") if len(line) > 150 else line


def _project(folder: Path, catalog: str, config: str = CONFIG) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalogsync.yaml").write_text(config, encoding="utf-8")
    (folder / "catalog.yaml").write_text(catalog, encoding="utf-8")
    return folder


def _alias_bomb(per_level: int = 9, levels: int = 6) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"x"'] * per_level) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * per_level) + "]")
    return "\n".join(lines) + "\n"


def _served_config(url: str, extra: str = "") -> str:
    return (
        "backend: billingplatform\ncatalog: [catalog.yaml]\ntargets:\n  t:\n"
        f"    url: {url}\n    username: {{env: ATTACK_USER}}\n    password: {{env: ATTACK_PASS}}\n"
        f"settings:\n  timeout_seconds: 2\n{extra}"
    )


@contextmanager
def _raw_server(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    """A loopback TCP server that hands each connection to `handle` (in a thread)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_guarded, args=(handle, conn), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()


def _guarded(handle: Callable[[socket.socket], None], conn: socket.socket) -> None:
    try:
        handle(conn)
    except OSError:
        pass
    finally:
        conn.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: (\d+)", head)
    while length and len(body) < int(length[1]):
        body += conn.recv(65536)
    return body


def _echo(conn: socket.socket) -> None:
    """Answers 500 with the request body quoted (as some servers do) in JSON."""
    body = _read_request(conn)
    payload = json.dumps({"error": "Server error", "message": body.decode(errors="replace")})
    conn.sendall(
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload.encode()
    )


def _drip(conn: socket.socket) -> None:
    """Answers 200 with a 500-byte body sent one byte a second."""
    _read_request(conn)
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    )
    for _ in range(500):
        time.sleep(1)
        conn.sendall(b" ")


def _signal_during_apply(folder: Path, signum: int, env: dict[str, str]) -> tuple[int, Times, str]:
    """`apply` of 300 products against `emulator serve` (40 ms latency); signal it after the
    emulator has served 10 requests."""
    serve = subprocess.Popen(
        [*CATALOGSYNC, "emulator", "serve", "--port", "0", "--quiet", "--latency-ms", "40"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**env, "CATALOGSYNC_EMULATOR_CREDENTIALS": "attack-user:" + ENV["ATTACK_PASS"]},
    )
    try:
        assert serve.stdout is not None
        url = serve.stdout.readline().rsplit(" ", 1)[-1].strip()
        products = "".join(f"  - {{name: P{i:04d}, rate: '1'}}\n" for i in range(300))
        config = _served_config(url, "  batch_size: 5\n  concurrency: 2\n  rate_limit: 0\n")
        _project(folder, "products:\n" + products, config)
        import httpx

        auth = ("attack-user", ENV["ATTACK_PASS"])
        apply = subprocess.Popen(
            [
                "/usr/bin/time",
                "-v",
                "-o",
                str(folder / ".time"),
                *CATALOGSYNC,
                "apply",
                "--auto-approve",
            ],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started = time.monotonic()
        while apply.poll() is None:
            stats = httpx.get(f"{url}/_emulator/stats", auth=auth).json()
            if stats["total"] >= 10:
                break
            time.sleep(0.01)
        # /usr/bin/time forwards nothing: signal the catalogsync process (its only child).
        child = int(
            subprocess.run(
                ["pgrep", "-P", str(apply.pid)], capture_output=True, text=True
            ).stdout.split()[0]
        )
        os.kill(child, signum)
        _, err = apply.communicate(timeout=120)
        code, times = _report((folder / ".time").read_text(), time.monotonic() - started)
        summary = next(
            (line for line in err.splitlines() if line.startswith("Apply interrupted")), err
        )
        return code if code is not None else apply.returncode, times, summary
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)


def attacks(
    big: bool,
) -> Iterator[tuple[str, str, Callable[[Path], tuple[list[str], dict[str, str]]]]]:
    """(attack, command shown, build(folder) -> (argv, extra env))."""
    validate = [*CATALOGSYNC, "validate"]

    def catalog(
        text: str, config: str = CONFIG
    ) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
        def build(folder: Path) -> tuple[list[str], dict[str, str]]:
            _project(folder, text, config)
            return validate, {}

        return build

    yield (
        "alias bomb, 9 aliases × 6 levels (354 bytes) in a catalog",
        "validate",
        catalog(_alias_bomb() + "products: []\n"),
    )
    yield (
        "the same alias bomb in catalogsync.yaml",
        "validate",
        catalog("products: []\n", CONFIG + _alias_bomb()),
    )
    yield "recursive alias", "validate", catalog("products: &p\n  - name: A\n    children: *p\n")
    yield (
        "merge key `<<: *defaults` in a catalog (valid)",
        "validate",
        catalog(
            "products:\n  - &d {name: Base, status: ACTIVE, rate: '1'}\n"
            "  - <<: *d\n    name: Derived\n"
        ),
    )
    yield (
        "merge key in catalogsync.yaml (valid)",
        "validate",
        catalog("products: []\n", CONFIG + "settings:\n  <<: {batch_size: 5}\n"),
    )

    def huge_rate(folder: Path) -> tuple[list[str], dict[str, str]]:
        _project(folder, 'products:\n  - {name: A, rate: "1e999999999"}\n')
        return [*CATALOGSYNC, "plan"], {}

    yield (
        'rate: "1e999999999"',
        "plan (embedded emulator)",
        huge_rate,
    )
    yield (
        "rate of 5,000 digits (quoted)",
        "validate",
        catalog('products:\n  - {name: A, rate: "' + "1" * 5000 + '"}\n'),
    )
    yield (
        "rate of 5,000 digits (unquoted)",
        "validate",
        catalog("products:\n  - name: A\n    rate: " + "1" * 5000 + "\n"),
    )
    yield (
        'rate: "1e99999999999999999999999"',
        "validate",
        catalog('products:\n  - {name: A, rate: "1e99999999999999999999999"}\n'),
    )
    yield (
        "20,000 invalid rates (errors capped)",
        "validate",
        catalog("products:\n" + "".join(f"  - {{name: P{i}, rate: x}}\n" for i in range(20_000))),
    )
    yield "raw NUL byte", "validate", catalog('products:\n  - name: A\n    rate: "1"\x00\n')
    yield (
        "block nest 5,000 deep with a value at the bottom",
        "validate",
        catalog(
            "products: []\n"
            + "".join("  " * i + "k:\n" for i in range(5_000))
            + "  " * 5_000
            + "k: v\n"
        ),
    )
    yield (
        "flow nest 5,000 deep (`[[[…1…]]]`)",
        "validate",
        catalog("products: []\nk: " + "[" * 5_000 + "1" + "]" * 5_000 + "\n"),
    )
    yield (
        "catalog path `/etc/hostname`",
        "validate",
        catalog(
            "products: []\n", CONFIG.replace("[catalog.yaml]", "[catalog.yaml, /etc/hostname]")
        ),
    )
    yield (
        "catalog path `../outside.yaml`",
        "validate",
        catalog(
            "products: []\n", CONFIG.replace("[catalog.yaml]", "[catalog.yaml, ../outside.yaml]")
        ),
    )

    def loop(folder: Path) -> tuple[list[str], dict[str, str]]:
        _project(folder, "products: []\n", CONFIG.replace("[catalog.yaml]", "[catalog]"))
        (folder / "catalog").mkdir()
        (folder / "catalog" / "a.yaml").symlink_to(folder / "catalog" / "b.yaml")
        (folder / "catalog" / "b.yaml").symlink_to(folder / "catalog" / "a.yaml")
        return validate, {}

    yield "symlink loop in a catalog folder", "validate", loop
    yield (
        "target URL `https://admin:hunter2@…`",
        "validate",
        catalog(
            "products: []\n",
            CONFIG.replace('"emulator:"', '"https://admin:hunter2@billing.example.com/acme"'),
        ),
    )

    def secret_file(path: str) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
        def build(folder: Path) -> tuple[list[str], dict[str, str]]:
            config = _served_config("https://billing.example.com").replace(
                "{env: ATTACK_PASS}", f"{{file: {path}}}"
            )
            _project(folder, "products: []\n", config)
            if path == "fifo":
                os.mkfifo(folder / "fifo")
            return [*CATALOGSYNC, "plan"], {}

        return build

    yield "`password: {file: /dev/zero}`", "plan", secret_file("/dev/zero")
    yield "`password: {file: fifo}` (a FIFO, no writer)", "plan", secret_file("fifo")
    yield "`password: {file: /proc/self/environ}`", "plan", secret_file("/proc/self/environ")

    def deep_plan(folder: Path) -> tuple[list[str], dict[str, str]]:
        (folder / "plan.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
        return [*CATALOGSYNC, "show", "plan.json"], {}

    yield "plan file nested 200,000 deep", "show plan.json", deep_plan
    if big:
        yield from _big_catalogs()


def _big_catalogs() -> Iterator[
    tuple[str, str, Callable[[Path], tuple[list[str], dict[str, str]]]]
]:
    from benchmarks.generate import generate, write_project

    def build(
        fault: tuple[float, str] | None,
    ) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
        """The catalog, with `fault` = (where, as a share of the text; what) written over
        the first `status:` from there."""

        def make(folder: Path) -> tuple[list[str], dict[str, str]]:
            write_project(folder, generate(120_000, 12_000, 360_000, awkward=True))
            if fault:
                path = folder / "catalog.yaml"
                text = path.read_text(encoding="utf-8")
                at, written = fault
                found = re.compile(r"status: \S+").search(text, int(len(text) * at))
                assert found
                path.write_text(
                    text[: found.start()] + written + text[found.end() :], encoding="utf-8"
                )
            return [*CATALOGSYNC, "validate"], {}

        return make

    yield "30 MB catalog (120,000 / 12,000 / 360,000), valid", "validate", build(None)
    yield (
        "the same 30 MB catalog with one bad field (half-way)",
        "validate",
        build((0.5, "status: BOGUS")),
    )
    yield (
        "the same 30 MB catalog with a syntax error (nine tenths in)",
        "validate",
        build((0.9, "status: [Production")),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="add the 30 MB catalogs (minutes)")
    args = parser.parse_args()
    env = {**os.environ, **ENV, "PYTHONPATH": str(ROOT)}
    rows: list[Measured] = []

    def add(name: str, shown: str, code: int, times: Times, printed: str) -> None:
        rows.append(Measured(name, shown, code, times, printed))
        print(f"{name}: exit {code} in {times.seconds:.1f}s", file=sys.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for index, (name, shown, build) in enumerate(attacks(args.big)):
            folder = base / f"a{index}" / "project"
            folder.mkdir(parents=True)
            (folder.parent / "outside.yaml").write_text("products: []\n", encoding="utf-8")
            command, extra = build(folder)
            code, times, output = _time_v(command, folder, {**env, **extra})
            add(name, shown, code, times, _first_line(output))
        with _raw_server(_echo) as url:
            folder = base / "echo"
            _project(folder, "products: []\n", _served_config(url))
            code, times, output = _time_v([*CATALOGSYNC, "plan"], folder, env)
            leaked = ENV["ATTACK_PASS"] in output or json.dumps(ENV["ATTACK_PASS"])[1:-1] in output
            name = 'server echoes the login body (password `p"a\\ss&w%rd`) in a 500'
            add(name, "plan", code, times, ("LEAKED: " if leaked else "") + _last_line(output))
        with _raw_server(_drip) as url:
            folder = base / "drip"
            _project(folder, "products: []\n", _served_config(url))
            code, times, output = _time_v([*CATALOGSYNC, "plan"], folder, env)
            name = "server drips its answer 1 byte/s, `timeout_seconds: 2`, 5 retries"
            add(name, "plan", code, times, _last_line(output))
        for signum in (signal.SIGINT, signal.SIGTERM):
            signame = signal.Signals(signum).name
            code, times, output = _signal_during_apply(base / signame, signum, env)
            name = f"{signame} during apply of 300 products (`emulator serve`, 40 ms latency)"
            add(name, "apply --auto-approve", code, times, _first_line(output))
    print("| attack | command | exit | wall time | CPU time | peak memory | printed (first line) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        printed = row.printed.replace("|", "\\|")
        print(
            f"| {row.attack} | `{row.command}` | {row.code} | {row.times.seconds:.1f} s | "
            f"{row.times.cpu_seconds:.1f} s | {row.times.peak_mb:.0f} MB | {printed} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
