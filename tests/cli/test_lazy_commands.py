"""Commands are imported only when they run: the table in `catalogsync.cli` must name every
command each module registers, and a plan must not pay for the others' imports."""

from __future__ import annotations

import importlib
import subprocess
import sys

from catalogsync.cli import COMMAND_MODULES, cli


def test_the_command_table_names_every_registered_command() -> None:
    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"catalogsync.cli.{module}")
    assert set(cli.commands) == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        callback = cli.commands[name].callback
        assert callback is not None and callback.__module__ == f"catalogsync.cli.{module}"


def test_running_one_command_imports_no_other_command_module() -> None:
    script = (
        "import sys\n"
        "from catalogsync.cli import cli\n"
        "cli.main(['validate', '--help'], standalone_mode=False)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('catalogsync.cli.'))))\n"
        "print(' '.join(m for m in ('deepdiff', 'starlette', 'sqlglot') if m in sys.modules))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert shown[-2].split() == ["catalogsync.cli.output", "catalogsync.cli.validate_cmd"]
    assert shown[-1] == ""  # the differ, the emulator's web stack and SQL parser: unused here


def test_the_version_imports_no_renderer_and_no_configuration_model() -> None:
    """`catalogsync --version` (and the group itself) loads neither the renderers nor
    pydantic: they were two thirds of its start-up."""
    script = (
        "import sys\n"
        "from catalogsync.cli import cli\n"
        "cli.main(['--version'], standalone_mode=False)\n"
        "print(' '.join(m for m in sys.modules if m.startswith(('catalogsync.render', 'pydantic'))))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert shown[-1] == ""


def test_drift_and_export_do_not_import_the_apply_machinery() -> None:
    """Their shared options live in `cli.options`, not in `plan_cmd` (which imports the
    applier and the lock)."""
    for command in ("drift", "export"):
        script = (
            "import sys\n"
            "from catalogsync.cli import cli\n"
            f"cli.main(['{command}', '--help'], standalone_mode=False)\n"
            "print(' '.join(m for m in ('catalogsync.cli.plan_cmd', 'catalogsync.applier') "
            "if m in sys.modules))\n"
        )
        shown = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        assert shown[-1] == "", command
