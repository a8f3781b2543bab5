"""`catalogsync doctor`: check that an org speaks the API the way catalogsync expects."""

from __future__ import annotations

import asyncio
import sys

import click

from catalogsync.catalog import Catalog
from catalogsync.cli import Context, cli
from catalogsync.cli.output import output_format_option, output_style
from catalogsync.cli.record import record_option
from catalogsync.doctor import DoctorReport
from catalogsync.doctor.run import run_doctor
from catalogsync.errors import CatalogValidationError, UsageError
from catalogsync.loader import load_project_catalog
from catalogsync.render.outputs import DOCTOR_OUTPUTS, OutputFormat
from catalogsync.workflow import choose_target, connected


@cli.command()
@click.option("-t", "--target", "target_name", help="Target from catalogsync.yaml.")
@click.option(
    "--write-probe",
    is_flag=True,
    help="Also create, update and delete a disposable catalogsync-probe-<random> object to "
    "learn the write variants (for sandboxes; always cleaned up).",
)
@click.option("--yes", is_flag=True, help="Run the write probe without asking (CI).")
@output_format_option(DOCTOR_OUTPUTS, "How to print the findings.")
@record_option
@click.pass_obj
def doctor(
    ctx: Context, target_name: str | None, write_probe: bool, yes: bool, fmt: OutputFormat
) -> None:
    """Check that the target org speaks the API the way catalogsync expects.

    Read-only by default: login, every entity and field the mapping reads, lookup tables
    and the catalog's lookup names, the page cap, quoting of names, and the assumptions
    the vendor-behaviour ledger (docs/vendor-api.md) could not settle. Each finding says
    what catalogsync expects, what the org did, the verdict, and the catalogsync.yaml
    setting to use where the org differs. Exit 0 when compatible, 1 otherwise.
    """
    project = ctx.load_project()
    choice = choose_target(project, target_name)
    if write_probe and not yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "--write-probe writes to the target: confirm on a terminal, or pass --yes"
            )
        question = (
            f"Create, update and delete catalogsync-probe-* objects in target "
            f"'{choice.name}' ({choice.display_url})?"
        )
        if not click.confirm(question, default=False, err=True):
            raise click.Abort()
    try:
        desired: Catalog | None = load_project_catalog(project)
    except CatalogValidationError:
        desired = None  # `validate` reports those; doctor checks the org

    async def run() -> DoctorReport:
        async with connected(project, choice) as backend:
            return await run_doctor(
                backend,
                desired,
                target=choice.name,
                target_url=choice.display_url,
                write_probe=write_probe,
            )

    report = asyncio.run(run())
    click.echo(DOCTOR_OUTPUTS[fmt](report, output_style()))
    sys.exit(report.exit_code)
