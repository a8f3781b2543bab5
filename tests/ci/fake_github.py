"""A small stateful fake of the GitHub REST endpoints the CI glue uses (a Starlette app).

Implements issue comments (list, create, update), issues (list with state/labels filters,
create, update), "pull requests of a commit", merged pull requests (`pulls?state=closed`)
and `compare` over a linear history of the default branch, with GitHub's shapes for what the glue
reads: `Link` pagination (page size capped by `page_cap`, 100 on GitHub), bearer-token auth
(401 "Bad credentials"), the 65,536-character body limit (422), and `html_url`s. Faults
are scripted per request: a status returned instead of the real answer, or after it
(the write happened, the caller saw a 5xx).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY_LIMIT = 65_536
BOT = "github-actions[bot]"


@dataclass
class Fault:
    """Answer the next request matching (method, path regex) with `status`.

    `after=True` performs the request first (a write lands) and then fails it.
    """

    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Server Error"
    after: bool = False


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None


class FakeGitHub:
    """State plus the ASGI app. Everything is in memory; one repository is served."""

    def __init__(self, token: str, repo: str = "acme/catalog", page_cap: int = 100) -> None:
        self.token = token
        self.repo = repo
        self.page_cap = page_cap
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.issues: dict[int, dict[str, Any]] = {}
        self.commit_pulls: dict[str, list[dict[str, Any]]] = {}
        self.pulls: dict[int, dict[str, Any]] = {}
        self.history: list[str] = []  # the default branch's commits, oldest first
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self._ids = itertools.count(1000)
        self._numbers = itertools.count(1)
        prefix = "/repos/{owner}/{name}"
        self.app = Starlette(
            routes=[
                Route(
                    prefix + "/issues/{number:int}/comments",
                    self._comments,
                    methods=["GET", "POST"],
                ),
                Route(prefix + "/issues/comments/{id:int}", self._edit_comment, methods=["PATCH"]),
                Route(prefix + "/issues", self._issues, methods=["GET", "POST"]),
                Route(prefix + "/issues/{number:int}", self._edit_issue, methods=["PATCH"]),
                Route(prefix + "/commits/{sha}/pulls", self._commit_pulls, methods=["GET"]),
                Route(prefix + "/pulls", self._pulls, methods=["GET"]),
                Route(prefix + "/compare/{spec}", self._compare, methods=["GET"]),
            ]
        )

    # --- helpers for tests ---------------------------------------------------------------

    def add_comment(self, number: int, body: str, login: str = "someone") -> dict[str, Any]:
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "body": body,
            "user": {"login": login},
            "html_url": f"https://github.test/{self.repo}/pull/{number}#issuecomment-{comment_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def add_issue(
        self,
        title: str,
        body: str = "",
        *,
        pull_request: bool = False,
        labels: tuple[str, ...] = (),
        state: str = "open",
    ) -> dict[str, Any]:
        number = next(self._numbers)
        issue: dict[str, Any] = {
            "number": number,
            "title": title,
            "body": body,
            "state": state,
            "state_reason": None,
            "labels": [{"name": name} for name in labels],
            "user": {"login": BOT},
            "html_url": f"https://github.test/{self.repo}/issues/{number}",
        }
        if pull_request:
            issue["pull_request"] = {
                "url": f"https://api.github.test/repos/{self.repo}/pulls/{number}"
            }
        self.issues[number] = issue
        return issue

    def merge(self, sha: str, number: int, base: str = "main") -> None:
        """Record that commit `sha` on `base` came from merging pull request `number`."""
        pull = {
            "number": number,
            "merged_at": f"2025-01-01T00:{len(self.history):02d}:00Z",
            "merge_commit_sha": sha,
            "state": "closed",
            "base": {"ref": base},
        }
        self.commit_pulls.setdefault(sha, []).append(pull)
        self.pulls[number] = pull
        self.history.append(sha)

    def push(self, sha: str) -> None:
        """A commit pushed straight to the default branch (no pull request)."""
        self.history.append(sha)

    def close_unmerged(self, number: int, base: str = "main") -> None:
        self.pulls[number] = {
            "number": number,
            "merged_at": None,
            "merge_commit_sha": None,
            "state": "closed",
            "base": {"ref": base},
        }

    def marked(self, number: int, marker: str) -> list[dict[str, Any]]:
        return [c for c in self.comments.get(number, []) if c["body"].startswith(marker)]

    # --- plumbing --------------------------------------------------------------------------

    async def _guard(self, request: Request) -> Response | Fault | None:
        auth = request.headers.get("authorization")
        self.seen.append(Seen(request.method, request.url.path, auth))
        if auth != f"Bearer {self.token}":
            return JSONResponse({"message": "Bad credentials"}, 401)
        if f"{request.path_params['owner']}/{request.path_params['name']}" != self.repo:
            return JSONResponse({"message": "Not Found"}, 404)
        for fault in self.faults:
            if fault.method == request.method and re.fullmatch(fault.path, request.url.path):
                self.faults.remove(fault)
                if fault.after:
                    return fault
                return JSONResponse({"message": fault.message}, fault.status, headers=fault.headers)
        return None

    async def _body(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        data = await request.json()
        body = data.get("body")
        if isinstance(body, str) and len(body) > BODY_LIMIT:
            error = {
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": "body is too long (maximum is 65536 characters)",
            }
            return data, JSONResponse({"message": "Validation Failed", "errors": [error]}, 422)
        return data, None

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.query_params.get("per_page", 30)), self.page_cap)
        page = int(request.query_params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            url = request.url.include_query_params(page=page + 1, per_page=per_page)
            headers["Link"] = f'<{url}>; rel="next"'
        return JSONResponse(chunk, headers=headers)

    @staticmethod
    def _finish(outcome: Response | Fault | None, response: Response) -> Response:
        if isinstance(outcome, Fault):
            return JSONResponse({"message": outcome.message}, outcome.status)
        return response

    # --- endpoints -------------------------------------------------------------------------

    async def _comments(self, request: Request) -> Response:
        outcome = await self._guard(request)
        if isinstance(outcome, Response):
            return outcome
        number = request.path_params["number"]
        if request.method == "GET":
            return self._finish(outcome, self._page(request, self.comments.get(number, [])))
        data, refused = await self._body(request)
        if refused:
            return refused
        comment = self.add_comment(number, data["body"], login=BOT)
        return self._finish(outcome, JSONResponse(comment, 201))

    async def _edit_comment(self, request: Request) -> Response:
        outcome = await self._guard(request)
        if isinstance(outcome, Response):
            return outcome
        data, refused = await self._body(request)
        if refused:
            return refused
        for comment in itertools.chain.from_iterable(self.comments.values()):
            if comment["id"] == request.path_params["id"]:
                comment["body"] = data["body"]
                return self._finish(outcome, JSONResponse(comment))
        return JSONResponse({"message": "Not Found"}, 404)

    async def _issues(self, request: Request) -> Response:
        outcome = await self._guard(request)
        if isinstance(outcome, Response):
            return outcome
        if request.method == "POST":
            data, refused = await self._body(request)
            if refused:
                return refused
            issue = self.add_issue(
                data["title"], data.get("body", ""), labels=tuple(data.get("labels", ()))
            )
            return self._finish(outcome, JSONResponse(issue, 201))
        state = request.query_params.get("state", "open")
        wanted = {n for n in request.query_params.get("labels", "").split(",") if n}
        items = [
            issue
            for issue in self.issues.values()
            if (state == "all" or issue["state"] == state)
            and wanted <= {label["name"] for label in issue["labels"]}
        ]
        descending = request.query_params.get("direction", "desc") == "desc"
        items.sort(key=lambda issue: issue["number"], reverse=descending)
        return self._finish(outcome, self._page(request, items))

    async def _edit_issue(self, request: Request) -> Response:
        outcome = await self._guard(request)
        if isinstance(outcome, Response):
            return outcome
        issue = self.issues.get(request.path_params["number"])
        if issue is None:
            return JSONResponse({"message": "Not Found"}, 404)
        data, refused = await self._body(request)
        if refused:
            return refused
        for key in ("title", "body", "state", "state_reason"):
            if key in data:
                issue[key] = data[key]
        if data.get("state") == "open":
            issue["state_reason"] = "reopened"
        return self._finish(outcome, JSONResponse(issue))

    async def _commit_pulls(self, request: Request) -> Response:
        outcome = await self._guard(request)
        if isinstance(outcome, Response):
            return outcome
        pulls = self.commit_pulls.get(request.path_params["sha"], [])
        return self._finish(outcome, self._page(request, pulls))

    async def _pulls(self, request: Request) -> Response:
        outcome = await self._guard(request)
        if isinstance(outcome, Response):
            return outcome
        state = request.query_params.get("state", "open")
        base = request.query_params.get("base")
        items = [
            pull
            for pull in self.pulls.values()
            if (state == "all" or pull["state"] == state)
            and (base is None or pull["base"]["ref"] == base)
        ]
        # sort=updated, direction=desc: the last merged first (merges are the last update).
        items.sort(key=lambda pull: str(pull["merged_at"] or ""), reverse=True)
        return self._finish(outcome, self._page(request, items))

    async def _compare(self, request: Request) -> Response:
        outcome = await self._guard(request)
        if isinstance(outcome, Response):
            return outcome
        base, _, head = request.path_params["spec"].partition("...")
        if base not in self.history or head not in self.history:
            return JSONResponse({"message": "Not Found"}, 404)
        order = self.history.index(head) - self.history.index(base)
        status = "identical" if order == 0 else "ahead" if order > 0 else "behind"
        return self._finish(outcome, JSONResponse({"status": status, "ahead_by": max(order, 0)}))
