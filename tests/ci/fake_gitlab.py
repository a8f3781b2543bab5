"""A small stateful fake of the GitLab REST API v4 endpoints the CI glue uses.

Merge request notes (list, create, update; system notes mixed in, as GitLab does), issues
(list with state/labels filters, create, update with `state_event`, notes), merged merge
requests, `repository/merge_base` over a linear history of the default branch, and
`/user`. GitLab's shapes for what the glue reads: `iid`, `description`, "opened"/"closed",
`author.username`; `PRIVATE-TOKEN` auth (401 "401 Unauthorized"); `Link` pagination.
One project is served, by its numeric id (what CI_PROJECT_ID holds).
"""

from __future__ import annotations

import itertools
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY_LIMIT = 1_000_000
BOT = "project_42_bot_catalogsync"


class FakeGitLab:
    def __init__(self, token: str, project_id: str = "42", page_cap: int = 100) -> None:
        self.token = token
        self.project_id = project_id
        self.page_cap = page_cap
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.issues: dict[int, dict[str, Any]] = {}
        self.issue_notes: dict[int, list[dict[str, Any]]] = {}
        self.merge_requests: dict[int, dict[str, Any]] = {}
        self.history: list[str] = []
        self.seen: list[tuple[str, str]] = []
        self.resource_groups: dict[str, str] = {}  # key -> process_mode
        self._ids = itertools.count(5000)
        self._iids = itertools.count(1)
        prefix = "/projects/{project}"
        self.app = Starlette(
            routes=[
                Route("/user", self._user, methods=["GET"]),
                Route(
                    prefix + "/merge_requests/{iid:int}/notes",
                    self._notes,
                    methods=["GET", "POST"],
                ),
                Route(
                    prefix + "/merge_requests/{iid:int}/notes/{id:int}",
                    self._edit_note,
                    methods=["PUT"],
                ),
                Route(prefix + "/merge_requests", self._merged, methods=["GET"]),
                Route(prefix + "/issues", self._issues, methods=["GET", "POST"]),
                Route(prefix + "/issues/{iid:int}", self._edit_issue, methods=["PUT"]),
                Route(prefix + "/issues/{iid:int}/notes", self._issue_note, methods=["POST"]),
                Route(prefix + "/repository/merge_base", self._merge_base, methods=["GET"]),
                Route(prefix + "/resource_groups/{key}", self._resource_group, methods=["PUT"]),
            ]
        )

    # --- helpers for tests ---------------------------------------------------------------

    def add_note(
        self, iid: int, body: str, login: str = "someone", system: bool = False
    ) -> dict[str, Any]:
        note = {
            "id": next(self._ids),
            "body": body,
            "author": {"username": login},
            "system": system,
        }
        self.notes.setdefault(iid, []).append(note)
        return note

    def add_comment(self, iid: int, body: str, login: str = "someone") -> dict[str, Any]:
        """The same helper name as the fake GitHub's, for shared scenario code."""
        return self.add_note(iid, body, login)

    def marked(self, iid: int, marker: str) -> list[dict[str, Any]]:
        return [n for n in self.notes.get(iid, []) if n["body"].startswith(marker)]

    def merge(self, sha: str, iid: int, target: str = "main") -> None:
        self.merge_requests[iid] = {
            "iid": iid,
            "state": "merged",
            "target_branch": target,
            "merge_commit_sha": sha,
            "squash_commit_sha": None,
            "sha": "f" * 40,
            "updated_at": f"2025-01-01T00:{len(self.history):02d}:00Z",
        }
        self.history.append(sha)
        self.add_note(iid, "merged", login="someone", system=True)

    def push(self, sha: str) -> None:
        self.history.append(sha)

    # --- plumbing --------------------------------------------------------------------------

    def _refused(self, request: Request) -> Response | None:
        self.seen.append((request.method, request.url.path))
        if request.headers.get("private-token") != self.token:
            return JSONResponse({"message": "401 Unauthorized"}, 401)
        project = request.path_params.get("project")
        if project is not None and project != self.project_id:
            return JSONResponse({"message": "404 Project Not Found"}, 404)
        return None

    async def _body(self, request: Request, key: str) -> tuple[dict[str, Any], Response | None]:
        data = await request.json()
        text = data.get(key)
        if isinstance(text, str) and len(text) > BODY_LIMIT:
            return data, JSONResponse({"message": {key: ["is too long"]}}, 400)
        return data, None

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.query_params.get("per_page", 20)), self.page_cap)
        page = int(request.query_params.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            url = request.url.include_query_params(page=page + 1, per_page=per_page)
            headers["Link"] = f'<{url}>; rel="next"'
            headers["X-Next-Page"] = str(page + 1)
        return JSONResponse(chunk, headers=headers)

    # --- endpoints -------------------------------------------------------------------------

    async def _user(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"id": 7, "username": BOT})

    async def _notes(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        iid = request.path_params["iid"]
        if request.method == "GET":
            return self._page(request, self.notes.get(iid, []))
        data, refused = await self._body(request, "body")
        if refused:
            return refused
        return JSONResponse(self.add_note(iid, data["body"], login=BOT), 201)

    async def _edit_note(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        data, refused = await self._body(request, "body")
        if refused:
            return refused
        for note in self.notes.get(request.path_params["iid"], []):
            if note["id"] == request.path_params["id"]:
                note["body"] = data["body"]
                return JSONResponse(note)
        return JSONResponse({"message": "404 Not found"}, 404)

    async def _merged(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        state = request.query_params.get("state", "all")
        target = request.query_params.get("target_branch")
        items = [
            mr
            for mr in self.merge_requests.values()
            if (state == "all" or mr["state"] == state)
            and (target is None or mr["target_branch"] == target)
        ]
        items.sort(key=lambda mr: str(mr["updated_at"]), reverse=True)
        return self._page(request, items)

    async def _issues(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        if request.method == "POST":
            data, refused = await self._body(request, "description")
            if refused:
                return refused
            iid = next(self._iids)
            issue = {
                "iid": iid,
                "title": data["title"],
                "description": data.get("description", ""),
                "state": "opened",
                "labels": [n for n in str(data.get("labels", "")).split(",") if n],
                "web_url": f"https://gitlab.test/acme/catalog/-/issues/{iid}",
            }
            self.issues[iid] = issue
            return JSONResponse(issue, 201)
        state = request.query_params.get("state", "all")
        wanted = {n for n in request.query_params.get("labels", "").split(",") if n}
        items = [
            issue
            for issue in self.issues.values()
            if (state == "all" or issue["state"] == state) and wanted <= set(issue["labels"])
        ]
        items.sort(
            key=lambda issue: issue["iid"], reverse=request.query_params.get("sort") != "asc"
        )
        return self._page(request, items)

    async def _edit_issue(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        issue = self.issues.get(request.path_params["iid"])
        if issue is None:
            return JSONResponse({"message": "404 Not found"}, 404)
        data, refused = await self._body(request, "description")
        if refused:
            return refused
        if "description" in data:
            issue["description"] = data["description"]
        event = data.get("state_event")
        if event is not None:
            issue["state"] = {"close": "closed", "reopen": "opened"}[event]
        return JSONResponse(issue)

    async def _issue_note(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        data, refused = await self._body(request, "body")
        if refused:
            return refused
        note = {"id": next(self._ids), "body": data["body"], "author": {"username": BOT}}
        self.issue_notes.setdefault(request.path_params["iid"], []).append(note)
        return JSONResponse(note, 201)

    async def _merge_base(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        refs = request.query_params.getlist("refs[]")
        if len(refs) != 2 or not all(ref in self.history for ref in refs):
            return JSONResponse({"message": "404 Commit Not Found"}, 404)
        base = min(refs, key=self.history.index)
        return JSONResponse({"id": base})

    async def _resource_group(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused:
            return refused
        mode = request.query_params.get("process_mode", "unordered")
        if mode not in ("unordered", "oldest_first", "newest_first"):
            return JSONResponse({"message": "process_mode does not have a valid value"}, 400)
        key = request.path_params["key"]
        self.resource_groups[key] = mode
        return JSONResponse({"key": key, "process_mode": mode})
