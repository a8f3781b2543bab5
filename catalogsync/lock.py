"""The optional apply lock: one apply per target at a time, across pipelines.

A lock file created with O_CREAT | O_EXCL (atomic on local filesystems and on NFSv3+)
holding who took it and when. A second apply finds it and waits up to `wait_seconds`,
then refuses (exit 3) naming the holder. A lock older than `stale_after_seconds` belongs
to an apply that died without releasing it and is taken over. Trade-offs (README,
"Concurrent applies"): it only serialises pipelines that share the path, it does nothing
against edits in the billing UI (the per-wave re-check and the verification do), and a
crashed holder blocks others until the lock is stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from catalogsync.config import LockSettings, Project
from catalogsync.errors import LockHeldError

_POLL_SECONDS = 2.0


@contextlib.contextmanager
def apply_lock(
    project: Project,
    target: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Iterator[None]:
    """Hold the target's apply lock for the block, when the project configures one."""
    settings = project.config.lock
    if settings is None:
        yield
        return
    path = lock_path(project, settings, target)
    token = _acquire(path, settings, target, sleep, clock)
    try:
        yield
    finally:
        _release(path, token)


def lock_path(project: Project, settings: LockSettings, target: str) -> Path:
    path = Path(settings.path.replace("{target}", target))
    return path if path.is_absolute() else project.root / path


def _acquire(
    path: Path,
    settings: LockSettings,
    target: str,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> str:
    token = f"{socket.gethostname()}:{os.getpid()}:{clock()}"
    holder = {
        "token": token,
        "target": target,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": datetime.fromtimestamp(clock(), UTC).isoformat(timespec="seconds"),
        "ci_run": os.environ.get("GITHUB_RUN_ID") or os.environ.get("CI_JOB_ID") or "",
    }
    deadline = clock() + settings.wait_seconds
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            age = clock() - _mtime(path, clock)
            if age > settings.stale_after_seconds:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()  # its holder died; the next attempt takes it
                continue
            if clock() >= deadline:
                raise LockHeldError(
                    f"another apply holds the lock {path} ({_describe(path)}); nothing was "
                    "written. Wait for it to finish, or raise lock.wait_seconds. If no apply "
                    f"is running, delete the file (it is taken over after "
                    f"{settings.stale_after_seconds:g} s)."
                ) from None
            sleep(min(_POLL_SECONDS, max(0.0, deadline - clock())))
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(holder, out)
        return token


def _mtime(path: Path, clock: Callable[[], float]) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return clock()


def _describe(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        run = f", CI run {data['ci_run']}" if data.get("ci_run") else ""
        return f"taken {data['started']} by pid {data['pid']} on {data['host']}{run}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


def _release(path: Path, token: str) -> None:
    """Remove the lock if it is still ours (a stale takeover may have replaced it)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("token") == token:
            path.unlink()
    except (OSError, ValueError):
        pass
