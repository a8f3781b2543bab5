"""Renderers, tested with plain values: Plans and reports built directly, no backend, no I/O."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from catalogsync.catalog import Ref, Value, package_product_ref, package_ref, product_ref
from catalogsync.plan import Action, Change, FieldChange, Plan
from catalogsync.render import (
    comment_marker,
    format_value,
    render_json,
    render_markdown,
    render_report_json,
    render_report_markdown,
    render_report_text,
    render_text,
)
from catalogsync.render.markdown import md_escape
from catalogsync.report import ApplyReport, ChangeResult, Outcome

VOICE = product_ref("Voice Minutes")
VOICEMAIL = product_ref("Voicemail")
GOLD = package_ref("Gold Plan")
GOLD_VOICE = package_product_ref("Gold Plan", "Voice Minutes")
GOLD_VOICEMAIL = package_product_ref("Gold Plan", "Voice Minutes", "Voicemail")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def make_plan(*changes: Change, unmanaged: tuple[Ref, ...] = ()) -> Plan:
    return Plan(
        backend="billingplatform",
        target="sandbox",
        target_url="https://sandbox.example.test/acme",
        catalog_digest="sha256:00",
        changes=changes,
        unmanaged=unmanaged,
    )


def create(ref: Ref, /, *, depends_on: tuple[Ref, ...] = (), **values: Value) -> Change:
    fields = tuple(FieldChange(name, None, value) for name, value in values.items())
    return Change(Action.CREATE, ref, fields=fields, values=dict(values), depends_on=depends_on)


CREATE_VOICE = create(VOICE, rate=Decimal("0.050"), status="active")
UPDATE_GOLD = Change(
    Action.UPDATE,
    GOLD,
    fields=(
        FieldChange("status", "In Development", "Production"),
        FieldChange("description", None, "Bundle"),
    ),
    remote_id="17",
    live_fingerprint="sha256:aa",
    renamed_from="Gold",
)
CREATE_GOLD_VOICE = create(
    GOLD_VOICE, depends_on=(GOLD, VOICE), min_qty=1, max_qty=100, rate=Decimal("10.50")
)
CREATE_GOLD_VOICEMAIL = create(GOLD_VOICEMAIL, depends_on=(GOLD, VOICEMAIL, GOLD_VOICE), min_qty=0)
LEGACY = product_ref("Legacy Minutes")
DELETE_LEGACY = Change(
    Action.DELETE,
    LEGACY,
    fields=(FieldChange("rate", Decimal("0.10"), None), FieldChange("status", "inactive", None)),
    remote_id="99",
    live_fingerprint="sha256:bb",
    wave=3,
    reason="in prune scope",
)
SMALL = make_plan(
    CREATE_VOICE,
    UPDATE_GOLD,
    CREATE_GOLD_VOICE,
    CREATE_GOLD_VOICEMAIL,
    DELETE_LEGACY,
    unmanaged=(product_ref("Legacy"), package_ref("Old Plan"), package_ref("Trial")),
)

SMALL_TEXT = """\
Plan for target "sandbox" (billingplatform, https://sandbox.example.test/acme)

+ product "Voice Minutes"
    rate   = 0.050
    status = "active"

~ package "Gold Plan"
    renamed from "Gold"
    status:      "In Development" → "Production"
    description: null → "Bundle"

+ package-product "Gold Plan / Voice Minutes"
    (product id known after apply)
    min_qty = 1
    max_qty = 100
    rate    = 10.50

+ package-product "Gold Plan / Voice Minutes / Voicemail"
    (package-product id known after apply)
    min_qty = 0

- product "Legacy Minutes"
    # in prune scope
    rate   = 0.10
    status = "inactive"

Unmanaged (live, not in the YAML; left alone): 1 product, 2 packages
    product "Legacy"
    package "Old Plan"
    package "Trial"

Plan: 3 to create, 1 to update, 1 to delete. 3 unmanaged left alone.
"""


# --- format_value ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("10.50"), "10.50"),
        (Decimal("10.500"), "10.500"),
        (Decimal("0.05"), "0.05"),
        (Decimal("1E+2"), "100"),
        (Decimal("-3"), "-3"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (42, "42"),
        ("", '""'),
        ("Voice Minutes", '"Voice Minutes"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("it's", '"it\'s"'),
        ("a\nb\r\tc", '"a\\nb\\r\\tc"'),
        ("back\\slash", '"back\\\\slash"'),
        ("nul\x00", '"nul\\x00"'),
        ("line\u2028sep", '"line\\u2028sep"'),
        ("Über | ü €", '"Über | ü €"'),
    ],
)
def test_format_value(value: Value, expected: str) -> None:
    assert format_value(value) == expected


# --- text -----------------------------------------------------------------------------------


def test_text_small_plan_exact() -> None:
    assert render_text(SMALL) == SMALL_TEXT


def block(text: str, title: str) -> str:
    """The block of `text` that starts with `title`."""
    return next(b for b in text.split("\n\n") if b.startswith(title))


def test_text_create_block() -> None:
    text = render_text(make_plan(CREATE_VOICE))
    assert (
        block(text, "+") == '+ product "Voice Minutes"\n    rate   = 0.050\n    status = "active"'
    )


def test_text_update_block_shows_only_changed_fields() -> None:
    change = Change(
        Action.UPDATE,
        GOLD,
        fields=(
            FieldChange("status", "In Development", "Production"),
            FieldChange("rate", Decimal("1.0"), Decimal("1.0")),  # not a change
            FieldChange("flag", 1, True),  # int 1 == True, but it renders differently
        ),
    )
    text = render_text(make_plan(change))
    assert block(text, "~") == (
        '~ package "Gold Plan"\n    status: "In Development" → "Production"\n    flag:   1 → true'
    )


def test_text_rename_only_update() -> None:
    change = Change(Action.UPDATE, GOLD, renamed_from="Gold Plan (old)")
    text = render_text(make_plan(change))
    assert block(text, "~") == '~ package "Gold Plan"\n    renamed from "Gold Plan (old)"'


def test_text_delete_block_with_and_without_fields() -> None:
    text = render_text(make_plan(DELETE_LEGACY, Change(Action.DELETE, GOLD_VOICEMAIL)))
    assert block(text, "- product") == (
        '- product "Legacy Minutes"\n    # in prune scope\n    rate   = 0.10\n    status = "inactive"'
    )
    assert block(text, "- package-product") == (
        '- package-product "Gold Plan / Voice Minutes / Voicemail"'
    )


def test_text_delete_never_waits_for_ids() -> None:
    delete = Change(Action.DELETE, GOLD_VOICEMAIL, depends_on=(GOLD_VOICE,))
    text = render_text(make_plan(CREATE_GOLD_VOICE, delete))
    assert block(text, "- ") == '- package-product "Gold Plan / Voice Minutes / Voicemail"'


def test_text_create_from_values_only() -> None:
    change = Change(Action.CREATE, VOICE, values={"status": "active", "rate": Decimal("1")})
    assert block(render_text(make_plan(change)), "+") == (
        '+ product "Voice Minutes"\n    rate   = 1\n    status = "active"'
    )


def test_text_ids_known_after_apply_only_for_objects_created_in_the_plan() -> None:
    pp = create(GOLD_VOICE, depends_on=(GOLD, VOICE), min_qty=1)
    both = render_text(make_plan(create(GOLD), create(VOICE), pp))
    assert "    (package/product ids known after apply)\n" in both
    neither = render_text(make_plan(pp))  # package and product already exist
    assert "known after apply" not in neither


def test_text_no_changes() -> None:
    assert render_text(make_plan()) == (
        'Plan for target "sandbox" (billingplatform, https://sandbox.example.test/acme)\n'
        "\n"
        "No changes. The live catalog matches the YAML.\n"
    )


def test_text_no_changes_still_lists_unmanaged() -> None:
    text = render_text(make_plan(unmanaged=(VOICE,)))
    assert (
        'Unmanaged (live, not in the YAML; left alone): 1 product\n    product "Voice Minutes"'
        in text
    )
    assert text.endswith("No changes. The live catalog matches the YAML.\n")


def test_text_summary_without_unmanaged() -> None:
    text = render_text(make_plan(CREATE_VOICE))
    assert text.endswith("\n\nPlan: 1 to create, 0 to update, 0 to delete.\n")
    assert "Unmanaged" not in text


def test_text_unmanaged_listed_up_to_20() -> None:
    unmanaged = (*(product_ref(f"P{i:02}") for i in range(23)), GOLD, GOLD_VOICE)
    text = render_text(make_plan(CREATE_VOICE, unmanaged=unmanaged))
    section = block(text, "Unmanaged")
    lines = section.splitlines()
    assert lines[0] == (
        "Unmanaged (live, not in the YAML; left alone): 23 products, 1 package, 1 package-product"
    )
    assert lines[1:3] == ['    product "P00"', '    product "P01"']
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "    … and 5 more"
    assert text.endswith("25 unmanaged left alone.\n")


def test_text_color_off_has_no_ansi() -> None:
    assert "\x1b" not in render_text(SMALL)
    assert "\x1b" not in render_text(SMALL, color=False)


def test_text_color_on() -> None:
    text = render_text(SMALL, color=True)
    assert '\x1b[32m+ product "Voice Minutes"\x1b[0m' in text
    assert '\x1b[33m~ package "Gold Plan"\x1b[0m' in text
    assert '\x1b[31m- product "Legacy Minutes"\x1b[0m' in text
    assert "\x1b[2m(product id known after apply)\x1b[0m" in text
    assert "\x1b[1mPlan: 3 to create" in text
    # Colour only decorates: without the codes it is the plain rendering.
    assert ANSI.sub("", text) == SMALL_TEXT


AWKWARD = 'Say "hi" it\'s\nÜber | `x` <b>'


def test_text_awkward_name_stays_on_one_line() -> None:
    plan = make_plan(create(product_ref(AWKWARD), description=AWKWARD))
    text = render_text(plan)
    assert block(text, "+") == (
        '+ product "Say \\"hi\\" it\'s\\nÜber | `x` <b>"\n'
        '    description = "Say \\"hi\\" it\'s\\nÜber | `x` <b>"'
    )


def test_text_header_escapes_target() -> None:
    plan = Plan("billingplatform", 'we"ird\n', "emulator:", "sha256:00")
    assert render_text(plan).splitlines()[0] == (
        'Plan for target "we\\"ird\\n" (billingplatform, emulator:)'
    )


# --- markdown -------------------------------------------------------------------------------


def test_markdown_starts_with_marker() -> None:
    md = render_markdown(SMALL)
    assert md.splitlines()[0] == "<!-- catalogsync-plan:sandbox -->"
    assert md.splitlines()[0] == comment_marker("plan", "sandbox")


def test_marker_cannot_end_the_comment_early() -> None:
    assert comment_marker("plan", "a-->b\nc") == "<!-- catalogsync-plan:a--&gt;b\\nc -->"


def test_markdown_summary_table_and_hash() -> None:
    md = render_markdown(SMALL)
    table = (
        "| kind | create | update | delete |\n"
        "| --- | ---: | ---: | ---: |\n"
        "| product | 1 | 0 | 1 |\n"
        "| package | 0 | 1 | 0 |\n"
        "| package-product | 2 | 0 | 0 |\n"
        "| **total** | **3** | **1** | **1** |\n"
    )
    assert table in md
    assert (
        "**Plan: 3 to create, 1 to update, 1 to delete.** "
        "3 unmanaged left alone (1 product, 2 packages)." in md
    )
    assert f"plan hash <code>{SMALL.plan_hash}</code>" in md
    # Summary before any detail.
    assert md.index("| **total** |") < md.index("<details>")


def test_markdown_details_grouped_by_action_deletes_first() -> None:
    md = render_markdown(SMALL)
    headings = re.findall(r"^#### .*$", md, flags=re.MULTILINE)
    assert headings == ["#### Delete (1)", "#### Update (1)", "#### Create (3)"]
    assert md.count("<details><summary><code>") == 5


def test_markdown_update_block_exact() -> None:
    md = render_markdown(make_plan(UPDATE_GOLD))
    expected = (
        '<details><summary><code>~ package "Gold Plan"</code></summary>\n'
        "\n"
        '*renamed from "Gold"*\n'
        "\n"
        "| field | before | after |\n"
        "| --- | --- | --- |\n"
        '| status | <code>"In Development"</code> | <code>"Production"</code> |\n'
        '| description | <code>null</code> | <code>"Bundle"</code> |\n'
        "\n"
        "</details>"
    )
    assert expected in md


def test_markdown_create_block_exact() -> None:
    md = render_markdown(make_plan(CREATE_GOLD_VOICE))
    expected = (
        '<details><summary><code>+ package-product "Gold Plan / Voice Minutes"</code></summary>\n'
        "\n"
        "| field | value |\n"
        "| --- | --- |\n"
        "| min\\_qty | <code>1</code> |\n"
        "| max\\_qty | <code>100</code> |\n"
        "| rate | <code>10.50</code> |\n"
        "\n"
        "</details>"
    )
    assert expected in md


def test_markdown_escapes_awkward_names_and_values() -> None:
    ref = product_ref(AWKWARD)
    md = render_markdown(make_plan(create(ref, description=AWKWARD), unmanaged=(ref,)))
    # In the <summary> (raw HTML): HTML-escaped, still one line.
    assert (
        "<details><summary><code>+ product "
        '"Say \\"hi\\" it\'s\\nÜber | `x` &lt;b&gt;"</code></summary>\n' in md
    )
    # In a table cell (Markdown): `|`, backticks, `<` and backslashes escaped.
    cell = '<code>"Say \\\\"hi\\\\" it\'s\\\\nÜber \\| \\`x\\` &lt;b&gt;"</code>'
    assert f"| description | {cell} |" in md
    # In the unmanaged list too.
    assert f"- <code>product {cell.removeprefix('<code>')}" in md
    # No raw tag from the name reaches the comment.
    assert "<b>" not in md


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b", "a\\|b"),
        ("`code`", "\\`code\\`"),
        ("<script>&", "&lt;script&gt;&amp;"),
        ("*bold* _it_ [l](x) ~s~", "\\*bold\\* \\_it\\_ \\[l\\](x) \\~s\\~"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\\\nlines"),
        ("Ünïcödé €", "Ünïcödé €"),
    ],
)
def test_md_escape(text: str, expected: str) -> None:
    assert md_escape(text) == expected


def test_markdown_no_changes_is_short_with_marker() -> None:
    md = render_markdown(make_plan(unmanaged=(VOICE,)))
    assert md.startswith(
        "<!-- catalogsync-plan:sandbox -->\n### catalogsync plan for <code>sandbox</code>\n"
    )
    assert (
        "**No changes. The live catalog matches the YAML.** 1 unmanaged left alone (1 product)."
        in md
    )
    assert "<details>" not in md
    assert "| kind |" not in md
    assert len(md) < 600


def big_plan(n: int) -> Plan:
    changes = []
    for i in range(n):
        ref = product_ref(f"Product {i:05} with a reasonably long name")
        if i % 50 == 0:
            changes.append(
                Change(Action.DELETE, ref, fields=(FieldChange("rate", Decimal(i), None),))
            )
        else:
            changes.append(
                create(ref, rate=Decimal(f"{i}.50"), status="active", description="x" * 40)
            )
    return make_plan(*changes, unmanaged=(GOLD,))


def test_markdown_truncates_a_huge_plan_under_the_limit() -> None:
    plan = big_plan(5_000)
    md = render_markdown(plan)
    assert len(md) <= 65_000
    shown = md.count("<details><summary><code>")
    assert 0 < shown < 5_000
    note = (
        f"… {5_000 - shown} more changes not shown "
        "(plan too large for a comment; see the plan artifact)"
    )
    assert md.endswith(note + "\n")
    # The summary survives whole, and so does every delete (they come first).
    assert md.startswith("<!-- catalogsync-plan:sandbox -->\n")
    assert "| product | 4900 | 0 | 100 |" in md
    assert "| **total** | **4900** | **0** | **100** |" in md
    assert "#### Delete (100)" in md
    assert md.count("<code>- product") == 100
    assert "#### Create (4900)" in md
    # Nothing after the note: the unmanaged list is dropped with the rest.
    assert "Unmanaged live objects" not in md


@pytest.mark.parametrize("limit", [*range(1_200, 6_000, 97), 65_000])
def test_markdown_never_exceeds_limit(limit: int) -> None:
    plan = big_plan(60)
    md = render_markdown(plan, limit=limit)
    assert len(md) <= limit
    shown = md.count("<details><summary><code>")
    if shown < 60:
        assert f"… {60 - shown} more change" in md
    else:
        assert "more change" not in md


def test_markdown_fits_exactly_without_note_when_it_fits() -> None:
    md = render_markdown(SMALL)
    assert render_markdown(SMALL, limit=len(md)) == md
    assert render_markdown(SMALL, limit=len(md) - 1) != md
    # Without a tail the size is exact: one character less and the last change goes.
    plan = make_plan(*SMALL.changes)
    md = render_markdown(plan)
    assert render_markdown(plan, limit=len(md)) == md
    cut = render_markdown(plan, limit=len(md) - 1)
    assert cut.count("<details>") == 4
    assert cut.endswith(
        "… 1 more change not shown (plan too large for a comment; see the plan artifact)\n"
    )


def test_markdown_keeps_summary_even_below_limit() -> None:
    md = render_markdown(SMALL, limit=10)
    assert "| **total** | **3** | **1** | **1** |" in md
    assert md.endswith(
        "… 5 more changes not shown (plan too large for a comment; see the plan artifact)\n"
    )


def test_markdown_singular_note() -> None:
    full = render_markdown(make_plan(CREATE_VOICE))
    md = render_markdown(make_plan(CREATE_VOICE), limit=len(full) - 1)
    assert "… 1 more change not shown (plan too large" in md


# --- json -----------------------------------------------------------------------------------


def test_json_is_the_plan_file() -> None:
    text = render_json(SMALL)
    assert text == SMALL.dumps()
    data = json.loads(text)
    assert data["plan_hash"] == SMALL.plan_hash
    assert Plan.loads(text) == SMALL


# --- apply reports --------------------------------------------------------------------------

REPORT = ApplyReport.build(
    SMALL.plan_hash,
    [
        ChangeResult(VOICE, Outcome.SUCCEEDED, remote_id="101"),
        ChangeResult(GOLD, Outcome.SUCCEEDED, remote_id="17"),
        ChangeResult(
            GOLD_VOICE, Outcome.FAILED, message="MaxQuantity: must be <= 50\n(ErrorCode 4)"
        ),
        ChangeResult(GOLD_VOICEMAIL, Outcome.SKIPPED),
        ChangeResult(LEGACY, Outcome.SUCCEEDED),
    ],
)


def test_report_text_exact() -> None:
    assert render_report_text(REPORT, SMALL) == (
        'Apply to target "sandbox" (billingplatform, https://sandbox.example.test/acme)\n'
        "\n"
        "Succeeded (3):\n"
        '    + product "Voice Minutes" (id 101)\n'
        '    ~ package "Gold Plan" (id 17)\n'
        '    - product "Legacy Minutes"\n'
        "\n"
        "Failed (1):\n"
        '    + package-product "Gold Plan / Voice Minutes": MaxQuantity: must be <= 50\\n(ErrorCode 4)\n'
        "\n"
        "Skipped (1):\n"
        '    + package-product "Gold Plan / Voice Minutes / Voicemail": '
        'depends on failed package-product "Gold Plan / Voice Minutes"\n'
        "\n"
        "Apply: 3 succeeded, 1 failed, 1 skipped.\n"
    )


def test_report_text_uses_the_applier_reason_when_given() -> None:
    report = ApplyReport.build("h", [ChangeResult(VOICE, Outcome.SKIPPED, message="stale plan")])
    text = render_report_text(report, make_plan(CREATE_VOICE))
    assert '    + product "Voice Minutes": stale plan\n' in text


def test_report_text_color() -> None:
    plain = render_report_text(REPORT, SMALL)
    colored = render_report_text(REPORT, SMALL, color=True)
    assert "\x1b" not in plain
    assert "\x1b[32mSucceeded (3):\x1b[0m" in colored
    assert "\x1b[31mFailed (1):\x1b[0m" in colored
    assert "\x1b[33mSkipped (1):\x1b[0m" in colored
    assert "\x1b[31mApply: 3 succeeded, 1 failed, 1 skipped.\x1b[0m" in colored
    assert ANSI.sub("", colored) == plain


def test_report_text_all_succeeded() -> None:
    report = ApplyReport.build("h", [ChangeResult(VOICE, Outcome.SUCCEEDED)])
    text = render_report_text(report, make_plan(CREATE_VOICE), color=True)
    assert "Failed" not in text and "Skipped" not in text
    assert text.endswith("\x1b[1mApply: 1 succeeded, 0 failed, 0 skipped.\x1b[0m\n")


def test_report_markdown() -> None:
    md = render_report_markdown(REPORT, SMALL)
    assert md.splitlines()[0] == "<!-- catalogsync-apply:sandbox -->"
    assert "**Apply: 3 succeeded, 1 failed, 1 skipped.**" in md
    headings = re.findall(r"^#### .*$", md, flags=re.MULTILINE)
    assert headings == ["#### Failed (1)", "#### Skipped (1)", "#### Succeeded (3)"]
    assert (
        '- <code>+ package-product "Gold Plan / Voice Minutes"</code>: '
        "MaxQuantity: must be &lt;= 50\\\\n(ErrorCode 4)" in md
    )
    assert 'depends on failed package-product "Gold Plan / Voice Minutes"' in md
    assert '- <code>+ product "Voice Minutes"</code> (id <code>101</code>)' in md


def test_report_markdown_truncates_successes_first() -> None:
    results = [ChangeResult(product_ref(f"P{i:05}"), Outcome.SUCCEEDED) for i in range(5_000)]
    results.append(ChangeResult(VOICE, Outcome.FAILED, message="boom"))
    report = ApplyReport.build("h", results)
    plan = make_plan(*(create(r.ref) for r in results))
    md = render_report_markdown(report, plan, limit=5_000)
    assert len(md) <= 5_000
    assert '- <code>+ product "Voice Minutes"</code>: boom' in md
    assert re.search(r"… \d+ more results not shown \(report too large for a comment", md)


def test_report_json() -> None:
    text = render_report_json(REPORT)
    assert json.loads(text) == REPORT.to_json()
    assert text == json.dumps(REPORT.to_json(), indent=2, sort_keys=True)


# --- edges ----------------------------------------------------------------------------------


def test_format_value_escapes_invisible_astral_characters() -> None:
    assert format_value("tag\U000e0001") == '"tag\\U000e0001"'


def test_markdown_change_without_fields_or_notes() -> None:
    md = render_markdown(make_plan(Change(Action.DELETE, VOICEMAIL)))
    assert (
        '<details><summary><code>- product "Voicemail"</code></summary>\n\n'
        "*no managed fields*\n\n</details>" in md
    )


def test_markdown_reason_and_pending_ids_share_one_note_line() -> None:
    change = Change(
        Action.CREATE, GOLD_VOICEMAIL, depends_on=(GOLD_VOICE,), reason="declared in gold.yaml"
    )
    md = render_markdown(make_plan(CREATE_GOLD_VOICE, change))
    assert "*declared in gold.yaml · (package-product id known after apply)*" in md


def test_markdown_unmanaged_list_is_capped_and_dropped_when_it_does_not_fit() -> None:
    unmanaged = tuple(product_ref(f"P{i:02}") for i in range(21))
    plan = make_plan(CREATE_VOICE, unmanaged=unmanaged)
    md = render_markdown(plan)
    assert "<details><summary>Unmanaged live objects left alone (21)</summary>" in md
    assert md.count("- <code>product") == 20
    assert "- … and 1 more\n" in md
    # All changes fit but the list does not: it goes, and no "more changes" note appears.
    without = render_markdown(plan, limit=md.index("<details><summary>Unmanaged") + 10)
    assert "Unmanaged live objects" not in without
    assert "more change" not in without
    assert '<code>+ product "Voice Minutes"</code>' in without


def test_report_failed_without_message_and_skip_without_cause() -> None:
    report = ApplyReport.build(
        "h",
        [ChangeResult(VOICE, Outcome.FAILED), ChangeResult(VOICEMAIL, Outcome.SKIPPED)],
    )
    text = render_report_text(report, make_plan(CREATE_VOICE, create(VOICEMAIL)))
    assert '    + product "Voice Minutes": failed (no message)\n' in text
    assert '    + product "Voicemail": not attempted\n' in text


def test_report_result_missing_from_plan_is_still_named() -> None:
    report = ApplyReport.build("h", [ChangeResult(VOICE, Outcome.SUCCEEDED)])
    assert '    ? product "Voice Minutes"\n' in render_report_text(report, make_plan())
    assert '- <code>? product "Voice Minutes"</code>\n' in render_report_markdown(
        report, make_plan()
    )
