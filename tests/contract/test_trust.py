"""Trust on a real billing system, per backend over loopback HTTP: an apply verifies what
it wrote, and a second apply of the same catalog against the same target fails loudly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalogsync.applier import apply_plan
from catalogsync.catalog import Kind
from catalogsync.config import load_project
from catalogsync.workflow import choose_target, connected, fetch_and_plan
from tests.clirun import run
from tests.contract.harness import Harness, Spec

pytestmark = pytest.mark.loopback

SPEC = Spec(products={"Voice": "1.50", "SMS": "2.50"}, packages={"Gold": ("Voice", "SMS")})
# The managed product field each backend writes, as it is spelled on the wire: each
# harness's `wire_field`.


class DropsField:
    """ASGI wrapper: the server answers success but never sees one field of the writes
    (what an org with a field-level permission or a trigger would do)."""

    def __init__(self, app: ASGIApp, wire_field: str) -> None:
        self.app, self.wire_field = app, wire_field

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "GET":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if body.startswith((b"{", b"[")):
            body = json.dumps(_without(json.loads(body), self.wire_field)).encode()
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, replay, send)


def _without(data: Any, key: str) -> Any:
    if isinstance(data, dict):
        return {k: _without(v, key) for k, v in data.items() if k != key}
    if isinstance(data, list):
        return [_without(v, key) for v in data]
    return data


def test_apply_reports_a_write_the_api_accepted_but_did_not_apply(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    original = harness.dropper.app
    harness.dropper.app = DropsField(original, harness.wire_field)
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 4, out
    assert out.count("accepted by the API but not in effect") == 2, out
    harness.dropper.app = original
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 0 and "Apply: 2 succeeded" in out and "Verified by re-reading" in out


def test_no_verify_skips_the_check(harness: Harness, tmp_path: Path) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    harness.dropper.app = DropsField(harness.dropper.app, harness.wire_field)
    code, out, _ = run(project, "apply", "--auto-approve", "--no-verify")
    assert code == 0 and "not in effect" not in out


def test_a_second_concurrent_apply_fails_loudly_and_duplicates_nothing(
    harness: Harness, tmp_path: Path
) -> None:
    first = harness.write_project(tmp_path / "first", SPEC)
    second = harness.write_project(tmp_path / "second", SPEC)

    async def second_apply_racing_the_first() -> int:
        project = load_project(second)
        choice = choose_target(project, "local")
        async with connected(project, choice) as backend:
            _, live, plan = await fetch_and_plan(project, choice, backend)
            # the first pipeline applies the same catalog while this one reviews its plan
            code, out, _ = await anyio.to_thread.run_sync(
                lambda: run(first, "apply", "--auto-approve")
            )
            assert code == 0, out
            report = await apply_plan(plan, backend, live)
        assert "created by someone else since the plan was made" in report.refused
        return report.exit_code

    assert anyio.run(second_apply_racing_the_first) == 3
    assert Counter(harness.names(Kind.PRODUCT)) == Counter(list(SPEC.products))
    assert len(harness.names(Kind.PACKAGE_PRODUCT)) == SPEC.package_products
