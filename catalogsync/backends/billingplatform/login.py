"""The BillingPlatform login, as data (`catalogsync.logins.LoginRequest`): the client's
session hook sends it, and so does the login sent before the configuration is validated
(`catalogsync.early_login`, through the registry), which imports this module alone.

`POST /rest/2.0/login` with `{"username", "password"}` answers `loginResponse[0].SessionID`
(seeds 000/001, "Login"; ../shared/reference/billingplatform-api.md §2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from catalogsync.backends.billingplatform.reads import first_reads
from catalogsync.logins import EarlyLogin, LoginRequest

LOGIN_PATH = "/rest/2.0/login"


def login_request(username: str, password: str) -> LoginRequest:
    return LoginRequest(LOGIN_PATH, json={"username": username, "password": password})


def _from_credentials(
    credentials: Mapping[str, str], environ: Mapping[str, str]
) -> LoginRequest | None:
    return login_request(credentials["username"], credentials["password"])


def session_headers(session_id: str) -> dict[str, str]:
    """What a request sends its session with: header `sessionid` (reference §2)."""
    return {"sessionid": session_id}


def _session(status: int, body: bytes) -> dict[str, str] | None:
    """The session a successful login's answer gives, or None: `loginResponse[0]` with a
    `SessionID` text and an `ErrorCode` of "0" (or none), as the client's hook reads it
    (`client._SessionAuth.session_from`); anything less plain is left to the hook."""
    if not 200 <= status < 300:
        return None
    try:
        result = json.loads(body)["loginResponse"][0]
        session_id, error_code = result["SessionID"], result.get("ErrorCode", "0")
    except (ValueError, LookupError, TypeError, AttributeError):
        return None
    if not isinstance(session_id, str) or not session_id or error_code not in ("", "0"):
        return None
    return session_headers(session_id)


EARLY = EarlyLogin(
    fields=("username", "password"),
    request=_from_credentials,
    session=_session,
    reads=first_reads,
)
