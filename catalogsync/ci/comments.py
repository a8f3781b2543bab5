"""One note per target on a pull/merge request, found by its marker and updated in place.

The marker is the body's first line (`<!-- catalogsync-plan:TARGET -->`), so re-running
the plan job edits the same note instead of adding another, and two targets keep two
notes. A note is ours only if its first line is exactly the marker (and, with `author`,
it was written by that login): a person who quotes the plan does not have their comment
overwritten, and does not pass for the bot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from catalogsync.ci.github import AmbiguousGitHubWrite
from catalogsync.ci.provider import Note, Provider

__all__ = ["Outcome", "Posted", "create_once", "find_marked", "upsert_comment"]

T = TypeVar("T")


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Posted:
    """What `upsert_comment` did, and to which note."""

    outcome: Outcome
    comment_id: int
    url: str


def first_line(body: str) -> str:
    return body.split("\n", 1)[0].strip()


def find_marked(notes: Iterable[Note], marker: str, author: str | None = None) -> Note | None:
    """The first note whose body's first line is `marker` (written by `author`)."""
    for note in notes:
        if first_line(note.body) == marker and (author is None or note.author == author):
            return note
    return None


def create_once(create: Callable[[], T], find: Callable[[], T | None]) -> tuple[T, bool]:
    """Create something `find` can look up: (the item, whether this call made it).

    When the create's outcome is unknown (5xx, dropped mid-way), `find` looks first: if
    the provider did create it, that one is returned instead of creating a duplicate.
    """
    try:
        return create(), True
    except AmbiguousGitHubWrite:
        existing = find()
        if existing is not None:
            return existing, False
        return create(), True


def upsert_comment(
    provider: Provider, number: int, marker: str, body: str, *, author: str | None = None
) -> Posted:
    """Create the marked note on request `number`, or update it if it exists.

    An unchanged body is not re-sent (no edit noise in the request's history).
    """

    def find() -> Note | None:
        return find_marked(provider.notes(number), marker, author)

    existing = find()
    if existing is None:
        note, created = create_once(lambda: provider.create_note(number, body), find)
        if created:
            return Posted(Outcome.CREATED, note.id, note.url)
        existing = note
    if existing.body == body:
        return Posted(Outcome.UNCHANGED, existing.id, existing.url)
    updated = provider.update_note(number, existing.id, body)
    return Posted(Outcome.UPDATED, existing.id, updated.url or existing.url)
