"""The CPU of a catalog's content digest (`catalog_digest`), in this process.

    python -m benchmarks.digest PROJECT [--repeat N]

loads PROJECT's catalog (from its catalog cache when it holds it), then times, `repeat`
times each and alternated, the digest as `catalog_digest` makes it and as its exact path
(`json` over `_content`, the way every run was made before msgspec's fast path) makes it,
and prints the least CPU of each and whether the two digests are the cache entry's. A
forked child makes this digest after sending a catalog the cache does not hold (the 1%
change, a cold apply), and the plan waits for it.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

from catalogsync import catalog_digest as digest_module
from catalogsync.catalog import Catalog
from catalogsync.config import load_project
from catalogsync.loader import load_project_catalog


def _exact(catalog: Catalog) -> str:
    digesting = digest_module.Digesting()
    fast = digest_module._encoded

    def refused(resources: object) -> bytes:
        raise digest_module._NotPlain

    digest_module._encoded = refused
    try:
        resources = catalog.resources
        for start in range(0, len(resources), digest_module.CHUNK):
            digesting.add(resources[start : start + digest_module.CHUNK])
    finally:
        digest_module._encoded = fast
    return digesting.digest()


def _least(make: Callable[[Catalog], str], catalog: Catalog, spent: list[float]) -> str:
    started = time.process_time()
    made = make(catalog)
    spent.append(time.process_time() - started)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.digest")
    parser.add_argument("project", type=Path)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)
    gc.disable()  # as a command runs (`collector.for_a_command`)
    catalog = load_project_catalog(load_project(args.project))
    exact: list[float] = []
    fast: list[float] = []
    for _ in range(args.repeat):
        by_json = _least(_exact, catalog, exact)
        by_msgspec = _least(
            lambda c: digest_module._computed(c, digest_module.CHUNK), catalog, fast
        )
    print(
        f"{len(catalog)} resources: digest exact path {min(exact):.3f} s CPU, catalog_digest"
        f" {min(fast):.3f} s (least of {args.repeat}); the same: {by_json == by_msgspec}"
        + (
            f", the cache entry's: {by_msgspec == catalog.known_digest}"
            if catalog.known_digest
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
