"""Sessions: how a client logs in, shares one session among its requests, and renews it.

A backend supplies an `AuthHook` (how to log in, how to recognise a refused session); the
client's `Sessions` decides when to call it:

- An auth failure (per the hook) triggers a re-login (one login at a time, however many
  requests saw the failure) and a replay of the request. A request refused with a session
  another request has already replaced is simply replayed.
- A login sent ahead (`start`) is the one the first requests wait for: its session, or
  its failure, is theirs. A failed one is not sent again: the requests of a run share one
  login as they share one session (and a wrong password is not tried once per request).
- A session refused again right after the re-login is an `AuthenticationError`, unless it
  had served requests, or other requests were sent with it, before it was refused (sessions
  that expire after N requests, with several requests in flight): then it is renewed again,
  up to `MAX_RELOGINS` times for one request.

The session headers the hook returns become secrets of the client (redacted everywhere).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from catalogsync.errors import AuthenticationError, CatalogSyncError
from catalogsync.http.settings import HttpStats
from catalogsync.logins import LoginRequest

if TYPE_CHECKING:
    from catalogsync.early_login import Exchange
    from catalogsync.http.transport import HttpClient

logger = logging.getLogger(__name__)

# How many times one request may renew a session that keeps expiring under load. Each
# renewal needs the refused session to have served requests (progress), so this bound only
# matters when queued requests keep using each new session up before a replay runs.
MAX_RELOGINS = 10


class AuthHook(ABC):
    """How a backend logs in and recognises an expired session."""

    @abstractmethod
    async def login(self, client: HttpClient) -> dict[str, str]:
        """Log in (with `client.request(..., authenticate=False)`); return headers to add."""

    def is_auth_failure(self, response: httpx.Response) -> bool:
        """Whether `response` means "log in again and replay"; 401 unless overridden."""
        return response.status_code == 401


#: Login answers a `RequestLogin` reads itself (a refusal is its own message).
LOGIN_REFUSALS = frozenset({400, 401, 403})


class RequestLogin(AuthHook):
    """A login that is one request, described as data (`login_request`): the login sent
    before the configuration is validated (`catalogsync.early_login`) can send it too, and
    its answer then be this hook's (`session_from`) when it was this very request."""

    @abstractmethod
    def login_request(self) -> LoginRequest:
        """The login request, credentials included."""

    @abstractmethod
    def session_from(self, client: HttpClient, response: httpx.Response) -> dict[str, str]:
        """The session headers the login's answer gives; raises `AuthenticationError` (or a
        `BackendError`) when it refuses the login or makes no sense."""

    async def login(self, client: HttpClient) -> dict[str, str]:
        login = self.login_request()
        response = await client.request(
            login.method,
            login.path,
            json=login.json,
            data=login.form,
            headers=login.headers or None,
            idempotent=True,
            authenticate=False,
            accept=LOGIN_REFUSALS,
        )
        return self.session_from(client, response)


@dataclass
class Renewals:
    """What one request has done so far about refused sessions."""

    relogins: int = 0
    stale_replays: int = 0


class Sessions:
    """The one session a client's requests share, numbered by generation.

    The generation counter is what makes four concurrent auth failures cost one login: the
    first waiter logs in and bumps it, the other three see it moved and reuse it.
    """

    def __init__(self, hook: AuthHook | None, client: HttpClient, stats: HttpStats) -> None:
        self._hook = hook
        self._client = client
        self._stats = stats
        self._lock = asyncio.Lock()
        self._headers: dict[str, str] | None = None
        self._generation = 0
        # The newest session generation that has served a successful request, and how many
        # attempts were sent with each generation: a session other requests used as well may
        # have been used up by them (servers that expire sessions after N requests).
        self._served_generation = 0
        self._sent_with: Counter[int] = Counter()
        #: The login `start` sent: what a request without a session waits for.
        self._opening: asyncio.Future[None] | None = None

    def start(self) -> None:
        """Send the login now, without waiting for its answer (a running event loop is
        needed): a request that needs a session waits for this login, and fails as it
        failed. Nothing is sent when there is a session, or a login sent ahead, already."""
        if self._hook is None or self._headers is not None or self._opening is not None:
            return
        early = None
        if isinstance(self._hook, RequestLogin):
            early = self._client.early_login(self._hook.login_request())
        self._opening = asyncio.ensure_future(
            self._login(self._generation, force=False, relogin=False, early=early)
        )

    async def close(self) -> None:
        """Call off a login `start` sent that no request has waited for (the command ended
        before it needed a session): nothing is left running, no error is left unseen."""
        opening, self._opening = self._opening, None
        if opening is not None:
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)

    async def login(self) -> None:
        """Log in now (otherwise the first authenticated request does it)."""
        await self._login(self._generation, force=True, relogin=False)

    def end(self) -> dict[str, str] | None:
        """Forget the current session; return its headers (for a logout call) or None."""
        headers, self._headers = self._headers, None
        return headers

    async def current(self) -> tuple[int, dict[str, str]]:
        """The session to send a request with (logging in first if there is none)."""
        if self._hook is None:
            return self._generation, {}
        if self._headers is None and self._opening is not None:
            # Shielded: a request given up (cancelled) leaves the login to the others.
            await asyncio.shield(self._opening)
        if self._headers is None:
            await self._login(self._generation, force=False, relogin=False)
        assert self._headers is not None
        return self._generation, self._headers

    @property
    def generation(self) -> int:
        """The current session's generation (0 before the first login)."""
        return self._generation

    def sent(self, generation: int) -> None:
        """Count an attempt sent with `generation`'s session."""
        self._sent_with[generation] += 1

    def served(self, generation: int) -> None:
        """Note that `generation`'s session got a successful answer."""
        self._served_generation = max(self._served_generation, generation)

    def refused(self, response: httpx.Response) -> bool:
        """Whether `response` refuses the session (per the backend's hook)."""
        return self._hook is not None and self._hook.is_auth_failure(response)

    async def recover(self, method: str, path: str, generation: int, renewals: Renewals) -> None:
        """After `generation`'s session was refused: make sure a replay finds a newer one.

        Raises `AuthenticationError` when logging in again cannot help.
        """
        if generation != self._generation and renewals.stale_replays < MAX_RELOGINS:
            renewals.stale_replays += 1  # another request has renewed the session already
            return
        self._check_relogin(method, path, generation, renewals.relogins)
        logger.info("%s %s: session expired; logging in again", method, path)
        await self._login(generation, force=True, relogin=True)
        renewals.relogins += 1

    def _check_relogin(self, method: str, path: str, generation: int, relogins: int) -> None:
        """Refuse to log in again when it cannot help (see the module docstring)."""
        shared = self._sent_with[generation] > 1
        if relogins and not shared and self._served_generation < generation:
            raise AuthenticationError(
                f"{method} {path}: the server refused a session it had just issued"
            )
        if relogins >= MAX_RELOGINS:
            raise AuthenticationError(
                f"{method} {path}: the session expired {relogins + 1} times during one request"
            )

    async def _login(
        self,
        seen_generation: int,
        *,
        force: bool,
        relogin: bool,
        early: Future[Exchange] | None = None,
    ) -> None:
        """Log in unless someone already did since `seen_generation` (one login at a time);
        with `early`, the login sent before the configuration was validated, whose session
        is taken if it got one."""
        if self._hook is None:
            return
        async with self._lock:
            if self._generation != seen_generation and self._headers is not None:
                return
            if not force and self._headers is not None:
                return
            headers = await self._adopted(early) if early is not None else None
            if headers is None:
                headers = await self._hook.login(self._client)
            for value in headers.values():
                self._client.add_secret(value)
                self._client.add_secret(value.removeprefix("Bearer "))  # echoed without the scheme
            self._headers = dict(headers)
            self._generation += 1
            self._stats.logins += 1
            self._stats.relogins += int(relogin)
            logger.debug("logged in (session generation %d)", self._generation)

    async def _adopted(self, early: Future[Exchange]) -> dict[str, str] | None:
        """The session the early login got (then counted and recorded as this client's
        login), or None: it failed on the way, or answered anything but a session or a
        refusal. Such a failure is not the command's: the client's own login then runs,
        and fails as it always failed.

        A refusal (`LOGIN_REFUSALS`) is the command's: the early login was this very
        request, credentials included, so the client's own would be refused as well. It is
        counted and recorded as the client's login and read as its answer would be (the
        same message and exit code), and not sent again: an org that locks an account after
        a few failed logins must see one per run, as before the early login."""
        assert isinstance(self._hook, RequestLogin)
        try:
            sent = await asyncio.wrap_future(early)
        except Exception:  # the socket's, TLS's, h11's errors: the client's own login decides
            return None
        response = self._client.early_response(self._hook.login_request(), sent)
        if response.status_code in LOGIN_REFUSALS:
            self._client.count_early(sent, response)
            return self._hook.session_from(self._client, response)  # raises the refusal
        if not response.is_success:
            return None
        try:
            headers = self._hook.session_from(self._client, response)
        except CatalogSyncError:
            return None
        self._client.count_early(sent, response)
        self._client.adopt_early_reads(sent, headers)
        return headers
