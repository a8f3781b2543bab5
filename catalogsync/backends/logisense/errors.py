"""LogiSense's error bodies: the API's own words for a refused request.

Documented shape: HTTP 400 `{"trackingId", "type", "errors": [{"code", "message"}]}`, every
error listed (reference logisense-api.md §4, [S14] developer.logisense.com/docs/api-logging).
Top-level `message`/`error` strings are read by the HTTP layer for every API.
"""

from __future__ import annotations

__all__ = ["api_error_messages"]


def api_error_messages(body: object) -> list[str]:
    """Each `errors[]` item's `message`."""
    if not isinstance(body, dict) or not isinstance(errors := body.get("errors"), list):
        return []
    return [str(item.get("message") or "") for item in errors if isinstance(item, dict)]
