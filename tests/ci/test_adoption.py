"""The README's adoption steps, per provider, each run against the fakes.

Each test is one numbered step of "Use it in GitHub Actions" / "Use it in GitLab CI":
the shipped workflows (through the composite action's script) and the GitLab template
(its job scripts, through bash) run for real against the fake GitHub / fake GitLab and the
embedded emulator, in a copy of the example project, as a catalog repository would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from catalogsync.emulator.server import ServerThread
from tests.ci.conftest import TOKEN
from tests.ci.fake_github import FakeGitHub
from tests.ci.fake_gitlab import FakeGitLab
from tests.ci.runners import GitHubJob, load, run_gitlab_job
from tests.conftest import ROOT, copy_example

pytestmark = [pytest.mark.loopback, pytest.mark.ci_scenario]

WORKFLOWS = ROOT / ".github" / "workflows"
TEMPLATE = ROOT / "templates" / "gitlab" / "catalogsync.gitlab-ci.yml"
MERGED = "ab" * 20
PLAN_MARKER = "<!-- catalogsync-plan:local -->"


def cheaper_voice(project: Path) -> None:
    products = project / "products.yaml"
    products.write_text(products.read_text().replace('rate: "0.05"', 'rate: "0.04"', 1))


# --- GitHub ----------------------------------------------------------------------------------


@pytest.fixture
def github(tmp_path: Path) -> Iterator[tuple[FakeGitHub, dict[str, str], Path]]:
    fake = FakeGitHub(TOKEN)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3}}))
    with ServerThread(fake.app) as server:
        env = {
            "GITHUB_REPOSITORY": fake.repo,
            "GITHUB_API_URL": server.url,
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_SHA": MERGED,
            "GITHUB_REF_NAME": "main",
        }
        yield fake, env, copy_example(tmp_path / "catalog")


def github_job(
    name: str, job: str, tmp: Path, env: dict[str, str], project: Path, **extra: str
) -> GitHubJob:
    """Step 1: a copied workflow with CATALOGSYNC_PROJECT set to the catalog's folder."""
    overrides = {"CATALOGSYNC_PROJECT": str(project), **extra}
    return GitHubJob(
        WORKFLOWS / name,
        job,
        tmp,
        env=env,
        secrets={"GITHUB_TOKEN": TOKEN},
        overrides=overrides,
        expressions={
            "inputs.target": "",
            "github.event.pull_request.user.login == 'dependabot[bot]' && 'dependabot' || 'fork'": "fork",
        },
    )


def test_github_step_1_the_workflows_to_copy_and_what_to_set() -> None:
    names = {
        "catalog-plan.yml",
        "catalog-apply.yml",
        "catalog-drift.yml",
        "catalog-plan-notice.yml",
    }
    assert names <= {path.name for path in WORKFLOWS.glob("*.yml")}
    for name in names:
        env = load(WORKFLOWS / name)["env"]
        assert "CATALOGSYNC_PROJECT" in env and "CATALOGSYNC_TARGET" in env


def test_github_step_2_read_secrets_for_plan_and_drift_write_secrets_in_the_environment() -> None:
    apply = load(WORKFLOWS / "catalog-apply.yml")["jobs"]["apply"]
    assert apply["environment"] == "catalog-apply"
    assert any("WRITE" in key for key in apply["env"])
    for name, job in (("catalog-plan.yml", "plan"), ("catalog-drift.yml", "drift")):
        keys = load(WORKFLOWS / name)["jobs"][job]["env"]
        assert keys and all("READ" in key for key in keys), name


def test_github_steps_3_to_5_pull_request_merge_and_drift(
    github: tuple[FakeGitHub, dict[str, str], Path], tmp_path: Path
) -> None:
    fake, env, project = github
    seeded = github_job("catalog-drift.yml", "drift", tmp_path, env, project)
    assert seeded.run() == 0  # seeds the emulator, finds no drift, opens no issue
    assert fake.issues == {}
    # Step 3: open a pull request: the plan job posts one comment recording the plan.
    cheaper_voice(project)
    plan = github_job("catalog-plan.yml", "plan", tmp_path, env, project)
    assert plan.run() == 0, plan.log
    (comment,) = fake.marked(3, PLAN_MARKER)
    assert "catalogsync-reviewed:v1" in comment["body"]
    # Step 4: merge it: the apply job applies what was reviewed and marks it spent.
    fake.merge(MERGED, 3)
    apply = github_job("catalog-apply.yml", "apply", tmp_path, env, project)
    assert apply.run() == 0, apply.log
    assert f"<!-- catalogsync-applied:{MERGED} -->" in comment["body"]
    # Step 5: nightly drift: an edit outside the YAML opens the issue; undone, it closes.
    drift = github_job(
        "catalog-drift.yml", "drift", tmp_path, env, project, CATALOGSYNC_SEED_EMULATOR="false"
    )
    products = project / "products.yaml"
    yaml_text = products.read_text()
    products.write_text(yaml_text.replace('rate: "0.04"', 'rate: "0.09"', 1))
    assert drift.run() == 0, drift.log
    (issue,) = fake.issues.values()
    assert issue["title"] == "Catalog drift: local" and issue["state"] == "open"
    products.write_text(yaml_text)
    assert drift.run() == 0, drift.log
    assert issue["state"] == "closed"


def test_github_step_6_a_fork_request_gets_a_notice(
    github: tuple[FakeGitHub, dict[str, str], Path], tmp_path: Path
) -> None:
    fake, env, project = github
    notice = github_job("catalog-plan-notice.yml", "notice", tmp_path, env, project)
    assert notice.run() == 0, notice.log
    (comment,) = fake.marked(3, PLAN_MARKER)
    assert "it comes from a fork" in comment["body"]


# --- GitLab ----------------------------------------------------------------------------------


@pytest.fixture
def gitlab(tmp_path: Path) -> Iterator[tuple[FakeGitLab, dict[str, str], Path]]:
    fake = FakeGitLab(TOKEN)
    with ServerThread(fake.app) as server:
        project = copy_example(tmp_path / "catalog")
        env = {
            "GITLAB_CI": "true",
            "GITLAB_TOKEN": TOKEN,
            "CI_API_V4_URL": server.url,
            "CI_PROJECT_ID": fake.project_id,
            "CI_DEFAULT_BRANCH": "main",
            "CI_COMMIT_SHA": MERGED,
            "CATALOGSYNC_PROJECT": str(project),
        }
        yield fake, env, project


def test_gitlab_step_1_the_template_has_the_three_jobs() -> None:
    template = load(TEMPLATE)
    assert {"catalog-plan", "catalog-apply", "catalog-drift"} <= set(template)
    assert {"CATALOGSYNC_PROJECT", "CATALOGSYNC_TARGET"} <= set(template["variables"])
    apply = template["catalog-apply"]
    assert apply["environment"]["name"] == "catalog-apply"
    assert apply["resource_group"] == "catalog-apply" and apply["interruptible"] is False


def test_gitlab_step_3_oldest_first_resource_group(
    gitlab: tuple[FakeGitLab, dict[str, str], Path],
) -> None:
    fake, env, _ = gitlab
    # The README's request, as written there (curl), sent with httpx.
    url = f"{env['CI_API_V4_URL']}/projects/{env['CI_PROJECT_ID']}/resource_groups/catalog-apply"
    answer = httpx.put(
        url, params={"process_mode": "oldest_first"}, headers={"PRIVATE-TOKEN": TOKEN}
    )
    assert answer.status_code == 200
    assert fake.resource_groups == {"catalog-apply": "oldest_first"}


def test_gitlab_steps_4_to_6_merge_request_merge_and_drift(
    gitlab: tuple[FakeGitLab, dict[str, str], Path], tmp_path: Path
) -> None:
    fake, env, project = gitlab
    work = tmp_path / "build"
    work.mkdir()
    seeded = run_gitlab_job(TEMPLATE, "catalog-apply", work, env)  # nothing reviewed yet
    assert seeded.returncode == 3, seeded.stdout + seeded.stderr
    # Step 4: open a merge request: the plan job posts one note recording the plan.
    mr_env = {**env, "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "4"}
    planned = run_gitlab_job(TEMPLATE, "catalog-plan", work, mr_env)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    (note,) = fake.marked(4, PLAN_MARKER)
    assert "catalogsync-reviewed:v1" in note["body"]
    # Step 5: merge it: the apply job applies every reviewed change and marks it spent.
    fake.merge(MERGED, 4)
    applied = run_gitlab_job(TEMPLATE, "catalog-apply", work, env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"<!-- catalogsync-applied:{MERGED} -->" in note["body"]
    # Step 6: the scheduled drift job opens the issue on drift and closes it after.
    cheaper_voice(project)
    drifted = run_gitlab_job(TEMPLATE, "catalog-drift", work, env)
    assert drifted.returncode == 0, drifted.stdout + drifted.stderr
    (issue,) = fake.issues.values()
    assert issue["title"] == "Catalog drift: local" and issue["state"] == "opened"
    fork = run_gitlab_job(TEMPLATE, "catalog-plan", work, {**mr_env, "GITLAB_TOKEN": ""})
    assert fork.returncode == 0 and "No plan:" in fork.stdout
