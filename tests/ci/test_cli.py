"""`catalogsync ci …` end to end: the CLI over real loopback HTTP to the fake GitHub.

The reviewed-plan tests use the example project and its embedded emulator: plan on the
"pull request", post the comment, "merge", plan again on "main", and check.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from catalogsync.cli import cli
from tests.ci.conftest import TOKEN
from tests.ci.fake_github import FakeGitHub
from tests.conftest import copy_example

pytestmark = pytest.mark.loopback

MERGED = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
PROD_PLAN = "<!-- catalogsync-plan:local -->"


@pytest.fixture
def env(server: str, tmp_path: Path) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "f" * 40}}}))
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/catalog",
        "GITHUB_API_URL": server,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": MERGED,
        "GITHUB_SERVER_URL": "https://github.test",
        "GITHUB_RUN_ID": "4242",
    }


@pytest.fixture
def example(tmp_path: Path) -> Path:
    project = tmp_path / "example"
    copy_example(project)
    return project


def run(env: dict[str, str], *args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert TOKEN not in result.stdout + result.stderr
    return result


def plan_files(project: Path, name: str) -> tuple[Path, Path]:
    """`plan --out` then `show --format markdown`, as the plan workflow does."""
    plan, markdown = project / f"{name}.json", project / f"{name}.md"
    made = CliRunner().invoke(cli, ["-C", str(project), "plan", "--out", str(plan)])
    assert made.exit_code == 0, made.output
    shown = CliRunner().invoke(cli, ["show", str(plan), "--format", "markdown"])
    markdown.write_text(shown.stdout, encoding="utf-8")
    return plan, markdown


def test_comment_from_the_event_creates_then_updates_one_comment(
    env: dict[str, str], fake: FakeGitHub, example: Path
) -> None:
    plan, markdown = plan_files(example, "plan")
    first = run(env, "ci", "comment", "--body-file", str(markdown), "--plan-file", str(plan))
    second = run(env, "ci", "comment", "--body-file", str(markdown), "--plan-file", str(plan))
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert first.stdout.startswith(
        "created the plan comment for 'local' on #7: https://github.test/"
    )
    assert second.stdout.startswith("unchanged the plan comment for 'local' on #7")
    (comment,) = fake.comments[7]
    assert comment["body"].startswith(PROD_PLAN + "\n<!-- catalogsync-plan-hash:")
    assert json.loads(plan.read_text())["plan_hash"] in comment["body"].split("\n")[1]
    assert all(s.authorization == f"Bearer {TOKEN}" for s in fake.seen)


def test_a_huge_body_is_cut_to_the_limit_and_accepted(
    env: dict[str, str], fake: FakeGitHub, tmp_path: Path
) -> None:
    body = tmp_path / "big.md"
    blocks = [
        f"<details><summary>change {i}</summary>\n\n```\n{'x' * 200}\n```\n\n</details>"
        for i in range(1000)
    ]
    body.write_text(PROD_PLAN + "\n" + "\n\n".join(blocks))
    assert len(body.read_text()) > 200_000
    result = run(env, "ci", "comment", "--body-file", str(body), "-t", "local")
    assert result.exit_code == 0, result.output
    (comment,) = fake.comments[7]
    assert len(comment["body"]) <= 65_000
    assert comment["body"].startswith(PROD_PLAN + "\n")
    assert (
        "more characters are in the artifacts of [this CI run](https://github.test/acme/catalog/actions/runs/4242)"
        in comment["body"]
    )
    assert comment["body"].count("<details>") == comment["body"].count("</details>")
    assert comment["body"].count("```") % 2 == 0


def test_the_fake_refuses_a_body_over_githubs_limit(
    env: dict[str, str], fake: FakeGitHub, tmp_path: Path
) -> None:
    body = tmp_path / "big.md"
    body.write_text(PROD_PLAN + "\n" + "y" * 70_000)
    result = run(env, "ci", "comment", "--body-file", str(body), "--limit", "65536")
    assert result.exit_code == 0  # the CLI cut it to 65,536, which GitHub accepts
    assert len(fake.comments[7][0]["body"]) <= 65_536


def test_issue_opens_closes_and_reopens_through_the_cli(
    env: dict[str, str], fake: FakeGitHub, tmp_path: Path
) -> None:
    report = tmp_path / "drift.md"
    report.write_text(
        "<!-- catalogsync-drift:local -->\n### Drift on local\n\n1 changed in the UI\n"
    )
    opened = run(
        env, "ci", "issue", "-t", "local", "--drift-exit-code", "2", "--body-file", str(report)
    )
    closed = run(env, "ci", "issue", "-t", "local", "--drift-exit-code", "0")
    reopened = run(
        env, "ci", "issue", "-t", "local", "--drift-exit-code", "2", "--body-file", str(report)
    )
    assert [r.exit_code for r in (opened, closed, reopened)] == [0, 0, 0]
    assert "drift issue for 'local' #1: opened" in opened.stdout
    assert "drift issue for 'local' #1: closed" in closed.stdout
    assert "drift issue for 'local' #1: reopened" in reopened.stdout
    (issue,) = fake.issues.values()
    assert issue["title"] == "Catalog drift: local" and issue["state"] == "open"
    assert (
        "[workflow run](https://github.test/acme/catalog/actions/runs/4242)"
        in fake.comments[1][0]["body"]
    )


def test_issue_leaves_everything_alone_when_drift_failed(
    env: dict[str, str], fake: FakeGitHub
) -> None:
    result = run(env, "ci", "issue", "-t", "local", "--drift-exit-code", "1")
    assert result.exit_code == 1
    assert "drift exited 1, which is an error" in result.stderr
    assert fake.seen == []


def test_api_failures_exit_1_naming_the_request_without_the_token(
    env: dict[str, str], fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.token = "another-token"
    body = tmp_path / "b.md"
    body.write_text(PROD_PLAN + "\nplan")
    result = run(env, "ci", "comment", "--body-file", str(body))
    assert result.exit_code == 1
    assert (
        "GET /repos/acme/catalog/issues/7/comments → 401 Unauthorized: Bad credentials"
        in result.stderr
    )
    assert fake.seen[0].authorization == f"Bearer {TOKEN}"  # sent, never shown


def test_missing_token_or_pr_are_usage_errors(env: dict[str, str], tmp_path: Path) -> None:
    body = tmp_path / "b.md"
    body.write_text(PROD_PLAN + "\nplan")
    no_token = run({**env, "GITHUB_TOKEN": ""}, "ci", "comment", "--body-file", str(body))
    assert no_token.exit_code == 1 and "GITHUB_TOKEN is not set" in no_token.stderr
    no_pr = run({**env, "GITHUB_EVENT_PATH": ""}, "ci", "comment", "--body-file", str(body))
    assert no_pr.exit_code == 1 and "no pull request number: pass --pr N" in no_pr.stderr


def test_issue_takes_the_projects_default_target_when_none_is_given(
    env: dict[str, str], fake: FakeGitHub, example: Path, tmp_path: Path
) -> None:
    """The drift workflow names no target: `ci issue` uses the project's default one."""
    report = tmp_path / "drift.md"
    report.write_text("### Drift\n\n1 changed in the UI\n")
    result = run(
        env, "-C", str(example), "ci", "issue", "--drift-exit-code", "2", "--body-file", str(report)
    )
    assert result.exit_code == 0, result.output
    (issue,) = fake.issues.values()
    assert issue["title"] == "Catalog drift: local"


def test_notice_says_why_no_plan_ran_and_records_nothing(
    env: dict[str, str], fake: FakeGitHub, example: Path
) -> None:
    result = run(env, "-C", str(example), "ci", "notice", "--reason", "fork")
    assert result.exit_code == 0, result.output
    (note,) = fake.comments[7]
    assert note["body"].startswith(PROD_PLAN + "\n### No catalogsync plan for <code>local</code>")
    assert "it comes from a fork" in note["body"] and "not a failure" in note["body"]
    assert "catalogsync-reviewed" not in note["body"]
