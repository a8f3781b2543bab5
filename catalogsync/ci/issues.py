"""One drift issue per target: opened when drift appears, kept current, closed when it goes.

The issue is found among the repository's issues carrying the label (default
`catalog-drift`), open or closed, by its title `Catalog drift: TARGET` or by the drift
marker on its body's first line. An open one is preferred; otherwise the most recent
closed one is reopened, so a target's drift history stays in one thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from catalogsync.ci.comments import find_marked
from catalogsync.ci.context import GitHubContext
from catalogsync.ci.github import GitHubClient, post_once
from catalogsync.render_markdown import comment_marker

__all__ = ["DEFAULT_LABEL", "IssueAction", "IssueResult", "drift_title", "sync_drift_issue"]

DEFAULT_LABEL = "catalog-drift"


def drift_title(target: str) -> str:
    return f"Catalog drift: {target}"


class IssueAction(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REOPENED = "reopened"
    CLOSED = "closed"
    NOTHING = "nothing to do"


@dataclass(frozen=True)
class IssueResult:
    action: IssueAction
    number: int | None = None
    url: str = ""


def find_drift_issue(
    client: GitHubClient, ctx: GitHubContext, target: str, label: str | None
) -> dict[str, Any] | None:
    """The target's drift issue: the first open match, else the newest closed one."""
    params: dict[str, str | int] = {"state": "all", "sort": "created", "direction": "desc"}
    if label:
        params["labels"] = label
    title, marker = drift_title(target), comment_marker("drift", target)
    matches = [
        issue
        for issue in client.paginate(ctx.repo_path("issues"), params)
        if "pull_request" not in issue  # the issues API lists pull requests too
        and (issue.get("title") == title or find_marked([issue], marker) is not None)
    ]
    open_ = [issue for issue in matches if issue.get("state") == "open"]
    chosen = open_ or matches
    return chosen[0] if chosen else None


def sync_drift_issue(
    client: GitHubClient,
    ctx: GitHubContext,
    target: str,
    *,
    body: str | None,
    label: str | None = DEFAULT_LABEL,
    run_link: str | None = None,
) -> IssueResult:
    """Make the target's drift issue say what `body` says; `body=None` means no drift.

    Drift: open the issue (or reopen a closed one, with a comment) or update its body.
    No drift: close an open issue with a comment saying so; otherwise do nothing.
    """
    issue = find_drift_issue(client, ctx, target, label)
    where = f" ([workflow run]({run_link}))" if run_link else ""
    if body is None:
        if issue is None or issue.get("state") != "open":
            return IssueResult(IssueAction.NOTHING, issue["number"] if issue else None)
        number = int(issue["number"])
        client.post(
            ctx.repo_path(f"issues/{number}/comments"),
            {
                "body": f"No drift on `{target}` any more{where}: the live catalog matches "
                "the YAML again. Closing."
            },
        )
        closed = client.patch(
            ctx.repo_path(f"issues/{number}"), {"state": "closed", "state_reason": "completed"}
        )
        return IssueResult(IssueAction.CLOSED, number, str(closed.get("html_url", "")))
    if issue is None:
        payload: dict[str, Any] = {"title": drift_title(target), "body": body}
        if label:
            payload["labels"] = [label]

        def find() -> dict[str, Any] | None:
            return find_drift_issue(client, ctx, target, label)

        item, created = post_once(client, ctx.repo_path("issues"), payload, find)
        if created:
            return IssueResult(IssueAction.OPENED, int(item["number"]), str(item["html_url"]))
        issue = item
    number = int(issue["number"])
    url = str(issue.get("html_url", ""))
    if issue.get("state") != "open":
        client.patch(ctx.repo_path(f"issues/{number}"), {"state": "open", "body": body})
        client.post(
            ctx.repo_path(f"issues/{number}/comments"),
            {"body": f"Drift on `{target}` is back{where}; reopening. The report is above."},
        )
        return IssueResult(IssueAction.REOPENED, number, url)
    if issue.get("body") == body:
        return IssueResult(IssueAction.UNCHANGED, number, url)
    client.patch(ctx.repo_path(f"issues/{number}"), {"body": body})
    return IssueResult(IssueAction.UPDATED, number, url)
