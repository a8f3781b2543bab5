"""A login, as data: what a backend's session hook sends (`http.sessions.RequestLogin`) and
what the login sent before the configuration is validated (`catalogsync.early_login`) sends.

Each backend writes its own in a module of its own (`backends/<system>/login.py`, named in
the registry), importing nothing but this, so that the early login can build it before
anything else is imported (a backend's package builds pydantic models). Two logins are the
same login when their `LoginRequest`s are equal: that is how the early one is adopted only
by a client that would have sent exactly it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LoginRequest:
    """One login request: a POST to `path` (relative to the target's URL) with a JSON body
    (`json`) or a form (`form`), and any headers of its own."""

    path: str
    json: Mapping[str, str] | None = None
    form: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "POST"


@dataclass(frozen=True)
class EarlyRead:
    """One read a backend's client sends first thing in every full read of its target: a
    GET of `path` (relative to the target's URL) with these query parameters and headers of
    its own (its session's are added). Built by the functions the client builds it with."""

    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def key(self) -> tuple[Any, ...]:
        """What `HttpClient.request` is asked when the client sends this very read."""
        return ("GET", self.path, tuple(self.params.items()), tuple(self.headers.items()))


@dataclass(frozen=True)
class EarlyLogin:
    """How a backend's login is made from a target's credentials, as its factory makes it.

    `fields` are its targets' credential fields (`config.Credentials` and the backend's
    subclass); `request` builds the login from their resolved values (those given) and the
    environment, or None where the factory would refuse the target.

    `session` reads the session headers out of a login's answer (its status and body), as
    the client's session hook gives them, or None for anything else; `reads` gives the
    reads the client begins a full read with, given the count per kind the catalog cache's
    entry names (`catalog_cache_keys.counts_hint`, a hint: None when there is none). With
    both, the login thread sends those reads once its login is in, for the client to take
    as its own (`HttpClient.adopt_early_reads`)."""

    fields: tuple[str, ...]
    request: Callable[[Mapping[str, str], Mapping[str, str]], LoginRequest | None]
    session: Callable[[int, bytes], dict[str, str] | None] | None = None
    reads: Callable[[Mapping[str, int] | None], tuple[EarlyRead, ...]] | None = None
