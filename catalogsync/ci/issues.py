"""One drift issue per target: opened when drift appears, kept current, closed when it goes.

The issue is found among the repository's issues carrying the label (default
`catalog-drift`), open or closed, by its title `Catalog drift: TARGET` or by the drift
marker on its body's first line. An open one is preferred; otherwise the most recent
closed one is reopened, so a target's drift history stays in one thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from catalogsync.ci.comments import create_once, first_line
from catalogsync.ci.provider import Provider, Ticket
from catalogsync.render.markers import comment_marker

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


def find_drift_issue(provider: Provider, target: str, label: str | None) -> Ticket | None:
    """The target's drift issue: the first open match, else the newest closed one."""
    title, marker = drift_title(target), comment_marker("drift", target)
    matches = [
        issue
        for issue in provider.issues(label)
        if issue.title == title or first_line(issue.body) == marker
    ]
    open_ = [issue for issue in matches if issue.state == "open"]
    chosen = open_ or matches
    return chosen[0] if chosen else None


def sync_drift_issue(
    provider: Provider,
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
    issue = find_drift_issue(provider, target, label)
    where = f" ([workflow run]({run_link}))" if run_link else ""
    if body is None:
        if issue is None or issue.state != "open":
            return IssueResult(IssueAction.NOTHING, issue.number if issue else None)
        provider.comment_on_issue(
            issue.number,
            f"No drift on `{target}` any more{where}: the live catalog matches the YAML "
            "again. Closing.",
        )
        provider.edit_issue(issue.number, state="closed")
        return IssueResult(IssueAction.CLOSED, issue.number, issue.url)
    if issue is None:
        made, created = create_once(
            lambda: provider.create_issue(drift_title(target), body, label),
            lambda: find_drift_issue(provider, target, label),
        )
        if created:
            return IssueResult(IssueAction.OPENED, made.number, made.url)
        issue = made
    if issue.state != "open":
        provider.edit_issue(issue.number, state="open", body=body)
        provider.comment_on_issue(
            issue.number, f"Drift on `{target}` is back{where}; reopening. The report is above."
        )
        return IssueResult(IssueAction.REOPENED, issue.number, issue.url)
    if issue.body == body:
        return IssueResult(IssueAction.UNCHANGED, issue.number, issue.url)
    provider.edit_issue(issue.number, body=body)
    return IssueResult(IssueAction.UPDATED, issue.number, issue.url)
