"""An unclear create (the answer lost, the server still working on it) is settled by
re-reading over a window, never by a second create: no duplicates (per backend, loopback)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalogsync.catalog import Kind
from catalogsync.emulator.faults import DroppedConnection
from tests.clirun import run
from tests.contract.harness import Harness, Spec

pytestmark = pytest.mark.loopback

# Two packages holding one product; on BillingPlatform both package-products are named
# "Voice", so they are created by POST (an upsert keyed by Name could hit the other one).
SPEC = Spec(products={"Voice": "1.50"}, packages={"Gold": ("Voice",), "Silver": ("Voice",)})
# The create that a retry could duplicate: each harness's `unclear_create`.


class CommitsLate:
    """ASGI wrapper: the armed request's connection drops at once, unanswered; the server
    carries it out only later, just before it answers the `late_by`-th request after it
    (a create still running on the server after the client gave up)."""

    def __init__(self, app: ASGIApp, method: str, path: str, late_by: int) -> None:
        self.app, self.method, self.path, self.late_by = app, method, path, late_by
        self.held: tuple[Scope, bytes] | None = None
        self.armed = True
        self.committed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.armed and scope["method"] == self.method and scope["path"].rstrip("/") == self.path:
            self.armed = False
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            self.held = (scope, body)
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise DroppedConnection("answer lost; the server is still working on it")
        if self.held is not None:
            self.late_by -= 1
            if self.late_by == 0:
                await self._commit(*self.held)
                self.held = None
        await self.app(scope, receive, send)

    async def _commit(self, scope: Scope, body: bytes) -> None:
        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def lost(message: Message) -> None:
            """Nobody is waiting for this answer any more."""

        await self.app(scope, replay, lost)
        self.committed = True


def with_settings(project: Path, **settings: object) -> None:
    yaml = YAML()
    path = project / "catalogsync.yaml"
    config = yaml.load(path.read_text())
    config["settings"].update(settings)
    with path.open("w") as out:
        yaml.dump(config, out)


def test_a_create_that_lands_after_the_first_re_read_is_adopted_not_duplicated(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    with_settings(project, settle_seconds=30)
    harness.name_package_products_alike(project)
    late = CommitsLate(harness.dropper.app, *harness.unclear_create, late_by=2)
    harness.dropper.app = late
    code, out, err = run(project, "apply", "--auto-approve")
    assert late.committed, out + err
    assert code == 0, out + err
    assert run(project, "plan", "--detailed-exitcode")[0] == 0
    assert Counter(harness.names(Kind.PRODUCT)) == Counter(["Voice"])
    assert Counter(harness.names(Kind.PACKAGE_PRODUCT)) == Counter(
        ["Gold / Voice", "Silver / Voice"]
    )


def test_without_a_window_the_create_is_reported_not_created_and_never_resent(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    with_settings(project, settle_seconds=0)
    harness.name_package_products_alike(project)
    late = CommitsLate(harness.dropper.app, *harness.unclear_create, late_by=1000)
    harness.dropper.app = late
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 4 and "not found on re-reading for 0 s (settings.settle_seconds)" in out, out
    assert not late.committed
