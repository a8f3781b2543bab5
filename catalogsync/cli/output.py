"""How the CLI writes: when to colour, how to show progress, the `--format` option, stats."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

if TYPE_CHECKING:  # imported when used: every renderer loads with it (a third of the
    # start-up of `catalogsync --version`), and only the commands that print documents use it
    from catalogsync.render.outputs import OutputFormat, OutputStyle

F = TypeVar("F", bound=Callable[..., Any])

COLOR_MODES = ("auto", "always", "never")

#: The global `--color` choice; `auto` decides from the terminal and the environment.
_color_mode = "auto"


def set_color_mode(mode: str) -> None:
    global _color_mode
    _color_mode = mode


def color_wanted(mode: str, is_tty: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour: `--color` first, then NO_COLOR / FORCE_COLOR, then the terminal.

    no-color.org: NO_COLOR disables colour only when it is set *and not empty*.
    FORCE_COLOR (non-empty, and not "0") turns it on where there is no terminal, as in
    GitHub Actions logs, which render ANSI colours.
    """
    if mode != "auto":
        return mode == "always"
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return is_tty


def use_color() -> bool:
    return color_wanted(_color_mode, sys.stdout.isatty())


def output_style(*, summary: bool = False) -> OutputStyle:
    """The style a terminal rendering gets here: colour as `--color` and the terminal say."""
    from catalogsync.render.outputs import OutputStyle

    return OutputStyle(color=use_color(), summary=summary)


def output_format_option(formats: Iterable[OutputFormat], help: str) -> Callable[[F], F]:
    """`--format`, offering `formats` (a document's table in `render.outputs`), as `fmt`."""
    from catalogsync.render.outputs import OutputFormat

    def to_format(_ctx: click.Context, _param: click.Parameter, value: str) -> OutputFormat:
        return OutputFormat(value)

    return click.option(
        "--format",
        "fmt",
        type=click.Choice([f.value for f in formats]),
        default=OutputFormat.TEXT.value,
        show_default=True,
        callback=to_format,
        help=help,
    )


#: Seconds between progress lines in logs (stderr not a terminal); the bar redraws always.
LOG_INTERVAL = float(os.environ.get("CATALOGSYNC_PROGRESS_INTERVAL", "10"))


class ProgressReporter:
    """A (done, total) callback: a bar on a terminal, a line now and then in a log.

    On a terminal the bar is redrawn on every update (and every `tick`). Elsewhere (CI
    logs) a line with the counts, the elapsed time and an estimate of the time left is
    written every `interval` seconds once the work has taken that long, and a last line
    when it ends: a long apply is never silent, a short one adds nothing to the log.
    """

    def __init__(
        self,
        label: str,
        unit: str,
        *,
        stream: TextIO | None = None,
        is_tty: bool | None = None,
        interval: float = LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.is_tty = self.stream.isatty() if is_tty is None else is_tty
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self._last_line = self.started
        self._counts: tuple[int, int] | None = None
        self._lines = 0
        self._drawn = False
        self._finished = False

    def __call__(self, done: int, total: int) -> None:
        if self._finished:
            return
        self._counts = (done, total)
        self._finished = done >= total
        self._show()

    def close(self) -> None:
        """End an unfinished bar's line, so what is printed next (an error) starts clean."""
        if self.is_tty and self._drawn and not self._finished:
            self._write("\n")
        self._finished = True

    def tick(self) -> None:
        """Called every second or so: keeps the elapsed time and the log lines coming."""
        if not self._finished:
            self._show()

    def _show(self) -> None:
        now = self.clock()
        if self.is_tty:
            self._drawn = True
            end = "\n" if self._finished else ""
            self._write("\r" + self._text(now, bar=True) + end)
        elif now - self._last_line >= self.interval or (self._finished and self._lines):
            self._last_line = now
            self._lines += 1
            self._write(self._text(now, bar=False) + "\n")

    def _text(self, now: float, *, bar: bool) -> str:
        elapsed = now - self.started
        times = f"{_seconds(elapsed)} elapsed"
        if self._counts is None:
            return f"{self.label}: {times}"
        done, total = self._counts
        left = elapsed * (total - done) / done if 0 < done < total else 0.0
        if left >= 1:  # "about 0 s left" says nothing
            times += f", about {_seconds(left)} left"
        counts = f"{done}/{total} {self.unit}"
        if bar:
            width = 24
            filled = width * done // total if total else width
            return f"{self.label} [{'#' * filled}{'-' * (width - filled)}] {counts}, {times}"
        share = f" ({100 * done // total}%)" if total else ""
        return f"{self.label}: {counts}{share}, {times}"

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.0f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


def progress(label: str, unit: str = "steps") -> ProgressReporter:
    """A progress callback on stderr: a bar on a terminal, periodic lines in logs."""
    return ProgressReporter(label, unit)


@asynccontextmanager
async def ticking(reporter: ProgressReporter, every: float = 1.0) -> AsyncIterator[None]:
    """Tick `reporter` while the block runs, so progress moves between updates."""

    async def tick() -> None:
        while True:
            await asyncio.sleep(every)
            reporter.tick()

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        reporter.close()


def print_stats(stats: dict[str, Any]) -> None:
    """Request counts and timings (--stats), on stderr so stdout stays clean."""
    click.echo("stats: " + json.dumps(stats, sort_keys=True, default=str), err=True)
