"""The one interface the CI glue talks to: a code-hosting provider (GitHub, GitLab).

`comments`, `issues` and `reviewed` work on these few operations and plain records, so the
same logic (one note per target updated in place, one drift issue per target, the
change-by-change reviewed-plan check) serves both providers. Each provider module maps
them onto its REST API: `github_provider` (pull requests, issue comments) and `gitlab`
(merge requests, notes).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

__all__ = ["MergedRequest", "Note", "Provider", "Ticket"]


@dataclass(frozen=True)
class Note:
    """A comment on a pull/merge request or an issue."""

    id: int
    body: str
    author: str
    url: str = ""


@dataclass(frozen=True)
class Ticket:
    """An issue: `state` is "open" or "closed" on both providers."""

    number: int
    title: str
    body: str
    state: str
    url: str = ""


@dataclass(frozen=True)
class MergedRequest:
    """A merged pull/merge request and the commit its merge made on the target branch."""

    number: int
    merge_sha: str


class Provider(Protocol):
    """What the CI glue needs from a code host. Errors raise `GitHubError` (exit 1);
    a create whose outcome is unknown raises `AmbiguousGitHubWrite`."""

    #: "GitHub" or "GitLab", for messages.
    name: str
    #: "pull request" or "merge request", for messages.
    request_word: str
    #: The largest note or issue body the provider accepts, in characters.
    body_limit: int

    def own_login(self) -> str:
        """The login the token posts as: whose plan notes count as reviews by default."""
        ...

    def request_ref(self, number: int) -> str:
        """How people write request `number`: `#12` or `!12`."""
        ...

    def notes(self, number: int) -> Iterator[Note]:
        """Every note on request `number`, oldest first."""
        ...

    def create_note(self, number: int, body: str) -> Note: ...

    def update_note(self, number: int, note_id: int, body: str) -> Note: ...

    def issues(self, label: str | None) -> Iterator[Ticket]:
        """Every issue with `label` (any label when None), open or closed, newest first."""
        ...

    def create_issue(self, title: str, body: str, label: str | None) -> Ticket: ...

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        """Change an issue's body and/or state ("open", "closed")."""
        ...

    def comment_on_issue(self, number: int, body: str) -> None: ...

    def merged_requests(self, limit: int) -> list[MergedRequest]:
        """Up to `limit` requests merged into the default branch, most recent first."""
        ...

    def contains(self, head: str, commit: str) -> bool:
        """Whether `commit` is `head` or one of its ancestors."""
        ...
