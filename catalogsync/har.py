"""`--record FILE.har`: every HTTP exchange of a command, as HAR 1.2, with secrets redacted.

A user attaches the file to a bug report (it opens in any browser's developer tools); a
developer turns it into an emulator test. What is redacted, in requests and answers alike:

- headers that carry credentials or sessions (`Authorization`, `sessionid`, cookies, ...);
- JSON keys and form fields that do (`password`, `username`, `access_token`, `SessionID`,
  `client_id`, ...), at any depth;
- every secret the HTTP client knows (passwords, usernames, session ids and tokens it was
  handed), wherever else it appears: in URLs, bodies and error texts, plain, URL-encoded
  or JSON-escaped.

The recorder is hooked at the one HTTP seam (`catalogsync.http.HttpClient`): a
command runs inside `recording(path)`, every client created meanwhile reports to it, and the
file is written when the command ends, however it ends (an error is worth recording too).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.parse
from collections.abc import Collection, Iterator
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from catalogsync import __version__
from catalogsync.redact import Redactor

REDACTED = "REDACTED"  # URL-safe, so it reads the same in form bodies and URLs

_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "sessionid",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
    }
)
_SECRET_KEYS = frozenset(
    {
        "password",
        "username",
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "sessionid",
        "session_id",
        "client_id",
        "client_secret",
        "audience",  # OAuth token answers echo the client id under these
        "as:client_id",
    }
)

_active: ContextVar[HarRecorder | None] = ContextVar("catalogsync_har_recorder", default=None)


def active_recorder() -> HarRecorder | None:
    """The recorder of the command running now, if it records."""
    return _active.get()


@contextlib.contextmanager
def recording(path: Path | None) -> Iterator[HarRecorder | None]:
    """Record the HTTP traffic of the block into `path` (nothing when `path` is None)."""
    if path is None:
        yield None
        return
    recorder = HarRecorder()
    token = _active.set(recorder)
    try:
        yield recorder
    finally:
        _active.reset(token)
        recorder.write(path)


class HarRecorder:
    """Collects exchanges (already redacted) and writes them as one HAR 1.2 document."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # in-process emulators answer from other threads

    @property
    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        *,
        started: datetime,
        seconds: float,
        secrets: Collection[str],
        error: str = "",
    ) -> None:
        """Add one exchange; `response` is None when the transport failed (`error`)."""
        redact = _Redactor(secrets)
        entry = {
            "startedDateTime": started.isoformat(timespec="milliseconds"),
            "time": round(seconds * 1000, 3),
            "request": _request(request, redact),
            "response": _response(response, redact, error),
            "cache": {},
            "timings": {"send": 0, "wait": round(seconds * 1000, 3), "receive": 0},
        }
        with self._lock:
            self._entries.append(entry)

    def document(self) -> dict[str, Any]:
        return {
            "log": {
                "version": "1.2",
                "creator": {"name": "catalogsync", "version": __version__},
                "pages": [],
                "entries": sorted(self.entries, key=lambda e: e["startedDateTime"]),
            }
        }

    def write(self, path: Path) -> None:
        """Write the document (via a temporary file, so a reader never sees half of it)."""
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(self.document(), indent=1, ensure_ascii=False), "utf-8")
        os.replace(partial, path)


class _Redactor:
    """Known secrets replaced in any text (every encoded form, see catalogsync.redact), and
    the values of secret keys in JSON data."""

    def __init__(self, secrets: Collection[str]) -> None:
        self._secrets = Redactor(secrets, mask=REDACTED)

    def text(self, value: str) -> str:
        return self._secrets.redact(value)

    def data(self, value: Any) -> Any:
        """JSON data with secret keys' values and known secrets redacted."""
        if isinstance(value, dict):
            return {
                k: REDACTED if str(k).lower() in _SECRET_KEYS else self.data(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _headers(headers: httpx.Headers, redact: _Redactor) -> list[dict[str, str]]:
    return [
        {"name": name, "value": REDACTED if name.lower() in _SECRET_HEADERS else redact.text(value)}
        for name, value in headers.multi_items()
    ]


def _body(content: bytes, content_type: str, redact: _Redactor) -> str:
    text = content.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith(("{", "[")):
        try:
            return json.dumps(redact.data(json.loads(text)), ensure_ascii=False)
        except ValueError:
            return redact.text(text)
    if "x-www-form-urlencoded" in content_type:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
        return urllib.parse.urlencode(
            [(k, REDACTED if k.lower() in _SECRET_KEYS else redact.text(v)) for k, v in pairs]
        )
    return redact.text(text)


def _request(request: httpx.Request, redact: _Redactor) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    data: dict[str, Any] = {
        "method": request.method,
        "url": redact.text(str(request.url)),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(request.headers, redact),
        "queryString": [
            {"name": k, "value": REDACTED if k.lower() in _SECRET_KEYS else redact.text(v)}
            for k, v in request.url.params.multi_items()
        ],
        "headersSize": -1,
        "bodySize": len(request.content),
    }
    if request.content:
        data["postData"] = {
            "mimeType": content_type,
            "text": _body(request.content, content_type, redact),
        }
    return data


def _response(response: httpx.Response | None, redact: _Redactor, error: str) -> dict[str, Any]:
    if response is None:  # the transport failed: HAR's convention is status 0
        return {
            "status": 0,
            "statusText": redact.text(error),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": redact.text(error),
        }
    content_type = response.headers.get("content-type", "")
    return {
        "status": response.status_code,
        "statusText": response.reason_phrase,
        "httpVersion": response.http_version or "HTTP/1.1",
        "cookies": [],
        "headers": _headers(response.headers, redact),
        "content": {
            "size": len(response.content),
            "mimeType": content_type or "x-unknown",
            "text": _body(response.content, content_type, redact),
        },
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": len(response.content),
    }
