"""The API's own words in an error answer, redacted and shortened for an error message.

The HTTP layer knows no vendor's error body: it reads the conventional top-level `message`
and `error` strings, and a backend passes an `ErrorBodyParser` for its own shape (e.g.
`catalogsync/backends/<system>/errors.py`), whose messages come first.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

#: A decoded JSON error body -> the API's messages in it, in order ("" entries are skipped).
ErrorBodyParser = Callable[[object], list[str]]

MAX_ERROR_TEXT = 300


def no_vendor_messages(body: object) -> list[str]:
    """The parser of a client that knows no vendor shape: only the conventional keys count."""
    return []


def api_error_text(
    response: httpx.Response, parse: ErrorBodyParser, redact: Callable[[str], str]
) -> str:
    """The API's own error message: the vendor's messages, then top-level `message`/`error`;
    the whole body when neither says anything, the text when it is not JSON.

    Redacted before it is shortened or its spaces are squeezed, either of which could
    leave part of a secret, or a secret holding spaces, unrecognised.
    """
    try:
        body = response.json()
    except ValueError:
        return " ".join(redact(response.text).split())[:MAX_ERROR_TEXT]
    parts = list(parse(body))
    if isinstance(body, dict):
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
    text = "; ".join(redact(part) for part in parts if part) or redact(str(body))
    return " ".join(text.split())[:MAX_ERROR_TEXT]
