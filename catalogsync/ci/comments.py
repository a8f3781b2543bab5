"""One comment per target on a pull request, found by its marker and updated in place.

The marker is the body's first line (`<!-- catalogsync-plan:TARGET -->`), so re-running
the plan job edits the same comment instead of adding another, and two targets keep two
comments. A comment is ours only if its first line is exactly the marker: a person who
quotes the plan does not have their comment overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from catalogsync.ci.context import GitHubContext
from catalogsync.ci.github import GitHubClient, post_once

__all__ = ["Outcome", "Posted", "find_marked", "upsert_comment"]


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Posted:
    """What `upsert_comment` did, and to which comment."""

    outcome: Outcome
    comment_id: int
    url: str


def find_marked(
    items: Iterable[dict[str, Any]], marker: str, author: str | None = None
) -> dict[str, Any] | None:
    """The first comment or issue whose body's first line is `marker` (by `author`)."""
    for item in items:
        body = item.get("body") or ""
        if body.split("\n", 1)[0].strip() != marker:
            continue
        if author is not None and (item.get("user") or {}).get("login") != author:
            continue
        return item
    return None


def upsert_comment(
    client: GitHubClient,
    ctx: GitHubContext,
    number: int,
    marker: str,
    body: str,
    *,
    author: str | None = None,
) -> Posted:
    """Create the marked comment on issue/PR `number`, or update it if it exists.

    An unchanged body is not re-sent (no edit noise in the PR's history). A create whose
    outcome is unknown (5xx, dropped) is followed by a second look, so a retry cannot
    leave two comments.
    """
    listing = ctx.repo_path(f"issues/{number}/comments")

    def find() -> dict[str, Any] | None:
        return find_marked(client.paginate(listing), marker, author)

    existing = find()
    if existing is None:
        item, created = post_once(client, listing, {"body": body}, find)
        if created:
            return Posted(Outcome.CREATED, int(item["id"]), str(item.get("html_url", "")))
        existing = item
    comment_id = int(existing["id"])
    if existing.get("body") == body:
        return Posted(Outcome.UNCHANGED, comment_id, str(existing.get("html_url", "")))
    updated = client.patch(ctx.repo_path(f"issues/comments/{comment_id}"), {"body": body})
    return Posted(Outcome.UPDATED, comment_id, str(updated.get("html_url", "")))
