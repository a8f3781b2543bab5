"""GitHub behind the `Provider` interface: pull requests, issue comments, issues.

Endpoints (REST, `X-GitHub-Api-Version: 2022-11-28`): issue comments
`GET/POST /repos/{repo}/issues/{n}/comments`, `PATCH /repos/{repo}/issues/comments/{id}`;
issues `GET/POST /repos/{repo}/issues`, `PATCH /repos/{repo}/issues/{n}`; merged pull
requests `GET /repos/{repo}/pulls?state=closed&base=…` (closed ones have `merged_at` set
only when merged); ancestry `GET /repos/{repo}/compare/{commit}...{head}` (`status` is
"ahead" or "identical" when `commit` is in `head`'s history).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from catalogsync.ci.body import GITHUB_BODY_LIMIT
from catalogsync.ci.context import GitHubContext
from catalogsync.ci.github import GitHubClient, GitHubError
from catalogsync.ci.provider import MergedRequest, Note, Ticket

__all__ = ["GitHubProvider"]


class GitHubProvider:
    name = "GitHub"
    request_word = "pull request"
    body_limit = GITHUB_BODY_LIMIT

    def __init__(self, client: GitHubClient, ctx: GitHubContext, base: str = "main") -> None:
        self.client = client
        self.ctx = ctx
        self.base = base

    def own_login(self) -> str:
        # GITHUB_TOKEN posts as this app; with another token, pass --author.
        return "github-actions[bot]"

    def request_ref(self, number: int) -> str:
        return f"#{number}"

    def notes(self, number: int) -> Iterator[Note]:
        for item in self.client.paginate(self.ctx.repo_path(f"issues/{number}/comments")):
            yield _note(item)

    def create_note(self, number: int, body: str) -> Note:
        return _note(
            self.client.post(self.ctx.repo_path(f"issues/{number}/comments"), {"body": body})
        )

    def update_note(self, number: int, note_id: int, body: str) -> Note:
        path = self.ctx.repo_path(f"issues/comments/{note_id}")
        return _note(self.client.patch(path, {"body": body}))

    def issues(self, label: str | None) -> Iterator[Ticket]:
        params: dict[str, str | int] = {"state": "all", "sort": "created", "direction": "desc"}
        if label:
            params["labels"] = label
        for item in self.client.paginate(self.ctx.repo_path("issues"), params):
            if "pull_request" not in item:  # the issues API lists pull requests too
                yield _ticket(item)

    def create_issue(self, title: str, body: str, label: str | None) -> Ticket:
        payload: dict[str, Any] = {"title": title, "body": body}
        if label:
            payload["labels"] = [label]
        return _ticket(self.client.post(self.ctx.repo_path("issues"), payload))

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        payload: dict[str, Any] = {}
        if body is not None:
            payload["body"] = body
        if state is not None:
            payload["state"] = state
            if state == "closed":
                payload["state_reason"] = "completed"
        self.client.patch(self.ctx.repo_path(f"issues/{number}"), payload)

    def comment_on_issue(self, number: int, body: str) -> None:
        self.client.post(self.ctx.repo_path(f"issues/{number}/comments"), {"body": body})

    def merged_requests(self, limit: int) -> list[MergedRequest]:
        params: dict[str, str | int] = {
            "state": "closed",
            "base": self.base,
            "sort": "updated",
            "direction": "desc",
        }
        merged = []
        for pull in self.client.paginate(self.ctx.repo_path("pulls"), params):
            if pull.get("merged_at") and pull.get("merge_commit_sha"):
                merged.append(MergedRequest(int(pull["number"]), str(pull["merge_commit_sha"])))
            if len(merged) >= limit:
                break
        return merged

    def contains(self, head: str, commit: str) -> bool:
        if head == commit:
            return True
        try:
            compared = self.client.get(self.ctx.repo_path(f"compare/{commit}...{head}"))
        except GitHubError as exc:
            if exc.status == 404:  # an unknown commit is in nobody's history
                return False
            raise
        return isinstance(compared, dict) and compared.get("status") in ("ahead", "identical")


def _note(item: dict[str, Any]) -> Note:
    login = str((item.get("user") or {}).get("login", ""))
    return Note(int(item["id"]), str(item.get("body") or ""), login, str(item.get("html_url", "")))


def _ticket(item: dict[str, Any]) -> Ticket:
    return Ticket(
        int(item["number"]),
        str(item.get("title", "")),
        str(item.get("body") or ""),
        str(item.get("state", "")),
        str(item.get("html_url", "")),
    )
