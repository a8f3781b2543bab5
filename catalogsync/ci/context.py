"""Where the CI glue learns which repository, pull request and commit it works on.

GitHub Actions sets `GITHUB_REPOSITORY`, `GITHUB_API_URL`, `GITHUB_SHA` and
`GITHUB_EVENT_PATH` (the webhook payload as a JSON file) for every step; the token comes
from `GITHUB_TOKEN`, which a workflow sets from `secrets.GITHUB_TOKEN`. Explicit command-line
flags win over all of these, so the commands also run outside Actions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalogsync.ci.github import DEFAULT_API_URL
from catalogsync.errors import UsageError

__all__ = ["GitHubContext", "commit_sha", "pull_request_number", "resolve_context", "run_url"]

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class GitHubContext:
    """The repository to talk to, and how. `token` is kept out of repr on purpose."""

    api_url: str
    repository: str
    token: str = field(repr=False)

    def repo_path(self, suffix: str) -> str:
        """`/repos/OWNER/NAME/<suffix>`."""
        return f"/repos/{self.repository}/{suffix.lstrip('/')}"


def resolve_context(
    env: Mapping[str, str], *, repository: str | None = None, api_url: str | None = None
) -> GitHubContext:
    """The context from flags first, then the Actions environment.

    Raises:
        UsageError: no token, or no (or a malformed) repository.
    """
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise UsageError(
            "GITHUB_TOKEN is not set. In a workflow, give the step "
            "`env: {GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}}`."
        )
    repo = repository or env.get("GITHUB_REPOSITORY", "")
    if not repo:
        raise UsageError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    if not _REPOSITORY.fullmatch(repo):
        raise UsageError(f"--repo must look like OWNER/NAME, not {repo!r}")
    url = api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL
    return GitHubContext(api_url=url.rstrip("/"), repository=repo, token=token)


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the event payload GITHUB_EVENT_PATH={path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def pull_request_number(env: Mapping[str, str], explicit: int | None = None) -> int:
    """The PR number: --pr, else the event payload (pull_request, issue_comment events)."""
    if explicit is not None:
        return explicit
    event = _event(env)
    for key in ("pull_request", "issue"):
        number = (event.get(key) or {}).get("number")
        if isinstance(number, int):
            return number
    if isinstance(event.get("number"), int):
        return int(event["number"])
    raise UsageError(
        "no pull request number: pass --pr N, or run on a pull_request event "
        "(GITHUB_EVENT_PATH names its payload)"
    )


def commit_sha(env: Mapping[str, str], explicit: str | None = None) -> str:
    """The commit: --sha, else GITHUB_SHA (on a push to main: the merged commit)."""
    sha = explicit or env.get("GITHUB_SHA", "")
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", sha):
        raise UsageError("no commit: pass --sha SHA or set GITHUB_SHA")
    return sha


def run_url(env: Mapping[str, str]) -> str | None:
    """A link to the current workflow run, for comments and issues; None outside Actions."""
    keys = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    server, repo, run = (env.get(k) for k in keys)
    if not (server and repo and run):
        return None
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run}"
