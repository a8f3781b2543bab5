"""`catalogsync ci …`: the GitHub/GitLab glue the shipped CI templates call.

- `ci comment`        create or update the one PR/MR note for a target (plan, apply report)
- `ci notice`         say on a PR/MR why no plan ran (fork, Dependabot: no credentials)
- `ci issue`          open, update, close or reopen the one drift issue for a target
- `ci check-plan`     exit 0 only if every change of a plan was reviewed (else 3)
- `ci apply-reviewed` that check, then apply with exactly the flags the reviews authorised,
                      then mark the reviews spent

The provider is GitHub unless `--provider gitlab` or GITLAB_CI=true. The token comes from
GITHUB_TOKEN (GitLab: GITLAB_TOKEN) and is never printed; the repository, API URL, request
number and commit come from the CI environment unless flags say otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
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
from catalogsync.ci.connect import PROVIDERS, Connection, connect, run_link
from catalogsync.ci.issues import DEFAULT_LABEL, sync_drift_issue
from catalogsync.ci.record import ReviewRecord
from catalogsync.ci.reviewed import (
    DEFAULT_LOOKBACK,
    Authorisation,
    check_reviewed,
    find_reviews,
    mark_spent,
)
from catalogsync.cli import Context, cli
from catalogsync.cli.plan_cmd import apply
from catalogsync.config import load_project
from catalogsync.errors import EXIT_CHANGES, EXIT_OK, UsageError
from catalogsync.plan import Plan
from catalogsync.render.markdown import md_code
from catalogsync.render.markers import MARKER_KINDS, comment_marker, marked_target
from catalogsync.workflow import choose_target

F = TypeVar("F", bound=Callable[..., Any])


def provider_options(func: F) -> F:
    """--provider, --repo and --api-url: override what the CI environment says."""
    func = click.option(
        "--api-url",
        help="REST API URL (default: GITHUB_API_URL / CI_API_V4_URL, else the public service).",
    )(func)
    func = click.option(
        "--repo", help="OWNER/NAME, or a GitLab project path or id (default: from CI)."
    )(func)
    return click.option(
        "--provider",
        type=click.Choice(PROVIDERS),
        help="github or gitlab (default: gitlab when GITLAB_CI=true, else github).",
    )(func)


def _read_body(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc


def _where() -> str:
    link = run_link(os.environ)
    return f"the artifacts of [this CI run]({link})" if link else "the CI artifacts"


@cli.group()
def ci() -> None:
    """CI glue (GitHub, GitLab): plan notes, drift issues, the reviewed-plan check.

    Needs GITHUB_TOKEN (GitLab: GITLAB_TOKEN). Exit 1 when an API request fails (the
    message names the request and its status), 3 when the reviewed-plan check refuses.
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
    help="Record this plan's changes in the note, for the reviewed-plan check on merge.",
)
@click.option("--kind", type=click.Choice(MARKER_KINDS), default="plan", show_default=True)
@click.option("--pr", type=int, help="Pull/merge request number (default: from CI).")
@click.option("--author", help="Only update a note by this login (default: the token's own login).")
@click.option(
    "--limit",
    type=click.IntRange(1_000, GITHUB_BODY_LIMIT),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Cut the body to this many characters (GitHub's limit is 65,536).",
)
@provider_options
def comment(
    target_name: str | None,
    body_file: Path,
    plan_file: Path | None,
    kind: str,
    pr: int | None,
    author: str | None,
    limit: int,
    provider: str | None,
    repo: str | None,
    api_url: str | None,
) -> None:
    """Create or update the one PR/MR note for a target, found by its marker."""
    text = _read_body(body_file)
    plan = Plan.read(plan_file) if plan_file else None
    target = _target(target_name, plan, text, kind)
    extra: list[str] = []
    if plan is not None:
        extra, text = _review_lines(plan, limit), _with_authorisation_note(text, plan, limit)
    body = fit_body(with_header(text, kind, target, extra), limit, _where())
    conn = connect(provider, repo=repo, api_url=api_url)
    try:
        number = conn.request_number(pr)
        marker = header_lines(body)[0]
        own = author or conn.provider.own_login()
        posted = upsert_comment(conn.provider, number, marker, body, author=own)
    finally:
        conn.close()
    where = conn.provider.request_ref(number)
    click.echo(f"{posted.outcome.value} the {kind} comment for '{target}' on {where}: {posted.url}")


def _review_lines(plan: Plan, limit: int) -> list[str]:
    """The hidden lines recording the plan for the check on merge (when they fit)."""
    lines = [plan_hash_marker(plan.plan_hash)]
    if ReviewRecord.marker_size(plan) <= limit // 2:
        lines.append(ReviewRecord.of_plan(plan).marker())
    return lines


def _with_authorisation_note(text: str, plan: Plan, limit: int) -> str:
    """The visible sentence saying what merging authorises, or why it cannot, after the
    renderer's header; `text` unchanged when the plan needs no flag."""
    notes = []
    if ReviewRecord.marker_size(plan) > limit // 2:
        notes.append(
            f"**This plan has {len(plan.changes):,} changes, more than a note can record "
            "for review: the apply on merge will refuse them.** Apply the plan artifact by "
            "hand (`catalogsync apply PLANFILE`) or split the change."
        )
    elif plan.needs.allow_delete or plan.needs.force:
        flags = " and ".join(
            flag
            for flag, needed in (
                ("`--allow-delete` for the deletes", plan.needs.allow_delete),
                ("`--force` for the kinds", plan.needs.force),
            )
            if needed
        )
        notes.append(
            f"Merging this request once reviewed authorises the apply on merge to use "
            f"{flags} listed above, for exactly the changes shown here; nothing else."
        )
    if not notes:
        return text
    header = header_lines(text)
    rest = text.split("\n")[len(header) :]
    return "\n".join([*header, *rest[:1], *notes, "", *rest[1:]])


def _target(explicit: str | None, plan: Plan | None, body: str, kind: str) -> str:
    """The target: -t, else the plan file's, else the body's marker; all must agree."""
    if plan is not None and explicit is not None and plan.target != explicit:
        raise UsageError(f"the plan file is for target '{plan.target}', not '{explicit}'")
    target = explicit or (plan.target if plan else None)
    if target is None:
        target = marked_target(body.split("\n", 1)[0], kind)
    if not target:
        raise UsageError("no target: pass -t TARGET (the body has no catalogsync marker)")
    return target


_NOTICE_WHY = {
    "fork": "it comes from a fork",
    "dependabot": "Dependabot opened it",
}


@ci.command()
@click.option(
    "-t", "--target", "target_name", help="Target the plan is for (default: default_target)."
)
@click.option("--reason", type=click.Choice(tuple(_NOTICE_WHY)), required=True)
@click.option("--pr", type=int, help="Pull/merge request number (default: from CI).")
@provider_options
@click.pass_obj
def notice(
    obj: Context,
    target_name: str | None,
    reason: str,
    pr: int | None,
    provider: str | None,
    repo: str | None,
    api_url: str | None,
) -> None:
    """Say on a request why no plan ran for it (its run gets no credentials).

    Posted in the place of the target's plan note (a later plan replaces it). It records
    no changes, so it authorises nothing on merge.
    """
    if target_name is None:
        target_name = choose_target(load_project(obj.project), None).name
    marker = comment_marker("plan", target_name)
    conn = connect(provider, repo=repo, api_url=api_url)
    word = conn.provider.request_word
    body = "\n".join(
        [
            marker,
            f"### No catalogsync plan for {md_code(target_name)}",
            "",
            f"No plan ran for this {word}: {_NOTICE_WHY[reason]}, and CI gives such runs "
            "neither the billing credentials nor a token that can write, so catalogsync "
            "cannot read the billing system. This is not a failure.",
            "",
            f"To get a plan, a maintainer can push the branch to this repository and open "
            f"the {word} from there. Merged as it is, the apply on merge refuses every "
            "change that no reviewed plan showed.",
        ]
    )
    try:
        number = conn.request_number(pr)
        own = conn.provider.own_login()
        posted = upsert_comment(conn.provider, number, marker, body, author=own)
    finally:
        conn.close()
    click.echo(
        f"{posted.outcome.value} the notice for '{target_name}' on "
        f"{conn.provider.request_ref(number)}: {posted.url}"
    )


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
@provider_options
@click.pass_obj
def issue(
    obj: Context,
    target_name: str | None,
    drift_exit_code: int,
    body_file: Path | None,
    label: str,
    provider: str | None,
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
    conn = connect(provider, repo=repo, api_url=api_url)
    try:
        result = sync_drift_issue(
            conn.provider,
            target_name,
            body=body,
            label=label or None,
            run_link=run_link(os.environ),
        )
    finally:
        conn.close()
    number = f" #{result.number}" if result.number is not None else ""
    click.echo(f"drift issue for '{target_name}'{number}: {result.action.value} {result.url}")


def review_options(func: F) -> F:
    func = click.option("--sha", help="The merged commit (default: GITHUB_SHA / CI_COMMIT_SHA).")(
        func
    )
    func = click.option(
        "--author",
        help="Only trust plan notes by this login (default: the token's own: "
        "github-actions[bot] on GitHub, the token's user on GitLab).",
    )(func)
    func = click.option(
        "--base", help="The default branch (default: GITHUB_REF_NAME / CI_DEFAULT_BRANCH)."
    )(func)
    func = click.option(
        "--lookback",
        type=click.IntRange(1, 500),
        default=DEFAULT_LOOKBACK,
        show_default=True,
        help="How many recent merged requests to search for unspent reviews.",
    )(func)
    func = click.option("-t", "--target", "target_name", help="Refuse a plan for another target.")(
        func
    )
    return provider_options(func)


def _authorise(
    conn: Connection, plan: Plan, *, sha: str | None, author: str | None, lookback: int
) -> tuple[Authorisation, list[Any], str]:
    head = conn.commit(sha)
    author = author or conn.provider.own_login()
    reviews = find_reviews(conn.provider, plan.target, head=head, author=author, lookback=lookback)
    return check_reviewed(plan, reviews, conn.provider.request_word), reviews, head


@ci.command("check-plan")
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@review_options
def check_plan(
    planfile: Path,
    target_name: str | None,
    lookback: int,
    base: str | None,
    author: str | None,
    sha: str | None,
    provider: str | None,
    repo: str | None,
    api_url: str | None,
) -> None:
    """Exit 0 if every change of PLANFILE was reviewed, else refuse naming them (exit 3).

    Run on the default branch after `plan --out plan.json`. Prints the apply flags the
    reviews authorise. `ci apply-reviewed` does this check and the apply in one step.
    """
    plan = _plan_for(planfile, target_name)
    if not plan.has_changes:
        click.echo(f"The plan for '{plan.target}' has no changes: nothing to apply.")
        return
    conn = connect(provider, repo=repo, api_url=api_url, base=base)
    try:
        auth, _, _ = _authorise(conn, plan, sha=sha, author=author, lookback=lookback)
    finally:
        conn.close()
    flags = "".join(" " + flag for flag in auth.flags)
    click.echo(
        f"Every change of the plan for '{plan.target}' was reviewed "
        f"({', '.join(auth.sources)}): apply it with `catalogsync apply {planfile}{flags}`."
    )


@ci.command("apply-reviewed")
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@review_options
@click.pass_context
def apply_reviewed(
    ctx: click.Context,
    planfile: Path,
    target_name: str | None,
    lookback: int,
    base: str | None,
    author: str | None,
    sha: str | None,
    provider: str | None,
    repo: str | None,
    api_url: str | None,
) -> None:
    """Apply PLANFILE if every change of it was reviewed; exit 3 naming those that were not.

    The apply gets `--allow-delete` / `--force` only when the plan needs them and a
    review showed them; after an apply with no failure, the reviews it used are marked
    spent. Exit codes are apply's (0, 3, 4), or 3 from the check.
    """
    plan = _plan_for(planfile, target_name)
    conn = connect(provider, repo=repo, api_url=api_url, base=base)
    try:
        if plan.has_changes:
            auth, reviews, head = _authorise(conn, plan, sha=sha, author=author, lookback=lookback)
            click.echo(f"Reviewed in {', '.join(auth.sources)}; applying.")
            code = _apply(ctx, planfile, auth)
        else:
            head = conn.commit(sha)
            reviews = find_reviews(
                conn.provider,
                plan.target,
                head=head,
                author=author or conn.provider.own_login(),
                lookback=lookback,
            )
            click.echo(f"The plan for '{plan.target}' has no changes: nothing to apply.")
            code = EXIT_OK
        if code == EXIT_OK and reviews:
            spent = mark_spent(conn.provider, reviews, head)
            click.echo(f"Marked spent: {', '.join(spent)}.")
    finally:
        conn.close()
    sys.exit(code)


def _apply(ctx: click.Context, planfile: Path, auth: Authorisation) -> int:
    """`catalogsync apply PLANFILE` with the authorised flags; its exit code."""
    try:
        ctx.invoke(
            apply,
            planfile=planfile,
            auto_approve=True,
            allow_delete=auth.allow_delete,
            force=auth.force,
        )
    except SystemExit as exc:
        return int(exc.code or 0)
    return EXIT_OK


def _plan_for(planfile: Path, target_name: str | None) -> Plan:
    plan = Plan.read(planfile)
    if target_name is not None and plan.target != target_name:
        raise UsageError(f"the plan file is for target '{plan.target}', not '{target_name}'")
    return plan
