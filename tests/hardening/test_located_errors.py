"""Errors that name what is wrong, not internal ones: deep plan files, missing ids, links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import anyio

from catalogsync.applier import apply_plan
from catalogsync.backend_api import Settled
from catalogsync.catalog import Ref
from catalogsync.plan import Change
from catalogsync.planner import build_plan
from catalogsync.render.markdown import md_escape
from catalogsync.report import ChangeResult, Outcome
from tests.fakes import InMemoryBackend
from tests.reliability.harness import cli_run
from tests.test_applier import DESIRED, GOLD_VOICE, OPTS, VOICE


def test_a_very_deep_json_plan_file_is_a_clear_error(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    run = cli_run(tmp_path, "show", str(plan))
    assert run.code == 1
    assert (
        run.err
        == "Error: plan file is nested too deeply to be a plan (a plan needs a few levels)\n"
    )


class CreatesWithoutIds(InMemoryBackend):
    """A billing system that confirms creating VOICE but returns no id for it."""

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        results = await super().apply_wave(changes, ids, settled)
        return [ChangeResult(r.ref, r.outcome, None) if r.ref == VOICE else r for r in results]


def test_a_dependent_of_an_object_created_without_an_id_is_not_told_it_was_not_created() -> None:
    async def go() -> dict[Ref, ChangeResult]:
        backend = CreatesWithoutIds()
        live = await backend.fetch_live()
        report = await apply_plan(build_plan(DESIRED, live, OPTS), backend, live)
        return {r.ref: r for r in report.results}

    results = anyio.run(go)
    assert results[VOICE].outcome is Outcome.SUCCEEDED
    skipped = results[GOLD_VOICE]
    assert skipped.outcome is Outcome.SKIPPED
    assert "was written, but its id was not returned" in skipped.message
    assert "not created" not in skipped.message


def test_names_that_look_like_links_are_not_links_in_markdown() -> None:
    for name, shown in [
        ("https://evil.example/login", "https:\u2060//evil.example/login"),
        ("Visit www.evil.example", "Visit www\u2060.evil.example"),
        ("ops@evil.example", "ops@\u2060evil.example"),
    ]:
        escaped = md_escape(name)
        assert escaped == shown
        assert escaped.replace("\u2060", "") == name  # reads the same
    assert md_escape("Voice: 10/min") == "Voice: 10/min"
