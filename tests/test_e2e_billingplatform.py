"""Plan and apply against the BillingPlatform emulator, through the CLI.

The embedded target (`url: "emulator:"`) keeps its state in the project's .catalogsync/;
tests edit that state "in the UI" by opening the same SQLite file with a second emulator
and calling its HTTP API. Fault tests serve an emulator over real loopback HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from benchmarks.generate import generate, write_project
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.server import ServerThread
from catalogsync.plan import Plan
from tests.clirun import run
from tests.conftest import TEST_SETTINGS, copy_example


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "example")


def ui_request(
    emulator: BillingPlatformEmulator, method: str, path: str, **kwargs
) -> httpx.Response:
    """One call to the emulator's API, as a person in the billing UI would make it."""

    async def call() -> httpx.Response:
        transport = emulator.async_transport()
        async with httpx.AsyncClient(transport=transport, base_url="http://ui") as client:
            login = await client.post("/rest/2.0/login", json={"username": "ui", "password": "ui"})
            session = login.json()["loginResponse"][0]["SessionID"]
            return await client.request(method, path, headers={"sessionid": session}, **kwargs)

    return anyio.run(call)


def query_on(emulator: BillingPlatformEmulator, sql: str) -> list[dict[str, str]]:
    response = ui_request(emulator, "GET", "/rest/2.0/query", params={"sql": sql})
    return [] if response.status_code == 404 else response.json()["queryResponse"]


def project_emulator(project: Path) -> BillingPlatformEmulator:
    """A second emulator over the embedded target's state file."""
    return BillingPlatformEmulator(project / ".catalogsync" / "billingplatform.sqlite3")


def query(project: Path, sql: str) -> list[dict[str, str]]:
    with project_emulator(project) as emulator:
        return query_on(emulator, sql)


def edit_product(project: Path, name: str, **fields: str) -> None:
    literal = name.replace("'", "''")
    with project_emulator(project) as emulator:
        (row,) = query_on(emulator, f"SELECT Id FROM PRODUCT WHERE Name = '{literal}'")
        body = {"brmObjects": {"Id": row["Id"], "Name": name, **fields}}
        answer = ui_request(emulator, "PUT", "/rest/2.0/PRODUCT", json=body)
    assert answer.json()["updateResponse"][0]["success"] in (True, "true")


def test_example_apply_then_replan_is_empty(example: Path) -> None:
    code, out, _ = run(example, "plan", "--detailed-exitcode")
    assert code == 2 and "Plan: 30 to create, 0 to update, 0 to delete." in out
    code, out, err = run(example, "apply", "--auto-approve")
    assert (code, err) == (0, "")
    assert "Apply: 30 succeeded, 0 failed, 0 skipped." in out
    code, out, _ = run(example, "plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out


# long: test_example_apply_then_replan_is_empty (apply, then an empty plan), the contract
# test_apply_then_replan_is_empty_and_awkward_names_round_trip[billingplatform] (awkward
# names) and tests/emulator/test_bulk.py's test_ten_thousand_packages_in_batches_of_200
# (many write batches)
@pytest.mark.long
def test_generated_s_size_catalog_applies_and_replans_empty(tmp_path: Path) -> None:
    data = generate(1_000, 100, 3_000, awkward=True)
    project = write_project(tmp_path / "gen", data, settings=TEST_SETTINGS)
    code, out, _ = run(project, "apply", "--auto-approve", "--format", "json")
    assert code == 0
    assert json.loads(out)["summary"] == {"failed": 0, "skipped": 0, "succeeded": 4_100}
    assert run(project, "plan", "--detailed-exitcode")[0] == 0
    assert len(query(project, "SELECT Id FROM PACKAGE_PRODUCT")) == 3_000


def test_a_ui_edit_shows_exactly_that_field(example: Path) -> None:
    run(example, "apply", "--auto-approve")
    edit_product(example, "O'Brien Support Desk", Rate="19.99")
    code, out, _ = run(example, "plan", "--detailed-exitcode")
    assert code == 2
    assert '~ product "O\'Brien Support Desk"' in out
    assert "rate: 19.99 → 15.00" in out
    assert "Plan: 0 to create, 1 to update, 0 to delete." in out


def test_equal_rates_written_differently_are_no_change(example: Path) -> None:
    run(example, "apply", "--auto-approve")
    # YAML says "15.00"; the API stores and returns "15.0000": the same amount.
    edit_product(example, "O'Brien Support Desk", Rate="15.0000")
    assert run(example, "plan", "--detailed-exitcode")[0] == 0


def test_same_inputs_give_byte_identical_plan_files(example: Path) -> None:
    run(example, "plan", "--out", str(example / "one.json"))
    run(example, "plan", "--out", str(example / "two.json"))
    one, two = (example / "one.json").read_bytes(), (example / "two.json").read_bytes()
    assert one == two
    assert json.loads(one)["plan_hash"].startswith("sha256:")


def test_saved_plan_applies_exactly_and_a_stale_one_is_refused(example: Path) -> None:
    run(example, "apply", "--auto-approve")
    edit_product(example, "Voicemail", Rate="3.00")
    plan_file = example / "plan.json"
    assert run(example, "plan", "--out", str(plan_file))[0] == 0
    # someone edits the same product again after the plan was reviewed
    edit_product(example, "Voicemail", Rate="4.00")
    code, out, err = run(example, "apply", str(plan_file))
    assert code == 3
    assert "the plan is stale; nothing was written" in err
    assert "product Voicemail: changed since the plan was made" in err
    (row,) = query(example, "SELECT Rate FROM PRODUCT WHERE Name = 'Voicemail'")
    assert row["Rate"] in ("4.00", "4")
    # a fresh plan applies
    assert run(example, "plan", "--out", str(plan_file))[0] == 0
    code, out, _ = run(example, "apply", str(plan_file))
    assert code == 0 and "Apply: 1 succeeded" in out


def test_a_tampered_plan_file_is_refused(example: Path) -> None:
    plan_file = example / "plan.json"
    run(example, "plan", "--out", str(plan_file))
    plan_file.write_text(plan_file.read_text().replace("Gold Plan", "Gold Plan 2"))
    code, _, err = run(example, "apply", str(plan_file))
    assert code == 1 and "modified after it was written" in err


def test_show_renders_a_saved_plan(example: Path) -> None:
    plan_file = example / "plan.json"
    run(example, "plan", "--out", str(plan_file))
    code, out, _ = run(example, "show", str(plan_file), "--format", "markdown")
    assert code == 0 and "<!-- catalogsync-plan:local -->" in out


def test_json_output_is_the_plan_file_byte_for_byte(example: Path) -> None:
    plan_file = example / "plan.json"
    code, out, _ = run(example, "plan", "--out", str(plan_file), "--format", "json")
    text = plan_file.read_text(encoding="utf-8")
    assert code == 0 and out == text == Plan.read(plan_file).dumps()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert run(example, "show", str(plan_file), "--format", "json")[1] == text
    run(example, "apply", "--auto-approve")
    # Nothing left to do: apply prints the (empty) plan and, as ever, a newline after it.
    code, out, _ = run(example, "apply", "--auto-approve", "--format", "json")
    assert code == 0 and out.endswith("}\n\n") and json.loads(out)["changes"] == []


@pytest.fixture
def served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, BillingPlatformEmulator]]:
    """The example project targeting an emulator served over loopback HTTP."""
    emulator = BillingPlatformEmulator(tmp_path / "served.sqlite3")
    with emulator, ServerThread(emulator.app) as server:
        project = tmp_path / "served"
        copy_example(project)
        config = (project / "catalogsync.yaml").read_text()
        config = config.replace(
            'local: {url: "emulator:"}',
            (
                f"local: {{url: '{server.url}', username: {{env: BP_USER}}, password: {{env: BP_PASS}}}}"
            ),
        )
        (project / "catalogsync.yaml").write_text(config)
        monkeypatch.setenv("BP_USER", "ci")
        monkeypatch.setenv("BP_PASS", "secret-sentinel-value")
        yield project, emulator


@pytest.mark.loopback
def test_over_loopback_apply_then_replan_is_empty(
    served: tuple[Path, BillingPlatformEmulator],
) -> None:
    project, _ = served
    code, out, err = run(project, "apply", "--auto-approve")
    assert code == 0, err
    assert run(project, "plan", "--detailed-exitcode")[0] == 0
    assert "secret-sentinel-value" not in out + err


@pytest.mark.loopback
def test_per_record_failure_mid_apply_then_convergence(
    served: tuple[Path, BillingPlatformEmulator],
) -> None:
    project, emulator = served
    emulator.faults.fail_names_matching = "^Voicemail$"
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 4
    assert "Apply: 26 succeeded, 1 failed, 3 skipped." in out
    emulator.faults.fail_names_matching = None
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 0 and "Apply: 4 succeeded, 0 failed, 0 skipped." in out
    assert run(project, "plan", "--detailed-exitcode")[0] == 0
    names = [r["Name"] for r in query_on(emulator, "SELECT Name FROM PACKAGE_PRODUCT")]
    assert len(names) == len(set(names)) == 16


@pytest.mark.loopback
def test_server_errors_and_session_expiry_mid_apply_converge(
    served: tuple[Path, BillingPlatformEmulator],
) -> None:
    project, emulator = served
    emulator.faults.session_max_requests = 3
    emulator.faults.fail_next(500, times=20, path_contains="PACKAGE_PRODUCT")
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 4
    assert "0 failed" not in out.splitlines()[-1]
    emulator.faults.clear_scripted()
    emulator.faults.session_max_requests = None
    code, _, _ = run(project, "apply", "--auto-approve")
    assert code == 0
    assert run(project, "plan", "--detailed-exitcode")[0] == 0


def test_package_product_names_shared_across_packages_never_hit_the_wrong_record(
    tmp_path: Path,
) -> None:
    """DESIGN §5: PACKAGE_PRODUCT upsert is keyed by Name, and Names are not unique."""

    def catalog(packages: list[str]) -> dict[str, object]:
        return {
            "products": [{"name": "Voice"}],
            "packages": [
                {"name": p, "products": [{"product": "Voice", "name": "Shared", "min_qty": m}]}
                for m, p in enumerate(packages, start=1)
            ],
        }

    project = write_project(tmp_path / "p", catalog(["A"]), settings=TEST_SETTINGS)
    assert run(project, "apply", "--auto-approve")[0] == 0
    # package B declares a package-product with the same Name as A's
    write_project(project, catalog(["A", "B"]), settings=TEST_SETTINGS)
    code, out, _ = run(project, "apply", "--auto-approve")
    assert code == 0, out
    rows = query(project, "SELECT Id, Name, PackageId, MinQty FROM PACKAGE_PRODUCT ORDER BY Id")
    assert [(r["Name"], r["MinQty"]) for r in rows] == [("Shared", "1"), ("Shared", "2")]
    assert rows[0]["PackageId"] != rows[1]["PackageId"]
    assert run(project, "plan", "--detailed-exitcode")[0] == 0
    # an update of B's record goes by Id and leaves A's alone
    write_project(
        project,
        {
            **catalog(["A", "B"]),
            "packages": [
                {"name": "A", "products": [{"product": "Voice", "name": "Shared", "min_qty": 1}]},
                {"name": "B", "products": [{"product": "Voice", "name": "Shared", "min_qty": 5}]},
            ],
        },
        settings=TEST_SETTINGS,
    )
    assert run(project, "apply", "--auto-approve")[0] == 0
    rows = query(project, "SELECT Name, MinQty FROM PACKAGE_PRODUCT ORDER BY Id")
    assert [r["MinQty"] for r in rows] == ["1", "5"]


def test_prune_deletes_need_allow_delete(example: Path) -> None:
    run(example, "apply", "--auto-approve")
    packages = example / "packages" / "consumer.yaml"
    text = packages.read_text(encoding="utf-8")
    # drop Silver Plan's SMS Bundle (package-products are in the example's prune scope)
    packages.write_text(text.replace("      - product: SMS Bundle\n        min_qty: 0\n", ""))
    code, out, _ = run(example, "plan", "--detailed-exitcode")
    assert code == 2 and '- package-product "Silver Plan / SMS Bundle"' in out
    code, _, err = run(example, "apply", "--auto-approve")
    assert code == 3 and "pass --allow-delete" in err
    assert len(query(example, "SELECT Id FROM PACKAGE_PRODUCT")) == 16
    code, out, _ = run(example, "apply", "--auto-approve", "--allow-delete")
    assert code == 0 and "Apply: 1 succeeded" in out
    assert len(query(example, "SELECT Id FROM PACKAGE_PRODUCT")) == 15


def test_a_delete_whose_record_is_already_gone_counts_as_done() -> None:
    from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
    from catalogsync.backends.billingplatform.client import BillingPlatformClient
    from catalogsync.catalog import product_ref
    from catalogsync.plan import Action, Change
    from catalogsync.report import Outcome

    async def go():
        with BillingPlatformEmulator() as emulator:
            client = BillingPlatformClient(
                "http://emulator", "u", "p", transport=emulator.async_transport()
            )
            backend = BillingPlatformBackend(client)
            change = Change(Action.DELETE, product_ref("Gone"), remote_id="2000999")
            try:
                return await backend.apply_wave([change], {})
            finally:
                await backend.close()

    (result,) = anyio.run(go)
    assert (result.outcome, result.message) == (Outcome.SUCCEEDED, "already deleted")


def test_a_rename_and_a_new_child_under_the_renamed_path_apply_together(example: Path) -> None:
    run(example, "apply", "--auto-approve")
    products = example / "products.yaml"
    products.write_text(
        products.read_text(encoding="utf-8").replace(
            "  - name: Voicemail\n", "  - name: Voicemail Plus\n    renamed_from: [Voicemail]\n"
        ),
        encoding="utf-8",
    )
    packages = example / "packages" / "consumer.yaml"
    text = packages.read_text(encoding="utf-8").replace(
        "product: Voicemail\n", "product: Voicemail Plus\n"
    )
    # a new child under Silver Plan / Voice Minutes / Voicemail Plus, whose parent exists live
    text = text.replace(
        "          - product: Voicemail Plus\n            min_qty: 0\n            max_qty: 1\n      - product: SMS Bundle",
        "          - product: Voicemail Plus\n            min_qty: 0\n            max_qty: 1\n"
        "            children:\n              - product: Call Recording\n                min_qty: 0\n"
        "      - product: SMS Bundle",
    )
    packages.write_text(text, encoding="utf-8")
    code, out, _ = run(example, "plan", "--detailed-exitcode")
    assert code == 2 and "Plan: 1 to create, 1 to update, 0 to delete." in out, out
    code, out, _ = run(example, "apply", "--auto-approve")
    assert code == 0 and "Apply: 2 succeeded, 0 failed, 0 skipped." in out, out
    assert run(example, "plan", "--detailed-exitcode")[0] == 0
