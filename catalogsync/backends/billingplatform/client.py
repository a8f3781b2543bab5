"""BillingPlatform REST 2.0 client: one method per endpoint, over the shared `HttpClient`.

Facts it encodes (see ../shared/reference/billingplatform-api.md):
- `POST /rest/2.0/login` → `loginResponse[0].SessionID`, sent back as header `sessionid`;
  an expired session is HTTP 500 with `errors[0].error_code == "INVALID_SESSION_ID"`.
- Reads are BP SQL through `GET /rest/2.0/query?sql=` (or `POST` with `{"sql"}` when the URL
  would get long), paged with `OFFSET n ROWS FETCH NEXT m ROWS ONLY`, ≤ 10,000 rows a page,
  HTTP 404 when there are no rows. Statements are kept under 4,000 characters.
- Writes take `{"brmObjects": [...]}` and answer 200 with one result per record, in order,
  under `createResponse` / `updateResponse` / `upsertResponse` / `deleteResponse`.

Callers get plain dicts (`Columns` for the reads of a whole entity), `RecordResult`s and
catalogsync errors; httpx stays behind this seam.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from catalogsync.aio import gather_or_cancel
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.errors import api_error_messages
from catalogsync.backends.billingplatform.login import login_request, session_headers
from catalogsync.backends.billingplatform.pages_beside import page_columns
from catalogsync.backends.billingplatform.reads import (
    _FIELD,
    API,
    MAX_PAGE_SIZE,
    build_select,
    pages_after_the_first,
    query_params,
    sql_literal,
)
from catalogsync.backends.billingplatform.reads import (
    check_name as _check_name,
)
from catalogsync.backends.billingplatform.wire import (
    LoginResponse,
    QueryResponse,
    WireRecordResult,
    plain_query_rows,
)
from catalogsync.errors import AuthenticationError, BackendError
from catalogsync.http import HttpClient, HttpSettings
from catalogsync.http.sessions import LOGIN_REFUSALS, RequestLogin
from catalogsync.logins import LoginRequest

__all__ = [
    "MAX_IN_ITEMS",
    "MAX_PAGE_SIZE",
    "MAX_SQL_CHARS",
    "BillingPlatformClient",
    "PagesAhead",
    "Paging",
    "RecordResult",
    "build_select",
    "in_conditions",
    "sql_in_conditions",
    "sql_literal",
]

MAX_SQL_CHARS = 4000  # the documented bulk-query limit; the emulator enforces it on every query
_MAX_GET_SQL = 1500  # URL-encoded characters; longer statements go in a POST body
MAX_IN_ITEMS = 1000  # Oracle-style engines refuse longer IN lists (ORA-01795)
# Built when a write's answer is first read (`defer_build`): plan, drift and export never write.
_RESULTS = TypeAdapter(list[WireRecordResult], config=ConfigDict(defer_build=True))
#: A POST answers `retrieveResponse` (seeds 000/001) or `createResponse` (schema pages, G2).
_CREATE_KEYS = ("retrieveResponse", "createResponse")
_Model = TypeVar("_Model", bound=BaseModel)
_Rows = TypeVar("_Rows", list[dict[str, str]], Columns)


@dataclass(frozen=True)
class Paging:
    """One paged read: what to select, and how many rows to ask for a page."""

    entity: str
    fields: Sequence[str]
    where: str | None = None
    order_by: str = "Id"
    size: int = MAX_PAGE_SIZE
    require: Sequence[str] = ()


class PagesAhead:
    """Pages of one read asked before its first page is in, because the rows the caller
    expects fill them (`BillingPlatformClient.ask_ahead`). `query_rest` takes each page when
    the read comes to its offset; the ones it never comes to (the read ended before them, or
    goes on in pages of another size or with other columns) are dropped, whatever their
    outcome: a read page by page would not have asked them."""

    def __init__(
        self,
        paging: Paging | None = None,
        pages: Mapping[int, asyncio.Future[Columns]] | None = None,
    ) -> None:
        self._paging = paging
        self._pages = dict(pages or {})

    def __len__(self) -> int:
        return len(self._pages)

    def take(self, paging: Paging, offset: int, size: int) -> asyncio.Future[Columns] | None:
        """The page asked ahead at `offset`, if it was asked as `paging` asks `size` rows."""
        if paging != self._paging or size != paging.size:
            return None
        return self._pages.pop(offset, None)

    async def drop(self) -> None:
        """Cancel the pages not taken, and wait for them to end."""
        pages, self._pages = list(self._pages.values()), {}
        for page in pages:
            page.cancel()
        await asyncio.gather(*pages, return_exceptions=True)


@dataclass(frozen=True)
class RecordResult:
    """The outcome of one record in a write batch, in input order."""

    id: str | None
    success: bool
    error_code: str = ""
    error_text: str = ""
    error_field: str = ""
    created: bool | None = None  # upsert only: inserted (True) or updated (False)


# -- BP SQL --------------------------------------------------------------------------


def in_conditions(
    paging: Paging, field: str, values: Iterable[str], most: int = MAX_IN_ITEMS
) -> list[str]:
    """The WHERE conditions of `query_in`'s statements for a read like `paging` (its
    `where` AND `field IN (…)`), each statement at most `MAX_SQL_CHARS` long with its
    paging clause, and of at most `most` values (a caller that expects many rows for each
    value keeps a statement's rows within one page)."""
    extra = f"({paging.where}) AND " if paging.where else ""
    skeleton = build_select(paging.entity, paging.fields, extra + "X", "Id", (10**12, paging.size))
    budget = MAX_SQL_CHARS - len(skeleton) + 1
    conditions = sql_in_conditions(field, values, budget, min(most, MAX_IN_ITEMS))
    return [extra + condition for condition in conditions]


def sql_in_conditions(
    field: str, values: Iterable[str], max_chars: int, most: int = MAX_IN_ITEMS
) -> list[str]:
    """`field IN ('a', 'b', …)` conditions, each at most `max_chars` long, covering `values`.

    Duplicates are dropped (first occurrence kept); an empty `values` gives no conditions.
    """
    _check_name("field", field, _FIELD)
    prefix, suffix = f"{field} IN (", ")"
    conditions: list[str] = []
    current: list[str] = []
    length = 0
    for literal in (sql_literal(value) for value in dict.fromkeys(values)):
        if len(prefix) + len(literal) + len(suffix) > max_chars:
            # A live value (a long Name), not a programming error: callers report it per
            # object, as they do any other failed read (issue 14, item 13).
            raise BackendError(
                f"a value of {field} ({len(literal) - 2} characters) is too long to look up "
                f"in a {max_chars}-character query"
            )
        extra = len(literal) + (2 if current else 0)
        if current and (length + extra > max_chars or len(current) >= max(1, most)):
            conditions.append(prefix + ", ".join(current) + suffix)
            current = []
        if not current:
            length = len(prefix) + len(suffix) + len(literal)
        else:
            length += extra
        current.append(literal)
    if current:
        conditions.append(prefix + ", ".join(current) + suffix)
    return conditions


# -- authentication ------------------------------------------------------------------


class _SessionAuth(RequestLogin):
    """Username/password login; recognises BillingPlatform's 500 INVALID_SESSION_ID."""

    def __init__(self, username: str, password: str) -> None:
        self._request = login_request(username, password)

    def login_request(self) -> LoginRequest:
        return self._request

    def session_from(self, client: HttpClient, response: httpx.Response) -> dict[str, str]:
        path = self._request.path
        if response.status_code in LOGIN_REFUSALS:
            raise AuthenticationError(
                f"BillingPlatform refused the login (HTTP {response.status_code}); "
                "check the username and password configured for this target"
            )
        parsed = _parse(LoginResponse, client.decode_json("POST", path, response), "POST", path)
        result = parsed.login_response[0]
        if result.error_code not in ("", "0") or not result.session_id:
            reason = client.redact(result.error_text) or "no SessionID in the response"
            raise AuthenticationError(f"BillingPlatform login failed: {reason}")
        return session_headers(result.session_id)

    def is_auth_failure(self, response: httpx.Response) -> bool:
        if response.status_code == 401:
            return True
        if response.status_code != 500:
            return False
        try:
            errors = response.json().get("errors")
            return bool(errors[0].get("error_code") == "INVALID_SESSION_ID")
        except (ValueError, AttributeError, IndexError, KeyError, TypeError):
            return False


def _check_no_rows(method: str, path: str, response: httpx.Response) -> None:
    """A 404 from the query endpoint is "no rows" only with the API's documented error body
    (`{"error": …, "message": …}`, seeds 000-003 "Response 404 fields"). Anything else (an
    HTML page, another JSON shape) is a wrong URL or a proxy: reading it as an empty result
    would plan to create everything again, or take a failed delete for a done one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    documented = isinstance(body, dict) and any(
        isinstance(body.get(key), str) for key in ("error", "message")
    )
    if not documented:
        raise BackendError(
            f"{method} {path}: HTTP 404 without the API's error body; "
            "is the target URL the org's base URL?"
        )


def _page_sql(paging: Paging, offset: int) -> str:
    return build_select(
        paging.entity, paging.fields, paging.where, paging.order_by, (offset, paging.size)
    )


def _parse(model: type[_Model], body: Any, method: str, path: str) -> _Model:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _shape_error(method, path, exc) from None


def _shape_error(method: str, path: str, exc: ValidationError) -> BackendError:
    # Only locations and messages: pydantic's own text would quote the input values.
    problems = "; ".join(
        f"{'.'.join(map(str, error['loc'])) or 'body'}: {error['msg']}"
        for error in exc.errors()[:3]
    )
    return BackendError(f"{method} {path}: unexpected response shape ({problems})")


# -- the client ----------------------------------------------------------------------


class BillingPlatformClient:
    """One method per BillingPlatform REST 2.0 endpoint that catalogsync uses."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        settings: HttpSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        """`base_url` is the org URL, e.g. `https://sandbox.billingplatform.com/acme`."""
        self._http = HttpClient(
            base_url,
            settings=settings,
            auth=_SessionAuth(username, password),
            transport=transport,
            allow_insecure_http=allow_insecure_http,
            error_body_parser=api_error_messages,
        )
        # The username is a credential too (it comes from the environment like the password):
        # a server that echoes the login body in an error must not get it printed.
        self._http.add_secret(username)
        self._http.add_secret(password)
        #: The most rows this server has put in one query answer: a page shorter than this
        #: was not cut by a page cap (see `query_rest`).
        self._largest_page = 0
        #: How many queries are waiting for answers that may be long (all but the pages
        #: expected short or empty, which only prove a read's end): none besides a page
        #: just in, and it is decoded here rather than by the page worker (`pages_beside`).
        self._awaited = 0

    async def __aenter__(self) -> BillingPlatformClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close connections (without logging out: call `logout()` first for that)."""
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

    async def ensure_session(self) -> None:
        """Log in unless a session is open. Raises `AuthenticationError`."""
        await self._http.ensure_session()

    async def logout(self) -> None:
        """End the session, if any. An already expired session is not an error."""
        headers = self._http.end_session()
        if headers is not None:
            await self._http.request(
                "POST",
                f"{API}/logout",
                idempotent=True,
                authenticate=False,
                headers=headers,
                accept={401, 500},
            )

    # -- reads -----------------------------------------------------------------------

    async def query(self, sql: str, require: Sequence[str] = ()) -> list[dict[str, str]]:
        """Run one BP SQL statement; no rows (HTTP 404 with the API's body) is an empty list.

        Every row must hold the `require` columns (identities the caller indexes by); a row
        without one is a `BackendError` naming the request, not a KeyError later on.
        """
        answer = await self._query_answer(sql)
        rows = [] if answer is None else self._rows(*answer, require)
        self._largest_page = max(self._largest_page, len(rows))
        return rows

    async def query_columns(
        self, sql: str, columns: Sequence[str], require: Sequence[str] = (), short: bool = False
    ) -> Columns:
        """`query`, its rows held column by column (the columns asked for; "" where a row
        lacks one): decoded in one pass in C when every cell is a string, as BillingPlatform
        sends them, else read like `query` (which says what is wrong with the answer).
        `short`: the answer is expected short or empty (a read's last page)."""
        answer = await self._query_answer(sql, long=not short)
        table = Columns(columns)
        if answer is not None:
            method, path, response = answer
            # A large page on the other core (`pages_beside`), while this one builds others;
            # here when no other answer is awaited: nothing to do meanwhile but wait for it.
            alone = self._awaited == 0
            decoded = await page_columns(response.content, columns, require, alone=alone)
            if decoded is None:
                table = Columns.from_rows(columns, self._rows(method, path, response, require))
            else:
                table = decoded
        table.compact()  # a whole page: its texts are shared within it already
        self._largest_page = max(self._largest_page, len(table))
        return table

    async def _query_answer(
        self, sql: str, long: bool = True
    ) -> tuple[str, str, httpx.Response] | None:
        """Send a query (GET, or POST when the URL would get long); None for no rows.
        `long`: its answer may be long (counted in `_awaited` until it is in)."""
        path = f"{API}/query"
        if len(quote(sql, safe="")) <= _MAX_GET_SQL:
            method, params, body = "GET", query_params(sql), None
        else:
            method, params, body = "POST", None, {"sql": sql}
        self._awaited += long
        try:
            response = await self._http.request(
                method, path, params=params, json=body, idempotent=True, accept={404}
            )
        finally:
            self._awaited -= long
        if response.status_code == 404:
            _check_no_rows(method, path, response)
            return None
        return method, path, response

    def _rows(
        self, method: str, path: str, response: httpx.Response, require: Sequence[str]
    ) -> list[dict[str, str]]:
        decoded = self._http.decode_json(method, path, response)
        rows = plain_query_rows(decoded)
        if rows is None:
            rows = _parse(QueryResponse, decoded, method, path).rows
        for column in require:
            if any(column not in row for row in rows):
                raise BackendError(f"{method} {path}: a row in the answer has no {column}")
        return rows

    async def refused_columns(self, entity: str, fields: Sequence[str]) -> list[str]:
        """Those of `fields` a one-row query of `entity` is refused for (HTTP 400): columns
        this org's schema lacks (the vendor's schema pages differ between orgs). One query
        per field: only asked after a read was refused."""
        path = f"{API}/query"
        refused = []
        for field in fields:
            sql = build_select(entity, ["Id", field], page=(0, 1))
            response = await self._http.request(
                "GET", path, params={"sql": sql}, idempotent=True, accept={400, 404}
            )
            if response.status_code == 400:
                refused.append(field)
        return refused

    async def count(self, entity: str, where: str | None = None) -> int:
        """`SELECT COUNT(Id) RowCount FROM ENTITY [WHERE …]` (aggregates: the vendor's query
        language page): how many rows a read should end with."""
        sql = f"SELECT COUNT(Id) RowCount FROM {_check_name('entity', entity)}"
        rows = await self.query(sql + (f" WHERE {where}" if where else ""))
        if not rows:
            return 0
        # The alias as written (public code) or, failing that, the row's only column.
        value = rows[0].get("RowCount", next(iter(rows[0].values()), ""))
        try:
            return int(str(value).strip())
        except ValueError:
            raise BackendError(f"COUNT of {entity}: not a number ({value!r})") from None

    async def query_all(
        self,
        entity: str,
        fields: Sequence[str],
        where: str | None = None,
        order_by: str = "Id",
        page_size: int = MAX_PAGE_SIZE,
        require: Sequence[str] = (),
    ) -> list[dict[str, str]]:
        """Every matching row, page by page (`require`: see query); see `query_rest`."""
        if not 0 < page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        page = Paging(entity, fields, where, order_by, page_size, require)
        return await self.query_rest(page, await self.query_page(page, 0))

    async def query_page(self, paging: Paging, offset: int) -> list[dict[str, str]]:
        """One page of `paging`'s read, from row `offset`."""
        return await self.query(_page_sql(paging, offset), paging.require)

    async def columns_page(self, paging: Paging, offset: int, short: bool = False) -> Columns:
        """One page of `paging`'s read, from row `offset`, column by column (its fields);
        `short`: expected short or empty (`query_columns`)."""
        sql = _page_sql(paging, offset)
        return await self.query_columns(sql, paging.fields, paging.require, short)

    def ask_ahead(self, reads: Sequence[tuple[Paging, int | None]]) -> list[PagesAhead]:
        """For each read (its paging, and the rows the caller expects it to find, if it
        knows), ask now, before its first page is in, every further page that starts at or
        below that many rows: the pages a read of that many rows asks in any case, the last
        one proving its end when the count is a multiple of the page size. The pages those
        rows fill are asked before the reads' last pages (short or empty, quick to answer),
        so that the server starts on the long ones first. Hand each to `query_rest`."""
        offsets = [
            pages_after_the_first(expected, paging.size) if expected else range(0)
            for paging, expected in reads
        ]
        pages: list[dict[int, asyncio.Future[Columns]]] = [{} for _ in reads]
        for filled in (True, False):
            for (paging, expected), asked, read in zip(reads, offsets, pages, strict=True):
                for offset in asked:
                    if (offset + paging.size <= (expected or 0)) is filled:
                        page = self.columns_page(paging, offset, short=not filled)
                        read[offset] = asyncio.ensure_future(page)
        return [PagesAhead(paging, read) for (paging, _), read in zip(reads, pages, strict=True)]

    async def query_rest(
        self,
        paging: Paging,
        rows: _Rows,
        expected: Callable[[], int | None] = lambda: None,
        on_page: Callable[[_Rows], object] | None = None,
        ahead: PagesAhead | None = None,
    ) -> _Rows:
        """The rest of a read whose first page is `rows` (dicts, or `Columns`), until the
        end is proven.

        A server may cap its pages below what was asked (the 10,000-row cap is only stated by
        community code), so a short page ends the read only when it is shorter than a page
        this server has already answered in this session (then no cap cut it), or when a
        COUNT says every row is in. A read whose first page is full (10,000 rows) or whose
        page is smaller than another read's needs no COUNT: the request count stays at the
        floor whenever pages are full-size, and a plan of small entities costs one COUNT.

        `expected()`: how many rows the caller expects the read to end with, once it knows
        (the desired catalog's count), else None. While pages come back full at the size
        asked, the pages that start at or below that many rows are asked together rather
        than one after another; the end is proven on them in offset order exactly as on
        pages read in turn, and pages past the proven end are dropped (one for each page's
        worth of rows the entity holds fewer than expected: requests the floor does not
        count). `on_page` is told each further page as `rows` holds it, as it comes in.
        `ahead`: pages already asked (`ask_ahead`), taken rather than asked again.
        """
        ahead = ahead or PagesAhead()
        try:
            # Pages of columns share their repeated texts within themselves already
            # (`query_columns`); sharing them again across the read was a second pass
            # over every text (at L ~0.35 s of CPU) for a few MB.
            joined = rows.copy(share=False) if isinstance(rows, Columns) else rows.copy()
            read = await self._read_rest(paging, joined, expected, on_page, ahead)
        finally:
            await ahead.drop()
        if isinstance(read, Columns):
            read.compact()  # the read has ended: no page comes to share texts with
        return read

    async def _read_rest(
        self,
        paging: Paging,
        rows: _Rows,
        expected: Callable[[], int | None],
        on_page: Callable[[_Rows], object] | None,
        ahead: PagesAhead,
    ) -> _Rows:
        size, last = paging.size, len(rows)
        while True:
            if last == 0:
                return rows  # an empty page (no rows) proves the end
            if last < size and last < self._largest_page:
                return rows  # short, and no cap cut it: this server serves larger pages
            if last < size:
                if await self.count(paging.entity, paging.where) <= len(rows):
                    return rows
                size = last  # the server's own cap: pages of this size are full
            count = expected() if size == paging.size else None
            pages = self._pages_from(paging, rows, size, count, ahead)
            # Each page is taken in offset order as soon as it is in, not once all are: at
            # BillingPlatform M the last two package-product pages were built (`on_page`,
            # ~0.06 s of CPU) after the last answer, the first while the second was on the
            # wire. Every page is awaited as before (those past a short one too), and the
            # first to fail ends the wait at once, the others cancelled (`gather_or_cancel`).
            every = asyncio.ensure_future(gather_or_cancel(*pages))
            try:
                for next_page in pages:
                    await asyncio.wait((next_page, every), return_when=asyncio.FIRST_COMPLETED)
                    if every.done():
                        every.result()  # (raises when a page failed: it was cancelled then)
                    page = next_page.result()
                    start = len(rows)
                    rows.extend(page)
                    if on_page is not None:
                        on_page(rows[start:])  # the page's texts as `rows` holds them (shared)
                    last = len(page)
                    if last < size:
                        break  # the end, or a cap: the checks above decide; later pages past it
                await every
            except BaseException:
                every.cancel()
                for job in pages:
                    job.cancel()
                await asyncio.gather(every, *pages, return_exceptions=True)
                raise

    def _pages_from(
        self, paging: Paging, rows: _Rows, size: int, expected: int | None, ahead: PagesAhead
    ) -> list[asyncio.Future[_Rows]]:
        """The next page after `rows`, and with it every further page that starts at or
        below `expected` rows, asked together (`HttpClient` bounds how many are in flight);
        those `ahead` holds are taken from it."""
        start = len(rows)
        offsets = range(start, max(expected or 0, start) + 1, size)
        if isinstance(rows, Columns):
            # Past the rows expected: a page that proves the end (`columns_page`'s `short`).
            return [
                asyncio.ensure_future(
                    ahead.take(paging, o, size)
                    or self.columns_page(paging, o, expected is not None and o + size > expected)
                )
                for o in offsets
            ]
        return [asyncio.ensure_future(self.query_page(paging, o)) for o in offsets]

    async def query_in(
        self,
        entity: str,
        fields: Sequence[str],
        field: str,
        values: Iterable[str],
        where: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> list[dict[str, str]]:
        """Rows whose `field` is one of `values`, in as many statements as 4,000 chars need."""
        rows: list[dict[str, str]] = []
        read = Paging(entity, fields, where, size=page_size)
        for condition in in_conditions(read, field, values):
            rows.extend(await self.query_all(entity, fields, condition, "Id", page_size))
        return rows

    # -- writes ----------------------------------------------------------------------

    async def exchange(self, method: str, entity: str, *, json: Any = None) -> httpx.Response:
        """One write to `/{ENTITY}` as the org answers it, 4xx included and never retried:
        for `doctor`, which observes answers rather than trusting them."""
        return await self._http.request(
            method,
            f"{API}/{_check_name('entity', entity)}",
            json=json,
            idempotent=False,
            accept=frozenset(range(400, 500)),
        )

    async def create(
        self, entity: str, records: Sequence[Mapping[str, object]]
    ) -> list[RecordResult]:
        """`POST /{ENTITY}` ("save"): not idempotent, so an unclear failure is
        `AmbiguousWriteError`. Records carry `"Id": ""` (the seeds mark Id required).

        Both documented answers are read: `retrieveResponse` with the saved record(s)
        (seeds 000/001) and a `createResponse` array of results (the vendor's schema pages).
        """
        body = {"brmObjects": [{"Id": "", **record} for record in records]}
        return await self._write("POST", entity, body, _CREATE_KEYS, len(records), False)

    async def update(
        self, entity: str, records: Sequence[Mapping[str, object]]
    ) -> list[RecordResult]:
        """`PUT /{ENTITY}`: partial update of records identified by `Id`."""
        body = {"brmObjects": [dict(record) for record in records]}
        return await self._write("PUT", entity, body, ("updateResponse",), len(records), True)

    async def upsert(
        self,
        entity: str,
        records: Sequence[Mapping[str, object]],
        external_id_field: str = "Name",
    ) -> list[RecordResult]:
        """`PATCH /{ENTITY}`: create or update keyed by `external_id_field`."""
        body = {
            "brmObjects": [{"Id": "", **record} for record in records],
            "externalIDFieldName": _check_name("field", external_id_field),
        }
        return await self._write("PATCH", entity, body, ("upsertResponse",), len(records), True)

    async def delete(
        self, entity: str, ids: Sequence[str], *, empty_recycle_bin: bool = False
    ) -> list[RecordResult]:
        """`DELETE /delete/{ENTITY}`: delete by Id (children first is the caller's job)."""
        body: dict[str, object] = {"brmObjects": [{"Id": record_id} for record_id in ids]}
        if empty_recycle_bin:
            body["EmptyRecycleBin"] = "1"
        resource = f"delete/{_check_name('entity', entity)}"
        return await self._write("DELETE", resource, body, ("deleteResponse",), len(ids), True)

    async def _write(
        self,
        method: str,
        resource: str,
        body: Mapping[str, object],
        keys: tuple[str, ...],
        count: int,
        idempotent: bool,
    ) -> list[RecordResult]:
        """Send one batch and return its per-record results in input order."""
        if count == 0:
            return []
        if "/" not in resource:
            _check_name("entity", resource)
        path = f"{API}/{resource}"
        decoded = await self._http.request_json(method, path, json=body, idempotent=idempotent)
        results = _results(decoded, keys, method, path)
        if len(results) != count:
            raise BackendError(
                f"{method} {path}: sent {count} records but got {len(results)} results"
            )
        return [
            RecordResult(
                id=result.id,
                success=result.ok,
                error_code=result.error_code,
                error_text=result.message,
                error_field=result.error_field,
                created=result.created,
            )
            for result in results
        ]


def _results(decoded: Any, keys: tuple[str, ...], method: str, path: str) -> list[WireRecordResult]:
    key = next((k for k in keys if isinstance(decoded, dict) and k in decoded), None)
    if key is None:
        raise BackendError(f"{method} {path}: response has no {' or '.join(keys)}")
    items = decoded[key]
    if isinstance(items, dict):  # a single-record answer may come unwrapped
        items = [items]
    try:
        return _RESULTS.validate_python(items)
    except ValidationError as exc:
        raise _shape_error(method, path, exc) from None
