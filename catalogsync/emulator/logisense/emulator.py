"""`LogiSenseEmulator`: the LogiSense REST v8 emulator, assembled, with Python helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.logisense import details
from catalogsync.emulator.logisense.app import LogiSenseApi
from catalogsync.emulator.logisense.auth import TokenStore, iso_utc
from catalogsync.emulator.logisense.handlers import Handlers
from catalogsync.emulator.logisense.profiles import DEFAULT_PROFILE, profile_named
from catalogsync.emulator.logisense.schema import Resource, resource_named
from catalogsync.emulator.logisense.store import Database
from catalogsync.emulator.logisense.validation import ApiError, Problem, coerce
from catalogsync.emulator.logisense.views import Views
from catalogsync.emulator.logisense.writes import Writer
from catalogsync.errors import CatalogSyncError

__all__ = ["DEFAULT_CLIENT_ID", "EmulatorEditError", "LogiSenseEmulator"]

#: A 32-hex client id, the kind LogiSense support issues ([D] reference §2).
DEFAULT_CLIENT_ID = "0123456789abcdef0123456789abcdef"


class EmulatorEditError(CatalogSyncError):
    """A Python-side edit of the emulator's state broke a rule; `problems` lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


class LogiSenseEmulator(BaseEmulator):
    """A stateful LogiSense REST v8 emulator over SQLite (see the package docstring)."""

    backend_name = "logisense"

    def __init__(
        self,
        db: str | Path | None = None,
        *,
        faults: Faults | None = None,
        credentials: tuple[str, str] | None = None,
        client_id: str | None = None,
        unique_names: bool = False,
        lenient_auth: bool = False,
        profile: str = DEFAULT_PROFILE,
    ) -> None:
        #: The documented behaviour (`strict`) or a variant (`profiles.PROFILES`).
        self.profile = profile_named(profile)
        self.db = Database(db)
        details.install(self.db)
        #: Accepted (username, password); None accepts any non-empty username.
        self.credentials = credentials
        #: The only client_id accepted; None accepts any non-empty one.
        self.client_id = client_id
        #: Refuse a second Service or Package with the same name ([INFERRED] off: the
        #: docs never say names are unique).
        self.unique_names = unique_names
        #: Also accept `Authorization: <token>` without "Bearer " (a public client did so).
        self.lenient_auth = lenient_auth
        self.tokens = TokenStore()
        self.views = Views(self.db)
        self.handlers = Handlers(self)
        super().__init__(api=LogiSenseApi(self), store=self.db, faults=faults)

    # -- conveniences: sessions and reads ------------------------------------------------

    def login(self, username: str = "emulator", client_id: str | None = None) -> str:
        """An access token without an HTTP round trip (lifetime from `faults`)."""
        client = client_id or self.client_id or DEFAULT_CLIENT_ID
        return self.tokens.issue(username, client, self.faults.session_ttl_seconds).access

    def records(self, resource: str, *, detail: bool = False) -> list[dict[str, Any]]:
        """Every record of a resource as `GET X` shows it (with `details` if asked), in
        identity order. `resource` is a key or path: "Package/Service" or "PackageService"."""
        found = _resource(resource)
        with self.db.lock:
            rows = self.db.select(found)
            if detail:
                return self.views.render_detailed(found, rows)
            return self.views.render(found, rows)

    def record(self, resource: str, identity: int, *, detail: bool = False) -> dict[str, Any]:
        """One record as `GET X/{id}` shows it; KeyError when there is none."""
        found = _resource(resource)
        with self.db.lock:
            row = self.db.get(found, identity)
            if row is None:
                raise KeyError(f"{found.key} {identity} does not exist")
            render = self.views.render_detailed if detail else self.views.render
            return render(found, [row])[0]

    def find(self, resource: str, **equal: Any) -> list[dict[str, Any]]:
        """Records whose fields equal the given values exactly (case-sensitive)."""
        found = _resource(resource)
        with self.db.lock:
            ids = self.db.ids_where(found, equal)
            rows = [row for i in ids if (row := self.db.get(found, i)) is not None]
            return self.views.render(found, rows)

    def lookup_id(self, resource: str, name: str) -> int:
        """The identity of the lookup row (or record) named `name`; KeyError if none."""
        found = _resource(resource)
        ids = self.db.ids_where(found, {"name": name})
        if not ids:
            raise KeyError(f"no {found.key} is named {name!r}")
        return ids[0]

    # -- conveniences: edits "as the UI would" (validated, not counted, never faulted) ---

    def seed_lookup(self, resource: str, name: str, **fields: Any) -> int:
        """Add a lookup row (a currency, a frequency type, ...) and return its identity."""
        found = _resource(resource)
        if not found.lookup:
            raise ValueError(f"{found.key} is not a lookup; use create()")
        values, problems = coerce(found, {"name": name, **fields}, "")
        if problems:
            raise EmulatorEditError(problems)
        with self.db.transaction():
            return self.db.insert(found, {**values, "created": self._now()})

    def create(self, resource: str, **fields: Any) -> dict[str, Any]:
        """Create a record (e.g. a Service or a Package/Service) as a UI user would."""
        found = _resource(resource)
        items = self._edit("create", lambda w: w.create(found, fields))
        instance: dict[str, Any] = items[0]["instance"]
        return instance

    def update(self, resource: str, identity: int, **fields: Any) -> dict[str, Any]:
        """Change some fields of a record as a UI user would (drift for the client to see)."""
        found = _resource(resource)
        self._edit("update", lambda w: w.update(found, identity, fields))
        return self.record(found.key, identity)

    def patch(self, resource: str, identity: int, body: Mapping[str, Any]) -> list[Any]:
        """Apply a PATCH body (nested child items) without HTTP; the result items."""
        found = _resource(resource)
        return self._edit("patch", lambda w: w.patch(found, identity, body))

    def delete(self, resource: str, identity: int) -> list[Any]:
        """Delete a record (and a package's children); the cascade report items."""
        found = _resource(resource)
        return self._edit("delete", lambda w: w.delete(found, identity))

    def _edit(self, kind: str, work: Callable[[Writer], Any]) -> list[Any]:
        try:
            payload = self.handlers.write(kind, None, work, api=False)
        except ApiError as exc:
            raise EmulatorEditError(exc.problems) from None
        items: list[Any] = payload["results"]["items"]
        return items

    def _now(self) -> str:
        return iso_utc(self.tokens.now())


def _resource(name: str) -> Resource:
    found = resource_named(name)
    if found is None:
        raise KeyError(f"unknown LogiSense resource: {name}")
    return found
