"""Shared fixtures: paths to the example project and the failure fixtures; the full-run markers."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

#: `./scripts/test --full` (what .ci/run calls) sets it: every suite, every example.
FULL_RUN = os.environ.get("CATALOGSYNC_FULL_TESTS") == "1"


def examples(full: int) -> int:
    """A property test's example count: `full` in the full run, a quarter of it in the
    default run. The properties are the same; the default run (the 2-minute budget, README
    "Test time budget") tries fewer inputs, the full run (CI) all of them, and a failing
    example, once found, is replayed first by every later run (Hypothesis' database)."""
    return full if FULL_RUN else -(-full // 4)


#: Hypothesis' timing checks (an example's deadline, "input generation is slow") are speed
#: assertions: on a loaded CI machine they fail tests whose properties hold. Speed belongs
#: in benchmarks/, so every property test runs without them; a test's own @settings still
#: sets its example counts (through `examples`), and those that set none get Hypothesis'
#: default 100, through `examples` too.
settings.register_profile(
    "catalogsync",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=examples(100),
)
settings.load_profile("catalogsync")

#: The roots TLS is verified against, in this process and the commands it starts: none (an
#: empty SSL_CERT_DIR, whatever the environment named). httpx makes its `verify=True` context
#: whenever a client is made, even for the http:// emulators every test talks to, and
#: reading a bundle of roots (certifi's, or the SSL_CERT_FILE a machine sets) took 0.04-0.05 s
#: of CPU each time: hundreds of times a run, in process and in each CLI subprocess. No test
#: needs a public root (none may reach the internet; an https:// server on loopback is
#: refused either way), and the tests of which roots are read set them themselves
#: (tests/test_early_login.py, with monkeypatch). httpx and `catalogsync.http.tls` read these
#: variables alike, so the code under test is unchanged.
_NO_ROOTS = tempfile.mkdtemp(prefix="catalogsync-tests-no-roots-")
atexit.register(shutil.rmtree, _NO_ROOTS, ignore_errors=True)
os.environ.pop("SSL_CERT_FILE", None)
os.environ["SSL_CERT_DIR"] = _NO_ROOTS

#: The reliability results table, printed by the process that reports (see its docstring).
pytest_plugins = ("tests.reliability.summary",)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "catalogs" / "example"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Markers of suites that take minutes: the default run (`./scripts/test`) leaves them out;
#: `./scripts/test --full` (what .ci/run calls) sets CATALOGSYNC_FULL_TESTS=1 and runs them,
#: and naming a marker in `-m` selects it alone. Descriptions are in pyproject.toml. `long`
#: marks single tests, not suites: each costs a second or more and a cheaper default test
#: covers its behaviour (its `long` mark names which).
FULL_RUN_ONLY = (
    "reliability",
    "variant_profile",
    "ci_scenario",
    "browser",
    "benchmark_harness",
    "long",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if FULL_RUN:
        return
    markexpr = str(config.getoption("markexpr", "") or "")
    left_out = {marker for marker in FULL_RUN_ONLY if marker not in markexpr}
    heavy = [item for item in items if any(item.get_closest_marker(m) for m in left_out)]
    if heavy:
        config.hook.pytest_deselected(items=heavy)
        dropped = set(map(id, heavy))
        items[:] = [item for item in items if id(item) not in dropped]


# Tests talk to emulators that answer in microseconds; the vendor's 15 requests/s pacing
# (tested on its own in tests/backends/test_http.py) would only make them wait.
# Unpaced; an unclear create is settled within 5 s (the emulators never commit one late).
TEST_SETTINGS = {"rate_limit": 10_000, "settle_seconds": 5}


def copy_example(destination: Path, example: Path = EXAMPLE) -> Path:
    """A copy of the example project (without its emulator state), unpaced for tests."""
    shutil.copytree(example, destination, ignore=shutil.ignore_patterns(".catalogsync"))
    config = destination / "catalogsync.yaml"
    text = config.read_text(encoding="utf-8")
    assert "rate_limit: 15\n" in text
    unpaced = "rate_limit: 10000\n  settle_seconds: 5\n"  # see TEST_SETTINGS
    config.write_text(text.replace("rate_limit: 15\n", unpaced), encoding="utf-8")
    return destination


@pytest.fixture
def example_project() -> Path:
    return EXAMPLE


def ended(pid: int) -> bool:
    """Whether the child process `pid` has ended, or ends within 10 s (reaped here if
    nobody had: a `beside` child that answered is reaped once it has ended)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return True  # (ended: reaped here first)
        except ChildProcessError:
            return True  # reaped
        time.sleep(0.01)
    return False
