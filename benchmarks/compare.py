"""Regressions: this run's rows against the previous results (results.json as committed).

Each scenario row of each backend and size is compared with the same row of the previous
results; a metric more than 10% worse (requests, CPU, peak RSS, wall) is a regression,
listed in results.md and on stdout. Results written before LogiSense joined the matrix
(sizes at the top level) are BillingPlatform's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Worse by more than this share is a regression.
THRESHOLD = 0.10
#: The metrics compared, with the words the report uses.
METRICS = {
    "requests": "requests",
    "cpu_s": "CPU s",
    "peak_rss_mb": "peak RSS MB",
    "wall_s": "wall s",
}


@dataclass(frozen=True)
class Regression:
    backend: str
    size: str
    scenario: str
    metric: str
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after / self.before - 1

    def line(self) -> str:
        return (
            f"{self.backend} {self.size} {self.scenario}: {METRICS[self.metric]} "
            f"{self.before:g} → {self.after:g} (+{self.change:.0%})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "size": self.size,
            "scenario": self.scenario,
            "metric": self.metric,
            "before": self.before,
            "after": self.after,
        }


def load(path: Path) -> dict[str, Any]:
    """Earlier results in the current layout (`backends` → name → `sizes`); {} if none."""
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(earlier, dict):
        return {}
    if "backends" not in earlier and "sizes" in earlier:
        earlier["backends"] = {"billingplatform": {"sizes": earlier.pop("sizes")}}
    return earlier


def _rows(results: dict[str, Any]) -> Iterator[tuple[tuple[str, str, str], dict[str, Any]]]:
    for backend, block in results.get("backends", {}).items():
        for size, size_block in block.get("sizes", {}).items():
            for row in size_block.get("scenarios", []):
                if "skipped" not in row:
                    yield (backend, size, row["scenario"]), row


def regressions(
    previous: dict[str, Any], current: dict[str, Any], measured: set[tuple[str, str]]
) -> list[Regression]:
    """Rows of (backend, size) pairs `measured` by this run that got worse than before."""
    before = dict(_rows(previous))
    found = []
    for key, row in _rows(current):
        old = before.get(key)
        if old is None or key[:2] not in measured:
            continue
        for metric in METRICS:
            was, now = old.get(metric), row.get(metric)
            if not (isinstance(was, int | float) and isinstance(now, int | float)):
                continue
            if was > 0 and now > was * (1 + THRESHOLD):
                found.append(Regression(*key, metric, float(was), float(now)))
    return found


def still_flagged(previous: dict[str, Any], measured: set[tuple[str, str]]) -> list[Any]:
    """An earlier run's flags for the (backend, size) pairs this run does not measure again
    (an L run on its own keeps S and M's flags)."""
    return [
        r
        for r in previous.get("regressions", [])
        if isinstance(r, dict) and (r.get("backend"), r.get("size")) not in measured
    ]


def before_after(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """A Markdown table of every row both results hold: each metric before → after, and
    the regressions (over 10% worse) named in the last column (`python -m benchmarks
    compare`: e.g. a run into its own folder against the committed results)."""
    before = dict(_rows(previous))
    lines = [
        "| backend | size | scenario | " + " | ".join(METRICS.values()) + " | over 10% worse |",
        "|---|---|---|" + "--:|" * len(METRICS) + "---|",
    ]
    measured = {key[:2] for key, _ in _rows(current)}
    worse = {
        (r.backend, r.size, r.scenario, r.metric) for r in regressions(previous, current, measured)
    }
    for key, row in _rows(current):
        old = before.get(key)
        if old is None:
            continue
        cells = [f"{_shown(old.get(m))} → {_shown(row.get(m))}" for m in METRICS]
        flags = [METRICS[m] for m in METRICS if (*key, m) in worse]
        lines.append(f"| {' | '.join(key)} | {' | '.join(cells)} | {', '.join(flags) or '–'} |")
    return lines


def _shown(value: Any) -> str:
    return (
        f"{value:,}"
        if isinstance(value, int)
        else f"{value:,.2f}"
        if isinstance(value, float)
        else "–"
    )
