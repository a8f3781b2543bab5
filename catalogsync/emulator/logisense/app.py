"""The LogiSense v8 routes: login, then every resource under `/ResourceServer/api/v8/`.

One catch-all route per server parses the resource path itself (`Package/Service/12/Detail`
is resource `Package/Service`, id 12, detail view), because resource paths nest
(`Package/Service` versus `Package/{id}`) and .NET routing ignores case. Envelopes follow
reference §4 and the seed Package page; where they are silent, the choice made in the
reference is kept and marked [INFERRED].
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ExceptionHandler

from catalogsync.emulator.base import EmulatorApi
from catalogsync.emulator.logisense.auth import Token
from catalogsync.emulator.logisense.schema import MAX_PATH_DEPTH, Resource, resource_at
from catalogsync.emulator.logisense.validation import ApiError, Problem
from catalogsync.http.tables import encode_json

if TYPE_CHECKING:
    from catalogsync.emulator.logisense.emulator import LogiSenseEmulator

__all__ = [
    "API_PREFIX",
    "LOGIN_PATHS",
    "LogiSenseApi",
    "Target",
    "error_response",
    "parse_target",
    "route_template",
]

API_PREFIX = "/ResourceServer/api/v8"
LOGIN_PATHS = ("/AuthorizationServer/api/v8/Access/Login", "/AuthorizationServer/Access/Login")
_CANONICAL = {
    s.lower(): s for s in ("ResourceServer", "AuthorizationServer", "api", "v8", "Access", "Login")
}
#: [INFERRED] the bodies of 401/403/404/405/429/5xx are undocumented; the documented
#: `errors` envelope is used for all of them, with these codes.
_STATUS_CODES = {401: 40100000, 404: 10500000, 405: 40500000, 429: 42900000, 500: 50000000}


def tracking_id() -> str:
    return str(uuid.uuid4())


def error_response(status: int, message: str, *, kind: str | None = None) -> Response:
    """The documented error envelope `{"trackingId", ["type"], "errors": [{code, message}]}`."""
    code = _STATUS_CODES.get(status, 50000000 if status >= 500 else 10700000)
    return problems_response(status, [Problem(code, message)], kind)


def problems_response(status: int, problems: Sequence[Problem], kind: str | None) -> Response:
    body: dict[str, Any] = {"trackingId": tracking_id()}
    if kind is not None:
        body["type"] = kind
    body["errors"] = [p.to_wire() for p in problems]
    headers = {}
    if status == 401:
        # [INFERRED] what an OWIN bearer-token server sends with its 401.
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return JSONResponse(body, status_code=status, headers=headers)


@dataclass(frozen=True)
class Target:
    """What a ResourceServer path names: a resource, an id and/or a view keyword."""

    resource: Resource
    identity: int | None = None
    view: str = ""  # "", "Detail", "Paged", "Paged/Detail", "Search"

    def template(self) -> str:
        suffix = "" if self.identity is None else "/{id}"
        view = f"/{self.view}" if self.view else ""
        return f"{API_PREFIX}/{self.resource.path}{suffix}{view}"


def parse_target(rest: str) -> Target | None:
    """Parse the path after `/ResourceServer/api/v8/`; None when nothing lives there."""
    parts = [p for p in rest.split("/") if p]
    for width in range(MAX_PATH_DEPTH, 0, -1):
        resource = resource_at("/".join(parts[:width])) if len(parts) >= width else None
        if resource is None:
            continue
        tail = [p.lower() for p in parts[width:]]
        if tail in ([], ["paged"], ["paged", "detail"], ["search"]):
            view = {"paged": "Paged", "paged/detail": "Paged/Detail", "search": "Search"}
            return Target(resource, None, view.get("/".join(tail), ""))
        # Ids are ASCII digits that fit SQLite's 64-bit integers; anything else is a 404.
        is_id = bool(tail) and tail[0].isascii() and tail[0].isdigit() and len(tail[0]) < 19
        if is_id and tail[1:] in ([], ["detail"]):
            return Target(resource, int(tail[0]), "Detail" if tail[1:] else "")
        return None
    return None


def normalise_path(path: str) -> str:
    """Collapse `//`, drop a trailing `/`, and canonicalise the server prefix's case."""
    parts = [p for p in path.split("/") if p]
    for index, part in enumerate(parts[:4]):
        parts[index] = _CANONICAL.get(part.lower(), part)
    return "/" + "/".join(parts)


def route_template(method: str, path: str) -> str:
    """The template a request is counted under, e.g. `/ResourceServer/api/v8/Package/{id}`."""
    path = normalise_path(path)
    if path in LOGIN_PATHS:
        return path
    if path.startswith(API_PREFIX + "/"):
        target = parse_target(path[len(API_PREFIX) + 1 :])
        if target is not None:
            return target.template()
    return "{unknown}"


class LogiSenseApi(EmulatorApi):
    """The AuthorizationServer and ResourceServer endpoints bound to one emulator."""

    route_template = staticmethod(route_template)
    error_response = staticmethod(error_response)
    normalise_path = staticmethod(normalise_path)

    def __init__(self, emulator: LogiSenseEmulator) -> None:
        self.emulator = emulator

    def routes(self) -> Sequence[BaseRoute]:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        return [
            *(Route(path, self.login, methods=["POST"]) for path in LOGIN_PATHS),
            Route(API_PREFIX + "/{rest:path}", self.resource, methods=methods),
        ]

    def exception_handlers(self) -> Mapping[Any, ExceptionHandler]:
        """Every error in the documented envelope (never Starlette's plain text)."""

        async def api_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, ApiError)
            return problems_response(exc.status, exc.problems, _write_type(request.method))

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            return error_response(
                exc.status_code, f"{request.method} {request.url.path}: {exc.detail}"
            )

        async def internal_error(request: Request, exc: Exception) -> Response:
            return error_response(500, f"internal error: {type(exc).__name__}")

        return {ApiError: api_error, HTTPException: http_error, Exception: internal_error}

    # -- AuthorizationServer -------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        """Form login (password grant, client secret, or [INFERRED] refresh_token grant).

        [INFERRED] failures use the OAuth error shape (`error`, `error_description`) with
        400, which OWIN's authorization server (the `.issued`/`.expires` keys are its
        hallmark) answers.
        """
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        emulator = self.emulator
        ttl = emulator.faults.session_ttl_seconds
        grant = form.get("grant_type", "")
        if grant == "refresh_token":
            token = emulator.tokens.refresh(form.get("refresh_token", ""), ttl)
            if token is None:
                return _oauth_error("invalid_grant", "The refresh token is invalid or expired.")
            return JSONResponse(token.response())
        if grant != "password":
            return _oauth_error("unsupported_grant_type", "grant_type must be 'password'.")
        client_id = form.get("client_id", "")
        if not client_id or (emulator.client_id is not None and client_id != emulator.client_id):
            return _oauth_error("invalid_client", "The client_id is not valid.")
        username, password = form.get("username", ""), form.get("password", "")
        secret = form.get("client_secret")
        expected = emulator.credentials
        if secret is not None and not username:
            ok = expected is None or secret == expected[1]
            username = f"client:{client_id}"
        else:
            ok = bool(username) and (expected is None or (username, password) == expected)
        if not ok:
            return _oauth_error("invalid_grant", "The user name or password is incorrect.")
        return JSONResponse(emulator.tokens.issue(username, client_id, ttl).response())

    def _token(self, request: Request) -> Token:
        header = request.headers.get("authorization", "").strip()
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            access = value.strip()
        elif self.emulator.lenient_auth and header and " " not in header:
            access = header  # [INFERRED] optional: a public client omitted "Bearer "
        else:
            raise ApiError(401, "Authorization has been denied for this request.", 40100000)
        faults = self.emulator.faults
        token = self.emulator.tokens.use(
            access, ttl_seconds=faults.session_ttl_seconds, max_requests=faults.session_max_requests
        )
        if token is None:
            raise ApiError(401, "Authorization has been denied for this request.", 40100000)
        return token

    # -- ResourceServer ------------------------------------------------------------------

    async def resource(self, request: Request) -> Response:
        self._token(request)
        target = parse_target(str(request.path_params["rest"]))
        if target is None:
            raise ApiError(404, f"No resource lives at {request.url.path}.", 10500000)
        handler = self.emulator.handlers.find(request.method, target)
        if handler is None:
            raise ApiError(
                405, f"{request.method} is not supported on {target.template()}.", 40500000
            )
        body: Any = None
        if request.method in ("POST", "PUT", "PATCH"):
            body = _json(await request.body())
            if not isinstance(body, dict):
                raise ApiError(400, "The body must be a JSON object.")
        status, payload = await run_in_threadpool(handler, target, request.headers, body)
        content = {"trackingId": tracking_id(), **payload}
        if request.method == "GET":
            # Stored records only (no field holds a float; a write's answer may echo what it
            # was sent): `JSONResponse`'s bytes, written in C (a page of package details
            # is ~13 MB of JSON at M).
            return Response(encode_json(content), status, media_type=JSONResponse.media_type)
        return JSONResponse(content, status_code=status)


def _write_type(method: str) -> str | None:
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)


def _oauth_error(error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.") from None
