"""`catalogsync drift`: the scheduled check for changes made outside catalogsync."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from catalogsync import collector
from catalogsync.aio import run_main
from catalogsync.cli import Context, cli
from catalogsync.cli.options import stats_option, target_option
from catalogsync.cli.output import (
    output_format_option,
    output_style,
    print_stats,
    progress,
    ticking,
)
from catalogsync.cli.record import record_option
from catalogsync.drift import DriftReport, detect_drift
from catalogsync.errors import EXIT_CHANGES, EXIT_OK
from catalogsync.registry import get_format
from catalogsync.render.outputs import DRIFT_OUTPUTS, OutputFormat
from catalogsync.workflow import choose_target, connected, fetch_and_plan


@cli.command()
@target_option
@output_format_option(DRIFT_OUTPUTS, "How to print the report on stdout.")
@click.option(
    "--markdown-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the Markdown report (for a GitHub issue) to this file.",
)
@click.option(
    "--json-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the JSON report to this file.",
)
@click.option(
    "--ignore-unmanaged",
    is_flag=True,
    help="Do not report live objects the YAML does not declare.",
)
@stats_option
@record_option
@click.pass_obj
def drift(
    ctx: Context,
    target_name: str | None,
    fmt: OutputFormat,
    markdown_out: Path | None,
    json_out: Path | None,
    ignore_unmanaged: bool,
    stats: bool,
) -> None:
    """Report how the billing system differs from the YAML. Never writes to it.

    Every finding is classified: CHANGED (a declared object whose live fields differ,
    field by field, with the live update time and user), MISSING (declared, not live) and
    UNMANAGED (live, not declared, with a YAML snippet to adopt it). Fields covered by
    `ignore` rules in catalogsync.yaml are not compared, and are listed in the report.

    Exit 0 when there is no drift, 2 when there is, 1 on error. Meant for a scheduled job:
    `catalogsync drift --markdown-out drift.md` and open an issue when it exits 2.
    """
    project = ctx.load_project()
    choice = choose_target(project, target_name)

    async def run() -> tuple[DriftReport, dict[str, object]]:
        async with connected(project, choice) as backend:
            fetching = progress("fetching the live catalog", "kinds")
            async with ticking(fetching):
                desired, live, plan = await fetch_and_plan(project, choice, backend, fetching)
            collector.outlive(desired, live)  # not freed an object at a time as this returns
            report = detect_drift(
                plan,
                desired,
                live,
                get_format(project.config.backend),
                ignore=project.config.ignore,
                include_unmanaged=not ignore_unmanaged,
            )
            return report, backend.stats()

    # run_main: `asyncio.run` would make the report into text once it ends (see run_main).
    report, request_stats = run_main(run())
    style = output_style()
    if markdown_out is not None:
        markdown_out.write_text(
            DRIFT_OUTPUTS[OutputFormat.MARKDOWN](report, style), encoding="utf-8"
        )
    if json_out is not None:
        json_out.write_text(
            DRIFT_OUTPUTS[OutputFormat.JSON](report, style) + "\n", encoding="utf-8"
        )
    click.echo(DRIFT_OUTPUTS[fmt](report, style))
    if stats:
        print_stats(request_stats)
    sys.exit(EXIT_CHANGES if report.has_drift else EXIT_OK)
