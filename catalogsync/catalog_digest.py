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
from typing import Any

from catalogsync.catalog import Catalog, Resource, canonical_value
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
        text = canonical_json([_content(r) for r in resources])
        self._hashed.update(("" if self._first else ",").encode() + text[1:-1].encode())
        self._first = False

    def digest(self) -> str:
        hashed = self._hashed.copy()
        hashed.update(b"]")
        return "sha256:" + hashed.hexdigest()


def _content(resource: Resource) -> dict[str, Any]:
    return {
        "ref": resource.ref.to_json(),
        "fields": {k: canonical_value(v) for k, v in resource.fields.items()},
        "renamed_from": list(resource.renamed_from),
        "protect": resource.protect,
    }
