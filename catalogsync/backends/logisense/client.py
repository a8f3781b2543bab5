"""LogiSense REST v8 client: one method per endpoint, over the shared `HttpClient`.

Facts it encodes (../shared/reference/logisense-api.md):
- Login is a form POST (`grant_type=password`, `username`, `password`, `client_id`) to
  `/AuthorizationServer/api/v8/Access/Login`, answering `access_token` (≤ 30 minutes), sent
  back as `Authorization: Bearer …`. An expired token is HTTP 401 [I]: `HttpClient` logs in
  again and replays (the refresh-token request format is a [GAP]; Celigo re-logs in too).
- Data lives under `/ResourceServer/api/v8/`. `X/Paged/Detail` takes a `Pagination` header
  `{"pageNumber", "pageSize"}` (1-based [I]) and answers `pagedResults.totalCount`; once
  the total is known the other pages are fetched concurrently. The largest page size is a
  [GAP]: 10,000 is asked for, and a server that returns fewer per page is paged by what it
  returned. A listing must prove itself whole (distinct records = `totalCount`).
- Writes: POST creates (not idempotent: an unclear outcome is `AmbiguousWriteError`), PUT
  updates the fields sent, PATCH changes child collections (`patchType`, items in the
  body's `details`) in one transaction, DELETE reports cascades. HTTP 400 lists every
  validation error; it becomes a `LogiSenseRequestError` carrying all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from catalogsync.aio import gather_or_cancel
from catalogsync.backends.logisense.errors import api_error_messages
from catalogsync.backends.logisense.login import LOGIN_PATH, login_request, session_headers
from catalogsync.backends.logisense.reads import (
    API,
    MAX_PAGE_SIZE,
    listing_path,
    paged_path,
    pages_after_the_first,
    pagination,
)
from catalogsync.backends.logisense.wire import (
    CollectionResponse,
    ErrorResponse,
    InstanceResponse,
    PagedResponse,
    Record,
    TokenResponse,
    WriteResponse,
    WriteResult,
    paged_total,
)
from catalogsync.errors import AuthenticationError, BackendError
from catalogsync.http import HttpClient, HttpSettings
from catalogsync.http.sessions import LOGIN_REFUSALS, RequestLogin
from catalogsync.http.tables import decode_page, decode_records
from catalogsync.logins import LoginRequest

__all__ = ["API", "LOGIN_PATH", "MAX_PAGE_SIZE", "LogiSenseClient", "LogiSenseRequestError"]

_Model = TypeVar("_Model", bound=BaseModel)
#: Told each page's records as the page comes in (`LogiSenseClient.paged`).
OnPage = Callable[[list[Record]], None]


class LogiSenseRequestError(BackendError):
    """The API refused one request (HTTP 400/404/409) and said why; nothing was written."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class _TokenAuth(RequestLogin):
    """Password-grant form login; the token goes in `Authorization: Bearer`."""

    def __init__(self, username: str, password: str, client_id: str | None) -> None:
        self._request = login_request(username, password, client_id)

    def login_request(self) -> LoginRequest:
        return self._request

    def session_from(self, client: HttpClient, response: httpx.Response) -> dict[str, str]:
        if response.status_code in LOGIN_REFUSALS:
            raise AuthenticationError(
                f"LogiSense refused the login (HTTP {response.status_code}); check the "
                "username, password and client id configured for this target"
            )
        body = client.decode_json("POST", LOGIN_PATH, response)
        token = _parse(TokenResponse, body, "POST", LOGIN_PATH)
        return session_headers(token.access_token)


class ListingChanged(BackendError):
    """A `Paged` listing did not prove whole: rows were added, removed or moved while it
    was read (or the server pages in no stable order). Retrying reads it again; what its
    pages did show exists (`on_page` saw it)."""


def _whole(path: str, records: list[Record], total: int | None) -> list[Record]:
    """`records` if they are a complete listing: no identity twice, `total` of them."""
    seen: set[Any] = set()
    for record in records:
        # a dict, or a typed record (`paged(..., record=...)`), which always has one
        identity = record.get("identity") if isinstance(record, Mapping) else record.identity
        if identity in seen:
            raise ListingChanged(
                f"GET {path}: record {identity} came back on two pages (rows moved while the "
                "listing was read, or the server pages in no stable order); run again"
            )
        seen.add(identity)
    if total is not None and len(records) != total:
        raise ListingChanged(
            f"GET {path}: read {len(records)} records but totalCount says {total}; run again"
        )
    return records


def _parse(model: type[_Model], body: Any, method: str, path: str) -> _Model:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        # Only locations and messages: pydantic's own text would quote the input values.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise BackendError(f"{method} {path}: unexpected response shape ({problems})") from None


class LogiSenseClient:
    """One method per LogiSense v8 endpoint that catalogsync uses."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        client_id: str | None = None,
        *,
        settings: HttpSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        """`base_url` is the tenant host, e.g. `https://acme.logisensebilling.com`."""
        if not 0 < page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self.page_size = page_size
        self._http = HttpClient(
            base_url.rstrip("/"),
            settings=settings,
            auth=_TokenAuth(username, password, client_id),
            transport=transport,
            allow_insecure_http=allow_insecure_http,
            error_body_parser=api_error_messages,
        )
        # The username is a credential too (it comes from the environment like the password):
        # a server that echoes the login body in an error must not get it printed.
        self._http.add_secret(username)
        self._http.add_secret(password)
        self._http.add_secret(client_id or "")  # issued per tenant; the token answer echoes it

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def stats(self) -> dict[str, Any]:
        """Request counters for `--stats`."""
        return self._http.stats

    @property
    def concurrency(self) -> int:
        """Requests this client keeps in flight at once (`settings.concurrency`)."""
        return self._http.settings.concurrency

    async def login(self) -> None:
        """Log in now; otherwise the first request logs in. Raises `AuthenticationError`."""
        await self._http.login()

    def start_login(self) -> None:
        """Send the login now and go on (`HttpClient.start_login`)."""
        self._http.start_login()

    # -- reads -----------------------------------------------------------------------

    async def list_all(self, resource: str) -> list[Record]:
        """`GET X/`: every object (used for the small lookup tables)."""
        path = listing_path(resource)
        body = await self._http.request_json("GET", path, idempotent=True)
        return _parse(CollectionResponse, body, "GET", path).items

    async def paged(
        self,
        resource: str,
        *,
        detail: bool = True,
        on_page: OnPage | None = None,
        record: type | None = None,
    ) -> list[Record]:
        """Every object through `X/Paged[/Detail]`: page 1, then the rest concurrently.

        No sort parameter is documented for Paged routes, so a listing is proven whole
        instead: as many distinct records as `totalCount` says, every page agreeing on that
        count, no record twice. Anything else (rows added or removed while reading, an
        unstable server order) is `ListingChanged`, to retry, never a silently short list.
        `on_page` is told each page's records as the page comes in (in any order, before
        the listing is proven whole; it must not change them). With `record` (a
        `tables.record_type`), a page whose records all fit it is read into those typed
        records, any other page into dicts as always (so a listing may hold both).
        """
        path = self._paged_path(resource, detail)
        first, total = await self._page(resource, detail, 1, self.page_size, on_page, record)
        if total is None:  # not counted: a short page proves nothing, page until empty
            return await self._page_until_empty(resource, detail, first, on_page, record)
        size = len(first)  # what the server really puts on a page (it may cap)
        if size == 0 or size >= total:
            return _whole(path, first, total)
        rest = await gather_or_cancel(
            *(
                self._page(resource, detail, n, size, on_page, record)
                for n in pages_after_the_first(total, size)
            )
        )
        if any(count != total for _, count in rest):
            raise ListingChanged(f"GET {path}: the listing changed while it was read; run again")
        return _whole(path, first + [record for page, _ in rest for record in page], total)

    async def _page_until_empty(
        self,
        resource: str,
        detail: bool,
        first: list[Record],
        on_page: OnPage | None,
        record: type | None,
    ) -> list[Record]:
        records, size, number = list(first), len(first), 1
        page = first
        while page:
            number += 1
            page, _ = await self._page(resource, detail, number, size, on_page, record)
            records.extend(page)
        return _whole(self._paged_path(resource, detail), records, None)

    @staticmethod
    def _paged_path(resource: str, detail: bool) -> str:
        return paged_path(resource, detail)

    async def _page(
        self,
        resource: str,
        detail: bool,
        number: int,
        size: int,
        on_page: OnPage | None = None,
        record: type | None = None,
    ) -> tuple[list[Record], int | None]:
        path = self._paged_path(resource, detail)
        response = await self._http.request(
            "GET", path, idempotent=True, headers=pagination(number, size)
        )
        # In one pass in C when the answer has the documented shape (into `record`s when
        # they fit it); any other answer is read by `PagedResponse`, which says what is
        # wrong with it.
        decoded = None
        if record is not None:
            decoded = decode_records(response.content, "pagedResults", record)
        if decoded is None:
            decoded = decode_page(response.content, "pagedResults")
        if decoded is None:
            body = self._http.decode_json("GET", path, response)
            parsed = _parse(PagedResponse, body, "GET", path)
            items, total = parsed.items, parsed.total_count
        else:
            items, total = decoded[0], paged_total(decoded[1], decoded[0])
        if on_page is not None and items:
            on_page(items)
        return items, total

    async def get_detail(self, resource: str, identity: int | str) -> Record | None:
        """`GET X/{id}/Detail`; None when there is no such object (404)."""
        path = f"{API}/{resource}/{int(identity)}/Detail"
        response = await self._http.request("GET", path, idempotent=True, accept={404})
        if response.status_code == 404:
            return None
        body = self._http.decode_json("GET", path, response)
        return _parse(InstanceResponse, body, "GET", path).instance

    async def exchange(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request to `{API}/{path}` as the tenant answers it, 4xx included: for
        `doctor`, which observes answers rather than trusting them. Never retried when
        the request is not a read."""
        return await self._http.request(
            method,
            f"{API}/{path}",
            json=json,
            headers=headers,
            idempotent=method in ("GET", "PUT", "DELETE"),
            accept=frozenset(range(400, 500)),
        )

    # -- writes ----------------------------------------------------------------------

    async def create(self, resource: str, record: Mapping[str, Any]) -> WriteResult:
        """`POST X/`. Not idempotent: an unclear outcome raises `AmbiguousWriteError`."""
        items = await self._write("POST", f"{API}/{resource}", dict(record), idempotent=False)
        created = [i for i in items or () if i.identity is not None or i.instance is not None]
        if not created:
            raise BackendError(f"POST {API}/{resource}: the answer names no created object")
        return created[0]

    async def update(
        self, resource: str, identity: int | str, record: Mapping[str, Any]
    ) -> list[WriteResult]:
        """`PUT X/{id}`: only the fields sent change (sending them twice is harmless)."""
        path = f"{API}/{resource}/{int(identity)}"
        return await self._write("PUT", path, dict(record), idempotent=True) or []

    async def patch(
        self, resource: str, identity: int | str, body: Mapping[str, Any]
    ) -> list[WriteResult]:
        """`PATCH X/{id}` with child items; one transaction. Not idempotent (it creates)."""
        path = f"{API}/{resource}/{int(identity)}"
        return await self._write("PATCH", path, dict(body), idempotent=False) or []

    async def delete(self, resource: str, identity: int | str) -> list[WriteResult] | None:
        """`DELETE X/{id}`: the cascade report, or None when the object was already gone."""
        path = f"{API}/{resource}/{int(identity)}"
        return await self._write("DELETE", path, None, idempotent=True, gone_ok=True)

    async def _write(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        idempotent: bool,
        gone_ok: bool = False,
    ) -> list[WriteResult] | None:
        response = await self._http.request(
            method, path, json=body, idempotent=idempotent, accept={400, 404, 409}
        )
        if response.status_code == 404 and gone_ok:
            return None
        if response.status_code in (400, 404, 409):
            raise self._refusal(method, path, response)
        decoded = self._http.decode_json(method, path, response)
        return _parse(WriteResponse, decoded, method, path).items

    def _refusal(self, method: str, path: str, response: httpx.Response) -> LogiSenseRequestError:
        try:
            text = ErrorResponse.model_validate(response.json()).text()
        except (ValueError, ValidationError):
            text = ""
        # The server's words may quote what it was sent (the token, the login form): redacted
        # before the whitespace is squeezed, as the HTTP layer does for the errors it reads.
        redact = self._http.redact
        detail = redact(text) or " ".join(redact(response.text).split())[:300]
        detail = detail or response.reason_phrase
        return LogiSenseRequestError(
            f"{method} {path}: HTTP {response.status_code}: {detail}", response.status_code
        )
