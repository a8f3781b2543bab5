"""The content digest of a desired catalog (a plan's `catalog_digest`), computed once.

The digest is sha256 over the canonical JSON list of every resource's content (ref,
normalised fields, renamed_from, protect): a hash of what the catalog declares, not of its
files' formatting. At 40,000 objects it costs about a third of a second of CPU, the largest
part of planning a no-op, so it is computed once per catalog content:

- a `Catalog` remembers it (`Catalog.known_digest`) once computed;
- the catalog cache keeps it with its entry, so a catalog read back from the cache never
  computes it again (the entry's key covers everything the digest depends on);
- `workflow.fetch_and_plan` computes it in the thread that loads the YAML, while the fetch
  waits on the billing system; for a catalog the cache does not hold, the forked child
  that loads it computes it once it has sent the catalog (`catalog_cache.loaded_beside`),
  and this process reads it when it is first asked for (`Catalog.digest_later`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from itertools import chain
from operator import attrgetter, methodcaller
from typing import Any

from catalogsync.catalog import Catalog, Kind, Resource, canonical_value
from catalogsync.plan import canonical_json

#: Resources encoded per `canonical_json` call: one call per resource spent more time in
#: the call than in the encoding, and the whole catalog's text at once was the largest
#: allocation of planning a 200,000-object catalog.
CHUNK = 2000


def catalog_digest(catalog: Catalog, chunk: int = CHUNK) -> str:
    """`plan.digest` of the list of every resource's content (see the module docstring),
    remembered on `catalog`."""
    if catalog.known_digest is None:
        later = catalog.digest_later
        known = later() if later is not None else None
        object.__setattr__(catalog, "known_digest", known or _computed(catalog, chunk))
        object.__setattr__(catalog, "digest_later", None)
    assert catalog.known_digest is not None
    return catalog.known_digest


def _computed(catalog: Catalog, chunk: int) -> str:
    """The canonical JSON list hashed `chunk` resources at a time (`Digesting`)."""
    digesting = Digesting()
    resources = catalog.resources
    for start in range(0, len(resources), chunk):
        digesting.add(resources[start : start + chunk])
    return digesting.digest()


class Digesting:
    """`catalog_digest` made a run of resources at a time, the catalog's in order: the same
    bytes as `canonical_json(list)` whatever the runs, since each run's text is that list's
    items without brackets."""

    def __init__(self) -> None:
        self._hashed = hashlib.sha256(b"[")
        self._first = True

    def add(self, resources: Sequence[Resource]) -> None:
        if not resources:
            return
        text = _contents_json(resources)
        self._hashed.update((b"" if self._first else b",") + text[1:-1])
        self._first = False

    def digest(self) -> str:
        hashed = self._hashed.copy()
        hashed.update(b"]")
        return "sha256:" + hashed.hexdigest()


def _contents_json(resources: Sequence[Resource]) -> bytes:
    """`canonical_json([_content(r) for r in resources])`, UTF-8: the same bytes, made by
    msgspec's C encoder (keys sorted) from a struct per resource when every part is of a
    type both encoders write alike (`_encoded`), else (or on any error) by `json` as
    before, which then raises what it raised. At M (41,000 resources) the digest took
    0.24-0.27 s of CPU that way, 0.08 s this way (tests/test_catalog_digest.py holds the
    two paths to the same bytes)."""
    try:
        return _encoded(resources)
    except Exception:  # anything unusual: the exact path decides, errors included
        return canonical_json([_content(r) for r in resources]).encode()


class _NotPlain(Exception):
    """A part `_encoded` does not vouch for: `json` encodes the run."""


#: Field values written as they are (exact types: a subclass may encode otherwise).
_AS_IS = frozenset({str, bool, int, type(None)})
_KIND_VALUES = {kind: kind.value for kind in Kind}
_REF, _KIND_OF, _KEY_OF = attrgetter("ref"), attrgetter("kind"), attrgetter("key")
_FIELDS, _RENAMED, _PROTECT = (
    attrgetter("fields"),
    attrgetter("renamed_from"),
    attrgetter("protect"),
)
_encoder: Any = None
_structs: Any = None


def _encoded(resources: Sequence[Resource]) -> bytes:
    """`_content` of each resource as msgspec structs whose fields (sorted, as `json`'s
    `sort_keys` sorts them) and values are those `_content` gives: each field's value
    `canonical_value`'s (a Decimal's looked up once per value in the run), keys and names
    exact `str`s, `protect` a `bool` (checked a run at a time, in C)."""
    global _encoder, _structs
    if _encoder is None:
        import msgspec  # (imported already by every command that reads a backend)

        class _Ref(msgspec.Struct, gc=False):
            key: tuple[str, ...]
            kind: str

        class _Content(msgspec.Struct, gc=False):
            fields: dict[str, Any]
            protect: bool
            ref: _Ref
            renamed_from: tuple[str, ...]

        _structs = (_Ref, _Content)
        _encoder = msgspec.json.Encoder(order="sorted")
    ref_struct, content_struct = _structs
    refs = list(map(_REF, resources))
    kinds = list(map(_KIND_OF, refs))
    keys = list(map(_KEY_OF, refs))
    fields = list(map(methodcaller("copy"), map(_FIELDS, resources)))
    renamed = list(map(_RENAMED, resources))
    protect = list(map(_PROTECT, resources))
    texts = chain(chain.from_iterable(keys), chain.from_iterable(renamed), *fields)
    if (
        set(map(type, kinds)) - {Kind}
        or set(map(type, keys)) - {tuple}
        or set(map(type, renamed)) - {tuple}
        or set(map(type, fields)) - {dict}
        or set(map(type, protect)) - {bool}
        or set(map(type, texts)) - {str}
    ):
        raise _NotPlain
    canonical: dict[Decimal, Any] = {}
    for values in fields:  # (each its own copy; a value replaced keeps the dict's size)
        for name, value in values.items():
            if type(value) not in _AS_IS:
                if type(value) is Decimal:
                    written = canonical.get(value)
                    if written is None:
                        written = canonical[value] = canonical_value(value)
                    values[name] = written
                elif type(value) is tuple:
                    values[name] = canonical_value(value)
                else:
                    raise _NotPlain
    made_refs = map(ref_struct, keys, map(_KIND_VALUES.__getitem__, kinds))
    return _encoder.encode(list(map(content_struct, fields, protect, made_refs, renamed)))  # type: ignore[no-any-return]


def _content(resource: Resource) -> dict[str, Any]:
    return {
        "ref": resource.ref.to_json(),
        "fields": {k: canonical_value(v) for k, v in resource.fields.items()},
        "renamed_from": list(resource.renamed_from),
        "protect": resource.protect,
    }
