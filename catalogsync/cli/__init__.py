"""The `catalogsync` command line: a click group and its error boundary.

This package is the only place that prints, prompts or exits. Each command lives in its
own module and registers itself on `cli` when imported at the bottom of this file.
"""

from __future__ import annotations

import contextvars
import importlib
import os
import sys
import traceback
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from catalogsync import __version__, collector, interrupt
from catalogsync.cli.output import COLOR_MODES, set_color_mode, use_color
from catalogsync.errors import EXIT_ERROR, CatalogSyncError

if TYPE_CHECKING:
    from catalogsync.config import Project


class _CatalogSyncGroup(click.Group):
    """A click group whose errors become one message on stderr and a documented exit code.

    click exits 2 on usage errors; catalogsync reserves 2 for "changes pending", so every
    usage error exits 1 here. Tracebacks are shown only with --debug.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"{__name__}.{module}")  # registers the command
        interrupt.checkpoint()  # start-up ends: what it imports is imported
        return super().get_command(ctx, cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        # A command runs in a context of its own: what it sets for its run (the words its
        # project's backend uses for each kind, `Context.load_project`) ends with it.
        return contextvars.copy_context().run(
            self._main, args, prog_name, complete_var, standalone_mode, **extra
        )

    def _main(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        standalone_mode: bool,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or bool(os.environ.get("CATALOGSYNC_DEBUG"))
        interrupt.reset()
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR if exc.exit_code == 2 else exc.exit_code)
        except click.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):  # click wraps Ctrl-C in Abort
                interrupt.exit_interrupted()
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_ERROR)
        except CatalogSyncError as exc:
            signum = interrupt.stopping()
            if signum is not None and not isinstance(exc, interrupt.Interrupted):
                # A request refused because the run was stopping: the stop is the news.
                exc = interrupt.Interrupted(signum)
            if debug:
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:  # a signal outside apply's writes (`catalogsync.interrupt`)
            interrupt.exit_interrupted()
        except Exception as exc:
            if debug:
                traceback.print_exc()
            else:
                click.echo(
                    f"Error: internal error: {type(exc).__name__}: {exc}\n"
                    "(this is a bug in catalogsync; run again with --debug for a traceback)",
                    err=True,
                )
            sys.exit(EXIT_ERROR)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


class Context:
    """What every command gets: the project folder and the debug flag."""

    def __init__(self, project: Path, debug: bool) -> None:
        self.project = project
        self.debug = debug

    def load_project(self) -> Project:
        """The project (`config.load_project`); from here on, every message names kinds in
        the words of its backend (where products are services, a service)."""
        # Imported here: `catalogsync --version` and --help need neither.
        from catalogsync.catalog import use_kind_words
        from catalogsync.config import load_project
        from catalogsync.registry import get_format

        project = load_project(self.project)
        use_kind_words(get_format(project.config.backend).kind_names)
        return project


@click.group(cls=_CatalogSyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The catalog project folder (the one holding catalogsync.yaml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option(
    "--color",
    type=click.Choice(COLOR_MODES),
    default="auto",
    show_default=True,
    help="Colour output: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR forces it).",
)
@click.version_option(__version__, prog_name="catalogsync")
@click.pass_context
def cli(ctx: click.Context, project: Path, debug: bool, color: str) -> None:
    """Catalog-as-code for billing systems.

    Declare packages, products and package-products in YAML, review a plan of what would
    change in the live billing system, and apply it.

    \b
    Exit codes:
      0  success, or no changes
      1  error (bad input, API failure, usage error)
      2  changes pending (plan --detailed-exitcode, drift)
      3  refused by a safety guard, or a stale plan
      4  apply finished with some changes failed
    """
    set_color_mode(color)
    # click.echo strips ANSI codes off a terminal unless told otherwise: tell it what we chose.
    ctx.color = use_color()
    ctx.obj = Context(project=project, debug=debug)


def main() -> None:
    """The command line, without the early login (`catalogsync.launch:main`, the console
    script's entry point, sends it first and then runs this)."""
    # CI cancels a job with SIGTERM: stop as on Ctrl-C (a message, exit 143), not silently.
    interrupt.unwind_on_sigterm()
    interrupt.remember_sigint()
    try:
        collector.for_a_command()
        _skip_httpx_command_line()
        _no_pydantic_plugins()
        cli.main(prog_name="catalogsync")
    except KeyboardInterrupt:  # before the group's own boundary (`_main`) or after it
        interrupt.exit_interrupted()
    finally:
        collector.before_exit()


def _skip_httpx_command_line() -> None:
    """Keep httpx from importing its own command line (`httpx._main`) with itself.

    httpx imports it whenever it can, and it can wherever rich and pygments are installed
    (a developer's environment, and many a user's): 30-60 ms of every command before its
    first request, for a command line catalogsync never runs. Without it httpx defines a
    `main` that says how to install it; nothing else of httpx changes."""
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def _no_pydantic_plugins() -> None:
    """Keep pydantic from looking for plugins (`pydantic.plugin._loader`) when it builds
    the first model.

    It reads every installed distribution's entry points for the group `pydantic`, through
    `importlib.metadata` (which imports email, zipfile, csv, ...): ~0.03 s of every command
    that validates its configuration, before its first request, for plugins (observability
    hooks on validation) catalogsync has no use for. Where PYDANTIC_DISABLE_PLUGINS is set,
    pydantic does as it says."""
    name = "pydantic.plugin._loader"
    if "PYDANTIC_DISABLE_PLUGINS" in os.environ or name in sys.modules:
        return
    loader = types.ModuleType(name)

    def real(attribute: str) -> Any:
        # A private module: should a pydantic to come ask it for anything else, the real
        # one answers (imported then, in the stand-in's place) rather than an ImportError
        # in every command. (The import system asks for dunders, `__path__`: not those.)
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        if sys.modules.get(name) is loader:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)

    loader.get_plugins = lambda: ()  # type: ignore[attr-defined]
    loader.__getattr__ = real  # type: ignore[method-assign]
    sys.modules[name] = loader


#: The module of each command. A command registers itself on `cli` when its module is
#: imported, and only the command that runs is imported: importing them all (the emulator's
#: web server, the CI integrations, every renderer) was a third of a plan's start-up.
COMMAND_MODULES = {
    "apply": "plan_cmd",
    "ci": "ci_cmd",
    "completion": "completion_cmd",
    "doctor": "doctor_cmd",
    "drift": "drift_cmd",
    "emulator": "emulator_cmd",
    "export": "export_cmd",
    "init": "init_cmd",
    "plan": "plan_cmd",
    "schema": "validate_cmd",
    "show": "plan_cmd",
    "validate": "validate_cmd",
}
