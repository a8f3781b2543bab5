"""`BillingPlatformEmulator`: the BillingPlatform REST 2.0 emulator, assembled."""

from __future__ import annotations

from pathlib import Path

from catalogsync.emulator.base import BaseEmulator
from catalogsync.emulator.billingplatform.app import BillingPlatformApi
from catalogsync.emulator.billingplatform.faults import BillingPlatformFaults
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
    faults_type = BillingPlatformFaults

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
        super().__init__(api=BillingPlatformApi(self), store=self.db, faults=faults)

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
