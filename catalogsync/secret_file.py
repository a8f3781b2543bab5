"""Reading a credential from a file (`{file: path}` in catalogsync.yaml), safely.

Its own module, with nothing but the standard library, so that the login sent before the
configuration is validated (`catalogsync.early_login`) reads a credential file exactly as the
validated configuration does (`config.SecretSource.resolve`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: A credential file larger than this is not a credential (a wrong path, a device).
MAX_SECRET_FILE_BYTES = 64 * 1024


def read_secret_file(path: Path) -> str:
    """A credential file's text: a regular, non-empty file of at most 64 KiB, UTF-8.

    Opened without blocking and checked on the open descriptor, so that a FIFO cannot hang
    the run, a device (`/dev/zero`) cannot fill memory, and a file that changes between a
    check and the read is still the file checked. Pseudo-files such as `/proc/self/environ`
    report size 0, and are refused with empty files.

    Raises:
        OSError: it cannot be opened or read.
        ValueError: it is not a regular file, is empty, too large, or not UTF-8.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("is not a regular file")
        if info.st_size == 0:
            raise ValueError("is empty (or not a real file)")
        if info.st_size > MAX_SECRET_FILE_BYTES:
            raise ValueError(f"is larger than {MAX_SECRET_FILE_BYTES // 1024} KiB")
        raw = handle.read(MAX_SECRET_FILE_BYTES + 1)
    try:
        text = raw[:MAX_SECRET_FILE_BYTES].decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
    if not text:
        raise ValueError("holds only whitespace")
    return text


__all__ = ["MAX_SECRET_FILE_BYTES", "read_secret_file"]
