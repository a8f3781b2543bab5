"""Plan-time checks against the live system, per backend: lookup names resolve, and a
declared key held by two live records is an error naming both ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.catalog import Kind
from catalogsync.cli import cli
from tests.contract.harness import BillingPlatformHarness, Harness, Spec

pytestmark = pytest.mark.loopback

SPEC = Spec(products={"Voice": "1.50", "SMS": "2.50"}, packages={"Gold": ("Voice", "SMS")})
# (text in the harness's catalog, the typo put in its place, the expected message)
TYPOS = {
    "billingplatform": [
        (
            "rate: '1.50'",
            "rate: '1.50'\n  rating_method: Usgae",
            "unknown rating_method 'Usgae' (did you mean 'Usage'?)",
        ),
        ("rate: '2.50'", "rate: '2.50'\n  rating_method: Flat", "unknown rating_method 'Flat'"),
    ],
    "logisense": [
        (
            "service_type: Recurring\n  description: '1.50'",
            "service_type: Recurirng\n  description: '1.50'",
            "unknown service_type 'Recurirng' (did you mean 'Recurring'?)",
        ),
        ("- USD", "- USX", "unknown currency code 'USX' (did you mean 'USD'?)"),
    ],
}


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    return result.exit_code, result.stdout, result.stderr


def test_unknown_lookup_names_fail_the_plan_all_at_once_with_file_and_line(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    monkeypatch.chdir(project)
    catalog = project / "catalog.yaml"
    text = catalog.read_text()
    for old, new, _ in TYPOS[harness.backend]:
        assert old in text, text
        text = text.replace(old, new, 1)
    catalog.write_text(text)
    lines = text.splitlines()
    for command in (["plan"], ["apply", "--auto-approve"]):
        code, out, err = run(project, *command)
        assert code == 1, out
        for *_, message in TYPOS[harness.backend]:
            typo = message.split("'")[1]
            typo_line = next(i for i, line in enumerate(lines, 1) if typo in line)
            assert f"catalog.yaml:{typo_line}:" in err and message in err, err
    assert harness.names(Kind.PRODUCT) == []  # nothing was written


def test_a_declared_key_held_by_two_live_records_is_an_error_naming_both_ids(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    assert run(project, "apply", "--auto-approve")[0] == 0
    duplicated = make_duplicate(harness)
    for command in (["plan"], ["drift"]):
        code, _, err = run(project, *command)
        assert code == 1
        assert f"{duplicated} is held by 2 live records (ids " in err, err
        assert "Delete (or rename) the extra record(s)" in err


def make_duplicate(harness: Harness) -> str:
    """Make, as the UI would, a second live record with a declared key; return the key."""
    if isinstance(harness, BillingPlatformHarness):  # product names are unique there
        record = {
            "Id": "",  # the seeds mark Id required on a save; sent empty
            "Name": "Voice again",
            "MinQty": "0",
            "PackageId": harness._id_of("PACKAGE", "Gold"),
            "ProductId": harness._id_of("PRODUCT", "Voice"),
        }
        body = {"brmObjects": [record]}
        answer = harness._request("POST", "/rest/2.0/PACKAGE_PRODUCT", json=body).json()
        (result,) = answer.get("createResponse") or answer["retrieveResponse"]  # per profile
        assert result["Id"] and result.get("success", True) in (True, "true")
        return "package-product Gold / Voice"
    harness.create_product("Voice")
    return "product Voice"
