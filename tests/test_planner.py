"""The planner with plain values: matching, diffing, renames, prune scope, waves."""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from catalogsync import plan as plan_module
from catalogsync.catalog import (
    Kind,
    Ref,
    Resource,
    canonical_value,
    package_product_ref,
    package_ref,
    product_ref,
)
from catalogsync.catalog_digest import catalog_digest
from catalogsync.config import IgnoreRule, ObjectRule
from catalogsync.errors import PlanError
from catalogsync.live import LiveCatalog
from catalogsync.plan import Action, Change, FieldChange, Plan, canonical_json, digest
from catalogsync.planner import (
    PlanOptions,
    _deletes,
    _renames,
    _with_wave,
    build_plan,
    index_live,
)
from tests.conftest import examples
from tests.fakes import catalog, live, res

OPTS = PlanOptions(backend="billingplatform", target="local", target_url="emulator:")
VOICE, SMS = product_ref("Voice"), product_ref("SMS")
GOLD = package_ref("Gold")
GOLD_VOICE = package_product_ref("Gold", "Voice")
GOLD_VOICE_SMS = package_product_ref("Gold", "Voice", "SMS")


def plan_of(desired, live_resources=(), **options) -> Plan:
    opts = PlanOptions(**{**OPTS.__dict__, **options})
    return build_plan(desired, LiveCatalog(tuple(live_resources)), opts)


def summary(plan: Plan) -> list[tuple[str, str, int]]:
    return [(c.action.value, c.ref.label, c.wave) for c in plan.changes]


def test_empty_live_creates_everything_in_dependency_waves() -> None:
    desired = catalog(
        res(VOICE, rate=Decimal("0.05")),
        res(SMS),
        res(GOLD, status="Production"),
        res(GOLD_VOICE, min_qty=Decimal(1)),
        res(GOLD_VOICE_SMS, min_qty=Decimal(0)),
    )
    plan = plan_of(desired)
    assert summary(plan) == [
        ("create", "Gold", 0),
        ("create", "SMS", 0),
        ("create", "Voice", 0),
        ("create", "Gold / Voice", 1),
        ("create", "Gold / Voice / SMS", 2),
    ]
    nested = plan.changes[-1]
    assert set(nested.depends_on) == {GOLD, SMS, GOLD_VOICE}
    assert plan.changes[2].fields == (FieldChange("rate", None, Decimal("0.05")),)


def test_equal_values_in_other_forms_are_no_change() -> None:
    desired = catalog(res(VOICE, rate=Decimal("10.50"), customize_tax_rules=True, ssp_formula=None))
    current = [live(VOICE, "1", rate=Decimal("10.5"), customize_tax_rules=True, ssp_formula=None)]
    assert plan_of(desired, current).changes == ()


def test_only_declared_fields_are_compared_and_changes_are_field_level() -> None:
    desired = catalog(res(VOICE, rate=Decimal("0.06")))
    current = [live(VOICE, "7", rate=Decimal("0.05"), status="ACTIVE", external_key="x")]
    (change,) = plan_of(desired, current).changes
    assert change.action is Action.UPDATE
    assert change.remote_id == "7"
    assert change.fields == (FieldChange("rate", Decimal("0.05"), Decimal("0.06")),)
    assert change.live_fingerprint == current[0].fingerprint


def test_explicit_null_clears_a_field() -> None:
    desired = catalog(res(VOICE, external_key=None))
    (change,) = plan_of(desired, [live(VOICE, "1", external_key="abc")]).changes
    assert change.fields == (FieldChange("external_key", "abc", None),)


def test_rename_is_an_update_and_carries_package_products_along() -> None:
    from catalogsync.catalog import Resource

    desired = catalog(
        Resource(product_ref("Voice Pro"), renamed_from=("Voice",)),
        res(GOLD),
        res(package_product_ref("Gold", "Voice Pro"), min_qty=Decimal(1)),
    )
    current = [
        live(VOICE, "1"),
        live(GOLD, "2"),
        live(GOLD_VOICE, "3", min_qty=Decimal(1)),
    ]
    plan = plan_of(desired, current)
    (change,) = plan.changes
    assert change.action is Action.UPDATE and change.renamed_from == "Voice"
    assert change.fields == (FieldChange("name", "Voice", "Voice Pro"),)
    assert change.live_ref == VOICE
    assert plan.unmanaged == ()


def test_undeclared_live_objects_are_unmanaged_unless_pruned() -> None:
    current = [live(VOICE, "1"), live(SMS, "2")]
    plan = plan_of(catalog(res(VOICE)), current)
    assert plan.changes == () and plan.unmanaged == (SMS,)
    pruned = plan_of(
        catalog(res(VOICE)), current, prune=(ObjectRule(kind=Kind.PRODUCT, names=("S*",)),)
    )
    assert summary(pruned) == [("delete", "SMS", 0)]
    assert pruned.changes[0].reason == "not declared; inside the prune scope"


def test_deleting_a_package_deletes_its_package_products_children_first() -> None:
    current = [
        live(VOICE, "1"),
        live(SMS, "2"),
        live(GOLD, "3"),
        live(GOLD_VOICE, "4"),
        live(GOLD_VOICE_SMS, "5"),
    ]
    plan = plan_of(catalog(res(VOICE), res(SMS)), current, prune=(ObjectRule(kind=Kind.PACKAGE),))
    assert summary(plan) == [
        ("delete", "Gold / Voice / SMS", 0),
        ("delete", "Gold / Voice", 1),
        ("delete", "Gold", 2),
    ]
    assert plan.changes[1].depends_on == (GOLD_VOICE_SMS,)
    assert plan.changes[0].reason == "its parent is deleted"


def test_deleting_a_product_still_used_is_refused() -> None:
    current = [live(VOICE, "1"), live(GOLD, "3"), live(GOLD_VOICE, "4")]
    with pytest.raises(
        PlanError, match="cannot delete objects still used by objects that stay: product Voice"
    ):
        plan_of(catalog(res(GOLD)), current, prune=(ObjectRule(kind=Kind.PRODUCT),))


def test_deletes_come_after_creates_and_updates() -> None:
    current = [live(VOICE, "1", rate=Decimal(1)), live(SMS, "2")]
    desired = catalog(res(VOICE, rate=Decimal(2)), res(GOLD))
    plan = plan_of(desired, current, prune=(ObjectRule(kind=Kind.PRODUCT),))
    assert summary(plan) == [("create", "Gold", 0), ("update", "Voice", 0), ("delete", "SMS", 1)]


def test_ignore_rules_drop_fields_from_comparison_and_writes() -> None:
    desired = catalog(res(VOICE, rate=Decimal(2), external_key="ours"))
    current = [live(VOICE, "1", rate=Decimal(2), external_key="theirs")]
    rule = IgnoreRule(kind=Kind.PRODUCT, fields=("external_key",))
    assert plan_of(desired, current, ignore=(rule,)).changes == ()


def test_duplicate_live_records_match_once_and_the_rest_stay_unmanaged() -> None:
    current = [live(GOLD_VOICE, "9"), live(GOLD_VOICE, "4"), live(GOLD, "1"), live(VOICE, "2")]
    desired = catalog(res(GOLD), res(VOICE), res(GOLD_VOICE))
    plan = plan_of(desired, current)
    assert plan.changes == ()
    assert plan.unmanaged == (GOLD_VOICE,)


def test_the_lowest_id_names_a_key_whatever_order_the_records_come_in() -> None:
    records = [live(GOLD_VOICE, "9"), live(GOLD_VOICE, "10"), live(GOLD_VOICE, "4")]
    for order in (records, records[::-1], records[1:] + records[:1]):
        index = index_live(order, {})
        assert index.by_key[GOLD_VOICE].remote_id == "4"
        assert [r.remote_id for _, r in index.duplicates] == ["9", "10"]
    assert index_live(records[:1], {}).duplicates == ()


def test_equal_values_are_no_change_and_a_field_the_record_lacks_is_none() -> None:
    """The whole-record shortcut and the field-by-field comparison agree: equal values in
    another spelling are no change; a field the live record lacks is None there."""
    desired = catalog(res(VOICE, rate=Decimal("1.50"), note=None), res(SMS, rate=Decimal(1)))
    current = [live(VOICE, "1", rate=Decimal("1.5")), live(SMS, "2", rate=Decimal("1.00"))]
    assert plan_of(desired, current).changes == ()
    lacking = plan_of(catalog(res(VOICE, note="x")), [live(VOICE, "1", rate=Decimal(1))])
    assert [c.fields for c in lacking.changes] == [(FieldChange("note", None, "x"),)]


def test_an_object_without_declared_fields_is_created_when_not_live_and_kept_when_live() -> None:
    """The pass over every object at once tells "live and alike" apart from "not live"
    even for an object that declares no field (its fields are a subset of any record's)."""
    desired = catalog(res(GOLD), res(SMS), res(VOICE, rate=Decimal(1)))
    plan = plan_of(desired, [live(SMS, "2", rate=Decimal(3)), live(VOICE, "1", rate=Decimal(2))])
    assert summary(plan) == [("create", "Gold", 0), ("update", "Voice", 0)]
    assert (
        plan_of(desired, [live(GOLD, "7"), live(SMS, "2"), live(VOICE, "1", rate=1)]).changes == ()
    )


def test_same_inputs_give_byte_identical_plans() -> None:
    desired = catalog(
        res(VOICE, rate=Decimal("1.10")), res(GOLD), res(GOLD_VOICE, min_qty=Decimal(1))
    )
    current = [live(VOICE, "1", rate=Decimal("1.2"))]
    first, second = plan_of(desired, current), plan_of(desired, list(reversed(current)))
    assert first.dumps() == second.dumps()
    assert first.plan_hash == second.plan_hash


def test_plan_file_round_trips_and_detects_edits() -> None:
    desired = catalog(res(VOICE, rate=Decimal("1.10"), customize_tax_rules=True))
    plan = plan_of(desired, [live(VOICE, "1", rate=Decimal("1.2"), customize_tax_rules=False)])
    loaded = Plan.loads(plan.dumps())
    assert loaded == plan
    assert loaded.changes[0].fields[1].after == Decimal("1.10")
    with pytest.raises(PlanError, match="modified after it was written"):
        Plan.loads(plan.dumps().replace('"1.10"', '"9.99"'))
    with pytest.raises(PlanError, match="not valid JSON"):
        Plan.loads("{")


def test_a_plan_file_is_read_from_its_path_and_binary_is_not_a_plan(tmp_path: Path) -> None:
    plan = plan_of(catalog(res(VOICE)))
    saved = tmp_path / "plan.json"
    saved.write_text(plan.dumps(), encoding="utf-8")
    assert Plan.read(saved) == plan
    saved.write_bytes(b"\xff\xfe not text")
    with pytest.raises(PlanError, match=r"plan.json is not a plan file \(not UTF-8 text\)"):
        Plan.read(saved)


def test_ref_for_kinds() -> None:
    assert GOLD_VOICE_SMS.parent == GOLD_VOICE
    assert GOLD_VOICE_SMS.package == GOLD and GOLD_VOICE_SMS.product == SMS
    assert str(GOLD_VOICE) == "package-product Gold / Voice"
    assert Ref.from_json(GOLD_VOICE.to_json()) == GOLD_VOICE


def test_the_streamed_plan_hash_is_the_digest_of_the_whole_body() -> None:
    plan = plan_of(
        catalog(res(VOICE, rate=Decimal("1.50")), res(GOLD), res(GOLD_VOICE)),
        [live(SMS, "9", rate=Decimal(2))],
    )
    assert len(plan.changes) == 3 and plan.unmanaged == (SMS,)
    assert plan.plan_hash == digest(plan._body())
    assert plan_of(catalog()).plan_hash == digest(plan_of(catalog())._body())


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_the_plan_hash_made_in_batches_of_changes_is_the_digest_of_the_whole_body(
    batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The changes are encoded `CANONICAL_BATCH` at a time: the same bytes, so the same hash
    (plan files saved before hold it), wherever the batches end."""
    monkeypatch.setattr(plan_module, "CANONICAL_BATCH", batch)
    plan = plan_of(
        catalog(
            res(VOICE, rate=Decimal("1.50")),
            res(product_ref("Größe 'x' \"y\""), rate=Decimal("2"), flag=True, note=None),
            res(GOLD, currencies=("EUR", "USD")),
            res(GOLD_VOICE),
            res(GOLD_VOICE_SMS),
        ),
        [live(SMS, "9", rate=Decimal(2))],
    )
    assert len(plan.changes) == 5
    assert plan.plan_hash == digest(plan._body())


@pytest.mark.parametrize("size", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("batch", [1, 2, 3, 4, 6])
def test_a_canonical_list_in_batches_is_the_whole_lists_text(size: int, batch: int) -> None:
    items = [
        {"b": Decimal("1.50"), "a": 'Größe "x"\n'},
        None,
        [1, "two", {"z": True, "y": object}],
        "\u2028",
        {},
    ][:size]
    pieces = list(plan_module._canonical_list(iter(items), batch))
    assert "".join(pieces) == canonical_json(items)
    assert len(pieces) == -(-size // batch) + 1  # a piece per batch, and the closing one


def test_a_requires_on_a_deeper_object_puts_the_user_in_a_later_wave() -> None:
    """Waves are found shallow objects first; a package-product that requires a deeper one
    (a link) waits for it all the same."""
    silver_sms_voice = package_product_ref("Silver", "SMS", "Voice")
    linking = Resource(ref=GOLD_VOICE, requires=(silver_sms_voice, GOLD))
    desired = catalog(
        res(VOICE),
        res(SMS),
        res(GOLD),
        res(package_ref("Silver")),
        res(package_product_ref("Silver", "SMS")),
        res(silver_sms_voice),
        linking,
        res(GOLD_VOICE_SMS),
    )
    waves = {c.ref.label: (c.wave, set(c.depends_on)) for c in plan_of(desired).changes}
    assert waves["Silver / SMS / Voice"][0] == 2
    assert waves["Gold / Voice"] == (3, {GOLD, VOICE, silver_sms_voice})
    assert waves["Gold / Voice / SMS"][0] == 4
    assert linking.dependencies() == (GOLD, VOICE, silver_sms_voice)


@pytest.mark.parametrize("size", [0, 1, 3])
def test_the_catalog_digest_is_the_digest_of_every_resources_content(size: int) -> None:
    """Hashed a few resources at a time, it equals the digest of the whole canonical list
    (plan files made before hold it)."""
    resources = [
        res(product_ref("Größe 'x' \"y\""), rate=Decimal("1.50"), flag=True, nothing=None),
        res(GOLD, status="Production", currencies=("EUR", "USD")),
        res(GOLD_VOICE, min_qty=Decimal(0)),
    ][:size]
    desired = catalog(*resources)
    whole = digest(
        [
            {
                "ref": r.ref.to_json(),
                "fields": {k: canonical_value(v) for k, v in sorted(r.fields.items())},
                "renamed_from": list(r.renamed_from),
                "protect": r.protect,
            }
            for r in desired
        ]
    )
    assert build_plan(desired, LiveCatalog(), OPTS).catalog_digest == whole
    for chunk in (1, 2):  # hashed in chunks of resources: the same bytes
        assert catalog_digest(catalog(*resources), chunk) == whole


def test_upserts_are_the_plans_creates_and_updates_renames_included() -> None:
    """`upserts` (what `export` checks its files with) finds the same changes as the plan,
    without its digest and ordering."""
    from catalogsync.catalog import Resource
    from catalogsync.planner import upserts

    desired = catalog(
        Resource(product_ref("Voice Pro"), renamed_from=("Voice",)),
        res(SMS, rate=Decimal("0.10")),
        res(GOLD, status="Production"),
        res(GOLD_VOICE, min_qty=Decimal(1)),
    )
    live_now = LiveCatalog(
        (
            live(VOICE, "1"),
            live(SMS, "2", rate=Decimal("0.05")),
            live(GOLD, "3", status="Production"),
            live(package_ref("Old"), "4"),
        )
    )
    plan = build_plan(desired, live_now, OPTS)
    found = upserts(desired, live_now, OPTS)
    assert {(c.action, c.ref, c.renamed_from) for c in found} == {
        (c.action, c.ref, c.renamed_from) for c in plan.changes if c.action is not Action.DELETE
    }
    assert {c.ref for c in found} == {product_ref("Voice Pro"), SMS, GOLD_VOICE}


@settings(max_examples=examples(150), deadline=None)
@given(
    names=st.lists(st.sampled_from("ABCD"), min_size=1, max_size=6),
    rates=st.lists(st.sampled_from([None, "1", "2"]), min_size=6, max_size=6),
    renamed=st.booleans(),
    latest=st.booleans(),
)
def test_an_upsert_check_given_each_resource_s_live_record_finds_what_it_looks_up(
    names: list[str], rates: list[str | None], renamed: bool, latest: bool
) -> None:
    """`upsert_check(...)(part, records)`, each resource beside a live record holding its
    key (an export's proof has each file's), finds what the check finds looking each one
    up: the records are taken only where every live record is under its own key, each key
    once; with a key held twice (`latest`: the record handed is not the one the key
    names) or a rename, it looks them up."""
    from catalogsync.planner import upsert_check

    live_records = [
        live(product_ref(name), str(n), rate=None if rate is None else Decimal(rate))
        for n, (name, rate) in enumerate(zip(names, rates, strict=False))
    ]
    live_now = LiveCatalog(tuple(live_records))
    distinct = list(dict.fromkeys(names))
    kept = [name for name in distinct if not (renamed and name == "A")]
    desired = [res(product_ref(name), rate=Decimal(rates[-1] or "1")) for name in kept]
    if renamed:  # A's new name, a key nobody holds
        desired.append(Resource(product_ref("Z"), renamed_from=("A",)))
    check = upsert_check(desired, live_now, OPTS)
    part = [r for r in desired if r.ref.name != "Z"]
    by_name = {r.ref.name: r for r in (reversed(live_records) if latest else live_records)}
    records = [by_name[r.ref.name] for r in part]
    assert check(part, records) == check(part)
    assert check.plain is (len(distinct) == len(names) and not (renamed and "A" in names))


@settings(max_examples=examples(150), deadline=None)
@given(
    declared=st.sets(st.sampled_from(range(6)), max_size=6),
    live_ids=st.lists(st.sampled_from(range(6)), max_size=7),
    renamed=st.booleans(),
    pruned=st.booleans(),
)
def test_deletes_and_unmanaged_are_the_leftovers_whatever_the_live_keys(
    declared: set[int], live_ids: list[int], renamed: bool, pruned: bool
) -> None:
    """`build_plan` tells a plan whose live keys are all declared without looking them up
    again; what it says is what `_deletes` says of the live index's leftovers."""
    names = ["A", "B", "C", "D", "E", "F"]
    desired = [res(product_ref(names[i])) for i in sorted(declared)]
    if renamed and desired:
        desired[0] = Resource(ref=product_ref("New"), renamed_from=(desired[0].ref.name,))
    current = LiveCatalog(
        tuple(live(product_ref(names[i]), str(n)) for n, i in enumerate(live_ids))
    )
    options = replace(OPTS, prune=(ObjectRule(kind=Kind.PRODUCT),) if pruned else ())
    plan = build_plan(catalog(*desired), current, options)
    renames = _renames(desired, current)
    deletes, unmanaged = _deletes(
        index_live(current, renames), catalog(*desired).by_ref(), options, renames
    )
    planned = sorted(str(c.remote_id) for c in plan.of_action(Action.DELETE))
    assert planned == sorted(str(d.remote_id) for d in deletes)  # in waves in the plan
    assert plan.unmanaged == tuple(sorted(unmanaged))


@settings(max_examples=examples(200), deadline=None)
@given(
    declared=st.lists(
        st.tuples(st.sampled_from(range(5)), st.sampled_from([None, 1, 2])), max_size=5
    ),
    live_ids=st.lists(
        st.tuples(st.sampled_from(range(5)), st.sampled_from([None, 1, 2, 3])), max_size=6
    ),
    same_keys=st.booleans(),
)
@example(declared=[(0, 1), (1, None)], live_ids=[(0, 1), (2, None)], same_keys=False)
@example(declared=[(0, 1), (0, 1)], live_ids=[(0, 1), (0, 1)], same_keys=False)
@example(declared=[(1, 1), (0, 2)], live_ids=[(0, 2), (1, 1)], same_keys=False)
def test_a_plan_of_the_same_keys_is_the_plan_the_live_index_makes(
    declared: list[tuple[int, int | None]],
    live_ids: list[tuple[int, int | None]],
    same_keys: bool,
) -> None:
    """Two catalogs holding the same keys once each are paired in order, without an index of
    either (`_paired`); the plan is the one the live index makes, whatever the keys (a key
    declared or held twice, one not live, one not declared)."""
    from catalogsync import planner

    names = ["A", "B", "C", "D", "E"]

    def fields(rate: int | None) -> dict[str, Decimal]:
        return {} if rate is None else {"rate": Decimal(rate)}

    desired = catalog(*(res(product_ref(names[i]), **fields(rate)) for i, rate in declared))
    if same_keys:  # a record of each declared key, its fields as drawn
        rates = [rate for _, rate in [*live_ids, *declared]][: len(declared)]
        live_ids = [(i, rate) for (i, _), rate in zip(declared, rates, strict=True)]
    current = LiveCatalog(
        tuple(live(product_ref(names[i]), str(n), **fields(r)) for n, (i, r) in enumerate(live_ids))
    )
    plan = build_plan(desired, current, OPTS)
    paired = planner._paired(desired, current)
    keys = [r.ref for r in desired]
    assert (paired is not None) == (
        len(set(keys)) == len(keys) == len(current) and keys == [r.ref for r in current]
    )
    indexed = planner._paired
    try:
        planner._paired = lambda desired, live: None
        assert plan.dumps() == build_plan(desired, current, OPTS).dumps()
    finally:
        planner._paired = indexed


def test_with_wave_keeps_every_field_of_a_change_but_its_wave_and_needs() -> None:
    """`_with_wave` spells each of `Change`'s fields out (faster than `replace`): a field
    added to `Change` and not to it would be dropped from every planned change."""
    change = Change(
        action=Action.DELETE,
        ref=product_ref("Gold"),
        fields=(FieldChange("rate", Decimal("1"), None),),
        values={"rate": Decimal("1")},
        remote_id="7",
        live_fingerprint="abc",
        depends_on=(package_ref("Old"),),
        wave=9,
        renamed_from="Silver",
        reason="pruned",
        protected=True,
    )
    defaults = Change(action=Action.CREATE, ref=product_ref("x"))
    assert all(getattr(change, f.name) != getattr(defaults, f.name) for f in fields(Change))
    needs = (package_ref("Gold pack"),)
    assert _with_wave(change, 3, needs) == replace(change, wave=3, depends_on=needs)


def _order_spelled_out(upserts, deletes, by_ref):
    """`planner._order` as it was before its sorts were keyed in C: the specification the
    faster one is held to (its waves from shallow objects first, then sorted by wave,
    action and ref, each key made in Python)."""
    from catalogsync.catalog import ref_order
    from catalogsync.planner import _order_deletes, _wave_of

    created = {c.ref: c.ref for c in upserts if c.action is Action.CREATE}
    needs = {}
    for change in sorted(upserts, key=lambda c: (c.ref.depth, *ref_order(c.ref))):
        deps = by_ref[change.ref].dependencies()
        needs[change.ref] = tuple(created[d] for d in deps if d in created)
    waves: dict[Ref, int] = {}
    for ref in needs:
        _wave_of(ref, needs, waves)
    first_delete_wave = max(waves.values(), default=-1) + 1
    ordered = [_with_wave(c, waves[c.ref], needs[c.ref]) for c in upserts]
    ordered += _order_deletes(deletes, first_delete_wave)
    rank = {Action.CREATE: 0, Action.UPDATE: 1, Action.DELETE: 2}
    return tuple(sorted(ordered, key=lambda c: (c.wave, rank[c.action], *ref_order(c.ref))))


@settings(max_examples=examples(150), deadline=None)
@given(
    links=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=4),
    live_rates=st.lists(st.sampled_from([None, 1, 2]), min_size=12, max_size=12),
    gone=st.lists(st.sampled_from(["Old", "Older", "Oldest"]), max_size=3),
)
def test_the_order_of_a_plan_is_its_specification_s_whatever_the_catalog(
    links: list[tuple[int, int]], live_rates: list[int | None], gone: list[str]
) -> None:
    """Creates, updates and deletes in waves, some package-products nested, some requiring
    other objects (a deeper one too): `_order` keys its sorts in C and finds waves in
    another order than the one it was written in, and plans exactly as that one did."""
    from catalogsync import planner

    products = [product_ref(n) for n in ("Voice", "SMS", "Data")]
    packages = [package_ref(n) for n in ("Gold", "Silver")]
    nested = [
        package_product_ref("Gold", "Voice"),
        package_product_ref("Gold", "Voice", "SMS"),
        package_product_ref("Gold", "Voice", "SMS", "Data"),
        package_product_ref("Silver", "Data"),
        package_product_ref("Silver", "Data", "Voice"),
        package_product_ref("Gold", "SMS"),
        package_product_ref("Silver", "SMS"),
    ]
    refs = [*nested, *products, *packages]  # in no particular order
    requires: dict[Ref, list[Ref]] = {}
    for user, used in links:
        if nested[user % len(nested)] != refs[used]:
            requires.setdefault(nested[user % len(nested)], []).append(refs[used])
    resources = {
        ref: Resource(ref=ref, requires=tuple(requires.get(ref, ())), fields={"rate": 1})
        for ref in refs
    }

    def needs(ref: Ref, seen: tuple[Ref, ...] = ()) -> None:  # the loader refuses cycles
        if ref in seen:
            raise _Cycle
        for used in resources[ref].dependencies():
            needs(used, (*seen, ref))

    try:
        for ref in refs:
            needs(ref)
    except _Cycle:
        return
    current = [
        live(ref, str(n), rate=rate)
        for n, (ref, rate) in enumerate(zip(refs, live_rates, strict=True))
        if rate is not None
    ]
    current += [live(product_ref(name), f"9{n}") for n, name in enumerate(gone)]
    desired, held = catalog(*resources.values()), LiveCatalog(tuple(current))
    options = replace(OPTS, prune=(ObjectRule(kind=Kind.PRODUCT),))
    plan = build_plan(desired, held, options)
    fast = planner._order
    try:
        planner._order = _order_spelled_out
        assert plan.dumps() == build_plan(desired, held, options).dumps()
    finally:
        planner._order = fast
    assert [c.wave for c in plan.changes] == sorted(c.wave for c in plan.changes)


class _Cycle(Exception):
    pass


_NAN = float("nan")  # (one object: equal to itself in a mapping, as `==` tells it there)
_VALUES = [None, 1, True, Decimal(1), Decimal("1.0"), Decimal(2), "x", "", _NAN]


@settings(max_examples=examples(300), deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from("abc"), st.sampled_from(_VALUES), max_size=3),
            st.one_of(
                st.none(),
                st.dictionaries(st.sampled_from("abcd"), st.sampled_from(_VALUES), max_size=4),
            ),
        ),
        max_size=7,
    )
)
@example(pairs=[({"a": 1}, {"a": 1, "b": 2}), ({"a": 1}, {"a": 1}), ({"a": 1}, None)])
@example(pairs=[({"a": 1}, {"a": 2}), ({"a": _NAN}, {"a": _NAN}), ({}, {"b": None})])
def test_the_pairs_that_may_differ_are_those_whose_items_are_not_the_records(
    pairs: list[tuple[dict[str, object], dict[str, object] | None]],
) -> None:
    """`_unlike` (mappings told `!=` first where a sample pair is equal) leaves for
    `_upsert` exactly the pairs the items views' `<=` leaves, in order, whatever the
    fields: equal, a subset, more, other values, no record (`_ABSENT`), a NaN."""
    from catalogsync import planner

    resources = [res(product_ref(f"P{n}"), **declared) for n, (declared, _) in enumerate(pairs)]
    found = [
        planner._ABSENT if fields is None else live(product_ref(f"P{n}"), str(n), **fields)
        for n, (_, fields) in enumerate(pairs)
    ]
    before = [
        (resource, record)
        for resource, record in zip(resources, found, strict=True)
        if not resource.fields.items() <= record.fields.items()
    ]
    kept, alike = planner._unlike(resources, found)
    after = [pair for pair, same in zip(kept, alike, strict=False) if not same]
    assert [(r.ref, id(record)) for r, record in after] == [
        (r.ref, id(record)) for r, record in before
    ]
