"""Opening a BillingPlatform backend for a configured target (real org or embedded emulator)."""

from __future__ import annotations

from catalogsync.backend_api import Backend
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import BillingPlatformClient
from catalogsync.backends.project_settings import http_settings, settle_policy
from catalogsync.config import Project, Settings, Target
from catalogsync.errors import ConfigError

EMULATOR_BASE_URL = "http://emulator"
# The embedded emulator accepts any credentials; these are not secrets.
_EMULATOR_LOGIN = ("catalogsync", "catalogsync")


class _EmulatedBackend(BillingPlatformBackend):
    """The backend wired to an in-process emulator whose state lives in the project."""

    def __init__(self, project: Project, settings: Settings, profile: str) -> None:
        from catalogsync.emulator.backends import make_emulator  # only when used

        project.state_dir.mkdir(parents=True, exist_ok=True)
        state = project.state_dir / "billingplatform.sqlite3"
        self.emulator = make_emulator("billingplatform", state, profile=profile)
        client = BillingPlatformClient(
            EMULATOR_BASE_URL,
            *_EMULATOR_LOGIN,
            settings=http_settings(settings),
            transport=self.emulator.async_transport(),
        )
        super().__init__(client, batch_size=settings.batch_size, settle=settle_policy(settings))

    async def close(self) -> None:
        await super().close()
        self.emulator.close()


def open_backend(project: Project, target_name: str, target: Target) -> Backend:
    """A backend for `target`; credentials are read from the environment only now."""
    settings = project.config.settings
    if target.is_emulator:
        return _EmulatedBackend(project, settings, target.emulator_profile or "strict")
    if target.username is None or target.password is None:
        raise ConfigError.single(f"target '{target_name}' needs username and password")
    username = target.username.resolve(project.root, f"target '{target_name}' username")
    password = target.password.resolve(project.root, f"target '{target_name}' password")
    client = BillingPlatformClient(
        target.url,
        username.get_secret_value(),
        password.get_secret_value(),
        settings=http_settings(settings),
        allow_insecure_http=target.allow_insecure_http,
    )
    return BillingPlatformBackend(
        client, batch_size=settings.batch_size, settle=settle_policy(settings)
    )
