"""GitLab behind the `Provider` interface: merge requests, notes, issues (REST API v4).

Endpoints (docs.gitlab.com/ee/api/: notes.html, issues.html, merge_requests.html,
repositories.html#merge-base):
- MR notes: `GET/POST /projects/:id/merge_requests/:iid/notes`,
  `PUT /projects/:id/merge_requests/:iid/notes/:note_id`; issue notes `POST …/issues/:iid/notes`;
- issues: `GET /projects/:id/issues?labels=…&state=all`, `POST /projects/:id/issues`
  (`description`, `labels` comma-separated), `PUT /projects/:id/issues/:iid`
  (`description`, `state_event: close|reopen`); GitLab says "opened" where GitHub says "open";
- merged MRs: `GET /projects/:id/merge_requests?state=merged&target_branch=…`; the commit a
  merge made is `merge_commit_sha`, else `squash_commit_sha`, else (fast-forward) `sha`;
- ancestry: `GET /projects/:id/repository/merge_base?refs[]=A&refs[]=B`;
- whose notes count: `GET /user` (the token's user).

Auth: `PRIVATE-TOKEN: $GITLAB_TOKEN`, a project access token with `api` scope kept in a
masked CI/CD variable (CI_JOB_TOKEN cannot write notes). The CI variables read:
CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, CI_COMMIT_SHA, CI_DEFAULT_BRANCH.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from catalogsync.ci.github import GitHubClient, GitHubError
from catalogsync.ci.provider import MergedRequest, Note, Ticket
from catalogsync.errors import UsageError

__all__ = [
    "GITLAB_BODY_LIMIT",
    "GitLabProvider",
    "connect_gitlab",
    "gitlab_commit",
    "merge_request_iid",
]

DEFAULT_API_URL = "https://gitlab.com/api/v4"
#: GitLab's limit for a note or an issue description, in characters.
GITLAB_BODY_LIMIT = 1_000_000
_TOKEN_HINT = (
    " (check that GITLAB_TOKEN is a project access token with the `api` scope, kept in a "
    "masked CI/CD variable, and that its role may comment and open issues: Reporter or more)"
)


class GitLabProvider:
    name = "GitLab"
    request_word = "merge request"
    body_limit = GITLAB_BODY_LIMIT

    def __init__(self, client: GitHubClient, project: str, base: str = "main") -> None:
        self.client = client
        # A path (group/name) goes URL-encoded in the URL; a numeric id as it is.
        self.project = quote(project, safe="")
        self.base = base
        self._login: str | None = None

    def _path(self, suffix: str) -> str:
        return f"/projects/{self.project}/{suffix}"

    def own_login(self) -> str:
        """The token's user (a project access token has its own bot user): `GET /user`."""
        if self._login is None:
            user = self.client.get("/user")
            self._login = str(user.get("username", "")) if isinstance(user, dict) else ""
        return self._login

    def request_ref(self, number: int) -> str:
        return f"!{number}"

    def notes(self, number: int) -> Iterator[Note]:
        params: dict[str, str | int] = {"sort": "asc", "order_by": "created_at"}
        for item in self.client.paginate(self._path(f"merge_requests/{number}/notes"), params):
            if not item.get("system"):  # "added 1 commit" and the like
                yield _note(item)

    def create_note(self, number: int, body: str) -> Note:
        path = self._path(f"merge_requests/{number}/notes")
        return _note(self.client.post(path, {"body": body}))

    def update_note(self, number: int, note_id: int, body: str) -> Note:
        path = self._path(f"merge_requests/{number}/notes/{note_id}")
        return _note(self.client.put(path, {"body": body}))

    def issues(self, label: str | None) -> Iterator[Ticket]:
        params: dict[str, str | int] = {"state": "all", "order_by": "created_at", "sort": "desc"}
        if label:
            params["labels"] = label
        for item in self.client.paginate(self._path("issues"), params):
            yield _ticket(item)

    def create_issue(self, title: str, body: str, label: str | None) -> Ticket:
        payload: dict[str, Any] = {"title": title, "description": body}
        if label:
            payload["labels"] = label
        return _ticket(self.client.post(self._path("issues"), payload))

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None) -> None:
        payload: dict[str, Any] = {}
        if body is not None:
            payload["description"] = body
        if state is not None:
            payload["state_event"] = "close" if state == "closed" else "reopen"
        self.client.put(self._path(f"issues/{number}"), payload)

    def comment_on_issue(self, number: int, body: str) -> None:
        self.client.post(self._path(f"issues/{number}/notes"), {"body": body})

    def merged_requests(self, limit: int) -> list[MergedRequest]:
        params: dict[str, str | int] = {
            "state": "merged",
            "target_branch": self.base,
            "order_by": "updated_at",
            "sort": "desc",
        }
        merged = []
        for item in self.client.paginate(self._path("merge_requests"), params):
            sha = item.get("merge_commit_sha") or item.get("squash_commit_sha") or item.get("sha")
            if sha:
                merged.append(MergedRequest(int(item["iid"]), str(sha)))
            if len(merged) >= limit:
                break
        return merged

    def contains(self, head: str, commit: str) -> bool:
        if head == commit:
            return True
        try:
            # Two `refs[]` parameters: written into the path, as a mapping cannot repeat a key.
            base = self.client.get(
                self._path(f"repository/merge_base?refs[]={quote(commit)}&refs[]={quote(head)}")
            )
        except GitHubError as exc:
            if exc.status in (400, 404):  # an unknown commit is in nobody's history
                return False
            raise
        return isinstance(base, dict) and str(base.get("id", "")).startswith(commit)


def _note(item: dict[str, Any]) -> Note:
    author = str((item.get("author") or {}).get("username", ""))
    return Note(int(item["id"]), str(item.get("body") or ""), author)


def _ticket(item: dict[str, Any]) -> Ticket:
    state = "open" if item.get("state") == "opened" else str(item.get("state", ""))
    return Ticket(
        int(item["iid"]),
        str(item.get("title", "")),
        str(item.get("description") or ""),
        state,
        str(item.get("web_url", "")),
    )


def connect_gitlab(
    env: Mapping[str, str],
    *,
    project: str | None,
    api_url: str | None,
    base: str | None,
    transport: Any = None,
) -> tuple[GitLabProvider, GitHubClient]:
    """A GitLab provider from flags, then the GitLab CI variables.

    Raises:
        UsageError: no GITLAB_TOKEN, or no project.
    """
    token = env.get("GITLAB_TOKEN", "").strip()
    if not token:
        raise UsageError(
            "GITLAB_TOKEN is not set. Add a project access token (scope `api`) as a masked "
            "CI/CD variable named GITLAB_TOKEN."
        )
    chosen = project or env.get("CI_PROJECT_ID") or env.get("CI_PROJECT_PATH", "")
    if not chosen:
        raise UsageError("no project: pass --repo GROUP/NAME (or an id) or set CI_PROJECT_ID")
    url = (api_url or env.get("CI_API_V4_URL") or DEFAULT_API_URL).rstrip("/")
    client = GitHubClient(
        url,
        token,
        transport=transport,
        service="GitLab",
        headers={"PRIVATE-TOKEN": token},
        token_hint=_TOKEN_HINT,
    )
    branch = base or env.get("CI_DEFAULT_BRANCH") or "main"
    return GitLabProvider(client, chosen, branch), client


def merge_request_iid(env: Mapping[str, str], explicit: int | None) -> int:
    """The MR: --pr, else CI_MERGE_REQUEST_IID (set in merge request pipelines)."""
    if explicit is not None:
        return explicit
    iid = env.get("CI_MERGE_REQUEST_IID", "")
    if not iid.isdigit():
        raise UsageError(
            "no merge request: pass --pr N, or run in a merge request pipeline "
            "(CI_MERGE_REQUEST_IID)"
        )
    return int(iid)


def gitlab_commit(env: Mapping[str, str], explicit: str | None) -> str:
    sha = explicit or env.get("CI_COMMIT_SHA", "")
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", sha):
        raise UsageError("no commit: pass --sha SHA or set CI_COMMIT_SHA")
    return sha
