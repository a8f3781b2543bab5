"""`catalogsync ci …`: the GitHub glue the workflows in `.github/workflows/` call.

- `ci comment`     create or update the one PR comment for a target (plan, apply report)
- `ci issue`       open, update, close or reopen the one drift issue for a target
- `ci check-plan`  exit 0 only if a plan is the one reviewed on its pull request (else 3)

The token comes from GITHUB_TOKEN and is never printed; the repository, API URL, PR number
and commit come from the standard Actions environment unless flags say otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import click

from catalogsync.ci.body import (
    DEFAULT_LIMIT,
    GITHUB_BODY_LIMIT,
    fit_body,
    header_lines,
    plan_hash_marker,
    with_header,
)
from catalogsync.ci.comments import upsert_comment
from catalogsync.ci.context import (
    GitHubContext,
    commit_sha,
    pull_request_number,
    resolve_context,
    run_url,
)
from catalogsync.ci.github import GitHubClient
from catalogsync.ci.issues import DEFAULT_LABEL, sync_drift_issue
from catalogsync.ci.reviewed import Reviewed, check_reviewed, find_reviewed
from catalogsync.cli import Context, cli
from catalogsync.cli.plan_cmd import _read_plan
from catalogsync.config import load_project
from catalogsync.errors import EXIT_CHANGES, EXIT_OK, UsageError
from catalogsync.plan import Plan
from catalogsync.workflow import choose_target

F = TypeVar("F", bound=Callable[..., Any])

_KINDS = ("plan", "apply", "drift")


def github_options(func: F) -> F:
    """--repo and --api-url: override GITHUB_REPOSITORY and GITHUB_API_URL."""
    func = click.option(
        "--api-url", help="GitHub REST API URL (default: GITHUB_API_URL, else api.github.com)."
    )(func)
    return click.option("--repo", help="OWNER/NAME (default: GITHUB_REPOSITORY).")(func)


def _connect(repo: str | None, api_url: str | None) -> tuple[GitHubContext, GitHubClient]:
    ctx = resolve_context(os.environ, repository=repo, api_url=api_url)
    return ctx, GitHubClient(ctx.api_url, ctx.token)


def _read_body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc


def _where() -> str:
    link = run_url(os.environ)
    return f"the artifacts of [this workflow run]({link})" if link else "the workflow artifacts"


@cli.group()
def ci() -> None:
    """GitHub Actions glue: PR plan comments, drift issues, the reviewed-plan check.

    Needs GITHUB_TOKEN (from secrets). Exit 1 when a GitHub request fails (the message
    names the request and its status), 3 when check-plan refuses.
    """


@ci.command()
@click.option("-t", "--target", "target_name", help="Target (default: from the plan/body).")
@click.option(
    "--body-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Markdown to post (e.g. from `show plan.json --format markdown`).",
)
@click.option(
    "--plan-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Record this plan's hash in the comment, for `ci check-plan` on merge.",
)
@click.option("--kind", type=click.Choice(_KINDS), default="plan", show_default=True)
@click.option("--pr", type=int, help="Pull request number (default: from the event).")
@click.option("--author", help="Only update a comment by this login (e.g. github-actions[bot]).")
@click.option(
    "--limit",
    type=click.IntRange(1_000, GITHUB_BODY_LIMIT),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Cut the body to this many characters (GitHub's limit is 65,536).",
)
@github_options
def comment(
    target_name: str | None,
    body_file: Path,
    plan_file: Path | None,
    kind: str,
    pr: int | None,
    author: str | None,
    limit: int,
    repo: str | None,
    api_url: str | None,
) -> None:
    """Create or update the one PR comment for a target, found by its marker."""
    text = _read_body(body_file)
    plan = _read_plan(plan_file) if plan_file else None
    target = _target(target_name, plan, text, kind)
    extra = [plan_hash_marker(plan.plan_hash)] if plan else []
    body = fit_body(with_header(text, kind, target, extra), limit, _where())
    number = pull_request_number(os.environ, pr)
    ctx, client = _connect(repo, api_url)
    with closing(client):
        posted = upsert_comment(client, ctx, number, header_lines(body)[0], body, author=author)
    click.echo(
        f"{posted.outcome.value} the {kind} comment for '{target}' on #{number}: {posted.url}"
    )


def _target(explicit: str | None, plan: Plan | None, body: str, kind: str) -> str:
    """The target: -t, else the plan file's, else the body's marker; all must agree."""
    if plan is not None and explicit is not None and plan.target != explicit:
        raise UsageError(f"the plan file is for target '{plan.target}', not '{explicit}'")
    target = explicit or (plan.target if plan else None)
    if target is None:
        prefix = f"<!-- catalogsync-{kind}:"
        first = body.split("\n", 1)[0].strip()
        if first.startswith(prefix) and first.endswith(" -->"):
            target = first[len(prefix) : -len(" -->")]
    if not target:
        raise UsageError("no target: pass -t TARGET (the body has no catalogsync marker)")
    return target


@ci.command()
@click.option(
    "-t", "--target", "target_name", help="Target the report is for (default: default_target)."
)
@click.option(
    "--drift-exit-code",
    type=int,
    required=True,
    help="The exit code of `catalogsync drift`: 2 opens/updates the issue, 0 closes it.",
)
@click.option(
    "--body-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The Markdown report (`drift --markdown-out`); needed when there is drift.",
)
@click.option(
    "--label",
    default=DEFAULT_LABEL,
    show_default=True,
    help="Label of the drift issues ('' for none; then every issue is searched).",
)
@github_options
@click.pass_obj
def issue(
    obj: Context,
    target_name: str | None,
    drift_exit_code: int,
    body_file: Path | None,
    label: str,
    repo: str | None,
    api_url: str | None,
) -> None:
    """Open, update, close or reopen the one drift issue titled by target."""
    if target_name is None:
        target_name = choose_target(load_project(obj.project), None).name
    if drift_exit_code not in (EXIT_OK, EXIT_CHANGES):
        raise UsageError(
            f"drift exited {drift_exit_code}, which is an error, not a result: "
            "the drift issue is left as it is"
        )
    body: str | None = None
    if drift_exit_code == EXIT_CHANGES:
        if body_file is None:
            raise UsageError("there is drift (exit 2) but no --body-file to report it")
        text = with_header(_read_body(body_file), "drift", target_name)
        body = fit_body(text, DEFAULT_LIMIT, _where())
    ctx, client = _connect(repo, api_url)
    with closing(client):
        result = sync_drift_issue(
            client, ctx, target_name, body=body, label=label or None, run_link=run_url(os.environ)
        )
    number = f" #{result.number}" if result.number is not None else ""
    click.echo(f"drift issue for '{target_name}'{number}: {result.action.value} {result.url}")


@ci.command("check-plan")
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-t", "--target", "target_name", help="Refuse a plan for another target.")
@click.option(
    "--reviewed-hash", help="The reviewed plan hash (default: read from the PR's comment)."
)
@click.option("--pr", type=int, help="The reviewed pull request (default: the commit's).")
@click.option("--sha", help="The merged commit (default: GITHUB_SHA).")
@click.option("--author", help="Only trust a plan comment by this login.")
@github_options
def check_plan(
    planfile: Path,
    target_name: str | None,
    reviewed_hash: str | None,
    pr: int | None,
    sha: str | None,
    author: str | None,
    repo: str | None,
    api_url: str | None,
) -> None:
    """Exit 0 if PLANFILE is the plan reviewed on its pull request, else refuse (exit 3).

    Run on the push to main: `plan --out plan.json`, then this, then `apply plan.json`.
    A plan with no changes passes without looking (there is nothing to apply).
    """
    plan = _read_plan(planfile)
    if target_name is not None and plan.target != target_name:
        raise UsageError(f"the plan file is for target '{plan.target}', not '{target_name}'")
    if not plan.has_changes:
        click.echo(f"The plan for '{plan.target}' has no changes: nothing to apply.")
        return
    if reviewed_hash is not None:
        reviewed = Reviewed(reviewed_hash.strip().lower(), "--reviewed-hash")
    else:
        ctx, client = _connect(repo, api_url)
        with closing(client):
            merged = commit_sha(os.environ, sha)
            reviewed = find_reviewed(client, ctx, plan.target, sha=merged, pr=pr, author=author)
    check_reviewed(plan, reviewed)
    click.echo(
        f"The plan for '{plan.target}' is the one reviewed in {reviewed.source} "
        f"(plan hash {plan.plan_hash}): apply it with `catalogsync apply {planfile}`."
    )
