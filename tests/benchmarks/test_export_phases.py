"""`python -m benchmarks.export_phases`: the CPU of an export's steps after the read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from benchmarks.export_phases import BESIDE_STEPS, STEPS, main, measure
from benchmarks.proof_steps import PROOF_STEPS
from catalogsync import loader
from catalogsync.registry import get_format
from catalogsync.yamlcolumns import file_resources
from catalogsync.yamlio import read_yaml_parts
from tests.clirun import run
from tests.conftest import copy_example


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project, applied to its embedded emulator: an export of some objects."""
    project = copy_example(tmp_path_factory.mktemp("applied") / "project")
    assert run(project, "apply", "--auto-approve")[0] == 0
    return project


def test_each_step_is_timed_and_the_texts_digest_is_the_same_each_run(applied: Path) -> None:
    steps, digest = measure(applied, repeat=2)
    assert list(steps) == list(STEPS)
    assert all(seconds >= 0 for seconds in steps.values())
    assert steps["texts"] > 0 and steps["check_files"] > 0
    # (an export of something: not the digest of no text at all)
    assert digest != hashlib.sha256(b"").hexdigest()
    assert len(digest) == 64 and measure(applied, repeat=1)[1] == digest


def test_the_command_prints_one_line_of_steps(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--repeat", "1", str(applied)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("choose ") and "check_files " in line and "texts sha256 " in line


def test_the_proof_steps_are_parts_of_the_check_and_the_loader_is_as_before(
    applied: Path,
) -> None:
    steps, _ = measure(applied, repeat=1, proof_steps=True)
    assert list(steps) == [*STEPS, *PROOF_STEPS]
    parts = [steps[step] for step in PROOF_STEPS]
    assert all(seconds >= 0 for seconds in parts)
    assert steps["read_parse"] > 0 and steps["validate"] > 0 and steps["resources"] > 0
    assert sum(parts) <= steps["check_files"]  # (each part is timed within the check)
    # The wrappers are gone: the loader calls its own functions again.
    assert vars(loader)["read_yaml_parts"] is read_yaml_parts
    assert vars(loader)["file_resources"] is file_resources
    assert vars(loader)["_validated"].__module__ == "catalogsync.loader"
    assert "to_resources" not in vars(get_format("billingplatform"))


def test_beside_times_the_texts_and_checks_as_the_command_shares_them(applied: Path) -> None:
    steps, _ = measure(applied, repeat=1, beside=True)
    assert list(steps) == [*STEPS, *BESIDE_STEPS]
    assert steps["beside_here"] + steps["beside_child"] > 0 and steps["beside_wall"] > 0


def test_the_command_prints_a_line_for_each_option(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--repeat", "1", "--proof-steps", "--beside", str(applied)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("choose ")
    assert lines[1].startswith("check_files: columns ") and " other " in lines[1]
    assert lines[2].startswith("shared: beside_here ") and "in all)" in lines[2]
