"""The methods `dataclasses` writes, compiled once per user instead of once per command.

`dataclasses` makes each class's `__init__`, `__repr__`, `__eq__`, `__hash__`, … by
writing its source and running it with `exec` as the class is made (Python 3.11: one
`exec` per method): parsed and compiled again in every process. A plan imports ~480 such
methods (pydantic's and annotated_types' own, then catalogsync's), all before its first
request, and their parsing and compiling were ~10% of the instructions of its imports.
The same source, compiled with the same flags, is always the same code, so a command
keeps each method's compiled code under its source, in a file in this user's cache
folder (`$XDG_CACHE_HOME/catalogsync/`, beside the catalog cache's key; one file per
Python build, as `__pycache__` keeps one per version), and `dataclasses` runs the code
object instead of compiling the source again: the same methods, names, defaults,
annotations and line numbers. Each code is marshalled on its own and unmarshalled when a
class first needs it: the table holds every command's methods, and unmarshalling all of
them as the process started was ~0.2 G instructions in one call, before the early login.

Like `__pycache__`, the file is code Python runs: it lives in this user's own cache
folder, made readable by its owner only, never in a project. A file that is missing,
unreadable or not such a table is ignored and written again; nothing here ever fails a
command. A forked child (`beside`) ends with `os._exit` and never writes it.
"""

import __future__

import atexit
import contextlib
import dataclasses
import marshal
import os
import sys
from types import CodeType
from typing import Any

#: The most methods kept: past it, a new file holds the methods of the run that writes it
#: (an edited checkout makes new sources; the file must not grow without end).
LIMIT = 4096

#: The compiler flags of `from __future__` statements, which `exec` of a source inherits
#: from the code that calls it (`dataclasses` has none today).
_FUTURE_FLAGS = 0
for _name in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _name).compiler_flag

#: Each kept method's code by its source, marshalled (a table of an older build: code),
#: until first used (a plan uses ~550 of the ~800 a user's commands keep).
_kept: dict[str, bytes | CodeType] = {}
_codes: dict[str, CodeType] = {}
_used: set[str] = set()
_added = False
_path: str | None = None


def cache_path(environ: Any = os.environ) -> str | None:
    """Where this Python build's compiled methods are kept; None without a home folder."""
    base = environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home == "~":
            return None
        base = os.path.join(home, ".cache")
    # (each code marshalled on its own: "marshal2", which an older catalogsync never reads)
    name = f"generated-code-{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal2"
    return os.path.join(base, "catalogsync", name)


def install() -> None:
    """From here on, `dataclasses` runs kept code for a source it compiled before (in any
    command of this user), and what it compiles anew is kept when the process exits."""
    global _path
    if getattr(dataclasses, "exec", None) is _exec:
        return
    _path = cache_path()
    if _path is not None:
        _kept.update(_read(_path))
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # (its global, before the builtin)
    atexit.register(_write)


def _exec(source: Any, namespace: Any = None, local: Any = None, /) -> None:
    """`exec`, with a source's code taken from the table when it was compiled before."""
    if type(source) is str:
        flags = sys._getframe(1).f_code.co_flags & _FUTURE_FLAGS
        if not flags:  # (what is kept was compiled without any)
            code = _codes.get(source)
            if code is None:
                code = _codes[source] = _kept_code(source)
            _used.add(source)
            source = code
    exec(source, namespace, local)


def _kept_code(source: str) -> CodeType:
    """The code kept for `source`, else compiled now (and kept at exit)."""
    global _added
    kept = _kept.get(source)
    if type(kept) is bytes:
        with contextlib.suppress(Exception):  # a broken entry is only compiled again
            kept = marshal.loads(kept)
    if type(kept) is CodeType:
        return kept
    _kept.pop(source, None)
    _added = True
    return compile(source, "<string>", "exec", dont_inherit=True)


def _read(path: str) -> dict[str, bytes | CodeType]:
    try:
        with open(path, "rb") as kept:
            table = marshal.load(kept)
    except Exception:  # missing, unreadable, truncated, another format: none kept
        return {}
    if type(table) is not dict:
        return {}
    return {
        source: code
        for source, code in table.items()
        if type(source) is str and type(code) in (bytes, CodeType)
    }


def _write() -> None:
    """Keep the table, when this process compiled something new (at its exit)."""
    if not _added or _path is None:
        return
    every = {**_kept, **_codes}
    if len(every) > LIMIT:
        every = {source: every[source] for source in _used if source in every}
    table = {
        source: code if type(code) is bytes else marshal.dumps(code)
        for source, code in every.items()
    }
    folder = os.path.dirname(_path)
    temporary = f"{_path}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            marshal.dump(table, out)
        os.replace(temporary, _path)
    except Exception:  # a read-only or missing home: simply not kept
        with contextlib.suppress(OSError):
            os.unlink(temporary)
