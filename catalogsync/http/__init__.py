"""The HTTP layer every client of a remote API shares (billing systems, CI providers).

- `transport`: `HttpClient`, the one place a request is sent, under the whole policy;
- `sessions`: logging in, sharing one session, renewing a refused one (`AuthHook`);
- `retry`: which failures are retried and how long to wait (`parse_retry_after`);
- `pacing`: the client-side rate limit (`TokenBucket`);
- `error_text`: the API's own words in an error answer (`ErrorBodyParser`: a vendor's shape);
- `urls`: which base URLs credentials may go to (`check_base_url`);
- `settings`: the tunables (`HttpSettings`) and the `--stats` counters (`HttpStats`).

It knows no billing system: whatever is a vendor's (its login, its error bodies) a backend
passes in.

The names below are imported from their modules when first asked for: the login sent
before the configuration is validated (`catalogsync.early_login`) needs `settings` alone,
at a moment when importing httpx (`transport`) would cost more than the login itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalogsync.http.error_text import ErrorBodyParser
    from catalogsync.http.pacing import TokenBucket
    from catalogsync.http.retry import parse_retry_after
    from catalogsync.http.sessions import AuthHook
    from catalogsync.http.settings import HttpSettings, HttpStats
    from catalogsync.http.transport import HttpClient
    from catalogsync.http.urls import check_base_url

_MODULE_OF = {
    "AuthHook": "sessions",
    "ErrorBodyParser": "error_text",
    "HttpClient": "transport",
    "HttpSettings": "settings",
    "HttpStats": "settings",
    "TokenBucket": "pacing",
    "check_base_url": "urls",
    "parse_retry_after": "retry",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AuthHook",
    "ErrorBodyParser",
    "HttpClient",
    "HttpSettings",
    "HttpStats",
    "TokenBucket",
    "check_base_url",
    "parse_retry_after",
]
