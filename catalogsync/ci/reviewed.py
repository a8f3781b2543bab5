"""Apply on merge applies what was reviewed: the plan hash check.

On a pull request, the plan job posts the Markdown plan as the PR's comment for the target
and records the plan's hash in it (`<!-- catalogsync-plan-hash:HASH -->`, see `body`). On
the push to main, the apply job plans again and calls `check_reviewed`: it finds the pull
request that produced the pushed commit, reads the hash its comment recorded, and lets
apply go ahead only when the new plan's hash is the same. Plans are deterministic (same
YAML, same live state, same hash), so an equal hash means the same changes to the same
live records; anything else (main moved, someone edited the billing UI, the last push to
the PR was never planned) is refused with exit 3 and nothing is applied.

A plan with no changes needs no review: there is nothing to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogsync.ci.body import recorded_plan_hash
from catalogsync.ci.comments import find_marked
from catalogsync.ci.context import GitHubContext
from catalogsync.ci.github import GitHubClient
from catalogsync.errors import GuardRefusedError
from catalogsync.plan import Plan
from catalogsync.render_markdown import comment_marker

__all__ = ["Reviewed", "UnreviewedPlanError", "check_reviewed", "find_reviewed"]


class UnreviewedPlanError(GuardRefusedError):
    """The plan about to be applied is not the one reviewed (exit 3, nothing applied)."""


@dataclass(frozen=True)
class Reviewed:
    """The plan hash a pull request's comment recorded for a target."""

    plan_hash: str
    source: str  # where it came from, for messages: "PR #12" or "--reviewed-hash"


def merged_pulls(client: GitHubClient, ctx: GitHubContext, sha: str) -> list[dict[str, Any]]:
    """The merged pull requests that `sha` belongs to (merge, squash or rebase)."""
    pulls = client.paginate(ctx.repo_path(f"commits/{sha}/pulls"))
    return [pr for pr in pulls if pr.get("merged_at")]


def find_reviewed(
    client: GitHubClient,
    ctx: GitHubContext,
    target: str,
    *,
    sha: str,
    pr: int | None = None,
    author: str | None = None,
) -> Reviewed:
    """The hash recorded in the plan comment for `target` on PR `pr` (or `sha`'s PR).

    Raises:
        UnreviewedPlanError: no merged pull request, no plan comment, or no hash in it.
    """
    numbers = [pr] if pr is not None else [int(p["number"]) for p in merged_pulls(client, ctx, sha)]
    if not numbers:
        raise UnreviewedPlanError(
            f"refusing to apply: commit {sha[:12]} did not come from a merged pull request, "
            "so no plan was reviewed for it. Nothing was applied. Change the catalog "
            "through a pull request."
        )
    marker = comment_marker("plan", target)
    for number in numbers:
        comments = client.paginate(ctx.repo_path(f"issues/{number}/comments"))
        comment = find_marked(comments, marker, author)
        if comment is None:
            continue
        plan_hash = recorded_plan_hash(comment.get("body") or "")
        if plan_hash is not None:
            return Reviewed(plan_hash, f"PR #{number}")
    prs = ", ".join(f"#{n}" for n in numbers)
    raise UnreviewedPlanError(
        f"refusing to apply: pull request {prs} has no catalogsync plan comment for target "
        f"'{target}' with a recorded plan hash, so no plan was reviewed. Nothing was "
        "applied. Run the plan workflow on the pull request (ci comment --plan-file)."
    )


def check_reviewed(plan: Plan, reviewed: Reviewed) -> None:
    """Pass when `plan` is the reviewed plan.

    Raises:
        UnreviewedPlanError: the hashes differ (exit 3).
    """
    if _bare(plan.plan_hash) == _bare(reviewed.plan_hash):
        return
    raise UnreviewedPlanError(
        f"refusing to apply: the plan made now (hash {plan.plan_hash[:12]}…) is not the plan "
        f"reviewed in {reviewed.source} (hash {reviewed.plan_hash[:12]}…). The YAML on main "
        "or the live catalog changed since the review (another merge, a later push to the "
        "pull request that was not planned, or an edit in the billing system). Nothing was "
        "applied. Open a pull request (or re-run its plan), review the new plan, merge again."
    )


def _bare(plan_hash: str) -> str:
    """The hex digest, so `sha256:abc…` and `abc…` (as typed by hand) compare equal."""
    return plan_hash.strip().lower().removeprefix("sha256:")
