"""Where an export stages its files, and how a staged folder is put in place whole.

An export writes its files into a staging folder and moves them into place only once they
are proven (`adopt`). Moved one at a time, 5,001 files at L were as many renames (and,
with the system's temporary folder on another file system than the export's, a tmpfs
`/tmp`, as many copies). When the export's folder does not exist yet, the staging folder
is made beside it instead, hidden (its name starts with a dot: `plan` and `export` walk
past such folders, `yamlio.walk_files`), so that the whole folder becomes the export's
with one rename (`put_whole`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

#: The name a staging folder starts with (beside the export's folder, after a dot and
#: that folder's name).
PREFIX = "catalogsync-export-"


def staging_folder(out: Path) -> tempfile.TemporaryDirectory[str]:
    """A new staging folder for an export into `out`: beside `out` when `out` does not
    exist and its parent does (see the module docstring), else in the system's temporary
    folder."""
    parent = out.parent
    if not os.path.lexists(out) and parent.is_dir():
        with contextlib.suppress(OSError):  # (the parent not writable: the usual place)
            return tempfile.TemporaryDirectory(
                prefix=f".{out.name}.{PREFIX}",
                dir=parent,
                ignore_cleanup_errors=True,  # (gone once `put_whole` renamed it)
            )
    return temporary_folder()


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    """A new staging folder in the system's temporary folder."""
    return tempfile.TemporaryDirectory(prefix=PREFIX)


def put_whole(staged: str, out: Path) -> bool:
    """Make the staging folder `staged` the folder `out`, with one rename, when it was made
    beside `out` (`staging_folder`) and `out` still does not exist; whether it did (False:
    nothing changed, the caller moves the files one at a time).

    `out` is made first, as `mkdir` makes a folder (its mode from the umask), then the
    staging folder is given that mode and renamed over it: a rename replaces an empty
    folder at once, and fails when anything was put into it meanwhile."""
    if os.path.dirname(os.path.abspath(staged)) != os.path.abspath(out.parent):
        return False
    try:
        out.mkdir()
    except OSError:  # (it exists by now, or cannot be made: the caller says how)
        return False
    try:
        os.chmod(staged, stat.S_IMODE(out.stat().st_mode))
        os.rename(staged, out)
    except OSError:
        with contextlib.suppress(OSError):  # (not when something was put in it)
            out.rmdir()
        return False
    return True
