"""BillingPlatform's error bodies: the API's own words for a refused request.

Known shape: `{"errors": [{"error_code": "INVALID_SESSION_ID", "error_message": "…"}]}`
(`error_code` from community code, reference billingplatform-api.md §5 [G3]; `error_message`
assumed: the emulator sends it). The documented 404 body `{"error", "message"}` is read
by the HTTP layer for every API (`catalogsync.http.error_text`).
"""

from __future__ import annotations

__all__ = ["api_error_messages"]


def api_error_messages(body: object) -> list[str]:
    """Each `errors[]` item's `error_message`, or its `error_code` when it has none."""
    if not isinstance(body, dict) or not isinstance(errors := body.get("errors"), list):
        return []
    return [
        str(item.get("error_message") or item.get("error_code") or "")
        for item in errors
        if isinstance(item, dict)
    ]
