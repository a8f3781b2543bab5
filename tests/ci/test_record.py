"""The review record in a plan note: what it covers, how it reads back, when it is left out,
and the GitLab template's schema."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from catalogsync.catalog import Kind, product_ref
from catalogsync.ci.body import fit_body, with_header
from catalogsync.ci.record import (
    ReviewRecord,
    applied_sha,
    change_digest,
    mark_applied,
)
from catalogsync.plan import Action, ApplyNeeds, Change, FieldChange, Plan, ShareExcess
from tests.conftest import ROOT

VOICE = product_ref("Voice")


def update(rate: str, fingerprint: str = "sha256:live-1") -> Change:
    return Change(
        Action.UPDATE,
        VOICE,
        fields=(FieldChange("rate", "1", rate),),
        values={"rate": rate},
        remote_id="7",
        live_fingerprint=fingerprint,
    )


def plan_of(*changes: Change, needs: ApplyNeeds | None = None) -> Plan:
    return Plan(
        "billingplatform", "prod", "emulator:", "sha256:x", changes, needs=needs or ApplyNeeds()
    )


def test_a_digest_changes_with_the_values_the_action_and_the_live_record() -> None:
    base = change_digest(update("2"))
    assert change_digest(update("2")) == base
    assert change_digest(update("3")) != base  # other after-values
    assert change_digest(update("2", "sha256:live-2")) != base  # the live record moved
    assert change_digest(dataclasses.replace(update("2"), action=Action.DELETE)) != base
    assert change_digest(dataclasses.replace(update("2"), reason="why")) == base  # prose


def test_the_record_reads_back_from_a_fitted_note_and_tampering_voids_it() -> None:
    excess = ShareExcess(Kind.PRODUCT, 4, 10, 0.3)
    plan = plan_of(update("2"), needs=ApplyNeeds(force=(excess,)))
    record = ReviewRecord.of_plan(plan)
    assert len(record.marker()) <= ReviewRecord.marker_size(plan)
    body = fit_body(with_header("### plan\n" + "x" * 100_000, "plan", "prod", [record.marker()]))
    assert ReviewRecord.parse(body) == record and record.force == {Kind.PRODUCT}
    broken = body.replace("changes=", "changes=%", 1)
    assert ReviewRecord.parse(broken) is None
    assert ReviewRecord.parse("### plan\n" + record.marker()) is None  # not in the header


def test_the_applied_mark_spends_a_review() -> None:
    body = with_header("### plan", "plan", "prod", [ReviewRecord.of_plan(plan_of()).marker()])
    assert applied_sha(body) is None
    spent = mark_applied(body, "ab" * 20)
    assert applied_sha(spent) == "ab" * 20
    assert ReviewRecord.parse(spent) == ReviewRecord.parse(body)


def test_the_gitlab_template_passes_the_gitlab_ci_schema() -> None:
    template = ROOT / "templates" / "gitlab" / "catalogsync.gitlab-ci.yml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.gitlab-ci",
            str(template),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_plan_too_large_to_record_says_so_and_records_nothing() -> None:
    from catalogsync.cli.ci_cmd import _review_lines, _with_authorisation_note

    many = plan_of(*(dataclasses.replace(update(str(n)), remote_id=str(n)) for n in range(3_000)))
    lines = _review_lines(many, 65_000)
    assert len(lines) == 1 and "plan-hash" in lines[0]  # the hash only, no record
    text = _with_authorisation_note(
        "<!-- catalogsync-plan:prod -->\n### plan\n\nrest", many, 65_000
    )
    assert "more than a note can record" in text and "apply on merge will refuse" in text
    small = plan_of(update("2"))
    assert any("catalogsync-reviewed" in line for line in _review_lines(small, 65_000))
