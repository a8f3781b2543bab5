"""Issue 14's core cases: duplicates, renames with prune, links, protect, fingerprints, decimals.

Plain values and an in-memory backend (the planner, applier, guards, drift and exporter
never touch HTTP); the loopback cases are in tests/contract/test_convergence.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import anyio
import pytest

from catalogsync.applier import apply_plan
from catalogsync.backend_api import Settled
from catalogsync.backends.billingplatform.catalog_format import FORMAT as BP_FORMAT
from catalogsync.backends.logisense.catalog_format import FORMAT as LS_FORMAT
from catalogsync.catalog import Ref, Resource, package_product_ref, package_ref, product_ref
from catalogsync.config import ObjectRule
from catalogsync.drift import detect_drift
from catalogsync.errors import PlanError
from catalogsync.exporter import choose_export, export_texts
from catalogsync.guards import GuardOptions, guard_problems
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.loader import load_catalog
from catalogsync.plan import Action, Change, Plan
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.report import ChangeResult, Outcome
from tests.fakes import InMemoryBackend, catalog, live, res

P, Q, L = package_ref("P"), package_ref("Q"), package_ref("L")
A, B, C = product_ref("A"), product_ref("B"), product_ref("C")
P_A, P_A_C = package_product_ref("P", "A"), package_product_ref("P", "A", "C")
P_B, Q_B, L_A = (
    package_product_ref("P", "B"),
    package_product_ref("Q", "B"),
    package_product_ref("L", "A"),
)
EVERY_PACKAGE_PRODUCT = (ObjectRule(kind="package_product"),)


def plan_of(desired, live_resources: Sequence[LiveResource], **options) -> Plan:
    opts = PlanOptions(backend="billingplatform", **options)
    return build_plan(desired, LiveCatalog(tuple(live_resources)), opts)


def actions(plan: Plan) -> list[tuple[str, str, str | None]]:
    return [(c.action.value, c.ref.label, c.remote_id) for c in plan.changes]


class RecordingBackend(InMemoryBackend):
    """Records the ids each create saw; deletes by id (duplicates share a key)."""

    def __init__(self, resources: Sequence[LiveResource]) -> None:
        super().__init__(())
        self.by_id = {r.remote_id: r for r in resources}
        self.seen: dict[Ref, dict[Ref, str]] = {}

    async def fetch_live(self, progress=None) -> LiveCatalog:
        return LiveCatalog(tuple(self.by_id.values()))

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        results = []
        for change in changes:
            if change.action is Action.DELETE:
                del self.by_id[str(change.remote_id)]
                results.append(ChangeResult(change.ref, Outcome.SUCCEEDED, change.remote_id))
            else:
                self.seen[change.ref] = dict(ids)
                self.next_id += 1
                new = LiveResource(change.ref, str(self.next_id), dict(change.values))
                self.by_id[new.remote_id] = new
                results.append(ChangeResult(change.ref, Outcome.SUCCEEDED, new.remote_id))
        return results


# --- item 2: duplicate live keys ------------------------------------------------------------


DUPLICATED = [
    live(P, "1"),
    live(A, "2"),
    live(C, "3"),
    live(P_A, "9", min_qty=Decimal(0)),
    live(P_A, "10", min_qty=Decimal(0)),  # made in the UI: same key, a higher id
]
DECLARES_CHILD = catalog(
    res(P), res(A), res(C), res(P_A, min_qty=Decimal(0)), res(P_A_C, min_qty=Decimal(0))
)


def test_planner_and_applier_agree_on_the_record_a_duplicated_key_names() -> None:
    """The planner kept the lowest id ("10" sorts before "9" as text) and deleted the
    other, while the applier's id map kept the last one: the new child went under the
    record being deleted, and that delete failed on every apply."""
    plan = plan_of(DECLARES_CHILD, DUPLICATED, prune=EVERY_PACKAGE_PRODUCT)
    assert actions(plan) == [("create", "P / A / C", None), ("delete", "P / A", "10")]
    backend = RecordingBackend(DUPLICATED)
    report = anyio.run(apply_plan, plan, backend, LiveCatalog(tuple(DUPLICATED)))
    assert report.exit_code == 0
    assert backend.seen[P_A_C][P_A] == "9"
    replanned = build_plan(
        DECLARES_CHILD,
        anyio.run(backend.fetch_live),
        PlanOptions(backend="billingplatform", prune=EVERY_PACKAGE_PRODUCT),
    )
    assert replanned.changes == ()


def test_drift_lists_every_duplicate() -> None:
    """Drift kept one record per key."""
    current = [*DUPLICATED, live(package_product_ref("P", "C"), "20", min_qty=Decimal(1))]
    current.append(live(package_product_ref("P", "C"), "21", min_qty=Decimal(1)))
    desired = catalog(res(P), res(A), res(C), res(P_A, min_qty=Decimal(0)))
    plan = plan_of(desired, current)
    report = detect_drift(plan, desired, LiveCatalog(tuple(current)), BP_FORMAT)
    assert sorted((u.ref.label, u.remote_id) for u in report.unmanaged) == [
        ("P / A", "10"),
        ("P / C", "20"),
        ("P / C", "21"),
    ]


# --- item 3: export -------------------------------------------------------------------------


def test_export_leaves_out_what_it_cannot_write_and_exports_the_rest() -> None:
    """A package-product of a package the project declares ended the export in
    `KeyError Ref(PACKAGE,'P')`; a link to a product without its link package made the
    whole export fail to load back."""
    current = LiveCatalog(
        (
            live(P, "1"),
            live(A, "2"),
            live(B, "3"),
            live(Q, "4"),
            live(P_B, "5", min_qty=Decimal(0)),  # added in the UI to the declared P
            live(Q_B, "6", min_qty=Decimal(0), link_product="A"),  # no link_package
            live(package_product_ref("Q", "A"), "7", min_qty=Decimal(1)),
        )
    )
    result = choose_export(current, BP_FORMAT, declared=[P, A])
    assert dict(export_texts(result, BP_FORMAT)).keys() == {"products.yaml", "packages/q.yaml"}
    assert sorted(ref.label for ref in result.refs) == ["B", "Q", "Q / A"]
    skipped = dict(result.skipped)
    assert "written inside package P, which the project declares" in skipped[P_B]
    assert "link_product needs link_package" in skipped[Q_B]


# --- item 4: package rename plus prune ------------------------------------------------------


RENAMED = [live(package_ref("Old"), "1"), live(A, "2"), live(B, "3")]
RENAMED += [
    live(package_product_ref("Old", "A"), "4", min_qty=Decimal(0)),
    live(package_product_ref("Old", "B"), "5", min_qty=Decimal(0)),
]
NEW_WITHOUT_B = [
    Resource(package_ref("New"), renamed_from=("Old",)),
    res(A),
    res(package_product_ref("New", "A"), min_qty=Decimal(0)),
]


def test_package_rename_plus_prune_deletes_under_the_new_names() -> None:
    """Deletes compared live keys with renamed keys: the plan refused ("cannot delete
    products still used"), and a prune rule for the new name missed the delete."""
    desired = catalog(*NEW_WITHOUT_B)
    prune = (
        ObjectRule(kind="product", names=("B",)),
        ObjectRule(kind="package_product", names=("New / *",)),
    )
    plan = plan_of(desired, RENAMED, prune=prune)
    assert actions(plan) == [
        ("update", "New", "1"),
        ("delete", "New / B", "5"),
        ("delete", "B", "3"),
    ]
    assert plan.changes[1].wave < plan.changes[2].wave
    backend = InMemoryBackend(RENAMED)
    report = anyio.run(apply_plan, plan, backend, LiveCatalog(tuple(RENAMED)))
    assert report.exit_code == 0
    # (The in-memory double does not move package-products along with a package rename,
    # so the re-plan is checked over HTTP in tests/contract/test_convergence.py.)
    assert sorted(r.remote_id for r in anyio.run(backend.fetch_live)) == ["1", "2", "4"]


# --- item 6: protect in saved plans ---------------------------------------------------------


def test_protect_in_yaml_holds_for_a_saved_plan() -> None:
    """A plan-less apply refused the delete; `apply plan.json` had no YAML, so it did not."""
    protected = Resource(P_A, {"min_qty": Decimal(0)}, protect=True)
    desired = catalog(res(P), res(A), protected)
    plan = plan_of(desired, DUPLICATED, prune=EVERY_PACKAGE_PRODUCT)
    saved = Plan.loads(plan.dumps())
    options = GuardOptions(prune=EVERY_PACKAGE_PRODUCT, allow_delete=True)
    assert guard_problems(saved, options) == [
        "package-product P / A is protected and cannot be deleted"
    ]


# --- items 9, 10: links ---------------------------------------------------------------------


LINKED = [
    live(L, "1"),
    live(P, "2"),
    live(A, "3"),
    live(B, "4"),
    live(L_A, "5", min_qty=Decimal(0)),
    live(P_B, "6", min_qty=Decimal(0), link_package="L", link_product="A"),
]


def test_deletes_go_linking_package_product_first_then_its_link_target() -> None:
    """A link target and the package-product linking it were deleted target-first."""
    desired = catalog(res(A), res(B))
    plan = plan_of(desired, LINKED, prune=(ObjectRule(kind="package"),))
    waves = {c.ref: c.wave for c in plan.changes}
    assert waves[P_B] < waves[L_A] < waves[L]
    backend = InMemoryBackend(LINKED)
    report = anyio.run(apply_plan, plan, backend, LiveCatalog(tuple(LINKED)))
    assert report.exit_code == 0 and {r.ref for r in anyio.run(backend.fetch_live)} == {A, B}


def test_pruning_a_link_target_an_unmanaged_package_product_uses_is_refused() -> None:
    desired = catalog(res(A), res(B), res(P))
    with pytest.raises(PlanError, match=r"package L \(used by package-product P / B\)"):
        plan_of(desired, LINKED, prune=(ObjectRule(kind="package", names=("L",)),))


def test_renaming_a_link_target_is_no_change_of_the_package_product_linking_it() -> None:
    desired = catalog(
        Resource(package_ref("L2"), renamed_from=("L",)),
        res(P),
        res(A),
        res(B),
        res(package_product_ref("L2", "A"), min_qty=Decimal(0)),
        res(P_B, min_qty=Decimal(0), link_package="L2", link_product="A"),
    )
    plan = plan_of(desired, LINKED)
    assert actions(plan) == [("update", "L2", "1")]


# --- item 11: fingerprints ------------------------------------------------------------------


def test_a_value_re_saved_in_another_spelling_keeps_its_fingerprint() -> None:
    """Re-saving Rate 1 as "1.00" in the UI made a saved plan stale."""
    one = LiveResource(A, "2", {"rate": Decimal("1")})
    assert one.fingerprint == LiveResource(A, "2", {"rate": Decimal("1.00")}).fingerprint
    assert one.fingerprint != LiveResource(A, "2", {"rate": Decimal("1.01")}).fingerprint


# --- items 7, 8: what YAML values mean ------------------------------------------------------


def _load(tmp_path: Path, text: str, fmt) -> dict[Ref, Mapping[str, object]]:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return {r.ref: r.fields for r in load_catalog([path], fmt, base=tmp_path)}


BP_EMPTIES = """\
products:
  - name: A
    rate: 12345678901234567.89
    customize_tax_rules: null
    external_key: ""
packages:
  - name: P
    products:
      - product: A
        min_qty: 0.50
        name: null
"""


def test_explicit_empty_values_mean_what_the_billing_system_stores(tmp_path: Path) -> None:
    """A flag `null` is false, a text "" is null, a package-product `name: null` is its
    default Name (it sent an empty Name, refused on every apply)."""
    fields = _load(tmp_path, BP_EMPTIES, BP_FORMAT)
    assert fields[A]["customize_tax_rules"] is False and fields[A]["external_key"] is None
    assert fields[P_A]["name"] == "P / A"
    ls = "services:\n  - name: A\n    service_type: Usage\n    is_active: null\n    description: ''\n"
    ls_fields = _load(tmp_path, ls, LS_FORMAT)[A]
    assert (ls_fields["is_active"], ls_fields["description"]) == (False, None)


@pytest.mark.parametrize("fast", [True, False], ids=["fast-reader", "exact-reader"])
def test_an_unquoted_decimal_keeps_every_digit(tmp_path: Path, fast: bool, monkeypatch) -> None:
    """`rate: 12345678901234567.89` passed through float and was stored as …68."""
    if not fast:
        monkeypatch.setattr("catalogsync.yamlfast.fast_available", lambda: False)
    fields = _load(tmp_path, BP_EMPTIES, BP_FORMAT)
    assert fields[A]["rate"] == Decimal("12345678901234567.89")
    assert fields[P_A]["min_qty"] == Decimal("0.50")
