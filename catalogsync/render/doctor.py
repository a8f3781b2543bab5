"""A doctor report as text, Markdown or JSON (`doctor --format`)."""

from __future__ import annotations

import json

from catalogsync.doctor import DoctorReport, Finding, Verdict

_MARK = {
    Verdict.OK: "ok",
    Verdict.VARIANT: "VARIANT",
    Verdict.INCOMPATIBLE: "INCOMPATIBLE",
    Verdict.NOT_CHECKED: "not checked",
}


def render_doctor_json(report: DoctorReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True, ensure_ascii=False)


def _summary(report: DoctorReport) -> str:
    counts = report.to_json()["summary"]
    parts = ", ".join(f"{counts[v.value]} {v.value}" for v in Verdict)
    verdict = "compatible" if report.compatible else "NOT compatible"
    return f"Doctor: {verdict} ({parts})."


def _settings(findings: tuple[Finding, ...]) -> list[str]:
    return [f.setting for f in findings if f.setting]


def render_doctor_text(report: DoctorReport) -> str:
    probe = "with write probe" if report.write_probe else "read-only"
    lines = [
        f'Doctor for target "{report.target}" ({report.backend}, {report.target_url}), {probe}',
        "",
    ]
    for f in report.findings:
        lines.append(f"[{_MARK[f.verdict]}] {f.behaviour}")
        lines.append(f"    expected: {f.expected}")
        lines.append(f"    observed: {f.observed}")
        if f.setting:
            lines.append(f"    setting:  {f.setting}")
    settings = _settings(report.findings)
    if settings:
        lines += ["", "Put in catalogsync.yaml:", *("  " + s for s in settings)]
    lines += ["", _summary(report)]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_doctor_markdown(report: DoctorReport) -> str:
    probe = "with write probe" if report.write_probe else "read-only"
    lines = [
        f"### catalogsync doctor: `{report.target}` ({report.backend}), {probe}",
        "",
        f"**{_summary(report)}**",
        "",
        "| behaviour | expected | observed | verdict | setting |",
        "|---|---|---|---|---|",
    ]
    for f in report.findings:
        setting = f"`{_cell(f.setting)}`" if f.setting else ""
        lines.append(
            f"| {_cell(f.behaviour)} | {_cell(f.expected)} | {_cell(f.observed)} "
            f"| {_MARK[f.verdict]} | {setting} |"
        )
    return "\n".join(lines) + "\n"
