"""The last valid catalog a project loaded, kept in `.catalogsync/catalog.cache`, so a run
whose catalog files did not change skips reading and validating them.

Reading and validating the YAML is the largest part of a no-op plan or a drift run on a
large catalog (benchmarks/: about 1.5 s of CPU for 40,000 objects); reading the cached
catalog back takes a tenth of that. The cached catalog is used only when all of these hold;
otherwise the YAML is loaded as usual and the entry replaced:

- its key matches: a hash of catalogsync's own code (its version, and the size and time of
  each of its modules, so an edited checkout never reads what an older loader made), the
  backend, and the absolute path and bytes of every catalog file, in order (not the path
  as messages show it, which depends on the working directory: the entry keeps the paths
  it was shown with and, read from another directory, its locations are re-shown with
  this one's, so a run from a subfolder or a CI step's own folder does not miss);
- its HMAC-SHA256 checks with this user's key (`$XDG_CACHE_HOME/catalogsync/cache.key`,
  default `~/.cache`, made on first use, readable by its owner only): an entry written by
  anyone else, e.g. committed to the repository by a pull request, is never trusted, so it
  cannot put into a plan what the YAML does not declare;
- it reads back as a catalog (a truncated or corrupt entry is ignored).

Only valid catalogs are kept: an invalid one is read from the YAML each time, for its
located errors. Nothing here ever fails a command: a cache that cannot be read or written
(read-only project, no home folder) is simply not used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import io
import json
import os
import pickle
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import catalogsync
from catalogsync.catalog import (
    Catalog,
    Kind,
    Resource,
    restored_locations,
    restored_refs,
    restored_resources,
)
from catalogsync.catalog_digest import catalog_digest
from catalogsync.yamlio import display_path

CACHE_FILE = "catalog.cache"
#: Written first in every entry: a file that does not start with it is not one.
_MAGIC = b"catalogsync catalog cache 5\n"
_KEY_BYTES = 32
_MAC_BYTES = hashlib.sha256().digest_size
#: Set to "0" to neither read nor write the cache.
ENV_SWITCH = "CATALOGSYNC_CATALOG_CACHE"


#: Told how many objects of each kind the catalog holds, as soon as that is known.
CountsKnown = Callable[[Mapping[Kind, int]], None]
#: Handed the new entry's write, to run it when it suits the caller (see `cached_catalog`).
WriteLater = Callable[[Callable[[], None]], None]


def cached_catalog(
    state_dir: Path,
    backend: str,
    files: Sequence[Path],
    load: Callable[[], Catalog],
    counts_known: CountsKnown | None = None,
    write_later: WriteLater | None = None,
) -> Catalog:
    """The catalog `load()` returns for these files, from the cache when it holds it.

    `counts_known` hears the catalog's count per kind once an entry is proven this user's
    (its MAC checks), before its resources are read back: a read of the live catalog can
    use them while the rest of the entry loads (`Backend.expect_counts`).

    A catalog loaded from its files is written to the cache at once, unless `write_later`
    is given: it is then handed the write (which never fails), for a caller with a better
    moment than now (an apply writes it while its first wave waits on the network: at L,
    ~1 s of CPU that stood between the YAML read and the plan)."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return load()
    secret = _user_key()
    key = _entry_key(backend, files) if secret is not None else None
    if secret is None or key is None:
        return load()
    path = state_dir / CACHE_FILE
    shown = [display_path(file) for file in files]
    catalog = _read(path, secret, key, shown, counts_known)
    if catalog is None:
        catalog = load()  # raises for an invalid catalog: nothing is written then
        write = functools.partial(_write, path, secret, key, shown, catalog)
        if write_later is None:
            write()
        else:
            write_later(write)
    return catalog


# --- keys -------------------------------------------------------------------------------


def _entry_key(backend: str, files: Sequence[Path]) -> bytes | None:
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


def _user_key() -> bytes | None:
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


# --- entries -----------------------------------------------------------------------------

#: `CHUNK` resources as plain data, a column per part, in catalog order: kinds (values),
#: keys, fields, requires ((kind, key) pairs), renamed_from, protect, locations
#: ((path, line, column) or None). Columns, not a tuple per resource: they are read back
#: a column at a time (`restored_resources`), and they pickle smaller.
_Chunk = tuple[
    list[str],
    list[tuple[str, ...]],
    list[dict[str, Any]],
    list[tuple[tuple[str, tuple[str, ...]], ...]],
    list[tuple[str, ...]],
    list[bool],
    list[tuple[str, int, int] | None],
]


#: Resources pickled together: the entry is written and read a chunk at a time, so neither
#: holds a second copy of the whole catalog (the whole-catalog pickle took a run that
#: wrote the cache at L from about 415 to 890 MB).
CHUNK = 2_000


def _chunk(resources: Sequence[Resource]) -> _Chunk:
    return (
        [r.ref.kind.value for r in resources],
        [r.ref.key for r in resources],
        [dict(r.fields) for r in resources],
        [tuple((q.kind.value, q.key) for q in r.requires) if r.requires else () for r in resources],
        [r.renamed_from for r in resources],
        [r.protect for r in resources],
        [
            (r.location.path, r.location.line, r.location.column) if r.location else None
            for r in resources
        ],
    )


_KINDS = {kind.value: kind for kind in Kind}


#: A cached location's path as this run shows it (None when it shows them as written).
_Reshown = Callable[[str], str] | None


def _reshown(shown_then: list[str], shown_now: list[str]) -> _Reshown:
    """How to show the entry's locations from this working directory: the files are the
    same (the key holds their absolute paths), only the way messages show them moved."""
    if shown_then == shown_now:
        return None
    moved = dict(zip(shown_then, shown_now, strict=True))
    return lambda path: moved.get(path, path)


def _resources(chunk: _Chunk, reshown: _Reshown = None) -> list[Resource]:
    """The chunk's resources, as `Resource(...)` made them (`restored_resources`: this
    code's own output, proven so by the entry's MAC, needs no normalising again), their
    locations shown as `reshown` says."""
    kinds, keys, fields, requires, renamed_from, protect, locations = chunk
    if reshown is not None:
        locations = [
            (reshown(place[0]), place[1], place[2]) if place is not None else None
            for place in locations
        ]
    kind_of = _KINDS.__getitem__
    return restored_resources(
        restored_refs(list(map(kind_of, kinds)), keys),
        fields,
        [
            tuple(restored_refs([kind_of(k) for k, _ in r], [q for _, q in r])) if r else ()
            for r in requires
        ],
        renamed_from,
        protect,
        restored_locations(locations),
    )


def _write(path: Path, secret: bytes, key: bytes, shown: list[str], catalog: Catalog) -> None:
    """The entry: `_MAGIC`, the MAC (written last, over what follows it), the key, the
    catalog's content digest on a line (a plan over a cached catalog never recomputes it:
    the key covers all it depends on), its count per kind on a line (`_counts_line`), the
    files' paths as its locations show them on a line (a JSON list), then the resources as
    pickled chunks of `CHUNK`, each written as it is made."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _ignore_in_git(path.parent)
        with _new_file(temporary) as out:
            lines = (
                catalog_digest(catalog).encode("ascii")
                + b"\n"
                + _counts_line(catalog)
                + json.dumps(shown).encode("ascii")
                + b"\n"
            )
            mac = hmac.new(secret, key + lines, hashlib.sha256)
            out.write(_MAGIC + bytes(_MAC_BYTES) + key + lines)
            resources = catalog.resources
            for start in range(0, len(resources), CHUNK):
                chunk = pickle.dumps(
                    _chunk(resources[start : start + CHUNK]), protocol=pickle.HIGHEST_PROTOCOL
                )
                mac.update(chunk)
                out.write(chunk)
            out.seek(len(_MAGIC))
            out.write(mac.digest())
        os.replace(temporary, path)
    except FileExistsError:
        pass  # not ours (another run's, or planted): left alone
    except OSError:
        temporary.unlink(missing_ok=True)


def _new_file(path: Path, mode: int = 0o600) -> BinaryIO:
    """A file that does not exist yet, opened for writing, never through a symbolic link:
    the project folder may come from a pull request, with links planted where
    catalogsync writes."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    return os.fdopen(descriptor, "wb")


def _ignore_in_git(folder: Path) -> None:
    """`.catalogsync/` holds local state only; a project made without `init` has no
    .gitignore line for it, so the folder ignores itself."""
    marker = folder / ".gitignore"
    if not marker.exists() and not marker.is_symlink():
        with contextlib.suppress(FileExistsError), _new_file(marker, mode=0o644) as out:
            out.write(b"# local state of catalogsync (emulator, caches): never commit\n*\n")


def _counts_line(catalog: Catalog) -> bytes:
    """`product=10000 package=1000 package_product=30000`, newline-terminated."""
    counts = catalog.count()
    return " ".join(f"{kind.value}={counts[kind]}" for kind in Kind).encode("ascii") + b"\n"


def _counts_of(line: bytes) -> dict[Kind, int]:
    pairs = (pair.split("=") for pair in line.decode("ascii").split())
    return {Kind(kind): int(n) for kind, n in pairs}


def _read(
    path: Path,
    secret: bytes,
    key: bytes,
    shown: list[str],
    counts_known: CountsKnown | None = None,
) -> Catalog | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    header = len(_MAGIC) + _MAC_BYTES
    if not data.startswith(_MAGIC) or len(data) < header + len(key):
        return None
    mac, payload = data[len(_MAGIC) : header], memoryview(data)[header:]
    if payload[: len(key)] != key:
        return None  # another catalog's (or another version's) entry
    if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()):
        return None  # not written by this user's catalogsync: never unpickled
    del mac, payload
    end, chunks = len(data), io.BytesIO(data)  # (shares the bytes: no copy)
    chunks.seek(header + len(key))
    del data
    resources: list[Resource] = []
    try:
        # Safe to unpickle: the HMAC proves this user's catalogsync wrote it.
        digest = chunks.readline().removesuffix(b"\n").decode("ascii")
        counts = _counts_of(chunks.readline())
        if counts_known is not None:
            counts_known(counts)
        shown_then: list[str] = json.loads(chunks.readline())
        reshown = _reshown(shown_then, shown)
        while chunks.tell() < end:
            resources.extend(_resources(pickle.load(chunks), reshown))
    except Exception:  # any unreadable entry is a miss, never an error
        return None
    # In catalog order already: written from a Catalog's own resources, in order.
    return Catalog.restored(tuple(resources), digest)
