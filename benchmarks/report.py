"""Writing results: one JSON document and one Markdown table per run."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from benchmarks.compare import Regression

#: The targets of issue 8, checked in every row.
MAX_REQUESTS_RATIO = 1.1
MAX_WALL_RATIO = 1.5
MAX_PLANNING_CPU_M_S = 2.0
MAX_PEAK_RSS_L_MB = 1024.0


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = 0.0
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages / 1024**3, 1)
    except (ValueError, OSError):
        pass
    return {
        "cpu": model or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def verdicts(size: str, row: dict[str, Any]) -> list[str]:
    """Which targets a scenario row misses (empty: all met)."""
    misses = []
    if row.get("requests_ratio", 0) > MAX_REQUESTS_RATIO:
        misses.append(f"requests {row['requests_ratio']}x > {MAX_REQUESTS_RATIO}x")
    if (row.get("wall_ratio") or 0) > MAX_WALL_RATIO:
        misses.append(f"wall {row['wall_ratio']}x > {MAX_WALL_RATIO}x")
    if size == "L" and row.get("peak_rss_mb", 0) > MAX_PEAK_RSS_L_MB:
        misses.append(f"peak RSS {row['peak_rss_mb']} MB > {MAX_PEAK_RSS_L_MB:.0f} MB")
    if row.get("ok") is False:
        misses.append(f"exit {row.get('exit_code')}")
    return misses


def _reused(size_block: dict[str, Any]) -> str:
    """Which rows came from a saved cold state (`--reuse-cold`), and when they were made."""
    notes = [
        f"; {row['scenario']} reused from {row['reused']['measured_at']} "
        f"at {row['reused']['commit']}"
        for row in size_block["scenarios"]
        if "reused" in row
    ]
    return "".join(notes)


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


_ORDER = {"XS": 0, "S": 1, "M": 2, "L": 3}
_TITLE = {"billingplatform": "BillingPlatform", "logisense": "LogiSense"}


def write_results(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """`results.json` and `results.md` in `out`, sizes from small to large."""
    for block in results["backends"].values():
        block["sizes"] = dict(sorted(block["sizes"].items(), key=lambda i: _ORDER.get(i[0], 9)))
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "results.json", out / "results.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    return json_path, md_path


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# catalogsync benchmarks",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, "
        f"Python {m['python']}. Emulator over loopback HTTP in its own process, "
        f"{results['latency_ms']:g} ms latency per request, rate limit "
        f"{results['rate_limit']:g} req/s. Process start-up (`catalogsync --version`): "
        f"{results['startup_s']:.2f} s.",
        "",
        *_regressions(results.get("regressions")),
    ]
    for backend, block in results["backends"].items():
        lines += _backend(_TITLE.get(backend, backend), block)
    return "\n".join(lines) + "\n"


def _regressions(found: list[dict[str, Any]] | None) -> list[str]:
    """The regressions section (`compare.py`): each metric >10% worse than before."""
    if found is None:
        return []
    if not found:
        return ["Against the previous results: no regression over 10%.", ""]
    lines = [f"**Regressions against the previous results (over 10%): {len(found)}**", ""]
    lines += [f"- {Regression(**r).line()}" for r in found]
    return [*lines, ""]


def _backend(title: str, block: dict[str, Any]) -> list[str]:
    lines = [f"## {title}", ""]
    if block.get("formula"):
        lines += [f"Floor: {block['formula']}.", ""]
    lines += [
        "| size | scenario | wall s | floor s | wall/floor | requests | floor | req/floor "
        "| CPU s | peak RSS MB | naive wall s | naive requests | misses |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    sizes = block["sizes"]
    for size, size_block in sizes.items():
        for row in size_block["scenarios"]:
            floor = row["floor"]
            if "skipped" in row:
                lines.append(
                    f"| {size} | {row['scenario']} | – | {floor['seconds']:.2f} | – | – | "
                    f"{floor['requests']} | – | – | – | – | – | skipped: {row['skipped']} |"
                )
                continue
            naive = row.get("naive", {})
            misses = "; ".join(verdicts(size, row)) or "none"
            lines.append(
                f"| {size} | {row['scenario']} | {row['wall_s']:.2f} | {floor['seconds']:.2f} "
                f"| {_num(row['wall_ratio'])} | {row['requests']} | {floor['requests']} "
                f"| {row['requests_ratio']:.2f} | {row['cpu_s']:.2f} | {row['peak_rss_mb']:.0f} "
                f"| {naive.get('wall_s', '–')} | {naive.get('requests', '–')} | {misses} |"
            )
    lines += ["", "Planning alone (in-process, no HTTP: load YAML + build_plan):", ""]
    lines += [
        "| size | load CPU s | plan CPU s | total CPU s | live records |",
        "|---|--:|--:|--:|--:|",
    ]
    for size, size_block in sizes.items():
        p = size_block.get("planning")
        if p:
            lines.append(
                f"| {size} | {p['load_s']:.2f} | {p['plan_s']:.2f} | {p['total_s']:.2f} "
                f"| {p['live_records']} |"
            )
    lines += ["", "Sizes (products / packages / package-products by depth) and when measured:", ""]
    for size, size_block in sizes.items():
        c = size_block["counts"]
        depths = " + ".join(str(n) for n in c["package_products_by_depth"])
        commit = f" at {size_block['commit']}" if size_block.get("commit") else ""
        lines.append(
            f"- {size}: {c['products']} / {c['packages']} / {c['package_products']} "
            f"({depths}); {size_block.get('measured_at', '')}{commit}, "
            f"{size_block['seconds']:.0f} s in all{_reused(size_block)}{_speed(size_block)}"
        )
    naive_how = {
        row["naive"]["how"]
        for size_block in sizes.values()
        for row in size_block["scenarios"]
        if "naive" in row
    }
    if naive_how:
        lines += ["", "Naive baseline: " + "; ".join(sorted(naive_how)) + "."]
    return [*lines, ""]


def _speed(size_block: dict[str, Any]) -> str:
    """The machine's speed when the size was measured (`harness.python_speed_seconds`)."""
    speed = size_block.get("python_loop_s")
    return "" if speed is None else f"; a 10M-step Python loop took {speed:.2f} s then"
