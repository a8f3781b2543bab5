"""Every error catalogsync raises on purpose, in one hierarchy.

    CatalogSyncError                 exit 1 unless said otherwise
    ├── UsageError                   a command used the wrong way (bad flag combination, ...)
    ├── ConfigError                  catalogsync.yaml is missing or wrong
    ├── CatalogValidationError       the catalog YAML has problems (carries every Issue)
    ├── BackendError                 the billing system (or the network) failed us
    │   ├── AuthenticationError      the credentials were refused
    │   └── AmbiguousWriteError      a non-idempotent write may or may not have been applied
    ├── PlanError                    the plan cannot be built or read (bad plan file, ...)
    ├── GuardRefusedError            exit 3: a safety guard refused the plan
    ├── PolicyRefusedError           exit 3: the plan breaks a policy (not overridden)
    ├── StalePlanError               exit 3: the live catalog moved since the plan was made
    └── LockHeldError                exit 3: another apply holds the target's apply lock

The CLI is the one place that turns these into a message on stderr and an exit code; the
rest of the code raises them and never prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3
EXIT_APPLY_FAILED = 4


@dataclass(frozen=True, order=True, slots=True)
class SourceLocation:
    """A place in a YAML file; `line` and `column` are 1-based, as editors show them."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


# `SourceLocation(...)` is the frozen dataclass's `__init__`: three `object.__setattr__`
# calls, ~1 us here. A reader places every sequence item it reads with one (an L catalog:
# 205,000, for every uncached load and every export's proof): made with its own slot
# setters instead, bound once.
_LOCATION_SLOTS = tuple(
    getattr(SourceLocation, name).__set__ for name in ("path", "line", "column")
)
_new_object = object.__new__


def made_location(path: str, line: int, column: int) -> SourceLocation:
    """`SourceLocation(path, line, column)`, without the dataclass's `__init__`."""
    location: SourceLocation = _new_object(SourceLocation)
    set_path, set_line, set_column = _LOCATION_SLOTS
    set_path(location, path)
    set_line(location, line)
    set_column(location, column)
    return location


@dataclass(frozen=True)
class Issue:
    """One problem found in the input, with where it is when that is known."""

    message: str
    location: SourceLocation | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.message) if loc else ("", 0, 0, self.message)


class CatalogSyncError(Exception):
    """Base of every error catalogsync raises deliberately."""

    exit_code: int = EXIT_ERROR


class UsageError(CatalogSyncError):
    """The command line asks for something that cannot be done."""


#: Issues printed in one error: a generated or mangled file can have hundreds of thousands,
#: and printing them all costs more than finding them. The count says how many there were.
MAX_ISSUES_SHOWN = 100


class _IssuesError(CatalogSyncError):
    """An error that carries a list of issues, all reported at once (the first ones shown)."""

    title = "problems found"

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(sorted(set(issues), key=Issue.sort_key))
        super().__init__(self._message())

    def __reduce__(self) -> tuple[type[_IssuesError], tuple[tuple[Issue, ...]]]:
        # Pickled as its issues (not its message, which is not what `__init__` takes): a
        # catalog loaded in a forked child (`catalog_cache`) sends its errors back whole.
        return type(self), (self.issues,)

    def _message(self) -> str:
        count = len(self.issues)
        noun = "problem" if count == 1 else "problems"
        lines = [str(issue) for issue in self.issues[:MAX_ISSUES_SHOWN]]
        if count > MAX_ISSUES_SHOWN:
            lines.append(
                f"... and {count - MAX_ISSUES_SHOWN} more (the first {MAX_ISSUES_SHOWN} shown)"
            )
        return "\n".join([*lines, f"{count} {noun} found ({self.title})"])


class ConfigError(_IssuesError):
    """The project configuration (catalogsync.yaml) is missing or invalid."""

    title = "project configuration"

    @classmethod
    def single(cls, message: str, location: SourceLocation | None = None) -> ConfigError:
        return cls([Issue(message, location)])


class CatalogValidationError(_IssuesError):
    """The catalog does not validate; `issues` lists every problem found."""

    title = "catalog"


class BackendError(CatalogSyncError):
    """A call to the billing system failed in a way retrying did not fix."""


class AuthenticationError(BackendError):
    """The billing system refused the credentials."""


class PlanError(CatalogSyncError):
    """A plan cannot be built, read, or trusted."""


class GuardRefusedError(CatalogSyncError):
    """A safety guard refused the plan (too many changes, a protected object, deletes)."""

    exit_code = EXIT_REFUSED


class PolicyRefusedError(CatalogSyncError):
    """The plan breaks a `policies:` rule of catalogsync.yaml that was not overridden."""

    exit_code = EXIT_REFUSED


class StalePlanError(CatalogSyncError):
    """Objects a saved plan touches changed since it was made; nothing was written."""

    exit_code = EXIT_REFUSED


class LockHeldError(CatalogSyncError):
    """Another apply holds the target's apply lock (`lock:` in catalogsync.yaml)."""

    exit_code = EXIT_REFUSED


class AmbiguousWriteError(BackendError):
    """A write that a retry could duplicate failed after the server may have acted on it.

    Raised instead of retrying (read timeout, connection dropped mid-request, 500/502/504
    on a create): the caller re-reads by natural key before deciding to send it again.
    """
