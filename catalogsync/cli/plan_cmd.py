"""`catalogsync plan`, `apply` and `show`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import click

from catalogsync import collector
from catalogsync.aio import run_main
from catalogsync.cli import Context, cli, first_wave
from catalogsync.cli.options import stats_option, target_option
from catalogsync.cli.output import (
    output_format_option,
    output_style,
    print_stats,
    progress,
    ticking,
)
from catalogsync.cli.record import record_option
from catalogsync.errors import EXIT_CHANGES, EXIT_OK, UsageError
from catalogsync.guards import check_guards
from catalogsync.interrupt import exit_code_for, signal_name, stop_on_signals, stopping
from catalogsync.partial import check_selection, parse_selection, select_plan
from catalogsync.plan import Plan
from catalogsync.registry import get_format
from catalogsync.render.outputs import APPLY_OUTPUTS, PLAN_OUTPUTS, OutputFormat, OutputStyle
from catalogsync.report import ApplyReport, Outcome
from catalogsync.workflow import (
    assess,
    check_saved_plan,
    choose_target,
    connected,
    fetch_and_plan,
    guard_options,
)

override_option = click.option(
    "--override-policy",
    "overrides",
    multiple=True,
    metavar="NAME",
    help="Let this plan break the named policy; recorded in the plan for the review.",
)
_SELECTOR_HELP = (
    "KIND[:GLOB], repeatable. KIND is product, package or package-product (package_product "
    "works too), or what the project's backend calls it (e.g. service); GLOB matches the "
    "name (or 'package / product' of a package-product), e.g. 'package:Gold*'."
)
only_option = click.option(
    "--only",
    multiple=True,
    metavar="KIND[:GLOB]",
    help="Plan only these objects (and what they need). " + _SELECTOR_HELP,
)
exclude_option = click.option(
    "--exclude", multiple=True, metavar="KIND[:GLOB]", help="Leave these out. " + _SELECTOR_HELP
)
summary_option = click.option(
    "--summary", is_flag=True, help="Print counts per kind instead of every change."
)
format_option = output_format_option(PLAN_OUTPUTS, "How to print the plan.")


@cli.command()
@target_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan file.")
@format_option
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes (0 when none)."
)
@override_option
@only_option
@exclude_option
@summary_option
@stats_option
@record_option
@click.pass_obj
def plan(
    ctx: Context,
    target_name: str | None,
    out: Path | None,
    fmt: OutputFormat,
    detailed_exitcode: bool,
    overrides: tuple[str, ...],
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    summary: bool,
    stats: bool,
) -> None:
    """Show what apply would change. Never writes to the billing system.

    Fetches the live catalog, compares it with the YAML, and prints the plan. With --out,
    the plan is saved so `apply PLANFILE` executes exactly what was reviewed. With --only
    or --exclude the plan is partial (marked so), and its file applies only with the same
    selection.
    """
    project = ctx.load_project()
    choice = choose_target(project, target_name)
    selection = parse_selection(only, exclude, get_format(project.config.backend))

    async def run() -> tuple[Plan, dict[str, object]]:
        async with connected(project, choice) as backend:
            fetching = progress("fetching the live catalog", "kinds")
            async with ticking(fetching):
                desired, live, made = await fetch_and_plan(project, choice, backend, fetching)
            collector.outlive(desired, live)  # not freed an object at a time as this returns
            chosen = select_plan(made, selection)
            return assess(project, chosen, desired, live, overrides), backend.stats()

    # run_main: `asyncio.run` made the whole plan into text as it ended (see run_main):
    # twice ~1 s of CPU for a cold M plan's 41,000 creates.
    made, request_stats = run_main(run())
    if out is not None:
        made.write(out)
    _echo_plan(made, fmt, output_style(summary=summary), nl=fmt != OutputFormat.JSON)
    if out is not None and not fmt.is_whole_file:
        click.echo(f"Saved the plan to {out} ({made.plan_hash}).")
    if stats:
        print_stats(request_stats)
    code = EXIT_CHANGES if detailed_exitcode and made.has_changes else EXIT_OK
    sys.exit(code)


@cli.command()
@click.argument(
    "planfile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@target_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--force", is_flag=True, help="Override the share-of-objects guard.")
@click.option("--allow-delete", is_flag=True, help="Allow the plan's deletes.")
@output_format_option(
    # Markdown and HTML are for reviewing a plan before it is applied (`plan`, `show`).
    (OutputFormat.TEXT, OutputFormat.JSON),
    "How to print the plan and the report: text for people, json (the report as a "
    "JSON document on stdout, nothing else) for scripts.",
)
@override_option
@click.option(
    "--no-verify",
    is_flag=True,
    help="Skip re-reading the live catalog after the last wave to check every change is in effect.",
)
@only_option
@exclude_option
@summary_option
@stats_option
@record_option
@click.pass_obj
def apply(
    ctx: Context,
    planfile: Path | None,
    target_name: str | None,
    auto_approve: bool,
    force: bool,
    allow_delete: bool,
    fmt: OutputFormat,
    overrides: tuple[str, ...],
    no_verify: bool,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    summary: bool,
    stats: bool,
) -> None:
    """Apply changes to the billing system.

    With PLANFILE (from `plan --out`): re-fetch the live catalog, refuse (exit 3, nothing
    written) if any object the plan touches moved since, then execute exactly that plan.
    Without it: plan, show the plan, ask (or --auto-approve), execute.

    Before each wave the live catalog is read again: if the wave's objects moved (another
    apply is running against this target), nothing more is written (exit 3). After the
    last wave it is read once more and every change checked to be in effect (--no-verify
    skips that); one the API accepted but did not carry out is a failure.

    The confirmation names the target and the counts, deletes first, and accepts only
    `yes`. --only/--exclude narrow the changes as for `plan` (with a saved plan they must
    be the ones it was made with).

    Exit 0 when every change succeeded, 4 when some failed (the report lists them), 3 when
    a guard or a stale plan refused.
    """
    # Imported here: a plan never applies, and these were ~0.007 s of its start-up.
    from catalogsync import applier
    from catalogsync.lock import apply_lock

    project = ctx.load_project()
    if planfile and overrides:
        raise UsageError(
            "--override-policy is for planning: a saved plan carries the overrides it was made with"
        )
    saved = Plan.read(planfile) if planfile else None
    choice = choose_target(project, target_name or (saved.target if saved else None))
    selection = parse_selection(only, exclude, get_format(project.config.backend))
    if saved is not None:
        check_selection(saved, selection)

    async def run() -> tuple[Plan, ApplyReport | None, dict[str, object]]:
        async with connected(project, choice, access="write") as backend:
            fetching = progress("fetching the live catalog", "kinds")
            async with ticking(fetching):
                if saved is not None:
                    desired = None
                    live = await backend.fetch_live(fetching)
                    check_saved_plan(saved, project, choice, live)
                    chosen = saved
                else:
                    desired, live, whole = await fetch_and_plan(
                        project, choice, backend, fetching, cache_writes.append
                    )
                    chosen = select_plan(whole, selection)
                    chosen = assess(project, chosen, desired, live, overrides)
            if not chosen.has_changes:
                return chosen, None, backend.stats()
            check_guards(
                chosen, guard_options(project, desired, allow_delete=allow_delete, force=force)
            )
            prompted = saved is None and not auto_approve
            if fmt == OutputFormat.TEXT:
                # plan, show, then execute (DESIGN.md §3), with or without a question: a
                # log shows every change before the first write. Printed, then let go.
                click.echo(_plan_text(chosen, summary))
            if prompted:
                _confirm(chosen)
            del desired  # the catalog is planned and guarded: not held through the writes
            # The plan hash the report carries and the catalog cache's new entry are CPU
            # work nobody reads before the end: done while the first wave's requests wait
            # on the network, from a worker thread (the hash in a forked child when one
            # can help: `first_wave`).
            preparing = asyncio.ensure_future(
                asyncio.to_thread(_while_the_first_wave_waits, chosen, cache_writes)
            )
            applying = progress("applying", "changes")
            try:
                with stop_on_signals(_stopping_message):
                    async with ticking(applying):
                        # The apply is handed the live catalog and this frame lets go of
                        # it, so the apply drops it once the writes are done, before its
                        # verification read fetches the whole catalog again (at L, two
                        # live catalogs at once otherwise).
                        execution = applier.apply_plan(
                            chosen,
                            backend,
                            live,
                            applying,
                            applier.ApplyOptions(
                                verify=not no_verify,
                                recheck=project.config.settings.recheck_waves,
                                live_is_fresh=not prompted,
                            ),
                        )
                        del live
                        report = await execution
            finally:
                await preparing
            return chosen, report, backend.stats()

    # The catalog cache entry of a catalog read from its files, written while the first
    # wave waits, or at the end when no wave ran (no changes, a refusal, an error).
    cache_writes: list[Callable[[], None]] = []
    with apply_lock(project, choice.name):
        try:
            # run_main: `asyncio.run` may make the plan and report into text (as plan's).
            chosen, report, request_stats = run_main(run())
        finally:
            _written(cache_writes)
    if report is None:
        if fmt == OutputFormat.JSON:
            _echo_plan(chosen, fmt, output_style(), nl=True)
        else:
            click.echo("No changes. The live catalog matches the YAML.")
    else:
        click.echo(APPLY_OUTPUTS[fmt](report, chosen, output_style(summary=summary)))
    if stats:
        print_stats(request_stats)
    signum = stopping()
    if report is not None and signum is not None:
        click.echo(_interrupted_summary(report, signum), err=True)
        sys.exit(exit_code_for(signum))
    sys.exit(report.exit_code if report else EXIT_OK)


def _while_the_first_wave_waits(chosen: Plan, cache_writes: list[Callable[[], None]]) -> None:
    first_wave.prepare(chosen)  # the plan hash
    _written(cache_writes)


def _written(cache_writes: list[Callable[[], None]]) -> None:
    """Run each write once (they never fail: a cache that cannot be written is not used)."""
    while cache_writes:
        cache_writes.pop()()


def _plan_text(chosen: Plan, summary: bool) -> str:
    return PLAN_OUTPUTS[OutputFormat.TEXT](chosen, output_style(summary=summary))


def _stopping_message(signum: int) -> None:
    click.echo(
        f"\n{signal_name(signum)} received: stopping after the requests in flight "
        "(send it again to abandon them).",
        err=True,
    )


def _interrupted_summary(report: ApplyReport, signum: int) -> str:
    """The partial report's last word: what happened to every change, and what to do."""
    from catalogsync.applier import NOT_ATTEMPTED

    not_attempted = [r for r in report.of(Outcome.SKIPPED) if r.message.startswith(NOT_ATTEMPTED)]
    skipped = len(report.of(Outcome.SKIPPED)) - len(not_attempted)
    counts = [
        f"{len(report.of(Outcome.SUCCEEDED))} succeeded",
        f"{len(report.of(Outcome.FAILED))} failed",
        *([f"{skipped} skipped"] if skipped else []),
        f"{len(not_attempted)} not attempted",
    ]
    return (
        f"Apply interrupted by {signal_name(signum)}: {', '.join(counts)}. "
        "Run `catalogsync apply` again to converge."
    )


def _confirm(chosen: Plan) -> None:
    """Terraform's question: what will happen where, and only `yes` goes ahead."""
    if not stdin_is_terminal():
        raise UsageError(
            "refusing to apply without confirmation: not a terminal. "
            "Pass --auto-approve, or apply a reviewed plan file."
        )
    click.echo(confirmation_question(chosen), err=True)
    answer = click.prompt("  Enter a value", default="", show_default=False, err=True)
    if answer.strip() != "yes":
        raise UsageError("apply cancelled (only 'yes' approves); nothing was changed")


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def confirmation_question(chosen: Plan) -> str:
    """`Apply to target 'x' (url)? This will delete 2, update 1 and create 5 objects.`"""
    summary = chosen.summary
    counts = [
        f"{verb} {n}"
        for verb, n in (
            ("DELETE", summary.delete),
            ("update", summary.update),
            ("create", summary.create),
        )
        if n
    ]
    what = ", ".join(counts[:-1]) + (" and " if len(counts) > 1 else "") + counts[-1]
    partial = " (a partial plan)" if chosen.selection else ""
    return (
        f"\nApply these changes to target '{chosen.target}' ({chosen.target_url}){partial}?\n"
        f"  catalogsync will {what} object(s) in {chosen.backend}.\n"
        "  Only 'yes' will be accepted to approve."
    )


@cli.command()
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option
def show(planfile: Path, fmt: OutputFormat) -> None:
    """Print a saved plan (text, Markdown or JSON)."""
    _echo_plan(Plan.read(planfile), fmt, output_style(), nl=fmt != OutputFormat.JSON)


def _echo_plan(plan: Plan, fmt: OutputFormat, style: OutputStyle, *, nl: bool) -> None:
    """Print `plan` in `fmt`. JSON, the plan file's text (261 MB for a cold plan at L),
    goes out as it is made (`Plan.json_chunks`), never whole."""
    if fmt != OutputFormat.JSON:
        click.echo(PLAN_OUTPUTS[fmt](plan, style), nl=nl)
        return
    for chunk in plan.json_chunks():
        click.echo(chunk, nl=False)
    if nl:
        click.echo()
