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
class EarlyLogin:
    """How a backend's login is made from a target's credentials, as its factory makes it.

    `fields` are its targets' credential fields (`config.Credentials` and the backend's
    subclass); `request` builds the login from their resolved values (those given) and the
    environment, or None where the factory would refuse the target."""

    fields: tuple[str, ...]
    request: Callable[[Mapping[str, str], Mapping[str, str]], LoginRequest | None]
