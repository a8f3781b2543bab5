"""apply's confirmation: names the target and the counts (deletes first); only `yes` goes."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.applier import apply_plan
from catalogsync.cli import cli, plan_cmd
from tests.conftest import copy_example


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(plan_cmd, "stdin_is_terminal", lambda: True)
    return copy_example(tmp_path / "example")


def apply(project: Path, answer: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), "apply", *args], input=answer)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("answer", ["y\n", "Y\n", "yes please\n", "\n", "no\n"])
def test_anything_but_yes_cancels_and_writes_nothing(example: Path, answer: str) -> None:
    code, _, err = apply(example, answer)
    assert code == 1
    assert "Error: apply cancelled (only 'yes' approves); nothing was changed" in err
    result = CliRunner().invoke(cli, ["-C", str(example), "plan", "--detailed-exitcode"])
    assert result.exit_code == 2  # still everything to create


def test_the_question_names_target_url_and_counts_with_deletes_first(example: Path) -> None:
    assert apply(example, "yes\n")[0] == 0
    consumer = example / "packages" / "consumer.yaml"
    text = consumer.read_text(encoding="utf-8")
    consumer.write_text(text.replace("      - product: SMS Bundle\n        min_qty: 0\n", ""))
    products = example / "products.yaml"
    products.write_text(products.read_text().replace('rate: "2.00"', 'rate: "2.50"'))
    code, out, err = apply(example, "yes\n", "--allow-delete")
    assert code == 0, err
    assert (
        "Apply these changes to target 'local' (emulator:)?\n"
        "  catalogsync will DELETE 1 and update 1 object(s) in billingplatform.\n"
        "  Only 'yes' will be accepted to approve.\n"
    ) in err
    assert "Apply: 2 succeeded, 0 failed, 0 skipped." in out


def test_a_partial_plan_says_so_in_the_question(example: Path) -> None:
    code, _, err = apply(example, "yes\n", "--only", "product:Voicemail")
    assert code == 0
    assert "to target 'local' (emulator:) (a partial plan)?" in err
    assert "catalogsync will create 1 object(s)" in err


def test_auto_approve_shows_the_whole_plan_before_the_first_write(
    example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESIGN.md §3: plan, show, ask (or --auto-approve), execute. A CI log must hold every
    change before anything is written, not a plan printed while the writes run."""
    shown_before_writes: list[str] = []

    async def apply_plan_seeing_stdout(*args: object, **kwargs: object) -> object:
        sys.stdout.flush()
        buffer = sys.stdout.buffer
        assert isinstance(buffer, io.BytesIO)  # CliRunner's capture
        shown_before_writes.append(buffer.getvalue().decode())
        return await apply_plan(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("catalogsync.applier.apply_plan", apply_plan_seeing_stdout)
    code, out, _ = apply(example, "", "--auto-approve")
    assert code == 0
    [before] = shown_before_writes
    assert "Plan:" in before and "to create" in before
    assert out.startswith(before)  # the report follows the plan, nothing printed in between
    assert "Apply:" not in before and "Apply:" in out
