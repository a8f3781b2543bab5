"""Fault injection shared by every emulator: what to break (`Faults`) and when (`FaultInjector`).

`Faults` is plain, mutable configuration: tests flip its fields between calls, the CLI sets
them from flags and `POST /_emulator/faults` from JSON. `FaultInjector` holds the run-time
state that configuration needs (the seeded random generator, the token bucket) and decides,
request by request, whether the request passes, gets an error status, or loses its connection.

A backend with faults of its own subclasses `Faults` (a dataclass) and sets its emulator's
`faults_type`: e.g. a SQL length cap, in `emulator/<system>/faults.py`.
Updates from JSON and the CLI read the field types, so a subclass's fields need no more.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import UnionType
from typing import Any, Literal, Self, get_args, get_type_hints

__all__ = [
    "DROP",
    "Decision",
    "DroppedConnection",
    "FaultInjector",
    "Faults",
    "ScriptedFailure",
    "TokenBucket",
]

#: `fail_next(DROP, ...)` scripts a dropped connection instead of an HTTP status.
DROP = 0


class DroppedConnection(Exception):
    """Raised inside the app to cut the connection without a complete answer.

    uvicorn closes the socket when an app raises after starting its response; the
    in-process transport turns it into `httpx.RemoteProtocolError`.
    """


@dataclass
class ScriptedFailure:
    """One `fail_next` entry: answer `status` (0 = drop the connection) `remaining` times."""

    status: int
    remaining: int
    path_contains: str = ""


@dataclass
class Faults:
    """What the emulator should break; every fault is off by default.

    Rates are shares between 0 and 1. `seed` makes the random faults repeatable. The caps
    (`max_batch_size`, `max_page_size`) and the session and per-record faults are applied by
    the backend app; the rest by the backend-neutral middleware.
    """

    latency_ms: float = 0.0
    rate_limit_per_second: float | None = None
    rate_limit_burst: int | None = None
    retry_after_seconds: float | None = None
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    drop_rate: float = 0.0
    #: Drop the connection only after the request was processed (its writes committed), so
    #: the client cannot know whether it acted: the ambiguous case idempotent clients handle.
    drop_after_processing: bool = False
    session_ttl_seconds: float | None = None
    session_max_requests: int | None = None
    fail_names_matching: str | None = None
    max_batch_size: int | None = None
    max_page_size: int = 10_000
    all_or_nothing: bool = False
    seed: int = 0
    _scripted: list[ScriptedFailure] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.validate()

    # -- configuration -------------------------------------------------------------------

    def validate(self) -> None:
        """Raise ValueError when a field holds a value the emulator cannot act on."""
        for name in ("error_rate", "drop_rate"):
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {share!r}")
        for status in self.error_statuses:
            if not 400 <= status <= 599:
                raise ValueError(f"error_statuses must be 4xx or 5xx codes, not {status!r}")
        if not self.error_statuses:
            raise ValueError("error_statuses must not be empty")
        positive = ("rate_limit_per_second", "rate_limit_burst", "max_batch_size")
        for name in (*positive, "max_page_size", "session_max_requests"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, not {value!r}")
        for name in ("latency_ms", "retry_after_seconds", "session_ttl_seconds"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, not {value!r}")
        if self.fail_names_matching is not None:
            try:
                re.compile(self.fail_names_matching)
            except re.error as exc:
                raise ValueError(f"fail_names_matching is not a valid regex: {exc}") from exc

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The public, settable field names."""
        return tuple(f.name for f in fields(cls) if not f.name.startswith("_"))

    def update(self, changes: Mapping[str, Any]) -> None:
        """Set several fields at once from plain values (JSON, CLI), all or none.

        Unknown names and invalid values raise ValueError and leave the object unchanged.
        """
        unknown = sorted(set(changes) - set(self.field_names()))
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        candidate = self._with(_coerce(type(self), changes))
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    def _with(self, changes: Mapping[str, Any]) -> Self:
        """A validated copy with `changes` applied (this object is left as it is)."""
        return type(self)(**{**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """The public fields as plain values (JSON-ready)."""
        data = {name: getattr(self, name) for name in self.field_names()}
        data["error_statuses"] = list(self.error_statuses)
        return data

    def name_pattern(self) -> re.Pattern[str] | None:
        """`fail_names_matching` compiled (re caches compiled patterns itself)."""
        return re.compile(self.fail_names_matching) if self.fail_names_matching else None

    # -- scripted failures ---------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1, path_contains: str = "") -> None:
        """Answer the next `times` requests whose path contains `path_contains` with `status`.

        `status=0` drops the connection instead. Scripted failures run in the order they
        were added and take precedence over the random faults.
        """
        if status != DROP and not 400 <= status <= 599:
            raise ValueError(f"status must be 0 (drop) or 4xx/5xx, not {status!r}")
        if times < 1:
            raise ValueError(f"times must be at least 1, not {times!r}")
        with self._lock:
            self._scripted.append(ScriptedFailure(status, times, path_contains))

    def take_scripted(self, path: str) -> int | None:
        """Consume and return the status of the first scripted failure matching `path`."""
        with self._lock:
            for entry in self._scripted:
                if entry.path_contains.lower() in path.lower():
                    entry.remaining -= 1
                    if entry.remaining == 0:
                        self._scripted.remove(entry)
                    return entry.status
        return None

    def pending_scripted(self) -> list[ScriptedFailure]:
        """A copy of the scripted failures not used yet."""
        with self._lock:
            return [ScriptedFailure(e.status, e.remaining, e.path_contains) for e in self._scripted]

    def clear_scripted(self) -> None:
        """Forget every scripted failure not used yet."""
        with self._lock:
            self._scripted.clear()


def _coerce(cls: type[Faults], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check the types of plain (JSON) values against the fields' types and convert them."""
    hints = get_type_hints(cls)
    data: dict[str, Any] = {}
    for name, value in changes.items():
        hint = hints[name]
        types = get_args(hint) if isinstance(hint, UnionType) else (hint,)
        if value is None and type(None) in types:
            data[name] = None
        elif (bool in types and isinstance(value, bool)) or (int in types and _is_int(value)):
            data[name] = value
        elif float in types and isinstance(value, int | float) and not isinstance(value, bool):
            data[name] = float(value)
        elif str in types and isinstance(value, str):
            data[name] = value
        elif (
            tuple[int, ...] in types
            and isinstance(value, list | tuple)
            and all(_is_int(s) for s in value)
        ):
            data[name] = tuple(value)
        else:
            raise ValueError(f"{name}: invalid value {value!r}")
    return data


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class TokenBucket:
    """A thread-safe token bucket: `rate` tokens a second, holding at most `burst`."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take a token; return 0.0 on success, else the seconds until one is available."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


@dataclass(frozen=True)
class Decision:
    """What the middleware should do with one request."""

    action: Literal["pass", "respond", "drop"]
    status: int = 0
    reason: str = ""
    drop_after_processing: bool = False


PASS = Decision("pass")


class FaultInjector:
    """Turns the current `Faults` into a `Decision` per request, thread-safely.

    `get_faults` is called on every request, so replacing the emulator's `faults` object or
    changing its fields takes effect at once. The random generator is re-seeded whenever the
    `Faults` object or its `seed` changes, so a given seed always gives the same sequence.
    """

    def __init__(
        self, get_faults: Callable[[], Faults], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._get_faults = get_faults
        self._clock = clock
        self._lock = threading.Lock()
        self._rng = random.Random(0)
        self._rng_owner: Faults | None = None
        self._rng_seed = 0
        self._bucket: TokenBucket | None = None
        self._bucket_key: tuple[float, int] | None = None

    def decide(self, path: str) -> Decision:
        """Scripted failures first, then the rate limit, then random drops and errors."""
        faults = self._get_faults()
        scripted = faults.take_scripted(path)
        if scripted is not None:
            if scripted == DROP:
                return Decision("drop", reason="scripted drop")
            return Decision("respond", scripted, "scripted failure")
        wait = self._rate_limit_wait(faults)
        if wait > 0:
            return Decision("respond", 429, f"rate limit exceeded; retry in {wait:.3f}s")
        with self._lock:
            rng = self._rng_for(faults)
            if faults.drop_rate and rng.random() < faults.drop_rate:
                return Decision(
                    "drop",
                    reason="injected drop",
                    drop_after_processing=faults.drop_after_processing,
                )
            if faults.error_rate and rng.random() < faults.error_rate:
                return Decision("respond", rng.choice(faults.error_statuses), "injected error")
        return PASS

    def _rng_for(self, faults: Faults) -> random.Random:
        if faults is not self._rng_owner or faults.seed != self._rng_seed:
            self._rng = random.Random(faults.seed)
            self._rng_owner, self._rng_seed = faults, faults.seed
        return self._rng

    def _rate_limit_wait(self, faults: Faults) -> float:
        rate = faults.rate_limit_per_second
        if not rate:
            return 0.0
        # Default burst: one second's worth of requests, at least one.
        burst = faults.rate_limit_burst or max(1, int(rate))
        with self._lock:
            if self._bucket is None or self._bucket_key != (rate, burst):
                self._bucket = TokenBucket(rate, burst, self._clock)
                self._bucket_key = (rate, burst)
            bucket = self._bucket
        return bucket.take()
