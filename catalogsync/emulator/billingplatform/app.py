"""The BillingPlatform REST 2.0 routes: login, query, retrieve, create/update/upsert, delete.

Shapes follow reference/billingplatform-api.md; where the vendor is silent, the choice made
there is kept and marked [INFERRED] here. The routes are bound to one emulator, whose
`faults` are read on every request (caps, session expiry, per-record failures).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ExceptionHandler

from catalogsync.emulator.base import EmulatorApi
from catalogsync.emulator.billingplatform.faults import max_sql_length
from catalogsync.emulator.billingplatform.schema import Entity, entity_named
from catalogsync.emulator.billingplatform.sql import (
    CompiledQuery,
    QueryError,
    compile_query,
    compile_retrieve,
)
from catalogsync.emulator.billingplatform.values import to_wire
from catalogsync.emulator.billingplatform.writes import (
    BatchWriter,
    Operation,
    RecordResult,
    WriteContext,
)
from catalogsync.emulator.sessions import Session
from catalogsync.http.tables import encode_json

if TYPE_CHECKING:
    from catalogsync.emulator.billingplatform.emulator import BillingPlatformEmulator

__all__ = [
    "ApiError",
    "BillingPlatformApi",
    "error_response",
    "normalise_path",
    "route_template",
]

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    429: "Too many requests",
    500: "Internal error",
}
_KEYWORDS = frozenset({"login", "logout", "query", "delete", "undelete"})
_OPERATIONS: dict[str, Operation] = {"POST": "create", "PUT": "update", "PATCH": "upsert"}


class ApiError(Exception):
    """An error answered with the documented `{"error", "message"}` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class InvalidSession(Exception):
    """An unknown or expired session id."""


def error_response(status: int, message: str) -> Response:
    """BillingPlatform's error body for `status`.

    400/401/404/429/500 use the documented `{"error","message"}` shape. [INFERRED] 502,
    503 and 504 come from the vendor's proxy, not the API, so they are HTML pages: clients
    must not assume every error body is JSON.
    """
    if status in (502, 503, 504):
        phrase = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}[status]
        html = f"<html><body><h1>{status} {phrase}</h1></body></html>"
        return Response(html, status_code=status, media_type="text/html")
    title = _TITLES.get(status, "Error")
    return JSONResponse({"error": title, "message": message}, status_code=status)


def not_found_page(method: str, path: str) -> Response:
    """What a path the API does not serve gets: a web server's HTML 404 page."""
    text = html.escape(f"{method} {path}")
    body = f"<html><body><h1>404 Not Found</h1><p>{text}</p></body></html>"
    return Response(body, status_code=404, media_type="text/html")


def invalid_session_response() -> Response:
    """What an expired or unknown session gets: HTTP 500, not 401 (reference §5, CODE G3)."""
    body = {"errors": [{"error_code": "INVALID_SESSION_ID", "error_message": "Invalid session id"}]}
    return JSONResponse(body, status_code=500)


def normalise_path(path: str) -> str:
    """Collapse `//`, drop a trailing `/` and an org prefix, lower-case the keywords.

    Real clients call `/rest/2.0/QUERY` and `//rest/2.0/query`, and real base URLs carry
    the org (`https://sandbox.billingplatform.com/acme/rest/2.0/...`). [INFERRED] The
    emulator serves one org: it accepts all of these and ignores the org segment. Entity
    segments are left as sent; entity lookup is case-insensitive.
    """
    parts = [p for p in path.split("/") if p]
    if len(parts) > 1 and parts[0].lower() != "rest" and parts[1].lower() == "rest":
        parts = parts[1:]
    if parts and parts[0].lower() == "rest":
        parts[0] = "rest"
        if len(parts) > 2 and parts[2].lower() in _KEYWORDS:
            parts[2] = parts[2].lower()
    return "/" + "/".join(parts)


def route_template(method: str, path: str) -> str:
    """The template a request is counted under, e.g. `/rest/2.0/PRODUCT/{id}`."""
    parts = normalise_path(path).split("/")[1:]
    if len(parts) < 3 or parts[:2] != ["rest", "2.0"]:
        return "{unknown}"
    rest = parts[2:]
    if rest[0] in _KEYWORDS and len(rest) == 1:
        return f"/rest/2.0/{rest[0]}"
    if rest[0] in ("delete", "undelete") and len(rest) == 2:
        return f"/rest/2.0/{rest[0]}/{_entity_label(rest[1])}"
    if len(rest) in (1, 2):
        suffix = "/{id}" if len(rest) == 2 else ""
        return f"/rest/2.0/{_entity_label(rest[0])}{suffix}"
    return "{unknown}"


def _entity_label(name: str) -> str:
    entity = entity_named(name)
    return entity.name if entity else "{unknown}"


class BillingPlatformApi(EmulatorApi):
    """The REST 2.0 endpoints bound to one emulator."""

    route_template = staticmethod(route_template)
    error_response = staticmethod(error_response)
    normalise_path = staticmethod(normalise_path)

    def __init__(self, emulator: BillingPlatformEmulator) -> None:
        self.emulator = emulator

    def routes(self) -> Sequence[BaseRoute]:
        """The REST routes (matched after `normalise_path`)."""
        return [
            Route("/rest/2.0/login", self.login, methods=["POST"]),
            Route("/rest/2.0/logout", self.logout, methods=["POST"]),
            Route("/rest/2.0/query", self.query, methods=["GET", "POST"]),
            Route("/rest/2.0/delete/{entity}", self.delete, methods=["DELETE"]),
            Route("/rest/2.0/{entity}/{record_id}", self.retrieve_by_id, methods=["GET"]),
            Route("/rest/2.0/{entity}", self.retrieve_by_query, methods=["GET"]),
            Route("/rest/2.0/{entity}", self.write, methods=["POST", "PUT", "PATCH"]),
        ]

    def exception_handlers(self) -> Mapping[Any, ExceptionHandler]:
        """Render every error in the vendor's shapes (never Starlette's plain text)."""

        async def api_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, ApiError)
            return error_response(exc.status, exc.message)

        async def invalid_session(request: Request, exc: Exception) -> Response:
            return invalid_session_response()

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            if exc.status_code in (404, 405):
                # [INFERRED] A path (or method) the API does not serve is answered by the web
                # server, not by the API: an HTML page, unlike the API's documented JSON 404
                # ("no rows", unknown Id). The vendor documents no 405: it is a wrong URL too.
                return not_found_page(request.method, request.url.path)
            return error_response(
                exc.status_code, f"{request.method} {request.url.path}: {exc.detail}"
            )

        async def internal_error(request: Request, exc: Exception) -> Response:
            return error_response(500, f"internal error: {type(exc).__name__}")

        return {
            ApiError: api_error,
            InvalidSession: invalid_session,
            HTTPException: http_error,
            Exception: internal_error,
        }

    # -- sessions ------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        """`POST /rest/2.0/login` {"username","password"} -> `loginResponse[0].SessionID`."""
        body = await _json_object(request)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not username or not isinstance(password, str):
            raise ApiError(400, "username and password are required")
        expected = self.emulator.credentials
        if expected is not None and (username, password) != expected:
            # [INFERRED] the failed-login shape is undocumented; 401 with the error body.
            raise ApiError(401, "Invalid username or password")
        user_id = await run_in_threadpool(self.emulator.db.user_id, username)
        session = self.emulator.sessions.create(username, user_id)
        login = {"SessionID": session.token, "ErrorCode": "0", "ErrorText": []}
        return JSONResponse({"loginResponse": [login]})

    async def logout(self, request: Request) -> Response:
        """`POST /rest/2.0/logout`: end the session in the `sessionid` header."""
        session = self._session(request)
        self.emulator.sessions.end(session.token)
        logout = {"ErrorCode": "0", "ErrorText": " ", "Success": "true"}
        return JSONResponse({"logoutResponse": [logout]})

    def _session(self, request: Request) -> Session:
        token = request.headers.get("sessionid", "").strip()  # header names: any case
        if not token:
            raise ApiError(401, "No session ID was provided")
        faults = self.emulator.faults
        session = self.emulator.sessions.use(
            token,
            ttl_seconds=faults.session_ttl_seconds,
            max_requests=faults.session_max_requests,
        )
        if session is None:
            raise InvalidSession
        return session

    # -- reads ---------------------------------------------------------------------------

    async def query(self, request: Request) -> Response:
        """`GET /rest/2.0/query?sql=...` or `POST /rest/2.0/query` {"sql": ...}."""
        self._session(request)
        if request.method == "GET":
            sql: Any = request.query_params.get("sql")
        else:
            sql = (await _json_object(request)).get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise ApiError(400, "the sql parameter is required")
        self._check_length(sql, max_sql_length(self.emulator.faults))
        compiled = _compiled(lambda: compile_query(sql, max_rows=self._page_cap()))
        for entity_name, column in self.emulator.variants.missing_columns:
            # [INFERRED] an org whose schema lacks a column refuses a query naming it.
            if compiled.entity.name == entity_name and re.search(rf"\b{column}\b", sql, re.I):
                raise ApiError(400, f"unknown field {column} on {entity_name}")
        rate_display = self.emulator.variants.rate_display and compiled.entity.name == "PRODUCT"
        if not rate_display and compiled.json_sql is not None:
            return await self._json_rows("queryResponse", compiled, "The query")
        rows = await run_in_threadpool(self.emulator.db.run_query, compiled)
        if not rows:
            raise ApiError(404, "The query did not return any rows")
        if rate_display:
            # [INFERRED] the display form public demo code splits on <br/> (G3).
            for row in rows:
                if row.get("Rate"):
                    row["Rate"] = f"USD ${row['Rate']}<br/>"
        return _rows_response("queryResponse", rows)

    async def retrieve_by_id(self, request: Request) -> Response:
        """`GET /rest/2.0/{ENTITY}/{id}` -> `retrieveResponse` as a one-record array."""
        self._session(request)
        entity = _entity(request.path_params["entity"])
        raw_id = str(request.path_params["record_id"]).strip()
        record = None
        if raw_id.isdigit():
            record = await run_in_threadpool(self.emulator.db.get, entity, int(raw_id))
        if record is None:
            raise ApiError(404, f"no {entity.name} has Id {raw_id}")
        # [INFERRED] an array even for one record: real clients index retrieveResponse[0].
        return JSONResponse({"retrieveResponse": [{k: to_wire(v) for k, v in record.items()}]})

    async def retrieve_by_query(self, request: Request) -> Response:
        """`GET /rest/2.0/{ENTITY}?queryAnsiSql=<WHERE part>` -> whole records."""
        self._session(request)
        entity = _entity(request.path_params["entity"])
        where = request.query_params.get("queryAnsiSql")
        if where is None:
            raise ApiError(400, "the queryAnsiSql parameter is required")
        self._check_length(where, max_sql_length(self.emulator.faults))
        compiled = _compiled(lambda: compile_retrieve(entity, where, max_rows=self._page_cap()))
        if compiled.json_sql is not None:
            return await self._json_rows("retrieveResponse", compiled, "The request")
        rows = await run_in_threadpool(self.emulator.db.run_query, compiled)
        if not rows:
            raise ApiError(404, "The request did not return any rows")
        return _rows_response("retrieveResponse", rows)

    async def _json_rows(self, envelope: str, compiled: CompiledQuery, what: str) -> Response:
        """`_rows_response` of the query's rows, from each row's JSON text (same bytes)."""
        rows = await run_in_threadpool(self.emulator.db.run_query_json, compiled)
        if not rows:
            raise ApiError(404, f"{what} did not return any rows")
        body = f'{{"{envelope}":[{",".join(rows)}]}}'.encode()
        return Response(body, media_type=JSONResponse.media_type)

    def _page_cap(self) -> int:
        """Rows per answer at most: the profile's cap, lowered further by the fault setting."""
        return min(self.emulator.faults.max_page_size, self.emulator.variants.page_cap)

    @staticmethod
    def _check_length(sql: str, limit: int) -> None:
        # [INFERRED] the documented 4,000-character bulk limit, applied to every query.
        if len(sql) > limit:
            raise ApiError(400, f"the SQL is {len(sql)} characters long; the limit is {limit}")

    # -- writes --------------------------------------------------------------------------

    async def write(self, request: Request) -> Response:
        """`POST` create, `PUT` update, `PATCH` upsert on `/rest/2.0/{ENTITY}`."""
        session = self._session(request)
        entity = _entity(request.path_params["entity"])
        operation = _OPERATIONS[request.method]
        body = await _json_object(request)
        records = self._records(entity, body)
        key = None
        if operation == "upsert":
            key = _upsert_key(entity, body.get("externalIDFieldName"), self._upsert_keys(entity))
        results = await self._run(entity, operation, records, session, key)
        if operation == "create" and not self.emulator.variants.create_response:
            single = isinstance(body["brmObjects"], dict)
            return await self._saved_records(entity, results, single=single)
        return JSONResponse({f"{operation}Response": [r.to_wire(operation) for r in results]})

    def _upsert_keys(self, entity: Entity) -> tuple[str, ...]:
        """The documented upsert keys (schema.py), plus Name on PRODUCT in the variant that
        accepts it: no document shows an upsert key for PRODUCT."""
        if entity.name == "PRODUCT" and self.emulator.variants.product_upsert:
            return ("Name",)
        return entity.upsert_keys

    async def _saved_records(
        self, entity: Entity, results: list[RecordResult], *, single: bool
    ) -> Response:
        """The documented POST answer (seeds 000/001): `retrieveResponse` holding the saved
        record, an object for a single `brmObjects` object and (assumed) an array of them
        for an array. [INFERRED] A record that was not saved has no documented shape here:
        it is answered with the per-record result fields (no Id, `success: false`)."""

        def saved() -> list[dict[str, Any]]:
            items = []
            for result in results:
                record = None
                if result.success and result.id is not None:
                    record = self.emulator.db.get(entity, result.id)
                if record is None:
                    items.append(result.to_wire("create"))
                else:
                    items.append({k: to_wire(v) for k, v in record.items()})
            return items

        items = await run_in_threadpool(saved)
        return JSONResponse({"retrieveResponse": items[0] if single else items})

    async def delete(self, request: Request) -> Response:
        """`DELETE /rest/2.0/delete/{ENTITY}` {"brmObjects": {"Id"} | [...]}.

        [INFERRED] There is no recycle bin: deletes are permanent and `EmptyRecycleBin` is
        accepted and ignored.
        """
        session = self._session(request)
        entity = _entity(request.path_params["entity"])
        records = self._records(entity, await _json_object(request))
        results = await self._run(entity, "delete", records, session, None)
        return JSONResponse({"deleteResponse": [r.to_wire("delete") for r in results]})

    def _records(self, entity: Entity, body: dict[str, Any]) -> list[Any]:
        if not entity.writable:
            raise ApiError(400, f"{entity.name} is read-only in the emulator")
        if "brmObjects" not in body:
            raise ApiError(400, "brmObjects is required")
        objects = body["brmObjects"]
        records = objects if isinstance(objects, list) else [objects]
        if not records:
            raise ApiError(400, "brmObjects is empty")
        cap = self.emulator.faults.max_batch_size
        if cap is not None and len(records) > cap:
            # [INFERRED] no documented maximum; an over-size batch is refused whole.
            raise ApiError(400, f"brmObjects holds {len(records)} records; the limit is {cap}")
        return records

    async def _run(
        self,
        entity: Entity,
        operation: Operation,
        records: list[Any],
        session: Session,
        key: str | None,
    ) -> list[RecordResult]:
        faults = self.emulator.faults
        context = WriteContext(
            user_id=session.user_id, now=_now(), fail_names=faults.name_pattern()
        )
        writer = BatchWriter(self.emulator.db, entity, context)
        return await run_in_threadpool(
            lambda: writer.run(operation, records, key=key, all_or_nothing=faults.all_or_nothing)
        )


def _entity(name: str) -> Entity:
    entity = entity_named(name)
    if entity is None:
        raise ApiError(404, f"unknown entity: {name}")
    return entity


def _upsert_key(entity: Entity, requested: Any, allowed: tuple[str, ...]) -> str:
    if not allowed:
        # The documents show no upsert (PATCH) for this entity: an undocumented operation.
        raise ApiError(400, f"{entity.name} has no upsert key; save it with POST")
    if not isinstance(requested, str) or not requested:
        raise ApiError(400, "externalIDFieldName is required for an upsert")
    for key in allowed:
        if key.lower() == requested.lower():
            return key
    keys = ", ".join(allowed)
    raise ApiError(400, f"externalIDFieldName for {entity.name} must be one of: {keys}")


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def _rows_response(envelope: str, rows: list[dict[str, str]]) -> Response:
    """What `JSONResponse({envelope: rows})` answers (same bytes, same headers), encoded in
    C: a full page is ~4 MB of JSON."""
    return Response(encode_json({envelope: rows}), media_type=JSONResponse.media_type)


def _compiled(build: Callable[[], CompiledQuery]) -> CompiledQuery:
    try:
        return build()
    except QueryError as exc:
        raise ApiError(400, str(exc)) from None


def _now() -> str:
    """[INFERRED] Created/Updated as ISO-8601 UTC with milliseconds (SOAP samples' format)."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    return re.sub(r"\+00:00$", "Z", stamp)
