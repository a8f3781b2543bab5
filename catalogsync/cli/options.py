"""Options several commands share, apart from the commands: `drift` and `export` importing
them from `plan_cmd` paid for the apply machinery it imports."""

from __future__ import annotations

import click

target_option = click.option(
    "-t", "--target", "target_name", help="Target from catalogsync.yaml (default: default_target)."
)
stats_option = click.option("--stats", is_flag=True, help="Print request counts and timings.")
