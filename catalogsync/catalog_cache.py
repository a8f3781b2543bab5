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

An entry also keeps each file's top-level items as text (`catalog_items`: where each
begins and ends, a digest of its bytes). When the files changed but the entry is of the
same code, backend and files (its MAC checks, as above), the catalog is loaded again from
it (`loader.updated_catalog`, the `update` given): only the items whose text changed are
read, the others keep their resources (and a changed package its unchanged
package-products: a 1% change of a 12 MB file reads a few percent of it again); whatever
that cannot tell for sure is loaded from the YAML, whole.

A command that reads the live catalog meanwhile has a catalog the cache does not hold
loaded by a forked child on the other core (`loaded_beside`), which hands back the new
entry's payload: the catalog is read back from it as from an entry. One loaded again from
the entry there comes back as its changes to that entry's catalog, which this process
reads from the same bytes meanwhile.

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
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from catalogsync.beside import Abandon, Abandoned, Beside, Lost
from catalogsync.catalog import (
    Catalog,
    Kind,
    Resource,
    restored_locations,
    restored_refs,
    restored_resources,
)

# Named here too, as they were (`catalog_cache.CACHE_FILE`, `.ENV_SWITCH`).
from catalogsync.catalog_cache_keys import CACHE_FILE as CACHE_FILE
from catalogsync.catalog_cache_keys import (
    ENTRY_KEY_BYTES,
    base_key,
    entry_key,
    user_key,
)
from catalogsync.catalog_cache_keys import ENV_SWITCH as ENV_SWITCH
from catalogsync.catalog_cache_keys import MAC_BYTES as _MAC_BYTES
from catalogsync.catalog_cache_keys import MAGIC as _MAGIC
from catalogsync.catalog_digest import catalog_digest
from catalogsync.catalog_items import Items, items_of
from catalogsync.errors import CatalogValidationError
from catalogsync.yamlio import display_path

#: Told how many objects of each kind the catalog holds, as soon as that is known.
CountsKnown = Callable[[Mapping[Kind, int]], None]
#: Handed the new entry's write, to run it when it suits the caller (see `cached_catalog`).
WriteLater = Callable[[Callable[[], None]], None]
#: The catalog loaded again from the last one (`loader.updated_catalog`): that catalog, its
#: files' items then, and each file's bytes and items now → the catalog, or None.
Update = Callable[
    [Catalog, Sequence[Items | None], Sequence[tuple[bytes, Items | None]]], Catalog | None
]


def cached_catalog(
    state_dir: Path,
    backend: str,
    files: Sequence[Path],
    load: Callable[[], Catalog],
    counts_known: CountsKnown | None = None,
    write_later: WriteLater | None = None,
    *,
    beside: bool = False,
    abandon: Abandon | None = None,
    update: Update | None = None,
) -> Catalog:
    """The catalog `load()` returns for these files, from the cache when it holds it.

    `counts_known` hears the catalog's count per kind once an entry is proven this user's
    (its MAC checks), before its resources are read back: a read of the live catalog can
    use them while the rest of the entry loads (`Backend.expect_counts`).

    A catalog loaded from its files is written to the cache at once, unless `write_later`
    is given: it is then handed the write (which never fails), for a caller with a better
    moment than now (an apply writes it while its first wave waits on the network: at L,
    ~1 s of CPU that stood between the YAML read and the plan).

    With `beside`, a catalog the cache does not hold is loaded by a forked child on the
    other core (`loaded_beside`), cache switched off or not: a caller that fetches the live
    catalog meanwhile (`workflow.fetch_and_plan`) then has both cores at work; calling
    `abandon` stops that child at once, and this then raises `beside.Abandoned`.

    With `update`, a catalog the cache does not hold is first made by it from the entry
    there, when that entry is of these files as they were (see the module docstring)."""
    enabled = os.environ.get(ENV_SWITCH, "1") != "0"
    secret = user_key() if enabled else None
    key = entry_key(backend, files) if secret is not None else None
    path = state_dir / CACHE_FILE
    shown = [display_path(file) for file in files]
    if secret is not None and key is not None:
        catalog = _read(path, secret, key, shown, counts_known)
        if catalog is not None:
            return catalog
    elif not beside:
        return load()
    base = base_key(backend, files) if secret is not None and key is not None else None
    # The entry there (this user's: its MAC checks), most likely of these files before
    # they changed.
    wanted = update is not None or (beside and counts_known is not None)
    there = _proven(path, secret) if secret is not None and base is not None and wanted else None
    if there is not None and beside and counts_known is not None:
        # It tells its counts at once: the read meanwhile asks its pages by them (a 1%
        # change's apply at L read its pages one at a time for ~14 s while the catalog
        # loaded). The catalog's own are told after, once loaded.
        hinted = _counts_in(there)
        if hinted is not None:
            counts_known(hinted)

    def previous() -> tuple[Catalog, list[Items | None]] | None:
        """The entry there's catalog and its files' items, when it is of these files; each
        call unpickles its own (a forked child and this process, at the same time)."""
        if there is None or base is None or update is None:
            return None
        return _previous(there, base, shown)

    def fresh() -> tuple[Catalog, list[Items | None], Sequence[Resource] | None]:
        """The catalog (updated from the entry there, or loaded), its files' items, and
        the resources of the entry's catalog when it was made from them (else None)."""
        if base is None or secret is None:
            return load(), [None] * len(files), None
        try:
            raws = [file.read_bytes() for file in files]
        except OSError:
            return load(), [None] * len(files), None
        now = [items_of(raw) for raw in raws]
        was = previous()
        if update is not None and was is not None:
            catalog = update(*was, list(zip(raws, now, strict=True)))
            if catalog is not None:
                return catalog, now, was[0].resources
        return load(), now, None

    def kept() -> Sequence[Resource] | None:
        was = previous()
        return was[0].resources if was is not None else None

    found = (
        loaded_beside(fresh, shown, files, counts_known, abandon, base, kept) if beside else None
    )
    if found is None:
        catalog, items, _ = fresh()  # raises for an invalid catalog: nothing is written then
    else:
        catalog, rest = found
    if secret is None or key is None or base is None:
        return catalog
    write: Callable[[], None]
    if found is None:
        write = functools.partial(_write, path, secret, key, shown, catalog, base, items)
    else:  # the child's payload: nothing to pickle again
        write = functools.partial(_write_beside, path, secret, key, rest)
    if write_later is None:
        write()
    else:
        write_later(write)
    return catalog


#: Catalog files smaller than this in all are loaded here even when `beside` is asked: the
#: fork and the catalog's way back cost more than the load (an S catalog, 0.25 MB, loads
#: in about a tenth of a second).
BESIDE_LEAST_BYTES = 1 << 20


def loaded_beside(
    load: Callable[[], tuple[Catalog, list[Items | None], Sequence[Resource] | None]],
    shown: list[str],
    files: Sequence[Path],
    counts_known: CountsKnown | None = None,
    abandon: Abandon | None = None,
    base: bytes | None = None,
    kept: Callable[[], Sequence[Resource] | None] | None = None,
) -> tuple[Catalog, _Rest] | None:
    """`load()`'s catalog (with its files' items, for the entry), loaded by a forked child
    on the other core (`Beside.stream`), and the rest of what the child sends: the digest
    and the entry's payload but the digest's line (`base`: the entry's `base_key`); None
    when no child can help (no `fork`, one core, small files) or the child ended without
    the catalog: the caller then loads it here.

    The child sends the resources a chunk (`CHUNK`) at a time as it makes them (`_sent`),
    pickled as the cache entry holds them; this process reads each chunk back as it reads
    an entry's while the next is made, and gets the entry's bytes for its write without
    pickling anything. A catalog the child made from the entry's (`load()`'s third part,
    unpickled there) comes as changes to it: each chunk names the resources it kept as
    they were by their place there and pickles only the others (`_changed_chunks`), and
    this process, which meanwhile unpickled the same entry's catalog itself (`kept()`:
    the same resources in the same order), takes those from its own: a 1% change's
    catalog comes back as about a thousand resources, not 41,000 to pickle there and
    unpickle here (at M ~0.08 and ~0.05 s of CPU, on the critical path: the read's last
    pages decode in this process meanwhile); the entry's chunks are sent after the
    digest, for its write (`_Rest.payload`).

    The digest is read when it is first asked for (`Catalog.digest_later`,
    `catalog_digest`): the child hashes the catalog while this process plans it (hashing
    it here, chunk by chunk, paced the chunks: at M ~0.5 s of this process's CPU, three
    quarters of its share of the load). So the catalog is the one a later run reads from
    the cache (the plan over it the same), and an invalid catalog's error is the one
    `load()` raises (`CatalogValidationError` travels whole: its issues, their files and
    lines).

    `abandon`, called from another thread, stops the child at once: nobody wants the
    catalog then, so it is not loaded here either.

    Raises:
        CatalogValidationError: the catalog is invalid (raised in the child).
        Abandoned: `abandon` was called.
    """
    try:
        size = sum(file.stat().st_size for file in files)
    except OSError:
        return None  # (`load()` says what is wrong with the file)
    if size < BESIDE_LEAST_BYTES:
        return None
    child = Beside.stream(lambda: _sent(*load(), shown, base), abandon)
    if child is None:
        return None
    # The catalog the child loads it again from, read here meanwhile from the same bytes:
    # the same resources, in the same order (it names them by their place).
    mine = kept() if kept is not None else None
    parts: list[bytes] = []
    resources: list[Resource] = []
    try:
        # A forked child can hang for good (a lock another thread held at the fork):
        # long past any load's time it is stopped, and the catalog loaded here.
        answers = child.items(timeout=60 + 20 * size / 1_000_000)
        changes = next(answers) == _AS_CHANGES
        if changes and mine is None:
            raise Lost("a catalog sent as changes to one not read here")
        head = next(answers)
        parts.append(head)
        counts = _counts_of(head.split(b"\n", 1)[0])
        if counts_known is not None:
            counts_known(counts)
        chunks = -(-sum(counts.values()) // CHUNK)  # the chunks `_sent` sends
        for _ in range(chunks):
            chunk = next(answers)
            if mine is None or not changes:
                parts.append(chunk)
                resources.extend(_resources(pickle.loads(chunk)))  # (the same paths shown)
            else:
                resources.extend(_unchanged_and_changed(pickle.loads(chunk), mine))
    except (CatalogValidationError, Abandoned):
        child.close()
        raise
    except Exception:  # lost, or any other error: loaded here, which raises it again
        child.close()
        return None
    del mine  # (the catalog holds what it kept)
    rest = _Rest(answers, child, parts, chunks if changes else 0)
    # In catalog order already: sent from a Catalog's own resources, in order.
    return Catalog.restored(tuple(resources), None, rest), rest


class _Rest:
    """What a `loaded_beside` child sends after its catalog: the digest, read when first
    asked for (from any thread; once), then, when the catalog came as changes to the one
    it was loaded again from, the entry's `chunks` of resources (`payload`). The digest is
    None when it does not come (the child lost or stopped meanwhile): whoever asked
    computes it then."""

    def __init__(
        self, answers: Iterator[bytes], child: Beside[bytes], parts: list[bytes], chunks: int
    ) -> None:
        self._answers: Iterator[bytes] | None = answers
        self._child: Beside[bytes] | None = child
        self._parts: list[bytes] | None = parts
        self._chunks = chunks
        self._lock = threading.Lock()
        self._digest: str | None = None
        self._digest_read = False

    def __call__(self) -> str | None:
        with self._lock:
            return self._digest_here()

    def payload(self) -> tuple[str, list[bytes]] | None:
        """The digest and the entry's payload but the digest's line; None when they did
        not all come. Read once: the child ends then."""
        with self._lock:
            digest = self._digest_here()
            parts, self._parts = self._parts, None
            answers = self._answers
            try:
                if digest is None or parts is None:
                    return None
                if self._chunks:  # (else they came before the digest, and the child ended)
                    assert answers is not None
                    parts.extend(next(answers) for _ in range(self._chunks))
                    for _ in answers:  # (its end: the child has returned)
                        pass
                return digest, parts
            except Exception:  # lost, stopped: no entry written
                return None
            finally:
                self._ended()

    def _digest_here(self) -> str | None:
        if self._digest_read:
            return self._digest
        self._digest_read = True
        answers = self._answers
        if answers is None:
            return None
        try:
            digest = next(answers).decode("ascii")
            if not self._chunks:
                for _ in answers:  # (its end: the child has returned)
                    pass
            self._digest = digest if digest.startswith("sha256:") else None
        except Exception:  # lost, stopped: computed by whoever asked
            self._ended()
        if not self._chunks:
            self._ended()
        return self._digest

    def _ended(self) -> None:
        child, self._answers, self._child = self._child, None, None
        if child is not None:
            child.close()


def _sent(
    catalog: Catalog,
    items: list[Items | None],
    kept: Sequence[Resource] | None,
    shown: list[str],
    base: bytes | None,
) -> Iterator[bytes]:
    """What `loaded_beside`'s child sends: whether its chunks are changes (`_AS_CHANGES`),
    the entry's payload but its digest's line (the count and path lines and the items in
    one piece, then the resources' chunks), then the digest, made once the rest is on its
    way: this process meanwhile plans the catalog, and asks for it last. A catalog made
    from `kept` comes as changes to those (`_changed_chunks`) first, then the digest
    (asked for first), then the entry's chunks, for its write."""
    yield _AS_CHANGES if kept is not None else _WHOLE
    yield _counts_line(catalog) + _shown_line(shown) + _items_part(base, items)
    if kept is None:
        yield from _pickled_chunks(catalog)
        yield catalog_digest(catalog).encode("ascii")
        return
    yield from _changed_chunks(catalog.resources, kept)
    yield catalog_digest(catalog).encode("ascii")
    yield from _pickled_chunks(catalog)


#: How a `loaded_beside` child sends its catalog's chunks.
_AS_CHANGES, _WHOLE = b"changes", b"whole"


#: A chunk of resources as changes to those a catalog was loaded again from: each one's
#: place among those (`kept`), or -1 for the next of the resources that are not there.
_Changes = tuple[list[int], "_Chunk"]


def _changed_chunks(resources: Sequence[Resource], kept: Sequence[Resource]) -> Iterator[bytes]:
    """`resources` `CHUNK` at a time (`_Changes`): each that is one of `kept` itself (a
    catalog loaded again keeps an unchanged item's very resources, `loader.updated_catalog`)
    told by its place there, the others pickled. The forking process reads the same
    `kept` from the same entry's bytes: the places name the same resources there."""
    place = {id(resource): at for at, resource in enumerate(kept)}
    for start in range(0, len(resources), CHUNK):
        run = resources[start : start + CHUNK]
        at = [place.get(id(resource), -1) for resource in run]
        new = [resource for resource, found in zip(run, at, strict=True) if found < 0]
        yield pickle.dumps((at, _chunk(new)), protocol=pickle.HIGHEST_PROTOCOL)


def _unchanged_and_changed(changes: _Changes, kept: Sequence[Resource]) -> list[Resource]:
    """A chunk's resources (`_changed_chunks`), in order."""
    at, new = changes
    made = iter(_resources(new))
    return [kept[found] if found >= 0 else next(made) for found in at]


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


def _payload_parts(
    catalog: Catalog, shown: list[str], base: bytes, items: list[Items | None]
) -> Iterator[bytes]:
    """An entry's payload (what follows its key), a part at a time: the catalog's content
    digest on a line (a plan over a cached catalog never recomputes it: the key covers all
    it depends on), its count per kind on a line (`_counts_line`), the files' paths as its
    locations show them on a line (a JSON list), the files' items (`_items_part`), then the
    resources as pickled chunks of `CHUNK` (`_pickled_chunks`)."""
    yield catalog_digest(catalog).encode("ascii") + b"\n" + _counts_line(catalog)
    yield _shown_line(shown) + _items_part(base, items)
    yield from _pickled_chunks(catalog)


def _items_part(base: bytes | None, items: list[Items | None]) -> bytes:
    """The entry's `base_key` and its files' items (`catalog_items`), pickled, after their
    length: a catalog read back from its entry steps over them (at L ~2 MB)."""
    pickled = pickle.dumps((base, items), protocol=pickle.HIGHEST_PROTOCOL)
    return len(pickled).to_bytes(8, "big") + pickled


def _shown_line(shown: list[str]) -> bytes:
    return json.dumps(shown).encode("ascii") + b"\n"


def _pickled_chunks(catalog: Catalog) -> Iterator[bytes]:
    """The resources pickled `CHUNK` at a time, each made as it is asked for."""
    resources = catalog.resources
    for start in range(0, len(resources), CHUNK):
        yield pickle.dumps(
            _chunk(resources[start : start + CHUNK]), protocol=pickle.HIGHEST_PROTOCOL
        )


def _write(
    path: Path,
    secret: bytes,
    key: bytes,
    shown: list[str],
    catalog: Catalog,
    base: bytes,
    items: list[Items | None],
) -> None:
    """The entry of `catalog`, its parts written as they are made (`_payload_parts`)."""
    _write_parts(path, secret, key, _payload_parts(catalog, shown, base, items))


def _write_beside(path: Path, secret: bytes, key: bytes, rest: _Rest) -> None:
    """The entry of a catalog loaded beside: the child's digest line, then its payload's
    parts (`loaded_beside`). Not written when they did not all come (the child lost
    meanwhile: the next run reads the YAML again)."""
    sent = rest.payload()
    if sent is not None:
        digest, parts = sent
        _write_parts(path, secret, key, iter((digest.encode("ascii") + b"\n", *parts)))


def _write_parts(path: Path, secret: bytes, key: bytes, parts: Iterator[bytes]) -> None:
    """The entry: `_MAGIC`, the MAC (written last, over what follows it), the key, then the
    payload's parts, each written as it comes."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _ignore_in_git(path.parent)
        with _new_file(temporary) as out:
            mac = hmac.new(secret, key, hashlib.sha256)
            out.write(_MAGIC + bytes(_MAC_BYTES) + key)
            for part in parts:
                mac.update(part)
                out.write(part)
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


#: An entry's magic and MAC, before its payload (its key first).
_HEADER = len(_MAGIC) + _MAC_BYTES


def _proven(path: Path, secret: bytes, key: bytes | None = None) -> bytes | None:
    """The entry at `path`, whole, when this user's catalogsync wrote it (its MAC checks
    with `secret`) and, with `key`, when it is that key's entry; else None. Nothing in an
    entry is used before this: a planted one is never unpickled, nor its counts taken."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(_MAGIC) or len(data) < _HEADER + ENTRY_KEY_BYTES:
        return None
    payload = memoryview(data)[_HEADER:]
    if key is not None and payload[: len(key)] != key:
        return None  # another catalog's (or another version's) entry: no MAC to compute
    proven = hmac.compare_digest(
        data[len(_MAGIC) : _HEADER], hmac.new(secret, payload, hashlib.sha256).digest()
    )
    del payload  # (releases the buffer `data` lends it)
    return data if proven else None


def _counts_in(data: bytes) -> dict[Kind, int] | None:
    """The counts a proven entry (`_proven`) names, whichever catalog it holds (only this
    user's are read: a planted entry could ask for any number of pages); else None."""
    start = _HEADER + ENTRY_KEY_BYTES
    lines = data[start : start + 4096].split(b"\n", 2)
    try:
        return _counts_of(lines[1]) if len(lines) == 3 else None
    except (ValueError, UnicodeDecodeError):
        return None


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
    data = _proven(path, secret, key)
    if data is None:
        return None
    chunks = io.BytesIO(data)  # (shares the bytes: no copy)
    chunks.seek(_HEADER + len(key))
    end = len(data)
    del data
    return _from_payload(chunks, end, shown, counts_known)


def _previous(
    data: bytes, base: bytes, shown: list[str]
) -> tuple[Catalog, list[Items | None]] | None:
    """The catalog of a proven entry (`_proven`) and its files' items, when the entry is of
    these files (`base_key`), shown as `shown` (a catalog loaded again keeps its unchanged
    resources' locations as they are); else None."""
    chunks = io.BytesIO(data)
    chunks.seek(_HEADER + ENTRY_KEY_BYTES)
    recorded: list[tuple[bytes | None, list[Items | None]]] = []
    catalog = _from_payload(chunks, len(data), shown, None, recorded, base)
    if catalog is None or not recorded:
        return None
    return catalog, recorded[0][1]


def _from_payload(
    chunks: BinaryIO,
    end: int,
    shown: list[str],
    counts_known: CountsKnown | None,
    recorded: list[tuple[bytes | None, list[Items | None]]] | None = None,
    base: bytes | None = None,
) -> Catalog | None:
    """The catalog of a payload (`_payload_parts`) read from `chunks` up to `end`; None
    when it does not read back. `recorded`, when given, gets the entry's base key and
    items, and the catalog is read only when its paths are shown as `shown` says and its
    base key is `base` (an entry of other code or files: its catalog, ~0.9 s of CPU to
    unpickle at L, would only be thrown away)."""
    resources: list[Resource] = []
    try:
        # Safe to unpickle: the HMAC proves this user's catalogsync wrote it (or this
        # process's own forked child did: `loaded_beside`).
        digest = chunks.readline().removesuffix(b"\n").decode("ascii")
        counts = _counts_of(chunks.readline())
        if counts_known is not None:
            counts_known(counts)
        shown_then: list[str] = json.loads(chunks.readline())
        reshown = _reshown(shown_then, shown)
        length = int.from_bytes(chunks.read(8), "big")
        if recorded is None:
            chunks.seek(length, io.SEEK_CUR)
        elif reshown is not None:
            return None
        else:
            recorded.append(pickle.loads(chunks.read(length)))
            if recorded[-1][0] != base:
                return None
        while chunks.tell() < end:
            resources.extend(_resources(pickle.load(chunks), reshown))
    except Exception:  # any unreadable entry is a miss, never an error
        return None
    # In catalog order already: written from a Catalog's own resources, in order.
    return Catalog.restored(tuple(resources), digest)
