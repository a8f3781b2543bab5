"""A catalog repository as the CI templates see it, for the review-flow scenarios.

One live billing system (the project's embedded emulator), the YAML of the default branch
commit by commit, pull requests as edits of that YAML, and the fake code host holding the
plan notes and the merge history. Each method is one CI job, run through the real CLI:
`open_request` is the plan job, `apply_run` the apply job of one commit; `ui_edit` is a
person changing the billing system by hand.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path

from click.testing import CliRunner, Result

from catalogsync.cli import cli

Files = dict[str, str]
Edit = Callable[[Files], Files]

PRODUCTS = "products.yaml"
BUSINESS = "packages/business.yaml"


def rate(product: str, old: str, new: str) -> Edit:
    """An edit of one product's rate in products.yaml."""

    def edit(files: Files) -> Files:
        text = files[PRODUCTS]
        before = f'- name: {product}\n    status: ACTIVE\n    rate: "{old}"'
        assert before in text, product
        return {**files, PRODUCTS: text.replace(before, before.replace(old, new))}

    return edit


def drop_loyalty_discount(files: Files) -> Files:
    """Remove the business package's Loyalty Discount (a pruned kind: a delete)."""
    block = "      - product: Loyalty Discount\n        min_qty: 0\n        max_qty: 1\n"
    assert block in files[BUSINESS]
    return {**files, BUSINESS: files[BUSINESS].replace(block, "")}


class Repo:
    def __init__(
        self,
        project: Path,
        env: Mapping[str, str],
        host: object,
        provider: str = "github",
    ) -> None:
        self.project = project
        self.env = dict(env)
        self.host = host  # FakeGitHub or FakeGitLab: merge(sha, number), push(sha)
        self.provider = provider
        self.main: Files = self._read()
        self.at: dict[str, Files] = {}
        self.requests: dict[int, Edit] = {}
        self.ui_edits: list[Edit] = []  # still live: each hand edit keeps the earlier ones
        self._shas = (f"{n:040x}" for n in itertools.count(0xC0FFEE))

    # --- files -----------------------------------------------------------------------------

    def _read(self) -> Files:
        return {
            str(path.relative_to(self.project)): path.read_text(encoding="utf-8")
            for path in [self.project / PRODUCTS, *(self.project / "packages").glob("*.yaml")]
        }

    def _checkout(self, files: Files) -> None:
        for name, text in files.items():
            (self.project / name).write_text(text, encoding="utf-8")

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["-C", str(self.project), *args], env=self.env)

    def ci(self, *args: str) -> Result:
        return self.cli("ci", *args, "--provider", self.provider)

    # --- the jobs --------------------------------------------------------------------------

    def seed(self) -> None:
        """The live system starts as the YAML of the default branch says."""
        self._checkout(self.main)
        result = self.cli("apply", "--auto-approve")
        assert result.exit_code == 0, result.output

    def plan(self, name: str) -> tuple[Path, Path]:
        plan, markdown = self.project / f"{name}.json", self.project / f"{name}.md"
        made = self.cli("plan", "--out", str(plan))
        assert made.exit_code == 0, made.output
        shown = self.cli("show", str(plan), "--format", "markdown")
        markdown.write_text(shown.stdout, encoding="utf-8")
        return plan, markdown

    def open_request(self, number: int, edit: Edit) -> Path:
        """The plan job on request `number`: its branch is main plus `edit`."""
        self.requests[number] = edit
        self._checkout(edit(dict(self.main)))
        plan, markdown = self.plan(f"request-{number}")
        posted = self.ci(
            "comment", "--pr", str(number), "--body-file", str(markdown), "--plan-file", str(plan)
        )
        assert posted.exit_code == 0, posted.output
        return plan

    def merge(self, number: int) -> str:
        """Merge request `number` (its edit on top of main); the new commit."""
        sha = next(self._shas)
        self.main = self.requests[number](dict(self.main))
        self.at[sha] = self.main
        self.host.merge(sha, number)  # type: ignore[attr-defined]
        return sha

    def push(self, edit: Edit) -> str:
        """A commit pushed to the default branch without a request."""
        sha = next(self._shas)
        self.main = edit(dict(self.main))
        self.at[sha] = self.main
        self.host.push(sha)  # type: ignore[attr-defined]
        return sha

    def apply_run(self, sha: str) -> Result:
        """The apply job of commit `sha`: plan at that commit, then `ci apply-reviewed`."""
        self._checkout(self.at[sha])
        plan, _ = self.plan(f"main-{sha[-6:]}")
        return self.ci("apply-reviewed", str(plan), "--sha", sha)

    def ui_edit(self, edit: Edit) -> None:
        """Someone changes the billing system by hand (here: applies edited YAML)."""
        self.ui_edits.append(edit)
        files = dict(self.main)
        for earlier in self.ui_edits:
            files = earlier(files)
        self._checkout(files)
        result = self.cli("apply", "--auto-approve", "--allow-delete")
        assert result.exit_code == 0, result.output
        self._checkout(self.main)

    def pending(self) -> str:
        """The plan of the default branch against live now ('' when nothing is pending)."""
        self._checkout(self.main)
        result = self.cli("plan")
        assert result.exit_code == 0, result.output
        return "" if "No changes." in result.stdout else result.stdout
