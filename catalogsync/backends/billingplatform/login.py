"""The BillingPlatform login, as data (`catalogsync.logins.LoginRequest`): the client's
session hook sends it, and so does the login sent before the configuration is validated
(`catalogsync.early_login`, through the registry), which imports this module alone.

`POST /rest/2.0/login` with `{"username", "password"}` answers `loginResponse[0].SessionID`
(seeds 000/001, "Login"; ../shared/reference/billingplatform-api.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping

from catalogsync.logins import EarlyLogin, LoginRequest

LOGIN_PATH = "/rest/2.0/login"


def login_request(username: str, password: str) -> LoginRequest:
    return LoginRequest(LOGIN_PATH, json={"username": username, "password": password})


def _from_credentials(
    credentials: Mapping[str, str], environ: Mapping[str, str]
) -> LoginRequest | None:
    return login_request(credentials["username"], credentials["password"])


EARLY = EarlyLogin(fields=("username", "password"), request=_from_credentials)
