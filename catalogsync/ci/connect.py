"""Which provider the CI glue talks to, and what the CI environment says about the run.

GitHub Actions and GitLab CI each set their own variables; `Run` gathers what the
commands need (the provider, the request number, the commit, a link to the run) from
them, with explicit flags winning, so the commands also run outside CI. The provider is
`--provider`, else GitLab when `GITLAB_CI=true`, else GitHub.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from catalogsync.ci import context
from catalogsync.ci.github import GitHubClient
from catalogsync.ci.github_provider import GitHubProvider
from catalogsync.ci.gitlab import connect_gitlab, gitlab_commit, merge_request_iid
from catalogsync.ci.provider import Provider

__all__ = ["PROVIDERS", "Connection", "connect", "provider_name"]

PROVIDERS = ("github", "gitlab")


def provider_name(env: Mapping[str, str], explicit: str | None) -> str:
    if explicit:
        return explicit
    return "gitlab" if env.get("GITLAB_CI") == "true" else "github"


@dataclass
class Connection:
    """An open provider and the run's facts; `close()` releases the HTTP client."""

    provider: Provider
    client: GitHubClient
    env: Mapping[str, str]
    kind: str

    def close(self) -> None:
        self.client.close()

    def request_number(self, explicit: int | None) -> int:
        if self.kind == "gitlab":
            return merge_request_iid(self.env, explicit)
        return context.pull_request_number(self.env, explicit)

    def commit(self, explicit: str | None) -> str:
        if self.kind == "gitlab":
            return gitlab_commit(self.env, explicit)
        return context.commit_sha(self.env, explicit)


def connect(
    kind: str | None,
    *,
    repo: str | None,
    api_url: str | None,
    base: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Connection:
    """The provider named by `kind` (or the environment), connected."""
    env = os.environ if env is None else env
    chosen = provider_name(env, kind)
    if chosen == "gitlab":
        provider, client = connect_gitlab(env, project=repo, api_url=api_url, base=base)
        return Connection(provider, client, env, chosen)
    ctx = context.resolve_context(env, repository=repo, api_url=api_url)
    client = GitHubClient(ctx.api_url, ctx.token)
    branch = base or env.get("GITHUB_BASE_REF") or env.get("GITHUB_REF_NAME") or "main"
    return Connection(GitHubProvider(client, ctx, branch), client, env, chosen)


def run_link(env: Mapping[str, str]) -> str | None:
    """A link to this CI run (GitHub Actions run, GitLab job), or None outside CI."""
    return env.get("CI_JOB_URL") or context.run_url(env)
