"""Synthetic BillingPlatform catalogs of a given size, deterministic for a seed.

Sizes used by the benchmarks and tests: S = 1,000 products / 100 packages / 3,000
package-products, M = 10x, L = 50x. Package-products nest up to two levels below the top.
With `awkward=True`, names carry quotes, `%`, `_`, `--`, `;`, backslashes, non-ASCII text
and leading/trailing spaces, to prove they survive every layer.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, TextIO

import yaml

SIZES = {"S": (1_000, 100, 3_000), "M": (10_000, 1_000, 30_000), "L": (50_000, 5_000, 150_000)}
_AWKWARD = ["O'Brien", "100% Fibre", "snake_case", "a -- b; c", "back\\slash", "Größe", "日本"]


def _name(prefix: str, index: int, awkward: bool) -> str:
    base = f"{prefix} {index:06d}"
    if awkward and index % 7 == 0:
        base = f"{base} {_AWKWARD[index // 7 % len(_AWKWARD)]}"
    if awkward and index % 50 == 0:
        base = f" {base} "
    return base


def generate(
    products: int, packages: int, package_products: int, *, seed: int = 7, awkward: bool = False
) -> dict[str, Any]:
    """Catalog data (as loaded from YAML) with exactly the requested counts."""
    rng = random.Random(seed)
    product_names = [_name("Product", i, awkward) for i in range(products)]
    catalog_products = [
        {"name": name, "rate": f"{rng.randint(1, 99999) / 100:.2f}", "status": "ACTIVE"}
        for name in product_names
    ]
    per_package = [package_products // packages] * packages
    for i in range(package_products % packages):
        per_package[i] += 1
    catalog_packages = []
    for p in range(packages):
        count = per_package[p]
        chosen = rng.sample(product_names, count)
        items: list[dict[str, Any]] = []
        index = 0
        while index < count:
            # a top-level item, then up to two nested levels under it
            top = {"product": chosen[index], "min_qty": 1, "max_qty": rng.randint(1, 500)}
            index += 1
            items.append(top)
            parent = top
            for _ in range(2):
                if index >= count or rng.random() < 0.5:
                    break
                child = {"product": chosen[index], "min_qty": 0}
                index += 1
                parent["children"] = [child]
                parent = child
        catalog_packages.append(
            {"name": _name("Package", p, awkward), "status": "Production", "products": items}
        )
    return {"products": catalog_products, "packages": catalog_packages}


def write_project(
    folder: Path,
    data: dict[str, Any],
    target: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    *,
    backend: str = "billingplatform",
) -> Path:
    """A `backend` catalog project with `data` in catalog.yaml and one target named `local`."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "backend": backend,
        "catalog": ["catalog.yaml"],
        "targets": {"local": target or {"url": "emulator:"}},
        "guards": {"max_change_share": 1.0},
    }
    if settings:
        config["settings"] = settings
    for name, document in (("catalogsync.yaml", config), ("catalog.yaml", data)):
        with (folder / name).open("w", encoding="utf-8") as out:
            _dump(document, out)
    return folder


def _dump(document: dict[str, Any], out: TextIO) -> None:
    """Block-style YAML in the data's key order; libyaml's emitter when present.

    (ruamel's pure-Python emitter takes about 45 s for the L catalog; libyaml about 3 s.
    PyYAML quotes every string a YAML 1.1 reader could mistake for another type, which
    YAML 1.2 readers read back unchanged.)
    """
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    yaml.dump(
        document,
        out,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        default_flow_style=False,
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.generate OUT [--size S|M|L] [--awkward] [--seed N]`."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate",
        description="Write a synthetic BillingPlatform catalog project (catalogsync.yaml + "
        "catalog.yaml, embedded emulator target) of a benchmark size.",
    )
    parser.add_argument("out", type=Path, help="folder to write the project into")
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="S",
        help="S = 1k products / 100 packages / 3k package-products, M = 10x, L = 50x (default: S)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--awkward", action="store_true", help="names with quotes, %%, non-ASCII text, spaces"
    )
    args = parser.parse_args(argv)
    data = generate(*SIZES[args.size], seed=args.seed, awkward=args.awkward)
    folder = write_project(args.out, data)
    print(f"wrote a size {args.size} project to {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
