"""Verified applies and the per-wave re-check, with an in-memory backend (plain values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import anyio

from catalogsync.applier import ApplyOptions, apply_plan
from catalogsync.backend_api import Settled
from catalogsync.catalog import Ref, package_product_ref, package_ref, product_ref
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Action, Change, Plan
from catalogsync.planner import PlanOptions, build_plan
from catalogsync.recheck import moved_before_wave
from catalogsync.render import render_report_text
from catalogsync.report import ApplyReport, ChangeResult, Outcome
from catalogsync.verify import InEffect, verify_results
from tests.fakes import InMemoryBackend, catalog, live, res

OPTS = PlanOptions(backend="memory")
VOICE, SMS, GOLD = product_ref("Voice"), product_ref("SMS"), package_ref("Gold")
GOLD_VOICE = package_product_ref("Gold", "Voice")
DESIRED = catalog(
    res(VOICE, rate=Decimal(1)), res(SMS), res(GOLD), res(GOLD_VOICE, min_qty=Decimal(1))
)


class IgnoresRate(InMemoryBackend):
    """An API that answers success but does not store a product's rate."""

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        results = await super().apply_wave(changes, ids, settled)
        for ref, record in list(self.records.items()):
            if "rate" in record.fields:
                fields = {k: v for k, v in record.fields.items() if k != "rate"}
                self.records[ref] = LiveResource(ref, record.remote_id, fields)
        return results


def apply(
    backend: InMemoryBackend, options: ApplyOptions | None = None
) -> tuple[Plan, ApplyReport]:
    async def go() -> tuple[Plan, ApplyReport]:
        before = await backend.fetch_live()
        plan = build_plan(DESIRED, before, OPTS)
        return plan, await apply_plan(plan, backend, before, options=options)

    return anyio.run(go)


def test_a_change_accepted_but_not_in_effect_fails_the_apply() -> None:
    plan, report = apply(IgnoresRate())
    assert report.exit_code == 4 and report.verified
    failed = {r.ref: r.message for r in report.of(Outcome.FAILED)}
    assert failed == {VOICE: "accepted by the API but not in effect: rate is empty live, planned 1"}
    text = render_report_text(report, plan)
    assert "Failed (1):" in text and "accepted by the API but not in effect" in text


def test_no_verify_trusts_the_api_answers() -> None:
    _, report = apply(IgnoresRate(), ApplyOptions(verify=False))
    assert report.exit_code == 0 and not report.verified


def test_verification_passes_and_costs_one_read_after_the_last_wave() -> None:
    backend = InMemoryBackend()
    reads = 0
    fetch = backend.fetch_live

    async def counted(progress: object = None) -> LiveCatalog:
        nonlocal reads
        reads += 1
        return await fetch()

    backend.fetch_live = counted  # type: ignore[method-assign]
    _, report = apply(backend, ApplyOptions(recheck=False))
    assert report.exit_code == 0 and report.verified
    assert reads == 2  # the plan's read, then the verification read
    assert "Verified by re-reading the live catalog." in render_report_text(
        report, build_plan(DESIRED, LiveCatalog(), OPTS)
    )


def test_a_deleted_object_that_is_still_there_is_not_in_effect() -> None:
    change = Change(Action.DELETE, SMS, remote_id="7", live_fingerprint="x")
    result = ChangeResult(SMS, Outcome.SUCCEEDED, "7")
    checked = verify_results([change], {SMS: result}, LiveCatalog((live(SMS, "7"),)))
    assert checked[SMS].outcome is Outcome.FAILED
    assert checked[SMS].message.endswith("id 7 still exists")


class OtherWriterBetweenWaves(InMemoryBackend):
    """Another apply of the same catalog finishes while this one is between waves."""

    def __init__(self) -> None:
        super().__init__()
        self.intruded = False

    async def apply_wave(
        self, changes: Sequence[Change], ids: Mapping[Ref, str], settled: Settled | None = None
    ) -> list[ChangeResult]:
        results = await super().apply_wave(changes, ids, settled)
        if not self.intruded:
            self.intruded = True
            self.records[GOLD_VOICE] = LiveResource(GOLD_VOICE, "9999", {"min_qty": Decimal(1)})
        return results


def test_a_wave_whose_objects_another_apply_created_is_refused_with_exit_3() -> None:
    backend = OtherWriterBetweenWaves()
    _, report = apply(backend)
    assert report.exit_code == 3
    assert "package-product Gold / Voice: created by someone else" in report.refused
    outcomes = {r.ref: r.outcome for r in report.results}
    assert outcomes[GOLD_VOICE] is Outcome.SKIPPED
    assert [len(w) for w in backend.waves] == [3]  # nothing written after the refusal
    assert backend.records[GOLD_VOICE].remote_id == "9999"  # the other writer's, untouched
    assert report.verified and outcomes[VOICE] is Outcome.SUCCEEDED


def test_an_update_whose_object_changed_under_it_is_refused() -> None:
    planned = LiveCatalog((live(VOICE, "1", rate=Decimal(2)),))
    fresh = LiveCatalog((live(VOICE, "1", rate=Decimal(3)),))
    change = Change(Action.UPDATE, VOICE, remote_id="1", live_fingerprint="f")
    assert moved_before_wave([change], [], planned, fresh, {}) == [
        "product Voice: changed by someone else since the plan was made"
    ]
    assert moved_before_wave([change], [], planned, planned, {}) == []


def test_a_created_key_held_by_two_live_records_stops_the_next_wave() -> None:
    fresh = LiveCatalog((live(SMS, "1"), live(SMS, "2")))
    moved = moved_before_wave([], [SMS], LiveCatalog(), fresh, {})
    assert moved == [
        "product SMS: 2 live records now have this key (another apply created it too?)"
    ]


def test_verification_reads_each_succeeded_change_s_record_as_planned() -> None:
    """Every verdict `verify_results` gives, on one live catalog (its fast path, all planned
    fields live as planned, and the others)."""
    changes = [
        Change(Action.CREATE, VOICE, values={"rate": Decimal(1), "description": None}),
        Change(Action.CREATE, SMS, values={"rate": Decimal(2)}),
        Change(Action.CREATE, GOLD, values={}),
        Change(Action.CREATE, GOLD_VOICE, values={"min_qty": Decimal(1)}),
        Change(Action.DELETE, product_ref("Gone"), remote_id="7"),
        Change(Action.DELETE, product_ref("Kept"), remote_id="8"),
        Change(Action.CREATE, product_ref("Other"), values={}),
    ]
    results = {c.ref: ChangeResult(c.ref, Outcome.SUCCEEDED, c.remote_id) for c in changes}
    results[product_ref("Other")] = ChangeResult(product_ref("Other"), Outcome.SUCCEEDED, "10")
    fresh = LiveCatalog(
        (
            LiveResource(VOICE, "1", {"rate": Decimal("1.00")}),  # description absent: empty
            LiveResource(SMS, "2", {"rate": Decimal(3)}),
            LiveResource(GOLD_VOICE, "5", {"min_qty": Decimal(1)}),
            LiveResource(GOLD_VOICE, "4", {"min_qty": Decimal(1)}),
            LiveResource(product_ref("Kept"), "8", {}),
            LiveResource(product_ref("Other"), "11", {}),
        )
    )
    checked = verify_results(changes, results, fresh)
    # Told one record at a time, in any order (a read that hands each on as it builds it):
    # the same verdicts.
    for order in (fresh.resources[::-1], fresh.resources[1::2] + fresh.resources[::2]):
        told = InEffect(changes, results)
        for resource in order:
            told.see(resource)
        assert {**results, **told.failures()} == checked
    failed = {r.ref: r.message.split(": ", 1)[1] for r in checked.values() if r.message}
    assert failed == {
        SMS: "rate is 3 live, planned 2",
        GOLD: "not found on re-read",
        GOLD_VOICE: "2 live records now have this key (ids 4, 5): another writer (a concurrent"
        " apply?) created one too; delete the extra record(s) and run plan",
        product_ref("Kept"): "id 8 still exists",
        product_ref("Other"): "the live record under this key is id 11, not 10",
    }
    assert checked[VOICE].outcome is Outcome.SUCCEEDED
    assert checked[product_ref("Gone")].outcome is Outcome.SUCCEEDED


def test_verification_in_effect_finds_nothing_and_still_misses_each_lone_problem() -> None:
    """When every record is the written one as planned, `InEffect` answers without looking
    at each change again; one problem alone (a record missing, a second record, a deleted
    id read again, a field off, another id) is still found, told in any order."""
    one, two = product_ref("One"), product_ref("Two")
    changes = [
        Change(Action.CREATE, one, values={"rate": Decimal(1)}),
        Change(Action.UPDATE, two, remote_id="2", values={"rate": Decimal(2)}),
        Change(Action.DELETE, product_ref("Gone"), remote_id="9"),
    ]
    results = {
        one: ChangeResult(one, Outcome.SUCCEEDED, "1"),
        two: ChangeResult(two, Outcome.SUCCEEDED, "2"),
        product_ref("Gone"): ChangeResult(product_ref("Gone"), Outcome.SUCCEEDED, "9"),
    }
    fine = [
        LiveResource(one, "1", {"rate": Decimal("1.0")}),
        LiveResource(two, "2", {"rate": Decimal(2), "status": "x"}),
    ]

    def told(records: list[LiveResource]) -> dict[Ref, str]:
        found: dict[Ref, str] = {}
        for order in (records, records[::-1]):
            check = InEffect(changes, results)
            for record in order:
                check.see(record)
            failures = check.failures()
            assert failures == not_in_effect_slowly(changes, results, order)
            found = {ref: r.message.split(": ", 1)[1] for ref, r in failures.items()}
        return found

    assert told(fine) == {}
    assert told(fine[:1]) == {two: "not found on re-read"}
    assert told([*fine, LiveResource(two, "3", {})])[two].startswith("2 live records")
    assert told([*fine, LiveResource(product_ref("Gone"), "9", {})]) == {
        product_ref("Gone"): "id 9 still exists"
    }
    assert told([fine[0], LiveResource(two, "2", {"rate": Decimal(3)})]) == {
        two: "rate is 3 live, planned 2"
    }
    assert told([LiveResource(one, "5", {"rate": Decimal(1)}), fine[1]]) == {
        one: "the live record under this key is id 5, not 1"
    }


def not_in_effect_slowly(
    changes: Sequence[Change], results: Mapping[Ref, ChangeResult], live: Sequence[LiveResource]
) -> dict[Ref, ChangeResult]:
    """What `InEffect` answers, worked out plainly from the whole read."""
    from catalogsync import verify

    checked: dict[Ref, ChangeResult] = {}
    for change in changes:
        result = results[change.ref]
        if change.action is Action.DELETE:
            problem = verify._not_deleted(change, result, {(r.ref.kind, r.remote_id) for r in live})
        else:
            held = [r for r in live if r.ref == change.ref]
            if len(held) > 1:
                problem = verify._held_twice([r.remote_id for r in held])
            elif not held:
                problem = "not found on re-read"
            else:
                problem = verify._problem(change, result, held[0])
        if problem:
            checked[change.ref] = ChangeResult(
                change.ref, Outcome.FAILED, result.remote_id, f"{verify.NOT_IN_EFFECT}: {problem}"
            )
    return checked


def test_a_deleted_id_another_kind_s_live_record_holds_is_gone() -> None:
    """Ids are each entity's own (a billing system may number each table apart): a deleted
    product's id held by a live package says nothing about the product."""
    change = Change(Action.DELETE, SMS, remote_id="7", live_fingerprint="x")
    result = ChangeResult(SMS, Outcome.SUCCEEDED, "7")
    checked = verify_results([change], {SMS: result}, LiveCatalog((live(GOLD, "7"),)))
    assert checked[SMS].outcome is Outcome.SUCCEEDED
    slowly = not_in_effect_slowly([change], {SMS: result}, [live(GOLD, "7")])
    assert slowly == {}
