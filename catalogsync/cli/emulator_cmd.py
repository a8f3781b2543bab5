"""`catalogsync emulator serve`: run a billing-system emulator as a real HTTP server."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from catalogsync import collector
from catalogsync.cli import cli
from catalogsync.emulator.backends import (
    emulator_backends,
    emulator_faults,
    emulator_profiles,
    make_emulator,
)
from catalogsync.emulator.faults import Faults
from catalogsync.emulator.server import serve as serve_app
from catalogsync.registry import DEFAULT_BACKEND

# CLI flag -> Faults field, for the flags that map one to one.
_FAULT_FLAGS = {
    "latency_ms": "latency_ms",
    "rate_limit": "rate_limit_per_second",
    "rate_limit_burst": "rate_limit_burst",
    "retry_after": "retry_after_seconds",
    "error_rate": "error_rate",
    "drop_rate": "drop_rate",
    "drop_after_processing": "drop_after_processing",
    "session_ttl": "session_ttl_seconds",
    "session_max_requests": "session_max_requests",
    "fail_names": "fail_names_matching",
    "max_batch_size": "max_batch_size",
    "max_page_size": "max_page_size",
    "max_sql_length": "max_sql_length",
    "all_or_nothing": "all_or_nothing",
    "seed": "seed",
}


#: The environment variable `serve` reads USER:PASS from when --credentials is not given.
CREDENTIALS_ENV = "CATALOGSYNC_EMULATOR_CREDENTIALS"


def _credentials(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """USER:PASS from `env:VAR`, `file:PATH` or $CATALOGSYNC_EMULATOR_CREDENTIALS.

    Never from the command line itself: every user of the machine can read it in `ps`.
    """
    kind, _, where = (value or "").partition(":")
    if value is None:
        text = os.environ.get(CREDENTIALS_ENV)
        if not text:
            return None
    elif kind == "env" and where:
        text = os.environ.get(where, "")
        if not text:
            raise click.BadParameter(f"environment variable {where} is not set", ctx, param)
    elif kind == "file" and where:
        try:
            text = Path(where).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"cannot read {where}: {exc}", ctx, param) from None
    else:
        raise click.BadParameter(
            "expected env:VARIABLE or file:PATH holding USER:PASS (a password on the command "
            "line is visible to every user in `ps`)",
            ctx=ctx,
            param=param,
        )
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise click.BadParameter("the credentials must read USER:PASS", ctx=ctx, param=param)
    return (user, password)


def _error_statuses(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter("expected comma-separated status codes", ctx=ctx) from None


class _ProfileOption(click.Option):
    """`--profile`: its help lists every backend's profiles, built only when help is shown
    (reading them imports the emulators, which a plain CLI start should not)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        lines = [
            "Variant of what the vendor documents leave open (default: strict, what they show)."
        ]
        for backend in emulator_backends():
            profiles = emulator_profiles(backend)
            lines.append(f"{backend}: " + "; ".join(f"{n} ({d})" for n, d in profiles.items()))
        self.help = "\n\n".join(lines)
        return super().get_help_record(ctx)


@cli.group("emulator")
def emulator() -> None:
    """Run a local billing-system emulator (a sandbox for plan/apply and tests)."""


@emulator.command("serve")
@click.option(
    "--backend",
    type=click.Choice(emulator_backends()),
    default=DEFAULT_BACKEND,
    show_default=True,
    help="Which billing system to emulate.",
)
@click.option(
    "--profile",
    cls=_ProfileOption,
    default="strict",
    show_default=True,
    metavar="NAME",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on; 0 picks a free port.",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file holding the state (kept across restarts); in memory when omitted.",
)
@click.option(
    "--credentials",
    metavar="env:VAR|file:PATH",
    callback=_credentials,
    help=(
        "Accept only the USER:PASS held in this environment variable or file (default: "
        f"${CREDENTIALS_ENV} if set, else any username and password). They also guard "
        "the /_emulator/ control endpoints (HTTP Basic)."
    ),
)
@click.option("--latency-ms", type=click.FloatRange(min=0), help="Delay every request.")
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Requests per second before answering 429 (token bucket).",
)
@click.option("--rate-limit-burst", type=click.IntRange(min=1), help="Token bucket size.")
@click.option(
    "--retry-after",
    type=click.FloatRange(min=0),
    help="Send Retry-After (seconds) with 429 and 503 answers.",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    help="Share of requests answered with an error status.",
)
@click.option(
    "--error-statuses",
    callback=_error_statuses,
    metavar="500,502,503",
    help="The statuses --error-rate picks from.",
)
@click.option(
    "--drop-rate",
    type=click.FloatRange(0, 1),
    help="Share of requests whose connection is dropped.",
)
@click.option(
    "--drop-after-processing",
    is_flag=True,
    default=None,
    help="Drop only after the request was processed (its writes committed).",
)
@click.option(
    "--session-ttl",
    type=click.FloatRange(min=0),
    help="Sessions expire after this many idle seconds.",
)
@click.option(
    "--session-max-requests",
    type=click.IntRange(min=1),
    help="Sessions expire after this many requests.",
)
@click.option(
    "--fail-names", metavar="REGEX", help="Writes of records whose Name matches fail (per record)."
)
@click.option(
    "--max-batch-size",
    type=click.IntRange(min=1),
    help="Refuse (400) write batches larger than this.",
)
@click.option(
    "--max-page-size",
    type=click.IntRange(min=1),
    help="Rows per query response at most (default 10000).",
)
@click.option(
    "--max-sql-length", type=click.IntRange(min=1), help="Longest SQL accepted (default 4000)."
)
@click.option(
    "--all-or-nothing",
    is_flag=True,
    default=None,
    help="A write batch with any failed record saves nothing.",
)
@click.option("--seed", type=int, help="Seed for the random faults (repeatable runs).")
@click.option("--quiet", is_flag=True, help="Do not log each request to stderr.")
def serve(
    backend: str,
    profile: str,
    host: str,
    port: int,
    db: Path | None,
    credentials: tuple[str, str] | None,
    error_statuses: tuple[int, ...] | None,
    quiet: bool,
    **fault_flags: Any,
) -> None:
    """Serve an emulator over HTTP until Ctrl-C.

    \b
    Prints "catalogsync emulator (BACKEND) listening on http://HOST:PORT" once it accepts
    connections (", profile NAME" follows BACKEND for a profile other than strict). Its
    counters are at GET /_emulator/stats; faults can be changed while it runs with
    POST /_emulator/faults (a JSON object of fault settings).
    """
    collector.for_a_server()  # it answers until stopped: its cycles must be collected
    faults = _faults(backend, fault_flags, error_statuses)
    _configure_logging(quiet)
    try:
        instance = make_emulator(backend, db, faults, credentials, profile)
    except ValueError as exc:  # an unknown profile: the message lists the known ones
        raise click.BadParameter(str(exc), param_hint="'--profile'") from None

    label = backend if profile == "strict" else f"{backend}, profile {profile}"

    def ready(url: str) -> None:
        click.echo(f"catalogsync emulator ({label}) listening on {url}")
        sys.stdout.flush()

    try:
        serve_app(instance.app, host, port, ready, log_level="warning")
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc
    finally:
        instance.close()
    click.echo("catalogsync emulator stopped", err=True)


def _faults(backend: str, flags: dict[str, Any], error_statuses: tuple[int, ...] | None) -> Faults:
    """The backend emulator's faults with the flags applied (a backend may have faults of
    its own, e.g. --max-sql-length, a cap on query SQL; another backend refuses them)."""
    changes = {_FAULT_FLAGS[k]: v for k, v in flags.items() if v is not None}
    if error_statuses is not None:
        changes["error_statuses"] = error_statuses
    faults = emulator_faults(backend)
    try:
        faults.update(changes)
    except ValueError as exc:
        raise click.UsageError(f"{exc} (the {backend} emulator)") from exc
    return faults


def _configure_logging(quiet: bool) -> None:
    """One line per request on stderr (the emulator's request log), unless --quiet."""
    logger = logging.getLogger("catalogsync.emulator")
    if quiet or logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
