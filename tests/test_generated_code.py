"""The methods `dataclasses` writes are compiled once per user (`catalogsync.generated_code`):
a class made from kept code has exactly the methods compiled from their source, and a
missing, foreign or broken file only costs the compiling."""

from __future__ import annotations

import json
import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

from catalogsync import generated_code

#: Makes classes of every kind of method `dataclasses` writes, and prints what each of
#: their methods is made of, as JSON; with "hook", `generated_code` is installed first.
_CLASSES = """
import dataclasses, json, sys, typing
from dataclasses import InitVar, KW_ONLY, dataclass, field
if sys.argv[1] == "hook":
    from catalogsync import generated_code
    generated_code.install()
    if len(sys.argv) > 2:
        generated_code.LIMIT = int(sys.argv[2])

def made():
    @dataclass(frozen=True, order=True)
    class Frozen:
        a: int
        b: str = "x"
        c: list = field(default_factory=list, compare=False)
        d: typing.ClassVar[int] = 3

    @dataclass(slots=True, kw_only=True, unsafe_hash=True)
    class Slots:
        a: int
        b: "tuple[int, ...]" = ()

    @dataclass
    class Post:
        a: int
        _: KW_ONLY
        b: float = 1.5
        init: InitVar[str] = "i"
        def __post_init__(self, init):
            self.seen = init

    return Frozen, Slots, Post

def described(classes):
    out = {}
    for cls in classes:
        for name, value in sorted(vars(cls).items()):
            code = getattr(value, "__code__", None)
            if code is None:
                continue
            out[f"{cls.__name__}.{name}"] = [
                code.co_code.hex(), repr(code.co_consts), code.co_names,
                code.co_varnames, code.co_filename, code.co_firstlineno, code.co_flags,
                code.co_linetable.hex(), repr(value.__defaults__),
                repr(value.__kwdefaults__), repr(value.__annotations__), value.__qualname__,
            ]
    Frozen, Slots, Post = classes
    out["behaviour"] = [
        repr(Frozen(1)), Frozen(1) < Frozen(2), Frozen(1, c=[1]) == Frozen(1),
        hash(Slots(a=1)) == hash(Slots(a=1)), repr(Slots(a=2, b=(1,))),
        repr(Post(1, b=2.0)), Post(1, init="j").seen,
    ]
    return out

first = described(made())
again = described(made())
assert first == again
print(json.dumps(first))
"""


def _run(tmp_path: Path, *args: str) -> dict[str, object]:
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    done = subprocess.run(
        [sys.executable, "-c", _CLASSES, *args],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    described: dict[str, object] = json.loads(done.stdout)
    return described


def _kept(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "user-cache" / "catalogsync").glob("generated-code-*.marshal2")
    return found


def test_classes_made_from_kept_code_have_the_methods_compiled_from_their_source(
    tmp_path: Path,
) -> None:
    compiled = _run(tmp_path, "plain")
    assert not (tmp_path / "user-cache").exists()
    first = _run(tmp_path, "hook")  # compiles and keeps
    table = marshal.loads(_kept(tmp_path).read_bytes())
    assert len(table) >= 10  # every method of the three classes, at least
    from_kept = _run(tmp_path, "hook")  # runs what was kept
    assert first == compiled
    assert from_kept == compiled
    assert stat.S_IMODE(_kept(tmp_path).stat().st_mode) == 0o600


def test_each_kept_method_is_unmarshalled_when_a_class_first_needs_it(tmp_path: Path) -> None:
    """The table holds each method's code marshalled on its own: a command unmarshals the
    ones its classes use (here none: `_kept_code` asked for one), a broken entry is only
    compiled again, and a source never kept is compiled and kept at exit."""
    _run(tmp_path, "hook")
    table = marshal.loads(_kept(tmp_path).read_bytes())
    assert table and all(type(code) is bytes for code in table.values())
    source, kept = next(iter(table.items()))
    code = marshal.loads(kept)
    assert code == compile(source, "<string>", "exec", dont_inherit=True)
    generated_code._kept.clear()
    generated_code._kept.update({source: kept, "x = 1": b"broken"})
    try:
        assert generated_code._kept_code(source) == code
        assert generated_code._kept_code("x = 1") == compile(
            "x = 1", "<string>", "exec", dont_inherit=True
        )
        assert generated_code._kept_code("y = 2") == compile(
            "y = 2", "<string>", "exec", dont_inherit=True
        )
        assert "x = 1" not in generated_code._kept and generated_code._added
    finally:
        generated_code._kept.clear()
        generated_code._added = False


def test_a_broken_or_foreign_file_is_ignored_and_written_again(tmp_path: Path) -> None:
    compiled = _run(tmp_path, "plain")
    _run(tmp_path, "hook")
    kept = _kept(tmp_path)
    for content in (b"not marshal at all", marshal.dumps([1, 2]), marshal.dumps({"x": 1})):
        kept.write_bytes(content)
        assert _run(tmp_path, "hook") == compiled
        table = marshal.loads(kept.read_bytes())
        assert isinstance(table, dict) and len(table) >= 10


def test_past_the_limit_a_new_file_holds_the_methods_of_the_run_that_writes_it(
    tmp_path: Path,
) -> None:
    _run(tmp_path, "hook")
    kept = _kept(tmp_path)
    ours = marshal.loads(kept.read_bytes())
    other = {f"def f{i}(): pass": compile("pass", "<string>", "exec") for i in range(50)}
    kept.write_bytes(marshal.dumps(other))  # none of this run's methods: it adds them all
    _run(tmp_path, "hook", str(len(ours) + 10))
    assert set(marshal.loads(kept.read_bytes())) == set(ours)
    kept.write_bytes(marshal.dumps(other))
    _run(tmp_path, "hook", str(len(ours) + 100))  # under the limit: all kept
    assert set(marshal.loads(kept.read_bytes())) == set(ours) | set(other)


def test_a_command_keeps_the_methods_its_imports_made(tmp_path: Path) -> None:
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    command = [sys.executable, "-m", "catalogsync", "--help"]
    first = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert first.returncode == 0
    table = marshal.loads(_kept(tmp_path).read_bytes())
    assert any("__create_fn__" in source for source in table)  # what dataclasses writes
    again = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, first.stderr)
