"""`catalogsync validate` and `catalogsync schema`: offline checks and editor schemas."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from catalogsync.catalog import Kind
from catalogsync.cli import Context, cli
from catalogsync.config import config_schema_text
from catalogsync.errors import EXIT_ERROR, Issue
from catalogsync.project_check import ProjectCheck, check_project
from catalogsync.registry import backend_names, get_format

VALIDATE_FORMATS = ("text", "github", "json")


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(VALIDATE_FORMATS),
    default="text",
    show_default=True,
    help="text: FILE:LINE:COL: message on stderr. github: workflow-command annotations "
    "(::error file=…,line=…) on stdout, shown on the pull request's lines. json: one JSON "
    "document on stdout.",
)
@click.pass_obj
def validate(ctx: Context, fmt: str) -> None:
    """Check the project offline: catalogsync.yaml, then the catalog's syntax, fields,
    values and references.

    Every problem is reported at once, as FILE:LINE:COL: message. Exit 0 when the project
    is valid, 1 when it is not. Nothing is sent to the billing system.
    """
    check = check_project(ctx.project)
    if fmt == "json":
        click.echo(json.dumps(_as_json(check), indent=2, sort_keys=True))
    elif fmt == "github":
        for issue in check.issues:
            click.echo(github_annotation(issue))
        for issue in check.warnings:
            click.echo(github_annotation(issue, level="warning"))
    else:
        for issue in check.warnings:  # the pricing lint's warnings: never fatal
            click.echo(str(issue), err=True)
    if not check.valid:
        if fmt == "text":
            raise check.error()
        sys.exit(EXIT_ERROR)
    if fmt != "json":
        assert check.backend is not None and check.counts is not None
        fmt_ = get_format(check.backend)
        summary = ", ".join(fmt_.counted(check.counts[kind], kind) for kind in Kind)
        n = len(check.warnings)
        noted = f" ({n} lint warning{'s' if n != 1 else ''})" if n else ""
        click.echo(f"catalog is valid ({check.backend}): {summary}{noted}")


def _as_json(check: ProjectCheck) -> dict[str, Any]:
    def located(issue: Issue) -> dict[str, Any]:
        where = issue.location
        return {
            "message": issue.message,
            "file": where.path if where else None,
            "line": where.line if where else None,
            "column": where.column if where else None,
        }

    counts = {kind.value: n for kind, n in check.counts.items()} if check.counts else None
    return {
        "valid": check.valid,
        "backend": check.backend,
        "counts": counts,
        "problems": [located(issue) for issue in sorted(check.issues, key=Issue.sort_key)],
        "warnings": [located(issue) for issue in check.warnings],
    }


def github_annotation(issue: Issue, level: str = "error") -> str:
    """`::error file=F,line=L,col=C::message`, escaped as GitHub's workflow commands need."""
    message = _escape(issue.message)
    where = issue.location
    if where is None:
        return f"::{level} title=catalogsync validate::{message}"
    props = f"file={_escape(where.path, prop=True)},line={where.line},col={where.column}"
    return f"::{level} {props},title=catalogsync validate::{message}"


def _escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def schema_filename(backend: str) -> str:
    """File name of a backend's catalog JSON Schema in `schemas/`."""
    return f"{backend}.catalog.schema.json"


def render_schema(backend: str) -> str:
    """A backend's catalog JSON Schema, as the text written to `schemas/`."""
    return get_format(backend).json_schema_text()


#: The JSON Schema of catalogsync.yaml, beside the catalog ones in `schemas/`.
CONFIG_SCHEMA_FILE = "catalogsync.schema.json"


def _schemas() -> list[tuple[str, str]]:
    catalogs = [(schema_filename(b), render_schema(b)) for b in backend_names()]
    return [*catalogs, (CONFIG_SCHEMA_FILE, config_schema_text())]


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
@click.pass_obj
def schema(ctx: Context, out_dir: Path, check: bool) -> None:
    """Write the JSON Schemas: each backend's catalog format, and catalogsync.yaml's.

    Editors use them through the modeline at the top of a file:
    `# yaml-language-server: $schema=../../schemas/BACKEND.catalog.schema.json`.
    A relative --out is relative to the -C folder.
    """
    out_dir = ctx.project / out_dir
    stale = []
    for filename, text in _schemas():
        path = out_dir / filename
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
