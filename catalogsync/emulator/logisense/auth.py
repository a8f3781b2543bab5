"""The AuthorizationServer: form login for a JWT bearer token, refresh, and expiry.

Reference §2: `POST /AuthorizationServer/api/v8/Access/Login` (and the unversioned
`/AuthorizationServer/Access/Login` public clients use), form fields `username`,
`password`, `grant_type=password`, `client_id` (or `client_id` + `client_secret`, still
with `grant_type=password`), answering `access_token`, `refresh_token`, `token_type`,
`expires_in` (at most 1800 s), `audience`, `.issued`, `.expires`, `actingOwnerId`.

Tokens expire absolutely (a JWT's `exp`), not after idleness: `Faults.session_ttl_seconds`
shortens the lifetime (checked again on every request, so lowering it expires live
tokens), `Faults.session_max_requests` caps the requests one token may make. Tokens live
in memory, so a restarted server refuses old ones and clients exercise their re-login path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["MAX_LIFETIME", "Token", "TokenStore", "iso_utc"]

#: [D] `expires_in` is at most 1800 seconds (30 minutes).
MAX_LIFETIME = 1800.0


@dataclass
class Token:
    """One issued access token and its refresh token."""

    access: str
    refresh: str
    username: str
    client_id: str
    issued: float
    lifetime: float
    requests: int = 0

    def response(self) -> dict[str, Any]:
        """The documented token JSON (note the leading dots of `.issued` / `.expires`)."""
        return {
            "access_token": self.access,
            "token_type": "bearer",
            "expires_in": math.ceil(self.lifetime),
            "refresh_token": self.refresh,
            "audience": self.client_id,
            ".issued": iso_utc(self.issued),
            ".expires": iso_utc(self.issued + self.lifetime),
            "actingOwnerId": 1,
        }


def iso_utc(stamp: float) -> str:
    """ISO 8601 UTC with milliseconds and `Z`, as the samples write dates."""
    text = datetime.fromtimestamp(stamp, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


class TokenStore:
    """Thread-safe issued tokens. `clock` is wall time (tokens carry real timestamps)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)
        self._by_access: dict[str, Token] = {}
        self._by_refresh: dict[str, Token] = {}

    def now(self) -> float:
        """The store's clock (wall time): the emulator stamps `created`/`updated` with it."""
        return self._clock()

    def issue(self, username: str, client_id: str, ttl_seconds: float | None) -> Token:
        """A new token pair valid for `ttl_seconds` (capped at 1800; 1800 when None)."""
        lifetime = MAX_LIFETIME if ttl_seconds is None else min(ttl_seconds, MAX_LIFETIME)
        now = self._clock()
        access = self._jwt(username, client_id, now, lifetime, "access")
        refresh = self._jwt(username, client_id, now, MAX_LIFETIME, "refresh")
        token = Token(access, refresh, username, client_id, now, lifetime)
        with self._lock:
            self._by_access[access] = token
            self._by_refresh[refresh] = token
        return token

    def use(
        self, access: str, *, ttl_seconds: float | None, max_requests: int | None
    ) -> Token | None:
        """Count one request on the token; None when it is unknown, expired or spent.

        An expired token is forgotten, so it stays invalid if the limits are lifted.
        """
        now = self._clock()
        with self._lock:
            token = self._by_access.get(access)
            if token is None:
                return None
            lifetime = token.lifetime if ttl_seconds is None else min(token.lifetime, ttl_seconds)
            spent = max_requests is not None and token.requests >= max_requests
            if now - token.issued >= lifetime or spent:
                del self._by_access[access]
                return None
            token.requests += 1
            return token

    def refresh(self, refresh: str, ttl_seconds: float | None) -> Token | None:
        """[INFERRED] `grant_type=refresh_token`: a new pair for a known, unexpired refresh
        token (the refresh token is single-use); None otherwise."""
        with self._lock:
            old = self._by_refresh.pop(refresh, None)
            if old is not None:
                self._by_access.pop(old.access, None)
        if old is None or self._clock() - old.issued >= MAX_LIFETIME:
            return None
        return self.issue(old.username, old.client_id, ttl_seconds)

    def _jwt(self, username: str, client_id: str, now: float, lifetime: float, use: str) -> str:
        """A real HS512 JWT with the sample's claims ([INFERRED] from the decoded sample)."""
        header = {"alg": "HS512", "typ": "JWT"}
        claims = {
            "ownerId": 1,
            "actingOwnerId": 1,
            "unique_name": username,
            "sub": username,
            "iss": "http://authorizationserver.logisense.com",
            "aud": client_id,
            "nbf": int(now),
            "exp": int(now + lifetime),
            "jti": secrets.token_hex(8),
            "use": use,
        }
        signing = f"{_b64(header)}.{_b64(claims)}"
        signature = hmac.new(self._secret, signing.encode(), hashlib.sha512).digest()
        return f"{signing}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
