"""The files `catalogsync init` writes: a small, valid project for one backend.

Pure: `project_files` returns paths and texts; the CLI checks nothing is overwritten and
writes them. The config names the embedded emulator as its default target and shows a
real target commented out, so `validate`, `plan` and `apply` work at once, and the step to
a real billing system is uncommenting four lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogsync.config import CONFIG_FILE, config_schema_text
from catalogsync.registry import get_format, get_spec

SCHEMA_FOLDER = "schemas"
CONFIG_SCHEMA = f"{SCHEMA_FOLDER}/catalogsync.schema.json"
CI_CHOICES = ("github",)


@dataclass(frozen=True)
class RealTarget:
    """A real target for the config: its name, URL and credential variables."""

    name: str
    url: str

    def env(self, backend: str, what: str) -> str:
        prefix = get_spec(backend).scaffold.env_prefix
        name = "".join(c if c.isalnum() else "_" for c in self.name.upper())
        return f"{prefix}_{name}_{what}"

    def credential_envs(self, backend: str) -> dict[str, str]:
        """Credential field → the variable this target reads it from."""
        fields = ("username", "password", *get_spec(backend).scaffold.extra_credentials)
        whats = {"username": "USER", "password": "PASSWORD"}
        return {f: self.env(backend, whats.get(f, f.upper())) for f in fields}

    def lines(self, backend: str) -> list[str]:
        credentials = self.credential_envs(backend).items()
        return [
            f"{self.name}:",
            f"  url: {self.url}",
            *(f"  {field}: {{env: {env}}}" for field, env in credentials),
        ]


_GITIGNORE = """\
# The embedded emulator's state and other local files of catalogsync: never commit them.
.catalogsync/
"""


def config_text(backend: str, real: RealTarget | None = None) -> str:
    """catalogsync.yaml: the emulator target, and a real one (commented out unless given)."""
    target = real or RealTarget("sandbox", get_spec(backend).scaffold.example_url)
    target_lines = target.lines(backend)
    if real is None:
        target_lines = ["# " + line for line in target_lines]
    lines = [
        f"# yaml-language-server: $schema={CONFIG_SCHEMA}",
        "# A catalogsync project. `catalogsync validate` checks it offline; `plan` shows what",
        "# `apply` would change on a target. Every setting: README, 'A catalog project'.",
        f"backend: {backend}",
        "# Catalog files: every *.yaml here and in subfolders (hidden ones skipped), or list",
        "# files and folders, e.g. [products.yaml, packages/].",
        'catalog: ["."]',
        f"default_target: {real.name if real else 'local'}",
        "targets:",
        "  # The embedded emulator: a private billing system whose state lives in",
        "  # .catalogsync/ here (git-ignored). Plan and apply against it freely.",
        '  local: {url: "emulator:"}',
        "  # A real billing system. Credentials come from the environment (or a file),",
        "  # never from this file." + ("" if real else " Uncomment, set the URL and variables:"),
        *("  " + line for line in target_lines),
        "# Objects catalogsync may delete when they disappear from the YAML (and only with",
        "# `apply --allow-delete`). Nothing is deleted without a rule:",
        "# prune:",
        "#   - kind: package_product",
        '#     names: ["*"]',
    ]
    return "\n".join(lines) + "\n"


def _github_workflow(backend: str) -> str:
    secrets = RealTarget("sandbox", "").env
    return f"""\
# catalogsync on GitHub Actions: validate (annotations on the changed lines) and plan on
# every pull request; the plan goes to the job summary. For reviewed applies and nightly
# drift issues, see the catalogsync README, "Use it in GitHub Actions".
name: catalog
on:
  pull_request:
  workflow_dispatch:
permissions:
  contents: read
jobs:
  plan:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    env:
      CATALOGSYNC_TARGET: local   # the target to plan against, from catalogsync.yaml
      FORCE_COLOR: "1"
      {secrets(backend, "USER")}: ${{{{ secrets.{secrets(backend, "USER")} }}}}
      {secrets(backend, "PASSWORD")}: ${{{{ secrets.{secrets(backend, "PASSWORD")} }}}}
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with:
          python-version: "3.12"
      - run: python -m pip install catalogsync
      - name: Validate
        run: catalogsync validate --format github
      - name: Plan
        run: |
          catalogsync plan -t "$CATALOGSYNC_TARGET" --out plan.json
          catalogsync show plan.json --format markdown >> "$GITHUB_STEP_SUMMARY"
"""


def project_files(
    backend: str, *, real: RealTarget | None = None, sample: bool = True, ci: str | None = None
) -> dict[str, str]:
    """Relative path → text of every file of a new project."""
    fmt = get_format(backend)
    files = {
        CONFIG_FILE: config_text(backend, real),
        ".gitignore": _GITIGNORE,
        CONFIG_SCHEMA: config_schema_text(),
        f"{SCHEMA_FOLDER}/{backend}.catalog.schema.json": fmt.json_schema_text(),
    }
    if sample:
        files.update(get_spec(backend).scaffold.samples)
    if ci == "github":
        files[".github/workflows/catalog.yml"] = _github_workflow(backend)
    return files
