"""The comment marker: one contract for the renderers that write it and the CI glue."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import catalogsync.ci
from catalogsync.render.markers import MARKER_KINDS, comment_marker, marked_target


@pytest.mark.parametrize("kind", MARKER_KINDS)
@pytest.mark.parametrize("target", ["sandbox", "prod-eu", "a-->b\nc"])
def test_a_marker_names_its_target_back(kind: str, target: str) -> None:
    escaped = comment_marker(kind, target)[len(f"<!-- catalogsync-{kind}:") : -len(" -->")]
    assert marked_target(comment_marker(kind, target), kind) == escaped
    assert marked_target(f"  {comment_marker(kind, target)}  ", kind) == escaped


def test_a_marker_of_another_kind_or_no_marker_names_nothing() -> None:
    assert marked_target(comment_marker("drift", "sandbox"), "plan") is None
    assert marked_target("### catalogsync plan for sandbox", "plan") is None


def test_the_ci_glue_takes_the_marker_from_its_home_not_from_a_renderer() -> None:
    renderers = {"markdown", "text", "drift", "html", "html_page", "mermaid", "needs", "review"}
    ci_dir = Path(catalogsync.ci.__file__).parent
    reaching = [
        f"{path.name}: {node.module}"
        for path in sorted(ci_dir.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module is not None
        and node.module.removeprefix("catalogsync.render.") in renderers
    ]
    assert reaching == []
