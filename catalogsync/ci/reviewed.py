"""Apply on merge applies what was reviewed, change by change.

On a pull/merge request, the plan job posts the plan as the request's note for the target
and records, in its hidden header, one digest per change it shows (`record`). On the
default branch the apply job plans again at the merged commit and calls `check_reviewed`
with the reviews `find_reviews` gathered: every *unspent* record of a request merged into
that commit's history. The plan may be applied when each of its changes is in one of those
records (same object, action, after-values and live fingerprint) and each kind it needs
`--force` for was shown needing it; a reviewed delete is authorised by having been shown.

This holds in ordinary use:
- several quick merges, or a cancelled run: a run applies every reviewed change merged up
  to its commit, whichever request showed it;
- a change no review showed (a UI edit the plan would revert, a push or a merge without a
  plan note, a later push that was never planned) is refused by name (exit 3, nothing
  applied), with a remedy that works after the merge;
- once an apply leaves none of a review's changes failed, the review is marked spent
  (`record.mark_applied`) and authorises nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalogsync.catalog import Kind
from catalogsync.ci.comments import find_marked
from catalogsync.ci.provider import Note, Provider
from catalogsync.ci.record import ReviewRecord, applied_sha, change_digest, mark_applied
from catalogsync.errors import GuardRefusedError
from catalogsync.guards import share_sentence
from catalogsync.plan import Change, Plan, ShareExcess
from catalogsync.render.common import kind_words
from catalogsync.render.markers import comment_marker

__all__ = [
    "DEFAULT_LOOKBACK",
    "Authorisation",
    "Review",
    "UnreviewedPlanError",
    "check_reviewed",
    "find_reviews",
    "mark_spent",
]

#: How many recent merged requests are searched for unspent reviews.
DEFAULT_LOOKBACK = 30
#: How many unreviewed changes a refusal names before "… and N more".
NAMED = 25


class UnreviewedPlanError(GuardRefusedError):
    """The plan holds changes no review showed (exit 3, nothing applied)."""


@dataclass(frozen=True)
class Review:
    """An unspent review: the merged request, its plan note and what the note recorded."""

    number: int
    source: str  # "PR #12", "MR !12": for messages
    note: Note
    record: ReviewRecord


@dataclass(frozen=True)
class Authorisation:
    """The apply flags the reviews authorise for this plan (each only when it needs it)."""

    allow_delete: bool
    force: bool
    sources: tuple[str, ...]

    @property
    def flags(self) -> list[str]:
        return ["--allow-delete"] * self.allow_delete + ["--force"] * self.force


def find_reviews(
    provider: Provider,
    target: str,
    *,
    head: str,
    author: str | None,
    lookback: int = DEFAULT_LOOKBACK,
) -> list[Review]:
    """The unspent reviews for `target` of requests merged into `head`'s history.

    A request merged after `head` is left for the run of its own commit; a note not
    written by `author` (the CI bot) is not a review.
    """
    marker = comment_marker("plan", target)
    reviews = []
    for merged in provider.merged_requests(lookback):
        note = find_marked(provider.notes(merged.number), marker, author)
        if note is None or applied_sha(note.body) is not None:
            continue
        record = ReviewRecord.parse(note.body)
        if record is None or not provider.contains(head, merged.merge_sha):
            continue
        source = f"{provider.request_word} {provider.request_ref(merged.number)}"
        reviews.append(Review(merged.number, source, note, record))
    return reviews


def check_reviewed(plan: Plan, reviews: Sequence[Review], request_word: str) -> Authorisation:
    """The flags to apply `plan` with, when every change of it was reviewed.

    Raises:
        UnreviewedPlanError: changes no review showed, or a `--force` none showed (exit 3).
    """
    reviewed = frozenset().union(*(review.record.digests for review in reviews))
    unreviewed = [c for c in plan.changes if change_digest(c) not in reviewed]
    forced: frozenset[Kind] = frozenset().union(*(review.record.force for review in reviews))
    unforced = [excess for excess in plan.needs.force if excess.kind not in forced]
    if unreviewed or unforced:
        raise UnreviewedPlanError(_refusal(plan, reviews, unreviewed, unforced, request_word))
    used = tuple(
        review.source
        for review in reviews
        if any(change_digest(c) in review.record.digests for c in plan.changes)
    )
    return Authorisation(bool(plan.needs.allow_delete), bool(plan.needs.force), used)


def _refusal(
    plan: Plan,
    reviews: Sequence[Review],
    unreviewed: Sequence[Change],
    unforced: Sequence[ShareExcess],
    request_word: str,
) -> str:
    lines = [f"refusing to apply to '{plan.target}': nothing was applied."]
    words = kind_words(plan.backend)
    if unreviewed:
        lines.append(
            f"{len(unreviewed)} change(s) of the plan made now were not in any reviewed plan "
            "(an edit in the billing system since the review, which this plan would revert "
            "or which changed an object the review saw; or a change merged or pushed "
            "without a reviewed plan):"
        )
        lines += [f"  {words.change_title(change)}" for change in unreviewed[:NAMED]]
        if len(unreviewed) > NAMED:
            lines.append(f"  … and {len(unreviewed) - NAMED} more")
    for excess in unforced:
        sentence = share_sentence(excess, words.plural(excess.kind))
        lines.append(f"{sentence}; no reviewed plan showed that --force is needed.")
    seen = ", ".join(review.source for review in reviews) or "none"
    lines.append(f"Unspent reviews searched: {seen}.")
    lines.append(
        f"To apply them: open a {request_word} that changes the catalog (even a comment "
        "in a YAML file); its plan note will show these changes as they are now; merge it "
        "once reviewed and the apply on merge will accept them. To keep what is live "
        f"instead, change the YAML to match it in a {request_word}."
    )
    return "\n".join(lines)


def mark_spent(provider: Provider, reviews: Sequence[Review], sha: str) -> list[str]:
    """Mark each review spent by the apply of `sha`; the sources marked."""
    for review in reviews:
        provider.update_note(review.number, review.note.id, mark_applied(review.note.body, sha))
    return [review.source for review in reviews]
