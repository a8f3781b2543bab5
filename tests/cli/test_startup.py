"""A command's start-up: what it imports before its first request (`catalogsync.cli.main`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.main_probe import run_main
from tests.conftest import copy_example

_MODULES = """{
    "httpx._main": repr(sys.modules.get("httpx._main", "absent")),
    "rich": "rich" in sys.modules,
    "exporter": "catalogsync.exporter" in sys.modules,
    "catalog_writer": "catalogsync.catalog_writer" in sys.modules,
    "drift": "catalogsync.drift" in sys.modules,
    "render.html": "catalogsync.render.html" in sys.modules,
    "render.doctor": "catalogsync.render.doctor" in sys.modules,
    "importlib.metadata": "importlib.metadata" in sys.modules,
    "applier": "catalogsync.applier" in sys.modules,
    "lock": "catalogsync.lock" in sys.modules,
}"""


def _run(*args: str) -> dict[str, object]:
    return run_main(_MODULES, *args).found


def test_a_command_does_not_import_httpx_s_own_command_line(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "project")
    probe = _run("-C", str(project), "plan")
    assert probe["exit"] == 0
    # httpx imports `httpx._main` (rich, pygments) when it can; main() leaves it out.
    assert probe["httpx._main"] == "None" and probe["rich"] is False


def test_a_plan_imports_neither_the_exporter_nor_the_catalog_writer(tmp_path: Path) -> None:
    """`--only`/`--exclude` selectors live in `catalogsync.selection`: a plan needs them,
    not the export machinery they were once defined with."""
    project = copy_example(tmp_path / "project")
    probe = _run("-C", str(project), "plan", "--only", "package:*")
    assert probe["exit"] in (0, 2)
    assert probe["exporter"] is False and probe["catalog_writer"] is False


def test_a_text_plan_imports_no_drift_doctor_or_html_renderer(tmp_path: Path) -> None:
    """`render.outputs` imports those renderers when a command first prints with them."""
    project = copy_example(tmp_path / "project")
    probe = _run("-C", str(project), "plan")
    assert probe["exit"] == 0
    assert [probe[name] for name in ("drift", "render.html", "render.doctor")] == [False] * 3


def test_a_plan_imports_no_apply_machinery(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "project")
    probe = _run("-C", str(project), "plan")
    assert probe["exit"] == 0
    assert [probe[name] for name in ("applier", "lock")] == [False] * 2


def test_a_command_looks_for_no_pydantic_plugin(tmp_path: Path) -> None:
    """pydantic's plugin search reads every installed distribution's entry points through
    `importlib.metadata` when the first model is built (`cli._no_pydantic_plugins`)."""
    project = copy_example(tmp_path / "project")
    probe = _run("-C", str(project), "validate")
    assert probe["exit"] == 0
    assert probe["importlib.metadata"] is False


def test_pydantic_looks_for_its_plugins_as_pydantic_disable_plugins_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "some-plugin")
    project = copy_example(tmp_path / "project")
    probe = _run("-C", str(project), "validate")
    assert probe["exit"] == 0
    assert probe["importlib.metadata"] is True  # pydantic's own loader looked


def test_the_plugin_loader_stand_in_hands_anything_else_from_the_real_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should a later pydantic ask the private loader for more than `get_plugins`, the real
    module answers instead of every command failing on an ImportError."""
    import sys

    from catalogsync import cli

    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    monkeypatch.delitem(sys.modules, "pydantic.plugin._loader", raising=False)
    cli._no_pydantic_plugins()
    stand_in = sys.modules["pydantic.plugin._loader"]
    assert stand_in.get_plugins() == ()
    from pydantic.plugin._loader import _plugins

    assert isinstance(_plugins, dict | type(None))
    assert sys.modules["pydantic.plugin._loader"] is not stand_in
