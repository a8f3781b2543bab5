"""Backend registry: names in catalogsync.yaml → each backend's one front door, its spec.

Every backend exports a `BackendSpec` as `SPEC` (catalogsync.backend_api); this is
the one place that lists them. Specs are loaded lazily by dotted path, so the core never
imports a backend module directly and loading one backend does not pull in the others.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalogsync.backend_api import Backend, BackendSpec
    from catalogsync.catalog_format import CatalogFormat
    from catalogsync.config import Project, Target
    from catalogsync.logins import EarlyLogin

#: Backend name → "module:attribute" of its spec.
_SPECS: dict[str, str] = {
    "billingplatform": "catalogsync.backends.billingplatform.spec:SPEC",
    "logisense": "catalogsync.backends.logisense.spec:SPEC",
}


#: Backend name → "module:attribute" of how its login is made (`logins.EarlyLogin`), for the
#: login sent before the configuration is validated: each a module importing nothing else,
#: so that neither this table nor its modules import a backend's package.
_EARLY_LOGINS: dict[str, str] = {
    "billingplatform": "catalogsync.backends.billingplatform.login:EARLY",
    "logisense": "catalogsync.backends.logisense.login:EARLY",
}

#: What `init` and `emulator serve` take when no backend is named.
DEFAULT_BACKEND = "billingplatform"


def register_backend(name: str, spec_path: str) -> None:
    """Make a backend outside this package known by `name` (a plugin, or the test suite's
    toy backend): `spec_path` is the "module:attribute" of its BackendSpec."""
    _SPECS[name] = spec_path
    _spec.cache_clear()


def unregister_backend(name: str) -> None:
    """Forget a backend `register_backend` added (a test's, once it is done)."""
    del _SPECS[name]
    _spec.cache_clear()


def backend_names() -> tuple[str, ...]:
    """Every backend `backend:` can name, sorted."""
    return tuple(sorted(_SPECS))


def load_dotted(dotted: str) -> Any:
    """The attribute a "module:attribute" path names, importing its module now."""
    module_name, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@cache
def _spec(name: str, path: str) -> BackendSpec:
    from catalogsync.backend_api import BackendSpec  # not before a spec is asked for

    spec = load_dotted(path)
    assert isinstance(spec, BackendSpec) and spec.name == name, f"{path} is not {name}'s spec"
    return spec


def early_login(backend: str) -> EarlyLogin | None:
    """How `backend`'s login is made, for sending it before the configuration is validated;
    None for a backend that says not (a plugin's, or an unknown name)."""
    path = _EARLY_LOGINS.get(backend)
    if path is None:
        return None
    early: EarlyLogin = load_dotted(path)
    return early


def get_spec(backend: str) -> BackendSpec:
    """The spec of a backend; `backend` must be one of backend_names() (else KeyError)."""
    return _spec(backend, _SPECS[backend])


def get_format(backend: str) -> CatalogFormat:
    """The catalog format of a backend; `backend` must be one of backend_names()."""
    return get_spec(backend).catalog_format


def emulator_profiles(backend: str) -> dict[str, str]:
    """The variant profiles of `backend`'s emulator: name → description, "strict" first
    (imports that backend's emulator profiles, not the emulator)."""
    profiles: dict[str, str] = load_dotted(get_spec(backend).emulator_profiles)
    return profiles


def open_backend(project: Project, target_name: str, target: Target) -> Backend:
    """Open the project's backend for one of its targets."""
    opener = load_dotted(get_spec(project.config.backend).opener)
    backend: Backend = opener(project, target_name, target)
    return backend
