"""`catalogsync doctor` against every emulator profile: it must name exactly each profile's
differences from the strict documents, clean up its probes, and exit as documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from catalogsync.catalog import Kind
from catalogsync.cli import cli
from tests.contract.harness import Harness, Spec

pytestmark = pytest.mark.loopback

# Seven products: a page cap of 5 rows (profile small-pages) shows.
PRODUCTS = {f"Product {n}": f"{n}.50" for n in range(1, 6)}
SPEC = Spec(
    products={"Voice": "1.50", "SMS": "2.50", **PRODUCTS}, packages={"Gold": ("Voice", "SMS")}
)

# The behaviours doctor must report as VARIANT with --write-probe, per profile: each
# harness's `doctor_variants`.


def doctor(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), "doctor", *args])
    return result.exit_code, result.stdout, result.stderr


def test_doctor_names_each_profiles_differences_and_cleans_up(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    assert CliRunner().invoke(cli, ["-C", str(project), "apply", "--auto-approve"]).exit_code == 0
    before = {kind: sorted(harness.names(kind)) for kind in Kind}
    code, out, err = doctor(project, "--write-probe", "--yes", "--format", "json")
    report = json.loads(out)
    key = (harness.backend, harness.profile)
    assert harness.profile in harness.doctor_variants, f"say what doctor must find under {key}"
    variants = {f["behaviour"] for f in report["findings"] if f["verdict"] == "variant"}
    assert variants == harness.doctor_variants[harness.profile], report["findings"]
    assert (code, report["compatible"]) == (0, True), err
    assert {kind: sorted(harness.names(kind)) for kind in Kind} == before  # probes gone
    assert not any("catalogsync-probe-" in n for kind in Kind for n in harness.names(kind))


def test_read_only_doctor_writes_nothing_and_renders_every_format(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    code, out, _ = doctor(project)
    assert code == 0 and "Doctor: compatible" in out and "not probed (read-only run)" in out
    code, out, _ = doctor(project, "--format", "markdown")
    assert code == 0 and "| behaviour | expected | observed | verdict | setting |" in out
    assert harness.names(Kind.PRODUCT) == []


def test_an_unknown_lookup_name_makes_the_org_incompatible(
    harness: Harness, tmp_path: Path
) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    catalog = project / "catalog.yaml"
    typo = harness.doctor_typo
    catalog.write_text(catalog.read_text().replace(*typo, 1))
    code, out, _ = doctor(project, "--format", "json")
    report = json.loads(out)
    assert code == 1 and not report["compatible"]
    (finding,) = [f for f in report["findings"] if f["verdict"] == "incompatible"]
    assert (
        finding["behaviour"] == "lookup names the catalog uses"
        and "did you mean" in finding["observed"]
    )


def test_the_write_probe_asks_first(harness: Harness, tmp_path: Path) -> None:
    project = harness.write_project(tmp_path / "project", SPEC)
    code, _, err = doctor(project, "--write-probe")
    assert code == 1 and "pass --yes" in err
