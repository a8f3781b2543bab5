"""Opening a LogiSense backend for a configured target (real tenant or embedded emulator)."""

from __future__ import annotations

import os

from catalogsync.backend_api import Backend
from catalogsync.backends.logisense.backend import LogiSenseBackend
from catalogsync.backends.logisense.client import LogiSenseClient
from catalogsync.backends.logisense.login import CLIENT_ID_ENV
from catalogsync.backends.logisense.target import LogiSenseTarget
from catalogsync.backends.project_settings import http_settings, settle_policy
from catalogsync.config import Project, Target
from catalogsync.errors import ConfigError

EMULATOR_BASE_URL = "http://emulator"
# The embedded emulator accepts any credentials; these are not secrets.
_EMULATOR_LOGIN = ("catalogsync", "catalogsync")
# The password grant also wants the tenant's client id (32 hex digits issued by LogiSense
# support): the target's `client_id` secret, or else `login.CLIENT_ID_ENV`.
STATE_FILE = "logisense.sqlite3"


class _EmulatedBackend(LogiSenseBackend):
    """The backend wired to an in-process emulator whose state lives in the project."""

    def __init__(self, project: Project, profile: str) -> None:
        # only when used
        from catalogsync.emulator.backends import make_emulator
        from catalogsync.emulator.logisense import DEFAULT_CLIENT_ID

        project.state_dir.mkdir(parents=True, exist_ok=True)
        self.emulator = make_emulator("logisense", project.state_dir / STATE_FILE, profile=profile)
        client = LogiSenseClient(
            EMULATOR_BASE_URL,
            *_EMULATOR_LOGIN,
            DEFAULT_CLIENT_ID,
            settings=http_settings(project.config.settings),
            transport=self.emulator.async_transport(),
        )
        super().__init__(
            client,
            settle=settle_policy(project.config.settings),
            batch_size=project.config.settings.batch_size,
        )

    async def close(self) -> None:
        await super().close()
        self.emulator.close()


def open_backend(project: Project, target_name: str, target: Target) -> Backend:
    """A backend for `target`; credentials are read from the environment only now."""
    if target.is_emulator:
        return _EmulatedBackend(project, target.emulator_profile or "strict")
    if target.username is None or target.password is None:
        raise ConfigError.single(f"target '{target_name}' needs username and password")
    username = target.username.resolve(project.root, f"target '{target_name}' username")
    password = target.password.resolve(project.root, f"target '{target_name}' password")
    # A project of this backend validates its targets with the spec's target model.
    assert isinstance(target, LogiSenseTarget)
    if target.client_id is not None:
        what = f"target '{target_name}' client_id"
        client_id = target.client_id.resolve(project.root, what).get_secret_value()
    else:
        client_id = os.environ.get(CLIENT_ID_ENV, "")
    if not client_id:
        raise ConfigError.single(
            f"target '{target_name}' needs client_id (the client id LogiSense support issued "
            f"for this tenant): set client_id: {{env: NAME}}, or {CLIENT_ID_ENV}"
        )
    client = LogiSenseClient(
        target.url,
        username.get_secret_value(),
        password.get_secret_value(),
        client_id,
        settings=http_settings(project.config.settings),
        allow_insecure_http=target.allow_insecure_http,
    )
    return LogiSenseBackend(
        client,
        settle=settle_policy(project.config.settings),
        batch_size=project.config.settings.batch_size,
    )
