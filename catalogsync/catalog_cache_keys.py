"""The catalog cache's keys (`catalog_cache`): what an entry's catalog depends on, hashed,
and this user's secret that signs entries."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import catalogsync

_KEY_BYTES = 32
#: The entry's file name in a project's state folder, and the variable that turns the cache
#: off ("0"): here, for `catalog_cache` and for the early login, which must not import it.
CACHE_FILE = "catalog.cache"
ENV_SWITCH = "CATALOGSYNC_CATALOG_CACHE"
#: Written first in every entry (`catalog_cache`): a file that does not start with it is not one.
MAGIC = b"catalogsync catalog cache 6\n"
#: The MAC's length, then the key's (`entry_key`), after `MAGIC`.
MAC_BYTES = hashlib.sha256().digest_size
ENTRY_KEY_BYTES = hashlib.sha256().digest_size


def entry_key(backend: str, files: Sequence[Path]) -> bytes | None:
    """What the loaded catalog depends on, hashed; None when a file cannot be read."""
    digest = hashlib.sha256(_code_fingerprint())
    digest.update(backend.encode() + b"\0")
    try:
        for path in files:
            digest.update(os.fsencode(os.path.abspath(path)) + b"\0")
            content = path.read_bytes()
            digest.update(len(content).to_bytes(8, "big") + content)
    except OSError:
        return None
    return digest.digest()


def base_key(backend: str, files: Sequence[Path]) -> bytes:
    """`entry_key` but the files' bytes: an entry of the same code, backend and files, which
    may hold them as they were before (`catalog_cache`: a catalog loaded again from it)."""
    digest = hashlib.sha256(b"base\0" + _code_fingerprint())
    digest.update(backend.encode() + b"\0")
    for path in files:
        digest.update(os.fsencode(os.path.abspath(path)) + b"\0")
    return digest.digest()


_code: bytes | None = None


def _code_fingerprint() -> bytes:
    """catalogsync's version and the size and time of each of its modules."""
    global _code
    if _code is None:
        root = Path(catalogsync.__file__).parent
        digest = hashlib.sha256(catalogsync.__version__.encode() + b"\0")
        for module in sorted(root.rglob("*.py")):
            stat = module.stat()
            digest.update(
                f"{module.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode()
            )
        _code = digest.digest()
    return _code


def user_key() -> bytes | None:
    """This user's secret for signing entries, made on first use; None if unavailable."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "catalogsync" / "cache.key"
    key: bytes | None
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = _new_key(path)
    except OSError:
        return None
    return key if key is not None and len(key) == _KEY_BYTES else None


def _new_key(path: Path) -> bytes | None:
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another run made it first: use theirs
        try:
            return path.read_bytes()
        except OSError:
            return None
    except OSError:
        return None
    with os.fdopen(descriptor, "wb") as out:
        out.write(key)
    return key


def hinted_counts(state_dir: Path, environ: Mapping[str, str]) -> dict[str, int] | None:
    """`counts_hint` of the project's entry (in `state_dir`), unless `environ` switches the
    cache off (`ENV_SWITCH`): what the early login asks its pages by, and an export's read
    expects."""
    if environ.get(ENV_SWITCH, "1") == "0":
        return None
    return counts_hint(state_dir / CACHE_FILE)


def counts_hint(path: Path) -> dict[str, int] | None:
    """The count per kind an entry names (its payload's second line), read without checking
    its key or MAC: a hint, never a catalog (`early_login`: which pages to ask early; an
    entry of another catalog, or planted, only asks pages the read will not take). None
    for anything that is not plainly such a line."""
    try:
        with open(path, "rb") as entry:
            head = entry.read(len(MAGIC) + MAC_BYTES + ENTRY_KEY_BYTES + 4096)
    except OSError:
        return None
    if not head.startswith(MAGIC):
        return None
    lines = head[len(MAGIC) + MAC_BYTES + ENTRY_KEY_BYTES :].split(b"\n", 2)
    if len(lines) < 3:
        return None
    counts: dict[str, int] = {}
    for pair in lines[1].split():
        kind, equals, number = pair.partition(b"=")
        if not equals or not number.isdigit() or len(number) > 9:
            return None
        counts[kind.decode("ascii", "replace")] = int(number)
    return counts
