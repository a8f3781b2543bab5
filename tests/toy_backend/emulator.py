"""The toy billing system's emulator: a few JSON routes over in-memory tables.

    POST /toy/login {username, password} → {token}       (then `Authorization: Bearer`)
    GET  /toy/units                      → {units: [...]} (the lookup table of `unit`)
    GET  /toy/{table}                    → {records: [...]}   tables: products, packages, items
    POST /toy/{table}                    → {id}
    PUT  /toy/{table}/{id}, DELETE /toy/{table}/{id}

An item is a product in a package (`package_id`, `product_id`). The shared emulator base
brings faults, the request log and the control routes; sessions expire as faults say.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from catalogsync.emulator.base import BaseEmulator, EmulatorApi
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.sessions import SessionStore

TABLES = ("products", "packages", "items")
UNITS = ("each", "minute", "month")
PROFILES = {"strict": "the toy system's one behaviour"}

Record = dict[str, Any]


class ToyEmulator(BaseEmulator, EmulatorApi):
    """The emulator, and its own `EmulatorApi` (routes, route templates, error body)."""

    backend_name = "toy"

    def __init__(
        self,
        db: Path | None = None,
        *,
        faults: Faults | None = None,
        credentials: tuple[str, str] | None = None,
        profile: str = "strict",
    ) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, dict[int, Record]] = {table: {} for table in TABLES}
        self._next_id = 1
        self._credentials = credentials
        self.sessions = SessionStore()
        super().__init__(api=self, faults=faults)

    # -- state, as the UI would change it --------------------------------------------

    def records(self, table: str) -> list[Record]:
        with self._lock:
            return [dict(r) for _, r in sorted(self._tables[table].items())]

    def create(self, table: str, **fields: Any) -> int:
        with self._lock:
            record_id, self._next_id = self._next_id, self._next_id + 1
            self._tables[table][record_id] = {**fields, "id": record_id}
            return record_id

    def update(self, table: str, record_id: int, **fields: Any) -> bool:
        with self._lock:
            record = self._tables[table].get(record_id)
            if record is not None:
                record.update(fields)
            return record is not None

    def delete(self, table: str, record_id: int) -> bool:
        with self._lock:
            return self._tables[table].pop(record_id, None) is not None

    # -- HTTP ------------------------------------------------------------------------

    def routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/toy/login", self._login, methods=["POST"]),
            Route("/toy/units", self._units, methods=["GET"]),
            Route("/toy/{table}", self._table, methods=["GET", "POST"]),
            Route("/toy/{table}/{id:int}", self._record, methods=["PUT", "DELETE"]),
        ]

    def route_template(self, method: str, path: str) -> str:
        head, _, last = path.rstrip("/").rpartition("/")
        return f"{head}/{{id}}" if last.isdigit() else path

    def error_response(self, status: int, message: str) -> Response:
        return JSONResponse({"error": message}, status_code=status)

    async def _login(self, request: Request) -> Response:
        body = await request.json()
        given = (body.get("username"), body.get("password"))
        if self._credentials is not None and given != self._credentials:
            return self.error_response(401, "wrong username or password")
        return JSONResponse({"token": self.sessions.create(str(given[0]), 1).token})

    def _signed_in(self, request: Request) -> bool:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        faults = self.faults
        used = self.sessions.use(
            token,
            ttl_seconds=faults.session_ttl_seconds,
            max_requests=faults.session_max_requests,
        )
        return used is not None

    async def _units(self, request: Request) -> Response:
        if not self._signed_in(request):
            return self.error_response(401, "log in first")
        return JSONResponse({"units": list(UNITS)})

    async def _table(self, request: Request) -> Response:
        table = request.path_params["table"]
        if not self._signed_in(request):
            return self.error_response(401, "log in first")
        if table not in TABLES:
            return self.error_response(404, f"no table {table}")
        if request.method == "GET":
            return JSONResponse({"records": self.records(table)})
        fields = await request.json()
        problem = self._refused(table, fields)
        if problem:
            return self.error_response(400, problem)
        return JSONResponse({"id": self.create(table, **fields)})

    async def _record(self, request: Request) -> Response:
        table, record_id = request.path_params["table"], request.path_params["id"]
        if not self._signed_in(request):
            return self.error_response(401, "log in first")
        if table not in TABLES:
            return self.error_response(404, f"no table {table}")
        if request.method == "DELETE":
            found = self.delete(table, record_id)
        else:
            fields = await request.json()
            problem = self._refused(table, fields)
            if problem:
                return self.error_response(400, problem)
            found = self.update(table, record_id, **fields)
        return JSONResponse({}) if found else self.error_response(404, f"no record {record_id}")

    def _refused(self, table: str, fields: Record) -> str:
        """Why a write is refused ("" when it is not): an injected name failure, a unit
        the unit table lacks, or an item naming a record that does not exist."""
        pattern = self.faults.name_pattern()
        if pattern is not None and pattern.search(str(fields.get("name", ""))):
            return f"name {fields.get('name')!r} refused (injected fault)"
        if fields.get("unit") not in (None, *UNITS):
            return f"unknown unit {fields['unit']!r}"
        if table == "items":
            with self._lock:
                if fields.get("package_id") not in self._tables["packages"]:
                    return "no such package"
                if fields.get("product_id") not in self._tables["products"]:
                    return "no such product"
        return ""
