"""`BillingPlatformEmulator`: the BillingPlatform REST 2.0 emulator, assembled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ExceptionHandler

from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.billingplatform.app import (
    BillingPlatformApi,
    PathNormaliser,
    error_response,
    route_template,
)
from catalogsync.emulator.billingplatform.profiles import variants_for
from catalogsync.emulator.billingplatform.schema import entity_named
from catalogsync.emulator.billingplatform.store import Database
from catalogsync.emulator.billingplatform.values import to_wire
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.sessions import SessionStore

__all__ = ["BillingPlatformEmulator"]


class BillingPlatformEmulator(BaseEmulator):
    """A stateful BillingPlatform REST 2.0 emulator over SQLite.

    `db` is a SQLite file (state survives restarts) or None for memory. `credentials`
    fixes the accepted (username, password); by default any login succeeds. `profile`
    picks a variant of what the documents leave open (`profiles.PROFILES`; "strict" is
    what they show). Serve `.app` with uvicorn (`catalogsync emulator serve`) or use
    `async_transport()` in process.
    """

    backend_name = "billingplatform"

    def __init__(
        self,
        db: str | Path | None = None,
        *,
        faults: Faults | None = None,
        credentials: tuple[str, str] | None = None,
        profile: str = "strict",
    ) -> None:
        #: The behaviours of the chosen profile (checked first: no state is opened for a typo).
        self.variants = variants_for(profile)
        self.profile = profile
        self.db = Database(db)
        self.credentials = credentials
        self.sessions = SessionStore()
        self._api = BillingPlatformApi(self)
        super().__init__(faults=faults)

    def routes(self) -> Sequence[BaseRoute]:
        return self._api.routes()

    def route_template(self, method: str, path: str) -> str:
        return route_template(method, path)

    def error_response(self, status: int, message: str) -> Response:
        return error_response(status, message)

    def middleware(self) -> Sequence[Middleware]:
        return [Middleware(PathNormaliser)]

    def exception_handlers(self) -> Mapping[Any, ExceptionHandler]:
        return self._api.exception_handlers()

    def close(self) -> None:
        """Stop the in-process transports and close the database."""
        super().close()
        self.db.close()

    # -- conveniences for tests ----------------------------------------------------------

    def login(self, username: str = "emulator") -> str:
        """Start a session without an HTTP round trip; returns the session id."""
        return self.sessions.create(username, self.db.user_id(username)).token

    def records(self, entity: str) -> list[dict[str, str]]:
        """Every record of an entity as the API shows it (strings), in Id order."""
        found = entity_named(entity)
        if found is None:
            raise KeyError(f"unknown entity: {entity}")
        return [
            {name: to_wire(value) for name, value in record.items()}
            for record in self.db.all_records(found)
        ]
