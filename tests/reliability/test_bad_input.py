"""Bad input corpus: random YAML, mutated valid catalogs and random bytes fed to `validate`.

Whatever the input, `catalogsync validate` ends with exit 0 ("catalog is valid") or exit 1
with every problem located as `catalog.yaml:LINE:COL: message` — never a traceback, never an
internal error, never a hang. Examples are derandomised and bounded so the suite stays fast
and repeatable; each example also runs under a hard alarm, since a deadline alone would not
stop a hang.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLE
from tests.reliability.harness import cli_run

pytestmark = pytest.mark.reliability

BOUNDED = settings(
    max_examples=150,
    deadline=2_000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HANG_SECONDS = 10
_LOCATED = re.compile(r"^\S*catalog\.yaml:\d+:\d+: \S")
_SUMMARY = re.compile(r"^\d+ problems? found \(catalog\)$")
VALID = (EXAMPLE / "products.yaml").read_text(encoding="utf-8")


class Hang(Exception):
    pass


@contextmanager
def no_hang() -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"validate ran for more than {HANG_SECONDS}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    config = {"backend": "billingplatform", "catalog": ["catalog.yaml"], "targets": {}}
    (folder / "catalogsync.yaml").write_text(json.dumps(config), encoding="utf-8")
    return folder


def check_validate(project: Path, content: bytes) -> None:
    (project / "catalog.yaml").write_bytes(content)
    with no_hang():
        run = cli_run(project, "validate")
    if run.code == 0:
        assert run.out.startswith("catalog is valid (billingplatform)"), run
        return
    assert run.code == 1, run
    assert run.out == ""
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    first, *rest = run.err.removeprefix("Error: ").rstrip("\n").split("\n")
    assert run.err.startswith("Error: ")
    *issues, summary = [first, *rest]
    assert _SUMMARY.match(summary), run.err
    issue_lines = [line for line in issues if not line.startswith(" ")]  # continuation lines
    assert issue_lines and all(_LOCATED.match(line) for line in issue_lines), run.err


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["products", "packages", "name", "rate", "min_qty", "children", "product"])
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["products", "packages", "name", "rate", "product", "min_qty"])
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=24,
)


@BOUNDED
@given(document=documents)
def test_random_yaml_documents(project: Path, document: Any) -> None:
    check_validate(project, json.dumps(document).encode())  # JSON is YAML


@BOUNDED
@given(text=st.text(max_size=400))
def test_random_text(project: Path, text: str) -> None:
    check_validate(project, text.encode("utf-8", "surrogatepass"))


@BOUNDED
@given(data=st.binary(max_size=400))
def test_random_bytes(project: Path, data: bytes) -> None:
    check_validate(project, data)


_FRAGMENTS = st.sampled_from(
    [":", "- ", "  ", "\t", "'", '"', "{", "}", "[", "]", "&a", "*a", "!!python/object", "\n",
     "name: x\n", "min_qty: -1", "rate: abc", "%YAML 1.1\n", "---\n", "<<: *a", "\x00", "\ufeff"]
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The example catalog with a few random cuts, insertions and line swaps."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "insert", "swap", "dup"]))
        at = draw(st.integers(0, len(text)))
        if kind == "cut":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            text = text[:at] + draw(_FRAGMENTS | st.text(max_size=6)) + text[at:]
        else:
            lines = text.split("\n")
            i, j = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
            if kind == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
            text = "\n".join(lines)
    return text


@BOUNDED
@given(text=mutated())
def test_mutated_valid_catalogs(project: Path, text: str) -> None:
    check_validate(project, text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xef\xbb\xbf",
        b"products: [" * 2000,
        b"- " * 5000,
        b"a: &a [*a]\n",
        b"products:\n  - name: x\n    name: y\n",
        b"!!python/object/apply:os.system ['true']\n",
        b"products: " + b"[" * 300 + b"]" * 300,
        ("products:\n" + "".join(f"  - name: p{i}\n" for i in range(20_000))).encode(),
    ],
    ids=[
        "empty",
        "bom only",
        "unclosed flow",
        "nested dashes",
        "recursive alias",
        "duplicate key",
        "python tag",
        "deep nesting",
        "huge",
    ],
)
def test_known_nasty_inputs(project: Path, content: bytes) -> None:
    check_validate(project, content)
