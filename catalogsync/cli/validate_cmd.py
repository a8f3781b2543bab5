"""`catalogsync validate` and `catalogsync schema`: offline checks and editor schemas."""

from __future__ import annotations

from pathlib import Path

import click

from catalogsync.catalog import Catalog, Kind
from catalogsync.cli import Context, cli
from catalogsync.config import Project, load_project
from catalogsync.errors import CatalogValidationError
from catalogsync.lint import LintFinding, lint_catalog
from catalogsync.loader import load_project_catalog
from catalogsync.registry import BACKEND_NAMES, get_format
from catalogsync.review_config import LintLevel


@cli.command()
@click.pass_obj
def validate(ctx: Context) -> None:
    """Check the project's catalog offline: syntax, fields, references.

    Every problem is reported at once, as FILE:LINE:COL: message. Exit 0 when the catalog
    is valid, 1 when it is not. Nothing is sent to the billing system.
    """
    project = load_project(ctx.project)
    catalog = load_project_catalog(project)
    warnings = run_lint(project, catalog)
    counts = catalog.count()
    summary = ", ".join(f"{counts[kind]} {kind.plural.replace('_', '-')}" for kind in Kind)
    noted = (
        f" ({len(warnings)} lint warning{'s' if len(warnings) != 1 else ''})" if warnings else ""
    )
    click.echo(f"catalog is valid ({project.config.backend}): {summary}{noted}")


def run_lint(project: Project, catalog: Catalog) -> list[LintFinding]:
    """Print the pricing lint's warnings on stderr; raise for its errors (exit 1)."""
    config = project.config
    findings = lint_catalog(catalog, get_format(config.backend), config.lint, config.pricing)
    warnings = [f for f in findings if f.level is LintLevel.WARNING]
    for finding in warnings:
        click.echo(str(finding.issue()), err=True)
    errors = [f.issue() for f in findings if f.level is LintLevel.ERROR]
    if errors:
        raise CatalogValidationError(errors)
    return warnings


def schema_filename(backend: str) -> str:
    """File name of a backend's catalog JSON Schema in `schemas/`."""
    return f"{backend}.catalog.schema.json"


def render_schema(backend: str) -> str:
    """A backend's catalog JSON Schema, as the text written to `schemas/`."""
    return get_format(backend).json_schema_text()


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="schemas",
    show_default=True,
    help="Folder to write the schemas into.",
)
@click.option("--check", is_flag=True, help="Do not write; exit 1 if a schema is stale.")
def schema(out_dir: Path, check: bool) -> None:
    """Write the JSON Schema of each backend's catalog format.

    Editors use it through the modeline at the top of a catalog file:
    `# yaml-language-server: $schema=../../schemas/billingplatform.catalog.schema.json`
    """
    stale = []
    for backend in BACKEND_NAMES:
        path = out_dir / schema_filename(backend)
        text = render_schema(backend)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        if check:
            stale.append(str(path))
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}")
    if stale:
        raise click.ClickException("stale schemas (run `catalogsync schema`): " + ", ".join(stale))
