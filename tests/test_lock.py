"""The optional apply lock (`lock:` in catalogsync.yaml)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.cli import cli
from catalogsync.config import load_project
from catalogsync.errors import LockHeldError
from catalogsync.lock import apply_lock
from tests.conftest import copy_example


def with_lock(project: Path, **lock: object) -> None:
    config = project / "catalogsync.yaml"
    settings = ", ".join(f"{k}: {json.dumps(v)}" for k, v in lock.items())
    config.write_text(config.read_text() + f"lock: {{{settings}}}\n")


def test_a_second_apply_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    project_dir = copy_example(tmp_path / "project")
    with_lock(project_dir, path="locks/{target}.lock")
    project = load_project(project_dir)
    with apply_lock(project, "local"):
        held = json.loads((project_dir / "locks" / "local.lock").read_text())
        assert held["pid"] == os.getpid() and held["target"] == "local"
        result = CliRunner().invoke(cli, ["-C", str(project_dir), "apply", "--auto-approve"])
        assert result.exit_code == 3
        assert "another apply holds the lock" in result.stderr
        assert f"by pid {os.getpid()}" in result.stderr
        with pytest.raises(LockHeldError), apply_lock(project, "local"):
            pass
    assert not (project_dir / "locks" / "local.lock").exists()  # released
    result = CliRunner().invoke(cli, ["-C", str(project_dir), "apply", "--auto-approve"])
    assert result.exit_code == 0, result.output
    assert not (project_dir / "locks" / "local.lock").exists()


def test_a_waiting_apply_takes_the_lock_once_it_is_released(tmp_path: Path) -> None:
    project_dir = copy_example(tmp_path / "project")
    with_lock(project_dir, path="apply.lock", wait_seconds=60)
    project = load_project(project_dir)
    lock = project_dir / "apply.lock"
    lock.write_text("{}")
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the other apply finishes while we wait
        waits.append(seconds)
        lock.unlink()

    with apply_lock(project, "local", sleep=sleep):
        assert lock.exists()
    assert waits == [2.0]


def test_a_stale_lock_is_taken_over(tmp_path: Path) -> None:
    project_dir = copy_example(tmp_path / "project")
    with_lock(project_dir, path="apply.lock", stale_after_seconds=60)
    lock = project_dir / "apply.lock"
    lock.write_text('{"token": "dead"}')
    old = time.time() - 3600
    os.utime(lock, (old, old))
    with apply_lock(load_project(project_dir), "local"):
        assert json.loads(lock.read_text())["token"] != "dead"
