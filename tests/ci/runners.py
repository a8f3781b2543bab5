"""Run the shipped CI definitions for real, against the fakes: a GitHub job's steps
through the composite action's script, a GitLab job's script through bash.

Only what the templates use is supported: `uses: ./` steps (others, such as checkout and
artifact upload, are the runner's business and skipped), `if: env.X == 'v'`, `${{ env.X }}`,
`${{ secrets.X }}`, `${{ steps.ID.outputs.X }}` and, for anything else, the value the test
gives for the exact expression text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.conftest import ROOT

ACTION = ROOT / "action.yml"
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _path_env() -> dict[str, str]:
    """PATH with this interpreter's bin first: `catalogsync` and `python` resolve there."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


class GitHubJob:
    """One job of a workflow, run step by step like Actions would."""

    def __init__(
        self,
        workflow: Path,
        job: str,
        tmp: Path,
        *,
        env: Mapping[str, str],
        secrets: Mapping[str, str],
        expressions: Mapping[str, str] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        data = load(workflow)
        self.job = data["jobs"][job]
        self.env = {**data.get("env", {}), **self.job.get("env", {}), **(overrides or {})}
        self.base_env = dict(env)
        self.secrets = dict(secrets)
        self.expressions = dict(expressions or {})
        self.tmp = tmp
        self.outputs: dict[str, dict[str, str]] = {}
        self.codes: list[int] = []

    def _resolve(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr in self.expressions:
                return self.expressions[expr]
            if expr.startswith("env."):
                return self._resolve(str(self.env.get(expr[4:], "")))
            if expr.startswith("secrets."):
                return self.secrets.get(expr[8:], "")
            found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
            if found:
                return self.outputs.get(found.group(1), {}).get(found.group(2), "")
            raise AssertionError(f"the test gave no value for ${{{{ {expr} }}}}")

        return _EXPRESSION.sub(one, text)

    def _wanted(self, step: dict[str, Any]) -> bool:
        """A step's `if:` of the form `env.X == 'v'`; the others are taken as true."""
        found = re.fullmatch(r"env\.(\w+) == '([^']*)'", str(step.get("if", "")).strip())
        return found is None or self._resolve(str(self.env.get(found.group(1), ""))) == found.group(
            2
        )

    def run(self) -> int:
        """Every `uses: ./` step in order until one fails; that step's exit code, or 0."""
        (script,) = [s["run"] for s in load(ACTION)["runs"]["steps"] if s.get("id") == "run"]
        for number, step in enumerate(self.job["steps"]):
            if step.get("uses") != "./" or not self._wanted(step):
                continue
            given = {k: self._resolve(str(v)) for k, v in step.get("with", {}).items()}
            output = self.tmp / f"github-output-{len(self.codes)}-{number}"
            output.touch()
            env = {
                **_path_env(),
                **self.base_env,
                **{k: self._resolve(str(v)) for k, v in self.env.items()},
                **{k: self._resolve(str(v)) for k, v in step.get("env", {}).items()},
                "RUNNER_TEMP": str(self.tmp / "runner"),
                "GITHUB_OUTPUT": str(output),
                "CS_COMMAND": given["command"],
                "CS_PROJECT": given.get("project", "."),
                "CS_TARGET": given.get("target", ""),
                "CS_ARGS": given.get("args", ""),
                "CS_ALLOWED": given.get("allowed-exit-codes", "0"),
            }
            done = subprocess.run(
                ["bash", "-c", script], env=env, capture_output=True, text=True, check=False
            )
            self.log = done.stdout + done.stderr
            outputs = dict(
                line.split("=", 1) for line in output.read_text().splitlines() if "=" in line
            )
            if "id" in step:
                self.outputs[step["id"]] = outputs
            self.codes.append(done.returncode)
            if done.returncode:
                return done.returncode
        return 0


def run_gitlab_job(
    template: Path, job: str, workdir: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """The job's before_script and script as one bash script (what the runner does), with
    the template's variables under `env`; the `pip install` line is left out (catalogsync
    is installed here already)."""
    data = load(template)
    spec = data[job]
    base = data[spec["extends"]] if "extends" in spec else {}
    lines = [
        line
        for line in [*base.get("before_script", []), *spec["script"]]
        if "pip install" not in line
    ]
    variables = {k: str(v) for k, v in data.get("variables", {}).items()}
    return subprocess.run(
        ["bash", "-c", "set -eo pipefail\n" + "\n".join(lines)],
        env={**_path_env(), **variables, **env},
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
