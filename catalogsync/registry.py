"""Backend registry: names in catalogsync.yaml → the modules that implement them.

Imports are lazy (by dotted path) so the core never imports a backend module directly and
loading one backend does not pull in the others.
"""

from __future__ import annotations

import importlib
from typing import Any

from catalogsync.formats import CatalogFormat

_FORMATS: dict[str, str] = {
    "billingplatform": "catalogsync.backends.billingplatform.catalog_format:FORMAT",
}

BACKEND_NAMES: tuple[str, ...] = tuple(sorted(_FORMATS))


def _load(dotted: str) -> Any:
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def get_format(backend: str) -> CatalogFormat:
    """The catalog format of a backend; `backend` must be one of BACKEND_NAMES."""
    fmt = _load(_FORMATS[backend])
    assert isinstance(fmt, CatalogFormat)
    return fmt
