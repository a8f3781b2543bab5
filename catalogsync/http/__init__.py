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
"""

from catalogsync.http.error_text import ErrorBodyParser
from catalogsync.http.pacing import TokenBucket
from catalogsync.http.retry import parse_retry_after
from catalogsync.http.sessions import AuthHook
from catalogsync.http.settings import HttpSettings, HttpStats
from catalogsync.http.transport import HttpClient
from catalogsync.http.urls import check_base_url

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
