"""The plan/apply contract every backend keeps, through the CLI, against its emulator.

Each test runs once per backend (see conftest.py); the harness hides only how a backend
spells its catalog and how the UI edits it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from catalogsync.catalog import Kind
from tests.clirun import run
from tests.contract.harness import Harness, Spec

pytestmark = pytest.mark.loopback

# Names that break naive queries, URLs, LIKE patterns and encodings, and spaces that a
# careless strip() would lose.
AWKWARD = ("O'Brien Support", "100% Fibre", "snake_case_service", "Gerät – Zone 1", "  Spaced  ")
SPEC = Spec(
    products={name: f"{index}.50" for index, name in enumerate((*AWKWARD, "Voice"), start=1)},
    packages={
        "Gold 'Plan'": ("Voice", "O'Brien Support", "  Spaced  "),
        "Résidentiel_50%": ("Voice", "100% Fibre", "snake_case_service", "Gerät – Zone 1"),
    },
)


@pytest.fixture
def project(harness: Harness, tmp_path: Path) -> Path:
    return harness.write_project(tmp_path / "project", SPEC)


def assert_live_matches_spec(harness: Harness) -> None:
    """Exactly the declared records, each once: nothing lost, nothing duplicated."""
    assert Counter(harness.names(Kind.PRODUCT)) == Counter(list(SPEC.products))
    assert Counter(harness.names(Kind.PACKAGE)) == Counter(list(SPEC.packages))
    expected = Counter(f"{p} / {n}" for p, names in SPEC.packages.items() for n in names)
    assert Counter(harness.names(Kind.PACKAGE_PRODUCT)) == expected


def test_apply_then_replan_is_empty_and_awkward_names_round_trip(
    harness: Harness, project: Path
) -> None:
    code, out, _ = run(project, "plan", "--detailed-exitcode")
    total = len(SPEC.products) + len(SPEC.packages) + SPEC.package_products
    assert code == 2 and f"Plan: {total} to create, 0 to update, 0 to delete." in out
    code, out, err = run(project, "apply", "--auto-approve")
    assert (code, err) == (0, ""), out
    assert f"Apply: {total} succeeded, 0 failed, 0 skipped." in out
    assert_live_matches_spec(harness)
    code, out, _ = run(project, "plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out


def test_same_inputs_give_the_same_plan_hash(harness: Harness, project: Path) -> None:
    assert run(project, "apply", "--auto-approve")[0] == 0
    harness.edit_product("Voice", "9.99")
    one, two = project / "one.json", project / "two.json"
    assert run(project, "plan", "--out", str(one))[0] == 0
    assert run(project, "plan", "--out", str(two))[0] == 0
    assert one.read_bytes() == two.read_bytes()
    plan = json.loads(one.read_text(encoding="utf-8"))
    assert plan["plan_hash"].startswith("sha256:") and plan["summary"]["update"] == 1


def test_a_saved_plan_is_refused_as_stale_after_a_ui_edit(harness: Harness, project: Path) -> None:
    assert run(project, "apply", "--auto-approve")[0] == 0
    harness.edit_product("O'Brien Support", "7.25")
    plan_file = project / "plan.json"
    assert run(project, "plan", "--out", str(plan_file))[0] == 0
    harness.edit_product("O'Brien Support", "8.75")  # someone edits again after review
    code, _, err = run(project, "apply", str(plan_file))
    assert code == 3
    assert "the plan is stale; nothing was written" in err
    assert "O'Brien Support" in err
    assert run(project, "plan", "--out", str(plan_file))[0] == 0
    code, out, _ = run(project, "apply", str(plan_file))
    assert code == 0 and "Apply: 1 succeeded" in out
    assert run(project, "plan", "--detailed-exitcode")[0] == 0


def test_a_failure_mid_apply_then_reapply_converges_without_duplicates(
    harness: Harness, project: Path
) -> None:
    harness.emulator.faults.fail_names_matching = "^O'Brien"
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 4
    # the product fails, its package-product is skipped, everything else lands
    assert "1 failed, 1 skipped." in out
    harness.emulator.faults.fail_names_matching = None
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 0 and "Apply: 2 succeeded, 0 failed, 0 skipped." in out
    assert run(project, "plan", "--detailed-exitcode")[0] == 0
    assert_live_matches_spec(harness)


def test_an_ambiguous_create_does_not_duplicate(harness: Harness, project: Path) -> None:
    harness.dropper.arm(*harness.product_create)
    code, out, err = run(project, "apply", "--auto-approve")
    assert harness.dropper.dropped == 1
    # the answer was lost, but the product exists: adopted (or upserted again), not doubled
    assert code == 0, out + err
    assert_live_matches_spec(harness)
    assert run(project, "plan", "--detailed-exitcode")[0] == 0


def test_session_expiry_mid_run_is_survived(harness: Harness, project: Path) -> None:
    # every token dies after 3 requests: several times during one apply, with up to 4
    # requests in flight (a replay may find the renewed session used up, and renews again)
    harness.emulator.faults.session_max_requests = 3
    code, out, err = run(project, "apply", "--auto-approve", "--stats")
    assert code == 0, out + err
    stats = json.loads((out + err).split("stats: ", 1)[1].splitlines()[0])
    assert stats["relogins"] >= 1
    assert run(project, "plan", "--detailed-exitcode")[0] == 0
    assert_live_matches_spec(harness)
