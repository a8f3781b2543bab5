"""The tunables of the HTTP layer and the counters it keeps for `--stats`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HttpSettings:
    """Tunables for `HttpClient`; the defaults are the project settings' (vendor guidance)."""

    timeout_seconds: float = 60.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    rate_limit_per_second: float = 15.0  # 0 turns the client-side limiter off
    concurrency: int = 4
    verify_tls: bool = True

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0 or self.max_retries < 0 or self.concurrency < 1:
            raise ValueError(f"invalid HTTP settings: {self}")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.rate_limit_per_second < 0:
            raise ValueError(f"invalid HTTP settings: {self}")


@dataclass
class HttpStats:
    """Counters for `--stats`; `requests` counts every attempt sent, logins included."""

    requests: int = 0
    retries: int = 0
    logins: int = 0
    relogins: int = 0
    ambiguous_writes: int = 0
    seconds: float = 0.0
    bytes_sent: int = 0
    bytes_received: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "logins": self.logins,
            "relogins": self.relogins,
            "ambiguous_writes": self.ambiguous_writes,
            "seconds": round(self.seconds, 3),
            "bytes_sent": self.bytes_sent,
            "bytes_received": self.bytes_received,
            "by_method": dict(sorted(self.by_method.items())),
            "by_status": dict(sorted(self.by_status.items())),
        }
