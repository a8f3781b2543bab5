"""`--record FILE.har` for every command that talks to an API (see catalogsync/har.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from catalogsync.har import recording

F = TypeVar("F", bound=Callable[..., Any])


def record_option(command: F) -> F:
    """Add `--record FILE.har` to a command and record its HTTP traffic when given."""

    @click.option(
        "--record",
        "record_path",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Write every HTTP exchange to FILE.har (HAR 1.2, credentials, tokens and "
        "session ids redacted), e.g. to attach to a bug report.",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, record_path: Path | None, **kwargs: Any) -> Any:
        with recording(record_path):
            return command(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
