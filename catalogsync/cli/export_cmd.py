"""`catalogsync export`: adopt a running billing system — live catalog → catalog YAML."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from catalogsync import collector
from catalogsync.adopt import PreparedExport, export_header, prepare_export, write_export
from catalogsync.aio import run_main
from catalogsync.backend_api import Backend
from catalogsync.catalog import Kind
from catalogsync.catalog_cache_keys import hinted_counts
from catalogsync.cli import Context, cli
from catalogsync.cli.options import stats_option, target_option
from catalogsync.cli.output import print_stats, progress, ticking
from catalogsync.cli.record import record_option
from catalogsync.config import Project
from catalogsync.export_ahead import ExportAhead
from catalogsync.exporter import Selection, SplitBy
from catalogsync.partial import parse_selection
from catalogsync.planner import PlanOptions
from catalogsync.registry import get_format
from catalogsync.render.common import kind_words
from catalogsync.staging import staging_folder
from catalogsync.workflow import choose_target, connected, plan_options

_SELECTOR_HELP = (
    "KIND[:GLOB], repeatable. KIND is product, package or package-product; GLOB matches the "
    "name (or 'package / product' of a package-product), e.g. 'package:Gold*'."
)


@cli.command(name="export")
@target_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the catalog files into (default: the project folder).",
)
@click.option(
    "--split-by",
    type=click.Choice([s.value for s in SplitBy]),
    default=SplitBy.PACKAGE.value,
    show_default=True,
    help="package: products.yaml + packages/<name>.yaml; kind: products.yaml + "
    "packages.yaml; none: one catalog.yaml.",
)
@click.option(
    "--only", multiple=True, metavar="KIND[:GLOB]", help="Export only these. " + _SELECTOR_HELP
)
@click.option(
    "--exclude", multiple=True, metavar="KIND[:GLOB]", help="Leave these out. " + _SELECTOR_HELP
)
@click.option("--force", is_flag=True, help="Overwrite catalog files that already exist.")
@click.option("--dry-run", is_flag=True, help="Show which files would be written; write nothing.")
@stats_option
@record_option
@click.pass_obj
def export(
    ctx: Context,
    target_name: str | None,
    out: Path | None,
    split_by: str,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    force: bool,
    dry_run: bool,
    stats: bool,
) -> None:
    """Write the live catalog as catalog YAML, so `plan` then shows no changes.

    Adopting a running billing system is this command plus a commit. Only fields with a
    value are written (an absent field is not managed); objects the project already
    declares are not written again; objects a selected one needs (its package, product,
    parent) are added. Before writing, the export is loaded back and planned against the
    same live catalog: if any exported object would not plan as unchanged, nothing is
    written. Existing files are never overwritten without --force.
    """
    project = ctx.load_project()
    choice = choose_target(project, target_name)
    selection = parse_selection(only, exclude, get_format(project.config.backend))
    destination = out if out is not None else project.root

    async def run() -> tuple[PreparedExport, dict[str, object]]:
        async with connected(project, choice) as backend:
            prepared = await fetched_and_prepared(
                project,
                backend,
                plan_options(project, choice),
                out=destination,
                selection=selection,
                split_by=SplitBy(split_by),
                force=force,
            )
            return prepared, backend.stats()

    prepared, request_stats = run_main(run())
    with prepared:  # its staging folder goes, written or not
        _report(prepared, project, choice.name, dry_run=dry_run)
    if stats:
        print_stats(request_stats)


async def fetched_and_prepared(
    project: Project,
    backend: Backend,
    options: PlanOptions,
    *,
    out: Path,
    selection: Selection,
    split_by: SplitBy,
    force: bool,
) -> PreparedExport:
    """The live catalog read (with progress) and the export made of it and verified
    (`prepare_export`): what `export` and `init --from` write."""
    fmt = get_format(project.config.backend)
    # The products' file is made beside the rest of the read once the backend knows every
    # product (`export_ahead`); stopped and removed unless the export takes it.
    with ExportAhead(
        fmt,
        options,
        selection=selection,
        split_by=split_by,
        header=export_header(fmt, options.target, out),
        staging=functools.partial(staging_folder, out),
    ) as ahead:
        backend.hand_out(ahead.ready)
        backend.reads_outlive()  # this command exits once the export is made
        hint = _counts_hint(project)
        backend.expect_counts(lambda: hint)
        fetching = progress("fetching the live catalog", "kinds")
        async with ticking(fetching):
            live = await backend.fetch_live(fetching)
        backend.reads_done()  # (nothing more is read)
        collector.outlive(live)  # not freed an object at a time once the export is made
        return prepare_export(
            project,
            live,
            options,
            out=out,
            selection=selection,
            split_by=split_by,
            force=force,
            ahead=ahead,
        )


def _counts_hint(project: Project) -> dict[Kind, int] | None:
    """How many objects of each kind the catalog cache's entry names (unchecked: a hint,
    the one the early login asked its pages by), unless the cache is switched off."""
    counts = hinted_counts(project.state_dir, os.environ)
    if counts is None:
        return None
    return {kind: counts[kind.value] for kind in Kind if kind.value in counts}


def _report(prepared: PreparedExport, project: Project, target: str, *, dry_run: bool) -> None:
    """Say what the export writes (or would), and write it unless `dry_run`."""
    result = prepared.result
    if not result.files and not result.skipped:
        click.echo(
            f"Nothing new to export: the project already declares every selected object "
            f"of target '{target}'."
        )
        return
    counts = prepared.counts()
    words = kind_words(project.config.backend)
    what = ", ".join(words.counted(counts[kind], kind) for kind in counts)
    verb = "Would write" if dry_run else "Wrote"
    click.echo(f"{verb} {what} from target '{target}' into {len(result.files)} file(s):")
    click.echo("".join(f"  {shown}\n" for shown in prepared.shown()), nl=False)
    notes = prepared.notes if dry_run else write_export(prepared, project)
    if result.added:
        click.echo(f"Added {len(result.added)} object(s) that selected objects need:")
        click.echo("".join(f"  {words.title(ref)}\n" for ref in result.added[:20]), nl=False)
    for ref, why in result.skipped:
        click.echo(f"Warning: not exported: {words.title(ref)}: {why}", err=True)
    for note in notes:  # information, not a warning: on stdout with the rest
        click.echo(note[:1].upper() + note[1:])
    if result.files:
        click.echo("Checked: the exported catalog loads and plans with no changes for it.")
