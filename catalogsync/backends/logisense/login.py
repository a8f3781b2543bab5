"""The LogiSense login, as data (`catalogsync.logins.LoginRequest`): the client's session
hook sends it, and so does the login sent before the configuration is validated
(`catalogsync.early_login`, through the registry), which imports this module alone.

A password-grant form (`grant_type=password`, `username`, `password`, `client_id`) to
`/AuthorizationServer/api/v8/Access/Login`, answering `access_token`
(../shared/reference/logisense-api.md §2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from catalogsync.backends.logisense.reads import first_reads
from catalogsync.logins import EarlyLogin, LoginRequest

LOGIN_PATH = "/AuthorizationServer/api/v8/Access/Login"
#: The tenant's client id when a target gives none (the name the public LogiCore client
#: uses, reference §11).
CLIENT_ID_ENV = "LOGISENSE_CLIENT_ID"


def login_request(username: str, password: str, client_id: str | None) -> LoginRequest:
    form = {"grant_type": "password", "username": username, "password": password}
    if client_id:
        form["client_id"] = client_id
    return LoginRequest(LOGIN_PATH, form=form, headers={"Accept": "application/json"})


def _from_credentials(
    credentials: Mapping[str, str], environ: Mapping[str, str]
) -> LoginRequest | None:
    """As `factory.open_backend` makes the client's: the target's client id, else the
    environment's; None when it has neither (the factory refuses such a target)."""
    client_id = credentials.get("client_id") or environ.get(CLIENT_ID_ENV, "")
    if not client_id:
        return None
    return login_request(credentials["username"], credentials["password"], client_id)


def session_headers(access_token: str) -> dict[str, str]:
    """What a request sends its session with: `Authorization: Bearer …` (reference §2)."""
    return {"Authorization": f"Bearer {access_token}"}


def _session(status: int, body: bytes) -> dict[str, str] | None:
    """The session a successful login's answer gives (`access_token`, a text), or None:
    the client's hook reads it so too (`client._TokenAuth.session_from`)."""
    if not 200 <= status < 300:
        return None
    try:
        token = json.loads(body).get("access_token")
    except (ValueError, AttributeError):
        return None
    return session_headers(token) if isinstance(token, str) and token else None


EARLY = EarlyLogin(
    fields=("username", "password", "client_id"),
    request=_from_credentials,
    session=_session,
    reads=first_reads,
)
