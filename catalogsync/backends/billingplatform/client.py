"""BillingPlatform REST 2.0 client: one method per endpoint, over the shared `HttpClient`.

Facts it encodes (see ../shared/reference/billingplatform-api.md):
- `POST /rest/2.0/login` → `loginResponse[0].SessionID`, sent back as header `sessionid`;
  an expired session is HTTP 500 with `errors[0].error_code == "INVALID_SESSION_ID"`.
- Reads are BP SQL through `GET /rest/2.0/query?sql=` (or `POST` with `{"sql"}` when the URL
  would get long), paged with `OFFSET n ROWS FETCH NEXT m ROWS ONLY`, ≤ 10,000 rows a page,
  HTTP 404 when there are no rows. Statements are kept under 4,000 characters.
- Writes take `{"brmObjects": [...]}` and answer 200 with one result per record, in order,
  under `createResponse` / `updateResponse` / `upsertResponse` / `deleteResponse`.

Callers get plain dicts, `RecordResult`s and catalogsync errors; httpx stays behind this seam.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from catalogsync.backends._http import AuthHook, HttpClient, HttpSettings
from catalogsync.backends.billingplatform.wire import (
    LoginResponse,
    QueryResponse,
    WireRecordResult,
)
from catalogsync.errors import AuthenticationError, BackendError

__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_SQL_CHARS",
    "BillingPlatformClient",
    "RecordResult",
    "build_select",
    "sql_in_conditions",
    "sql_literal",
]

API = "/rest/2.0"
MAX_SQL_CHARS = 4000  # the documented bulk-query limit; the emulator enforces it on every query
MAX_PAGE_SIZE = 10_000  # rows per query response
_MAX_GET_SQL = 1500  # URL-encoded characters; longer statements go in a POST body
_MAX_IN_ITEMS = 1000  # Oracle-style engines refuse longer IN lists (ORA-01795)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
_ORDER_BY = re.compile(rf"{_FIELD.pattern}( (ASC|DESC))?(, ?{_FIELD.pattern}( (ASC|DESC))?)*", re.I)
_RESULTS = TypeAdapter(list[WireRecordResult])
_Model = TypeVar("_Model", bound=BaseModel)


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


def sql_literal(value: str) -> str:
    """`value` as a BP SQL string literal: single quotes, embedded quotes doubled.

    Everything else (`--`, `;`, `%`, `_`, backslashes, newlines, non-ASCII) is inert
    inside a quoted literal, so doubling quotes is the whole escape.
    """
    if "\x00" in value:
        raise ValueError("a NUL character cannot be sent in a BP SQL literal")
    return "'" + value.replace("'", "''") + "'"


def _check_name(kind: str, value: str, pattern: re.Pattern[str] = _NAME) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"invalid BillingPlatform {kind}: {value!r}")
    return value


def build_select(
    entity: str,
    fields: Sequence[str],
    where: str | None = None,
    order_by: str = "Id",
    page: tuple[int, int] | None = None,
) -> str:
    """`SELECT f1, f2 FROM ENTITY [WHERE …] ORDER BY … [OFFSET n ROWS FETCH NEXT m ROWS ONLY]`.

    `where` is trusted SQL: build its values with `sql_literal` / `sql_in_conditions`.
    """
    if not fields:
        raise ValueError("a query needs at least one field")
    columns = ", ".join(_check_name("field", f, _FIELD) for f in fields)
    sql = f"SELECT {columns} FROM {_check_name('entity', entity)}"
    if where:
        sql += f" WHERE {where}"
    sql += f" ORDER BY {_check_name('ORDER BY', order_by, _ORDER_BY)}"
    if page is not None:
        offset, size = page
        sql += f" OFFSET {offset} ROWS FETCH NEXT {size} ROWS ONLY"
    return sql


def sql_in_conditions(field: str, values: Iterable[str], max_chars: int) -> list[str]:
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
        if current and (length + extra > max_chars or len(current) >= _MAX_IN_ITEMS):
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


class _SessionAuth(AuthHook):
    """Username/password login; recognises BillingPlatform's 500 INVALID_SESSION_ID."""

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    async def login(self, client: HttpClient) -> dict[str, str]:
        path = f"{API}/login"
        body = {"username": self._username, "password": self._password}
        response = await client.request(
            "POST", path, json=body, idempotent=True, authenticate=False, accept={400, 401, 403}
        )
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(
                f"BillingPlatform refused the login (HTTP {response.status_code}); "
                "check the username and password configured for this target"
            )
        parsed = _parse(LoginResponse, client.decode_json("POST", path, response), "POST", path)
        result = parsed.login_response[0]
        if result.error_code not in ("", "0") or not result.session_id:
            reason = result.error_text or "no SessionID in the response"
            for secret in (self._password, self._username):
                reason = reason.replace(secret, "***") if secret else reason
            raise AuthenticationError(f"BillingPlatform login failed: {reason}")
        return {"sessionid": result.session_id}

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
        )
        # The username is a credential too (it comes from the environment like the password):
        # a server that echoes the login body in an error must not get it printed.
        self._http.add_secret(username)
        self._http.add_secret(password)

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

    async def login(self) -> None:
        """Log in now; otherwise the first request logs in. Raises `AuthenticationError`."""
        await self._http.login()

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
        """Run one BP SQL statement; no rows (HTTP 404) is an empty list.

        Every row must hold the `require` columns (identities the caller indexes by); a row
        without one is a `BackendError` naming the request, not a KeyError later on.
        """
        path = f"{API}/query"
        if len(quote(sql, safe="")) <= _MAX_GET_SQL:
            method, params, body = "GET", {"sql": sql}, None
        else:
            method, params, body = "POST", None, {"sql": sql}
        response = await self._http.request(
            method, path, params=params, json=body, idempotent=True, accept={404}
        )
        if response.status_code == 404:
            # The API's "no rows" is a JSON error body; an HTML 404 (a proxy, a wrong URL) is no
            # empty result, and reading it as one would plan to create everything again.
            self._http.decode_json(method, path, response)
            return []
        decoded = self._http.decode_json(method, path, response)
        rows = _parse(QueryResponse, decoded, method, path).rows
        for column in require:
            if any(column not in row for row in rows):
                raise BackendError(f"{method} {path}: a row in the answer has no {column}")
        return rows

    async def query_all(
        self,
        entity: str,
        fields: Sequence[str],
        where: str | None = None,
        order_by: str = "Id",
        page_size: int = MAX_PAGE_SIZE,
        require: Sequence[str] = (),
    ) -> list[dict[str, str]]:
        """Every matching row, fetched page by page until a short page (`require`: see query).

        A server that capped pages below `page_size` without saying so would end the paging
        early, so `page_size` may not exceed the documented cap of 10,000 rows.
        """
        if not 0 < page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        rows: list[dict[str, str]] = []
        while True:
            sql = build_select(entity, fields, where, order_by, (len(rows), page_size))
            page = await self.query(sql, require)
            rows.extend(page)
            if len(page) < page_size:
                return rows

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
        extra = f"({where}) AND " if where else ""
        skeleton = build_select(entity, fields, extra + "X", "Id", (10**12, page_size))
        budget = MAX_SQL_CHARS - len(skeleton) + 1
        rows: list[dict[str, str]] = []
        for condition in sql_in_conditions(field, values, budget):
            rows.extend(await self.query_all(entity, fields, extra + condition, "Id", page_size))
        return rows

    # -- writes ----------------------------------------------------------------------

    async def create(
        self, entity: str, records: Sequence[Mapping[str, object]]
    ) -> list[RecordResult]:
        """`POST /{ENTITY}`: not idempotent, so an unclear failure is `AmbiguousWriteError`."""
        body = {"brmObjects": [dict(record) for record in records]}
        return await self._write("POST", entity, body, "createResponse", len(records), False)

    async def update(
        self, entity: str, records: Sequence[Mapping[str, object]]
    ) -> list[RecordResult]:
        """`PUT /{ENTITY}`: partial update of records identified by `Id`."""
        body = {"brmObjects": [dict(record) for record in records]}
        return await self._write("PUT", entity, body, "updateResponse", len(records), True)

    async def upsert(
        self,
        entity: str,
        records: Sequence[Mapping[str, object]],
        external_id_field: str = "Name",
    ) -> list[RecordResult]:
        """`PATCH /{ENTITY}`: create or update keyed by `external_id_field`."""
        body = {
            "brmObjects": [dict(record) for record in records],
            "externalIDFieldName": _check_name("field", external_id_field),
        }
        return await self._write("PATCH", entity, body, "upsertResponse", len(records), True)

    async def delete(
        self, entity: str, ids: Sequence[str], *, empty_recycle_bin: bool = False
    ) -> list[RecordResult]:
        """`DELETE /delete/{ENTITY}`: delete by Id (children first is the caller's job)."""
        body: dict[str, object] = {"brmObjects": [{"Id": record_id} for record_id in ids]}
        if empty_recycle_bin:
            body["EmptyRecycleBin"] = "1"
        resource = f"delete/{_check_name('entity', entity)}"
        return await self._write("DELETE", resource, body, "deleteResponse", len(ids), True)

    async def _write(
        self,
        method: str,
        resource: str,
        body: Mapping[str, object],
        key: str,
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
        results = _results(decoded, key, method, path)
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


def _results(decoded: Any, key: str, method: str, path: str) -> list[WireRecordResult]:
    if not isinstance(decoded, dict) or key not in decoded:
        raise BackendError(f"{method} {path}: response has no {key}")
    items = decoded[key]
    if isinstance(items, dict):  # a single-record answer may come unwrapped
        items = [items]
    try:
        return _RESULTS.validate_python(items)
    except ValidationError as exc:
        raise _shape_error(method, path, exc) from None
