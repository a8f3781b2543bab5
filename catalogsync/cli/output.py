"""How the CLI writes: colour only on a TTY without NO_COLOR; progress only on a TTY."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

import click

from catalogsync.plan import Plan
from catalogsync.render import render_json, render_markdown, render_text
from catalogsync.render_html import render_plan_html

FORMATS = ("text", "markdown", "json", "html")


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def render_plan(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "html":
        return render_plan_html(plan)
    return render_text(plan, color=use_color())


def progress(label: str) -> Callable[[int, int], None] | None:
    """A (done, total) callback that shows a progress line on stderr, or None off a TTY."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        click.echo(f"\r{label}: {done}/{total}", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return show


def print_stats(stats: dict[str, Any]) -> None:
    """Request counts and timings (--stats), on stderr so stdout stays clean."""
    click.echo("stats: " + json.dumps(stats, sort_keys=True, default=str), err=True)
