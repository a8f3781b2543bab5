"""Backend registry: names in catalogsync.yaml → the modules that implement them.

Imports are lazy (by dotted path) so the core never imports a backend module directly and
loading one backend does not pull in the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from catalogsync.catalog_format import CatalogFormat

if TYPE_CHECKING:
    from catalogsync.backend_api import Backend
    from catalogsync.config import Project, Target

_FORMATS: dict[str, str] = {
    "billingplatform": "catalogsync.backends.billingplatform.catalog_format:FORMAT",
    "logisense": "catalogsync.backends.logisense.catalog_format:FORMAT",
}

_BACKENDS: dict[str, str] = {
    "billingplatform": "catalogsync.backends.billingplatform.factory:open_backend",
    "logisense": "catalogsync.backends.logisense.factory:open_backend",
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


def open_backend(project: Project, target_name: str, target: Target) -> Backend:
    """Open the project's backend for one of its targets."""
    opener = _load(_BACKENDS[project.config.backend])
    backend: Backend = opener(project, target_name, target)
    return backend
