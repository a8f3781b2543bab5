"""The one seam to GitHub (and GitLab): a small synchronous httpx client for a REST API.

GitLab's REST API has the same traits this client relies on (JSON, `Link` pagination,
429 with `Retry-After`), so `catalogsync.ci.gitlab` uses this client with its own headers
and name; everything below says GitHub, but holds for both.

Only what the CI glue needs: JSON requests, Link-header pagination, retries, and errors
that say which request failed with what status. The token goes into the Authorization
header and nowhere else: error messages carry the method, the path and GitHub's message,
never headers (GitHub's message is redacted of the token in every encoding, in case it
echoes the request), and pagination refuses to follow a `next` link to another scheme or
host (the token would go with it).

Retries: 5xx and connection errors are retried for idempotent methods (GET, PATCH, PUT,
DELETE). A POST that failed with a 5xx or mid-request may have been acted on, so it is not
retried here: `AmbiguousGitHubWrite` lets the caller look before creating again. Rate
limits (429, or 403 with `Retry-After` / "secondary rate limit" / no remaining quota) mean
GitHub did nothing, so every method waits and retries, honouring `Retry-After`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from catalogsync import __version__
from catalogsync.errors import CatalogSyncError
from catalogsync.http import check_base_url, parse_retry_after
from catalogsync.redact import Redactor

__all__ = [
    "DEFAULT_API_URL",
    "AmbiguousGitHubWrite",
    "GitHubClient",
    "GitHubError",
]

DEFAULT_API_URL = "https://api.github.com"
_GITHUB_TOKEN_HINT = (
    " (check that GITHUB_TOKEN is set from secrets and that the workflow grants the "
    "permission this needs: pull-requests/issues: write, contents: read)"
)
_IDEMPOTENT = frozenset({"GET", "PATCH", "PUT", "DELETE"})
_SERVER_ERRORS = frozenset({500, 502, 503, 504})
# A rate-limit wait longer than this fails the run instead: a CI job should not sleep for
# most of an hour waiting for the primary quota to reset.
_MAX_WAIT_SECONDS = 120.0


class GitHubError(CatalogSyncError):
    """A GitHub API request failed (exit 1); the message names the request and status."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AmbiguousGitHubWrite(GitHubError):
    """A POST failed in a way that GitHub may still have acted on (5xx, dropped mid-way)."""


class GitHubClient:
    """JSON over GitHub's REST API with a bearer token.

    `transport` is the test seam (an httpx transport over a fake app); `sleep` is
    injectable so retry tests do not wait.
    """

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 4,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 30.0,
        max_pages: int = 200,
        service: str = "GitHub",
        headers: Mapping[str, str] | None = None,
        token_hint: str = _GITHUB_TOKEN_HINT,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        # The token must not cross the network in clear: https, or http to loopback only.
        check_base_url(self.api_url, has_transport=transport is not None, allow_insecure_http=False)
        self._scheme, self._host = urlsplit(self.api_url)[:2]
        self._redactor = Redactor([token])
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_pages = max_pages
        self._http = httpx.Client(
            base_url=self.api_url,
            transport=transport,
            timeout=timeout_seconds,
            headers={
                **(
                    headers
                    if headers is not None
                    else {
                        "Authorization": f"Bearer {token}",
                        "Accept": "application/vnd.github+json",
                        "X-GitHub-Api-Version": "2022-11-28",
                    }
                ),
                "User-Agent": f"catalogsync/{__version__}",
            },
        )
        self.service = service
        self._token_hint = token_hint
        self.requests_sent = 0

    def close(self) -> None:
        """Close the connection pool (use the client under `contextlib.closing`)."""
        self._http.close()

    # --- requests ----------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self._json(self._send("GET", path, params=params))

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._json(self._send("POST", path, json=body))

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._json(self._send("PATCH", path, json=body))

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._json(self._send("PUT", path, json=body))

    def paginate(
        self, path: str, params: Mapping[str, str | int] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, page by page (100 a page), following `Link`."""
        url: str | None = path
        query: Mapping[str, str | int] | None = {"per_page": 100, **(params or {})}
        for _ in range(self._max_pages):
            if url is None:
                return
            response = self._send("GET", url, params=query)
            items = self._json(response)
            if not isinstance(items, list):
                raise GitHubError(f"GET {_path_of(url)}: expected a JSON list, got {items!r:.80}")
            yield from items
            url, query = self._next_link(response), None  # the next link carries the query
        raise GitHubError(f"GET {_path_of(path)}: more than {self._max_pages} pages; giving up")

    def _next_link(self, response: httpx.Response) -> str | None:
        link = response.links.get("next", {}).get("url")
        if link is None:
            return None
        scheme, host = urlsplit(link)[:2]
        if (scheme or self._scheme, host or self._host) != (self._scheme, self._host):
            # Following it would send the token to another host, or in clear (http://).
            raise GitHubError(
                f"GET {_path_of(str(response.request.url))}: refusing a pagination link "
                f"to another host or scheme ({scheme}://{host})"
            )
        return link

    # --- one request, with retries ---------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        what = f"{method} {_path_of(url)}"
        for attempt in range(1, self._max_attempts + 1):
            last = attempt == self._max_attempts
            self.requests_sent += 1
            try:
                response = self._http.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                # A connect error means nothing was sent, so even a POST may go again.
                safe = method in _IDEMPOTENT or isinstance(exc, httpx.ConnectError)
                if safe and not last:
                    self._sleep(self._backoff * 2 ** (attempt - 1))
                    continue
                error = AmbiguousGitHubWrite if not safe else GitHubError
                raise error(
                    f"{self.service} API request failed: {what}: {type(exc).__name__}"
                ) from exc
            if response.is_success:
                return response
            wait = _rate_limit_wait(response)
            if wait is not None and not last and wait <= _MAX_WAIT_SECONDS:
                self._sleep(max(wait, self._backoff))
                continue
            if response.status_code in _SERVER_ERRORS:
                if method in _IDEMPOTENT and not last:
                    self._sleep(self._backoff * 2 ** (attempt - 1))
                    continue
                if method not in _IDEMPOTENT:
                    raise AmbiguousGitHubWrite(self._failure(what, response), response.status_code)
            raise GitHubError(self._failure(what, response), response.status_code)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _failure(self, what: str, response: httpx.Response) -> str:
        detail = ""
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("message"):
            detail = f": {self._redactor.redact(str(data['message']))[:300]}"
            errors = data.get("errors")
            if isinstance(errors, list) and errors:
                detail += f" ({self._redactor.redact(str(errors))[:300]})"
        hint = self._token_hint if response.status_code in (401, 403, 404) else ""
        return (
            f"{self.service} API request failed: {what} → {response.status_code} "
            f"{response.reason_phrase}{detail}{hint}"
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            what = f"{response.request.method} {_path_of(str(response.request.url))}"
            raise GitHubError(f"{what}: the response is not JSON") from exc


def _path_of(url: str) -> str:
    """The path of a URL, without host or query: what error messages show."""
    return urlsplit(url).path or url


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait when `response` is a rate-limit refusal; None when it is not one."""
    status = response.status_code
    if status not in (403, 429):
        return None
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is not None:
        return retry_after
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return 60.0
    if status == 429 or "secondary rate limit" in response.text.lower():
        # GitHub's advice for a secondary limit without Retry-After: wait at least a minute.
        return 60.0
    return None
