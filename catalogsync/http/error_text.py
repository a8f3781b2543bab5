"""The API's own words in an error answer, redacted and shortened for an error message."""

from __future__ import annotations

from collections.abc import Callable

import httpx

MAX_ERROR_TEXT = 300


def api_error_text(response: httpx.Response, redact: Callable[[str], str]) -> str:
    """The API's own error message, from the JSON shapes BillingPlatform and LogiSense use.

    Redacted before it is shortened or its spaces are squeezed, either of which could
    leave part of a secret, or a secret holding spaces, unrecognised.
    """
    try:
        body = response.json()
    except ValueError:
        return " ".join(redact(response.text).split())[:MAX_ERROR_TEXT]
    parts: list[str] = []
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict):
                    text = item.get("error_message") or item.get("message")  # BP, LogiSense
                    parts.append(str(text or item.get("error_code") or ""))
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
    text = "; ".join(redact(part) for part in parts if part) or redact(str(body))
    return " ".join(text.split())[:MAX_ERROR_TEXT]
