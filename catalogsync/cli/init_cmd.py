"""`catalogsync init`: start a project, or adopt a live catalog into a new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from catalogsync.adopt import write_export
from catalogsync.cli import Context, cli
from catalogsync.cli.export_cmd import fetched_and_prepared
from catalogsync.config import CONFIG_FILE, EMULATOR_URL, load_project
from catalogsync.errors import CatalogSyncError, UsageError
from catalogsync.exporter import Selection, SplitBy
from catalogsync.registry import DEFAULT_BACKEND, backend_names
from catalogsync.render.common import kind_words
from catalogsync.scaffold import CI_CHOICES, RealTarget, project_files
from catalogsync.workflow import choose_target, connected, plan_options
from catalogsync.yamlio import display_path


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(backend_names()),
    default=DEFAULT_BACKEND,
    show_default=True,
    help="The billing system the catalog is for.",
)
@click.option(
    "--from",
    "from_url",
    metavar="URL",
    help="Adopt a running billing system: add it as a target and export its live catalog "
    "into the project (instead of the sample catalog).",
)
@click.option(
    "--target-name",
    default="live",
    show_default=True,
    help="Name of the --from target in catalogsync.yaml.",
)
@click.option("--ci", type=click.Choice(CI_CHOICES), help="Also write a CI workflow.")
@click.pass_obj
def init(
    ctx: Context,
    directory: Path | None,
    backend: str,
    from_url: str | None,
    target_name: str,
    ci: str | None,
) -> None:
    """Start a catalog project in DIRECTORY (default: the -C folder).

    Writes catalogsync.yaml (the embedded emulator as the default target, a real target
    commented out), a small sample catalog, .gitignore (.catalogsync/), the editor schemas
    and, with --ci github, a workflow that validates and plans pull requests. Nothing that
    exists is overwritten.

    With --from URL the billing system at URL becomes the default target (credentials from
    the environment variables the config names) and its live catalog is exported into the
    project instead of the sample, ready to commit.
    """
    root = directory if directory is not None else ctx.project
    real = RealTarget(target_name, from_url) if from_url else None
    if from_url is not None and from_url.startswith(EMULATOR_URL):
        raise UsageError("--from needs the URL of a running billing system, not the emulator")
    files = project_files(backend, real=real, sample=real is None, ci=ci)
    existing = sorted(str(root / path) for path in files if (root / path).exists())
    if existing:
        raise UsageError(
            "init does not overwrite files; these exist already:\n  " + "\n  ".join(existing)
        )
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shown = display_path(root)
    click.echo(f"Created a {backend} catalog project in {shown}:")
    for relative in files:
        click.echo(f"  {relative}")
    if real is not None:
        _adopt(root, real, backend)
    click.echo("")
    click.echo("Next:")
    cd = "" if root == Path(".") else f"-C {shown} "
    click.echo(f"  catalogsync {cd}validate      # offline checks, every problem at once")
    if real is None:
        click.echo(f"  catalogsync {cd}plan          # what apply would change (embedded emulator)")
        click.echo(f"  catalogsync {cd}apply         # make it so, after a 'yes'")
        click.echo(
            f"  then edit {CONFIG_FILE}: uncomment the real target, and plan with -t sandbox"
        )
    else:
        click.echo(f"  catalogsync {cd}plan          # 'No changes.': commit the files")
        click.echo(f"  catalogsync {cd}drift         # nightly: what changed outside catalogsync")


def _adopt(root: Path, real: RealTarget, backend: str) -> None:
    """Export the live catalog of the new project's `--from` target into it."""
    project = load_project(root)
    choice = choose_target(project, real.name)
    users = list(real.credential_envs(backend).values())

    async def run() -> list[str]:
        async with connected(project, choice) as backend_:
            prepared = await fetched_and_prepared(
                project,
                backend_,
                plan_options(project, choice),
                out=root,
                selection=Selection(),
                split_by=SplitBy.PACKAGE,
                force=False,
            )
            counts = prepared.result.count()
            words = kind_words(backend)
            what = ", ".join(words.counted(counts[kind], kind) for kind in counts)
            click.echo(f"Exported {what} from '{real.name}' ({real.url}):")
            for path in prepared.targets():
                click.echo(f"  {display_path(path, root)}")
            return write_export(prepared, project)

    try:
        asyncio.run(run())
    except CatalogSyncError as exc:
        raise CatalogSyncError(
            f"{exc}\nThe project is created; nothing was exported. Once the target answers "
            f"(credentials from {', '.join(users)}), run: catalogsync -C "
            f"{display_path(root)} export"
        ) from exc
