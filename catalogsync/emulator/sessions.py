"""Login sessions with idle expiry and a request budget (backend-neutral).

Sessions live in memory only: after a server restart every old session id is invalid, as it
would be after a vendor-side expiry, so clients exercise their re-login path.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Session", "SessionStore"]


@dataclass
class Session:
    """One logged-in session."""

    token: str
    username: str
    user_id: int
    last_used: float
    requests: int = 0


class SessionStore:
    """Thread-safe sessions keyed by an opaque random token."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self, username: str, user_id: int) -> Session:
        """Start a session and return it."""
        session = Session(secrets.token_urlsafe(32), username, user_id, self._clock())
        with self._lock:
            self._sessions[session.token] = session
        return session

    def use(
        self, token: str, *, ttl_seconds: float | None, max_requests: int | None
    ) -> Session | None:
        """Count one request on the session; None when it is unknown or has expired.

        `ttl_seconds` is an idle timeout (time since the last request). `max_requests` is
        how many requests a session may serve; the next one finds it expired. An expired
        session is forgotten, so it stays invalid even if the limits are lifted.
        """
        now = self._clock()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            idle = ttl_seconds is not None and now - session.last_used > ttl_seconds
            spent = max_requests is not None and session.requests >= max_requests
            if idle or spent:
                del self._sessions[token]
                return None
            session.requests += 1
            session.last_used = now
            return session

    def end(self, token: str) -> bool:
        """Forget a session; False when it did not exist."""
        with self._lock:
            return self._sessions.pop(token, None) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
