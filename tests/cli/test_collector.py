"""How a run uses Python's cyclic collector (`catalogsync.collector`): a command runs with
it off and its teardown does not re-scan what it kept; a server runs with it on."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from catalogsync import collector
from catalogsync.cli import cli, emulator_cmd
from tests.cli.main_probe import run_main
from tests.conftest import copy_example

_STATE = '{"collector on": gc.isenabled(), "frozen": gc.get_freeze_count() > 0}'


def test_a_command_runs_without_the_cyclic_collector_and_spares_its_teardown() -> None:
    done = run_main(_STATE, "--version")
    assert done.found == {"exit": 0, "collector on": False, "frozen": True}, done.stderr
    assert done.stdout.startswith("catalogsync")


def test_a_failed_command_still_says_why_and_exits_with_its_code() -> None:
    done = run_main(_STATE, "plan", "--no-such-option")
    assert "No such option" in done.stderr
    assert done.found == {"exit": 1, "collector on": False, "frozen": True}


@pytest.fixture
def collector_restored() -> Iterator[None]:
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


@pytest.mark.usefixtures("collector_restored")
def test_the_emulator_server_collects_cycles_as_it_runs_for_hours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[bool, tuple[int, int, int]]] = []

    def serve_app(*args: Any, **kwargs: Any) -> None:
        seen.append((gc.isenabled(), gc.get_threshold()))

    monkeypatch.setattr(emulator_cmd, "serve_app", serve_app)
    collector.for_a_command()
    result = CliRunner().invoke(cli, ["emulator", "serve", "--port", "0", "--quiet"])
    assert result.exit_code == 0, result.output
    assert seen == [(True, collector.SERVER_THRESHOLDS)]


def test_a_pause_turns_the_collector_off_and_leaves_it_as_it_found_it() -> None:
    was = gc.isenabled()
    try:
        for before in (True, False):  # a server's, a command's
            (gc.enable if before else gc.disable)()
            with collector.paused():
                assert not gc.isenabled()
            assert gc.isenabled() is before
        gc.enable()
        with pytest.raises(RuntimeError), collector.paused():
            raise RuntimeError("a plan file that does not read")
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()


_KEPT = """{
    "kept": sorted(
        type(kept).__name__
        for kept in __import__("catalogsync.collector").collector._OUTLIVING[1:]
    )
}"""


def test_a_plan_and_a_drift_keep_their_catalogs_until_the_process_exits(tmp_path: Path) -> None:
    """What a read-only command read is kept to the end (`collector.outlive`), not freed an
    object at a time as the step that read it returns."""
    project = copy_example(tmp_path / "project")
    for command, code in (("plan", 0), ("drift", 2)):
        done = run_main(_KEPT, "-C", str(project), command)
        assert done.found == {"exit": code, "kept": ["Catalog", "LiveCatalog"]}, done.stderr


@pytest.mark.long  # (in process: test_export_check's test_a_command_keeps_the_choice_...)
def test_an_export_keeps_its_live_catalog_and_choice_until_the_process_exits(
    tmp_path: Path,
) -> None:
    """The export's live catalog, its choice (records, links) and the proof's index are
    kept to the end too, not freed as `prepare_export` and the read return; and so is what
    the example's BillingPlatform read was built from (`Backend.reads_outlive`): its rows
    (`LiveRows`, with their tables), the pages that ended each kind's read (a dict), the
    pages asked ahead and the first pages (two lists)."""
    project = copy_example(tmp_path / "project")
    done = run_main(_KEPT, "-C", str(project), "export", "--out", str(tmp_path / "out"))
    kept = ["Chosen", "LiveCatalog", "LiveRows", "StagedCheck", "dict", "list", "list"]
    assert done.found == {"exit": 0, "kept": kept}, done.stderr


_OUTLIVED = """
import os, sys
from catalogsync import collector
class Told:
    def __del__(self, write=os.write):  # (os may be gone by the teardown's end)
        write(1, b"freed ")
if sys.argv[1] == "command":
    collector.for_a_command()
elif sys.argv[1] == "server":
    collector.for_a_command()
    collector.for_a_server()
collector.outlive(Told())  # freed at once unless kept
collector.before_exit()
"""


def test_what_a_command_outlives_is_left_to_the_exit_and_elsewhere_nothing_is_kept() -> None:
    printed = {
        kind: subprocess.run(
            [sys.executable, "-c", _OUTLIVED, kind], capture_output=True, text=True, check=True
        ).stdout.split()
        for kind in ("command", "server", "test")
    }
    assert printed == {"command": [], "server": ["freed"], "test": ["freed"]}
