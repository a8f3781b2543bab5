"""Malformed API answers: a clear error naming the request, exit 1 (4 for a write), no plan.

A small ASGI wrapper in front of the real emulator replaces the answers to chosen requests
with truncated JSON, wrong types, HTML error pages or bodies missing fields; everything else
is served by the emulator as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_plus

import pytest
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from tests.reliability.harness import cli_run, write_served_project

pytestmark = pytest.mark.reliability

HTML = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@dataclass(frozen=True)
class Bad:
    """An answer to serve instead of the emulator's."""

    body: str
    status: int = 200
    content_type: str = "application/json"


class Malform:
    """ASGI wrapper: requests with `method` whose path (or SQL) contains `match` get `bad`."""

    def __init__(self, app: ASGIApp, method: str, match: str, bad: Bad) -> None:
        self.app, self.method, self.match, self.bad = app, method, match, bad
        self.hits = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == self.method:
            target = scope["path"] + " " + unquote_plus(scope["query_string"].decode())
            if self.match in target:
                self.hits += 1
                response = Response(
                    self.bad.body, self.bad.status, media_type=self.bad.content_type
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


CATALOG = {
    "products": [{"name": "Voice", "rate": "0.05"}, {"name": "SMS", "rate": "0.01"}],
    "packages": [{"name": "Gold", "products": [{"product": "Voice", "min_qty": 1}]}],
}

ROW = '{"Id": "1", "Name": "Voice", "Rate": "0.05", "Status": "ACTIVE"}'
READ_ANSWERS = {
    "truncated JSON": Bad('{"queryResponse": [' + ROW[:25]),
    "empty body": Bad(""),
    "rows not a list": Bad('{"queryResponse": "Voice"}'),
    "row not an object": Bad('{"queryResponse": [["1", "Voice"]]}'),
    "body not an object": Bad('[{"Id": "1"}]'),
    "no queryResponse": Bad('{"error": "", "message": ""}'),
    "rows under another key": Bad('{"rows": [' + ROW + "]}"),
    "row without Id": Bad('{"queryResponse": [{"Name": "Voice", "Rate": "0.05"}]}'),
    "row without Name": Bad('{"queryResponse": [{"Id": "7", "Rate": "0.05"}]}'),
    "HTML page, 200": Bad(HTML, 200, "text/html"),
    "HTML page, 500": Bad(HTML, 500, "text/html"),
    "HTML page, 404": Bad(HTML, 404, "text/html"),
}


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, BillingPlatformEmulator, list[Malform]]]:
    """A project served through a `Malform` wrapper the test configures after the fact."""
    emulator = BillingPlatformEmulator()
    wrappers: list[Malform] = []

    class Late:
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            app: ASGIApp = wrappers[-1] if wrappers else emulator.app
            await app(scope, receive, send)

    with emulator, ServerThread(Late()) as server:
        folder = write_served_project(
            tmp_path / "p", "billingplatform", CATALOG, server.url, {"max_retries": 1}
        )
        yield folder, emulator, wrappers


def _check_clean_error(err: str, request: str) -> None:
    assert err.startswith("Error: "), err
    assert request in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("answer", READ_ANSWERS.values(), ids=READ_ANSWERS.keys())
def test_a_malformed_query_answer_fails_the_plan_naming_the_request(
    project: tuple[Path, BillingPlatformEmulator, list[Malform]], answer: Bad
) -> None:
    folder, emulator, wrappers = project
    assert cli_run(folder, "apply", "--auto-approve").code == 0  # something live to misread
    wrappers.append(Malform(emulator.app, "GET", "FROM PRODUCT", answer))
    run = cli_run(folder, "plan", "--detailed-exitcode")
    assert wrappers[-1].hits >= 1
    assert run.code == 1, (run.code, run.out, run.err)
    assert run.out == ""  # no plan at all rather than a wrong one
    _check_clean_error(run.err, "GET /rest/2.0/query")


LOGIN_ANSWERS = {
    "truncated JSON": Bad('{"loginResponse": [{"SessionID": "ab'),
    "empty list": Bad('{"loginResponse": []}'),
    "no session": Bad('{"loginResponse": [{"ErrorCode": "0"}]}'),
    "wrong type": Bad('{"loginResponse": {"SessionID": ["a", "b"]}}'),
    "HTML page": Bad(HTML, 200, "text/html"),
}


@pytest.mark.parametrize("answer", LOGIN_ANSWERS.values(), ids=LOGIN_ANSWERS.keys())
def test_a_malformed_login_answer_is_a_clear_error(
    project: tuple[Path, BillingPlatformEmulator, list[Malform]], answer: Bad
) -> None:
    folder, emulator, wrappers = project
    wrappers.append(Malform(emulator.app, "POST", "/login", answer))
    run = cli_run(folder, "plan")
    assert run.code == 1 and run.out == ""
    assert "Traceback" not in run.err and "internal error" not in run.err, run.err
    assert "login" in run.err, run.err


WRITE_ANSWERS = {
    "truncated JSON": Bad('{"upsertResponse": [{"Id": "1", "succ'),
    "no results key": Bad('{"updateResponse": []}'),
    "no saved records": Bad('{"createResponse": []}'),
    "too few results": Bad('{"upsertResponse": [{"Id": "1", "success": true}]}'),
    "results not objects": Bad('{"upsertResponse": ["ok", "ok"]}'),
    "HTML page, 200": Bad(HTML, 200, "text/html"),
}


@pytest.mark.parametrize("answer", WRITE_ANSWERS.values(), ids=WRITE_ANSWERS.keys())
def test_a_malformed_write_answer_fails_that_batch_naming_the_request_then_converges(
    project: tuple[Path, BillingPlatformEmulator, list[Malform]], answer: Bad
) -> None:
    folder, emulator, wrappers = project
    # products are saved with POST (seed 001): no upsert is documented for PRODUCT
    wrappers.append(Malform(emulator.app, "POST", "/rest/2.0/PRODUCT", answer))
    run = cli_run(folder, "apply", "--auto-approve", "--format", "json")
    assert run.code == 4, (run.out, run.err)
    report = json.loads(run.out)
    failed = [r for r in report["results"] if r["outcome"] == "failed"]
    assert {r["ref"]["key"][0] for r in failed} == {"Voice", "SMS"}
    assert all(r["message"].startswith("POST /rest/2.0/PRODUCT") for r in failed), failed
    # the package does not depend on the products; its package-product is skipped
    assert report["summary"] == {"failed": 2, "skipped": 1, "succeeded": 1}
    wrappers.clear()
    assert cli_run(folder, "apply", "--auto-approve").code == 0
    assert cli_run(folder, "plan", "--detailed-exitcode").code == 0
    assert sorted(r["Name"] for r in emulator.records("PRODUCT")) == ["SMS", "Voice"]
