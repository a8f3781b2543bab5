"""Markers, the plan-hash record, and fitting bodies into GitHub's size limit."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.ci.body import (
    DEFAULT_LIMIT,
    fit_body,
    header_lines,
    plan_hash_marker,
    recorded_plan_hash,
    with_header,
)
from catalogsync.errors import UsageError
from tests.conftest import examples

HASH = "sha256:" + "ab" * 32
MARKER = "<!-- catalogsync-plan:prod -->"


def details_block(i: int) -> str:
    return f"<details><summary><code>change {i}</code></summary>\n\n| a | b |\n| --- | --- |\n| x{i} | y |\n\n</details>"


def open_constructs(text: str) -> tuple[bool, int]:
    """(inside a ``` fence at the end, open <details> count) — a second, plain reading."""
    fenced, depth = False, 0
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            depth += line.count("<details>") + line.count("<details ") - line.count("</details>")
    return fenced, depth


def test_a_body_that_fits_is_returned_unchanged() -> None:
    body = MARKER + "\nsmall\n"
    assert fit_body(body) == body


def test_a_long_body_is_cut_at_a_line_with_header_kept_and_a_note() -> None:
    body = "\n".join(
        [MARKER, plan_hash_marker(HASH), "# Plan", *(details_block(i) for i in range(3000))]
    )
    assert len(body) > 3 * DEFAULT_LIMIT
    fitted = fit_body(body, where="the plan artifact")
    assert len(fitted) <= DEFAULT_LIMIT
    assert header_lines(fitted) == [MARKER, plan_hash_marker(HASH)]
    assert recorded_plan_hash(fitted) == HASH
    assert open_constructs(fitted) == (False, 0)
    note = re.search(
        r"cut to fit a GitHub comment: ([\d,]+) more characters are in the plan artifact", fitted
    )
    assert note is not None
    kept = fitted[: fitted.index("\n\n*… cut")]
    omitted = int(note.group(1).replace(",", ""))
    # Kept lines are a prefix of the original; kept + omitted is everything, give or take
    # the few closing lines the cut added.
    last_line = kept.rstrip("\n").rsplit("\n", 1)[-1]
    assert last_line == "</details>"
    assert 0 <= len(kept) + omitted - len(body) <= len("\n</details>\n")


def test_a_cut_inside_a_code_fence_closes_the_fence_and_the_details_around_it() -> None:
    lines = [
        MARKER,
        "<details><summary>log</summary>",
        "",
        "```text",
        *(f"line {i} " + "x" * 60 for i in range(2000)),
    ]
    fitted = fit_body("\n".join(lines), limit=5_000)
    assert len(fitted) <= 5_000
    assert open_constructs(fitted) == (False, 0)
    assert fitted.index("```\n") > fitted.index("```text")
    assert "</details>" in fitted


def test_one_huge_line_is_cut_before_a_partial_tag_or_entity() -> None:
    body = MARKER + "\n" + "<code>&lt;name&gt;</code> " * 5_000
    fitted = fit_body(body, limit=2_000)
    assert len(fitted) <= 2_000
    line = fitted.split("\n")[1]
    assert line.count("<code>") == line.count("</code>")
    assert not re.search(r"<[^>]*$", line) and not re.search(r"&[a-z]*$", line)


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "```",
                "~~~~",
                "<details><summary>x</summary>",
                "</details>",
                "text | cell",
                "",
                "`inline`",
            ]
        )
        | st.text(alphabet="ab<>&;` \n", max_size=80),
        min_size=1,
        max_size=400,
    ),
    st.integers(min_value=1_000, max_value=4_000),
)
def test_any_body_fits_and_keeps_its_header(lines: list[str], limit: int) -> None:
    body = "\n".join([MARKER, plan_hash_marker(HASH), *lines])
    fitted = fit_body(body, limit=limit)
    assert len(fitted) <= limit
    assert fitted.startswith(MARKER + "\n" + plan_hash_marker(HASH) + "\n")
    if fitted != body:
        assert "cut to fit a GitHub comment" in fitted


def test_with_header_adds_the_marker_and_replaces_an_older_hash_record() -> None:
    plain = with_header("# Plan\n", "plan", "prod", [plan_hash_marker(HASH)])
    assert header_lines(plain) == [MARKER, plan_hash_marker(HASH)]
    again = with_header(plain, "plan", "prod", [plan_hash_marker("cd" * 32)])
    assert header_lines(again) == [MARKER, plan_hash_marker("cd" * 32)]
    assert again.endswith("# Plan\n")
    assert recorded_plan_hash(again) == "cd" * 32


def test_with_header_refuses_a_body_marked_for_another_target() -> None:
    with pytest.raises(UsageError, match="not '<!-- catalogsync-plan:prod -->'"):
        with_header("<!-- catalogsync-plan:staging -->\n# Plan", "plan", "prod")


def test_a_hash_is_only_read_from_the_header_and_must_be_one() -> None:
    assert recorded_plan_hash(f"{MARKER}\ntext\n{plan_hash_marker(HASH)}") is None
    with pytest.raises(UsageError):
        plan_hash_marker("not-a-hash")
