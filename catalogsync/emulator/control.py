"""`/_emulator/...` control endpoints, so a server-mode emulator can be steered over HTTP.

They need no session, are never faulted and are not counted in the stats. When the
emulator has fixed credentials (`emulator serve --credentials`), they require those same
credentials as HTTP Basic auth: anyone who can reach the port could otherwise reset or
fault it.

- `GET  /_emulator/stats`        the request counters (`BaseEmulator.stats()`)
- `GET  /_emulator/faults`       the current `Faults`, plus the scripted failures pending
- `POST /_emulator/faults`       set `Faults` fields from a JSON object; the extra keys
  `fail_next` (an object or a list of `{status, times, path_contains}`) and
  `clear_scripted: true` drive the scripted failures
- `POST /_emulator/reset-stats`  zero the counters and clear the request log
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from catalogsync.emulator.requestlog import CONTROL_PREFIX

if TYPE_CHECKING:
    from catalogsync.emulator.base import BaseEmulator

__all__ = ["control_routes"]


def control_routes(emulator: BaseEmulator) -> list[BaseRoute]:
    """The control routes bound to one emulator."""

    async def stats(request: Request) -> Response:
        return JSONResponse(emulator.stats())

    async def get_faults(request: Request) -> Response:
        return JSONResponse(_faults_view(emulator))

    async def set_faults(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object of Faults fields")
            _apply(emulator, body)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            return JSONResponse({"error": "Bad request", "message": str(exc)}, status_code=400)
        return JSONResponse(_faults_view(emulator))

    async def reset_stats(request: Request) -> Response:
        emulator.reset_stats()
        return JSONResponse(emulator.stats())

    def guarded(handler: Handler) -> Handler:
        async def check(request: Request) -> Response:
            expected = getattr(emulator, "credentials", None)
            if expected is not None and not _basic_auth_matches(request, expected):
                return JSONResponse(
                    {"error": "Unauthorized", "message": "the control endpoints need credentials"},
                    status_code=401,
                    headers={"WWW-Authenticate": 'Basic realm="catalogsync emulator"'},
                )
            return await handler(request)

        return check

    return [
        Route(f"{CONTROL_PREFIX}stats", guarded(stats), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}faults", guarded(get_faults), methods=["GET"]),
        Route(f"{CONTROL_PREFIX}faults", guarded(set_faults), methods=["POST"]),
        Route(f"{CONTROL_PREFIX}reset-stats", guarded(reset_stats), methods=["POST"]),
    ]


Handler = Callable[[Request], Awaitable[Response]]


def _basic_auth_matches(request: Request, expected: tuple[str, str]) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode(), f"{expected[0]}:{expected[1]}".encode())


def _apply(emulator: BaseEmulator, body: dict[str, Any]) -> None:
    """Apply a control request: scripted failures first checked, then the field changes."""
    body = dict(body)
    clear = body.pop("clear_scripted", False)
    scripted = body.pop("fail_next", [])
    scripted = [scripted] if isinstance(scripted, dict) else scripted
    if not isinstance(scripted, list) or not all(isinstance(s, dict) for s in scripted):
        raise ValueError("fail_next must be an object or a list of objects")
    emulator.faults.update(body)
    if clear is True:
        emulator.faults.clear_scripted()
    for entry in scripted:
        unknown = set(entry) - {"status", "times", "path_contains"}
        if unknown or not isinstance(entry.get("status"), int):
            raise ValueError("fail_next entries are {status, times, path_contains}")
        emulator.faults.fail_next(
            entry["status"], int(entry.get("times", 1)), str(entry.get("path_contains", ""))
        )


def _faults_view(emulator: BaseEmulator) -> dict[str, Any]:
    view = emulator.faults.to_dict()
    view["scripted"] = [asdict(entry) for entry in emulator.faults.pending_scripted()]
    return view
