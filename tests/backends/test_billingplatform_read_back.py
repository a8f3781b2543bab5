"""The verification read of only what an apply wrote (`read_back`) gives the check the
verdicts the whole read gives, on the same emulator state, under every emulator profile:
with the writes in effect, and with what goes wrong after them (a write the API accepted
but did not keep, another writer's edit, a key now held twice, a renamed product or
package, a delete that did not happen, a product nobody had read).

With the names of the products it did not write taken from the apply's own read before
its writes (`InEffect.written`'s `seen`), the check trusts those names: every verdict is
the whole read's but under another writer's rename of such a product since that read
(`test_a_product_the_apply_did_not_write_is_named_as_the_apply_s_read_saw_it`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from itertools import combinations

import anyio
import pytest

from catalogsync.applier import ApplyOptions, apply_plan
from catalogsync.backends.billingplatform.backend import BillingPlatformBackend
from catalogsync.backends.billingplatform.client import (
    BillingPlatformClient,
    Paging,
    RecordResult,
    in_conditions,
)
from catalogsync.backends.billingplatform.mapping import select_fields
from catalogsync.backends.billingplatform.read_back import (
    Kinds,
    _packages_a_statement,
    kinds_to_read,
    read_written,
)
from catalogsync.catalog import Catalog, Kind, Ref, package_product_ref, package_ref, product_ref
from catalogsync.emulator.billingplatform import BillingPlatformEmulator
from catalogsync.emulator.billingplatform.profiles import PROFILES
from catalogsync.emulator.profiles import DEFAULT_PROFILE
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Action, Change
from catalogsync.planner import PlanOptions, build_plan, index_live, renames_in
from catalogsync.report import ChangeResult, Outcome
from catalogsync.verify import InEffect, Written
from tests.fakes import UNPACED, catalog, res

OPTS = PlanOptions(backend="billingplatform")
PRODUCTS = ("Voice", "SMS", "Data", "Fax", "Roam", "Spare")


#: The package-products both catalogs hold as they are.
_KEPT = (
    res(package_product_ref("Gold", "Voice", "SMS"), min_qty=Decimal(0)),
    res(package_product_ref("Gold", "Data"), min_qty=Decimal(1)),
    res(package_product_ref("Silver", "Voice"), min_qty=Decimal(1)),
    res(package_product_ref("Silver", "Voice", "Data"), min_qty=Decimal(1)),
    res(package_product_ref("Silver", "Fax"), min_qty=Decimal(2)),
    res(package_product_ref("Bronze", "Roam"), min_qty=Decimal(1)),
    res(package_product_ref("Bronze", "Spare"), min_qty=Decimal(1)),
)


def _first() -> Catalog:
    products = [res(product_ref(name), rate=Decimal(i + 1)) for i, name in enumerate(PRODUCTS)]
    return catalog(
        *products,
        *(res(package_ref(name)) for name in ("Gold", "Silver", "Bronze")),
        res(package_product_ref("Gold", "Voice"), min_qty=Decimal(1)),
        *_KEPT,
    )


def _second() -> Catalog:
    """The first catalog with one product's rate changed, a product created, a Gold
    package-product changed, one created in Gold under a nested one, one created in a new
    package (Bronze and Silver's package-products untouched)."""
    products = [
        res(product_ref(name), rate=Decimal(9 if name == "Voice" else i + 1))
        for i, name in enumerate(PRODUCTS)
    ]
    return catalog(
        *products,
        res(product_ref("New"), rate=Decimal(3), rating_method="Usage"),
        *(res(package_ref(name)) for name in ("Gold", "Silver", "Bronze", "Tin")),
        res(package_product_ref("Gold", "Voice"), min_qty=Decimal(3)),
        res(package_product_ref("Gold", "Voice", "SMS", "New"), min_qty=Decimal(0)),
        *_KEPT,
        res(
            package_product_ref("Tin", "Fax"),
            min_qty=Decimal(1),
            link_package="Bronze",
            link_product="Roam",
        ),
    )


Fault = Callable[[BillingPlatformClient, dict[Ref, str]], Awaitable[None]]


def _done(answers: list[RecordResult]) -> list[RecordResult]:
    assert all(a.success for a in answers), answers
    return answers


async def _nothing(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    del client, ids


async def _rate_not_kept(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """A written rate the org did not keep (or another writer's edit since)."""
    voice = {"Id": ids[product_ref("Voice")], "Name": "Voice", "Rate": "1"}
    _done(await client.update("PRODUCT", [voice]))


async def _min_qty_edited(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    pp = ids[package_product_ref("Gold", "Voice")]
    row = (await client.query_in("PACKAGE_PRODUCT", ["Id", "Name", "PackageId"], "Id", [pp]))[0]
    _done(await client.update("PACKAGE_PRODUCT", [{**row, "MinQty": "7"}]))


async def _held_twice(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """Another writer's package-products under a written key, and under a key written
    into by this apply's nested create (the emulator keeps product and package names
    unique, not package-products')."""
    gold, voice = ids[package_ref("Gold")], ids[product_ref("Voice")]
    row = {"Name": "dup", "PackageId": gold, "ProductId": voice, "MinQty": "3"}
    nested = {**row, "ProductId": ids[product_ref("SMS")], "MinQty": "0"}
    nested["ParentPackageProductId"] = ids[package_product_ref("Gold", "Voice")]
    _done(await client.create("PACKAGE_PRODUCT", [row, nested]))


async def _product_renamed(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """A product a written package-product's key names, renamed: the key moved."""
    _done(await client.update("PRODUCT", [{"Id": ids[product_ref("SMS")], "Name": "Texts"}]))


async def _package_renamed(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """A package renamed to a written package's name, and the written one away from it:
    the renamed one's package-product of Fax is now under the written key Tin / Fax."""
    fax = {"Name": "fax", "PackageId": ids[package_ref("Bronze")], "MinQty": "1"}
    _done(await client.create("PACKAGE_PRODUCT", [{**fax, "ProductId": ids[product_ref("Fax")]}]))
    _done(await client.update("PACKAGE", [{"Id": ids[package_ref("Tin")], "Name": "Lead"}]))
    _done(await client.update("PACKAGE", [{"Id": ids[package_ref("Bronze")], "Name": "Tin"}]))


async def _deleted(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """Records deleted by another writer: a written package-product, and a product no
    written record names (its package-product first)."""
    _done(await client.delete("PACKAGE_PRODUCT", [ids[package_product_ref("Tin", "Fax")]]))
    _done(await client.delete("PACKAGE_PRODUCT", [ids[package_product_ref("Bronze", "Spare")]]))
    _done(await client.delete("PRODUCT", [ids[product_ref("Spare")]]))


async def _link_edited(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """Another writer points a written package-product's link at a package nothing else
    read names."""
    lead = _done(await client.create("PACKAGE", [{"Name": "Lead"}]))[0].id or ""
    pp = ids[package_product_ref("Tin", "Fax")]
    row = (await client.query_in("PACKAGE_PRODUCT", ["Id", "Name", "PackageId"], "Id", [pp]))[0]
    _done(await client.update("PACKAGE_PRODUCT", [{**row, "MinQty": "1", "LinkPackageId": lead}]))


async def _written_product_renamed(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """A product the apply wrote (Voice's rate), renamed since: the keys of the
    package-products of it moved, and its name is read again, not taken from before."""
    _done(await client.update("PRODUCT", [{"Id": ids[product_ref("Voice")], "Name": "Talk"}]))


async def _product_not_read_before(client: BillingPlatformClient, ids: dict[Ref, str]) -> None:
    """Another writer's product, made after the apply's read, held by a package-product in
    a package written into (under a written one) and by another package's: no read before
    the writes named it, so its name is read by `Id IN`."""
    extra = _done(await client.create("PRODUCT", [{"Name": "Extra", "Rate": "1"}]))[0].id or ""
    under = ids[package_product_ref("Gold", "Voice", "SMS", "New")]
    gold = ids[package_ref("Gold")]
    row = {"Name": "extra", "PackageId": gold, "ProductId": extra, "MinQty": "1"}
    _done(await client.create("PACKAGE_PRODUCT", [{**row, "ParentPackageProductId": under}]))
    _done(
        await client.create("PACKAGE_PRODUCT", [{**row, "PackageId": ids[package_ref("Bronze")]}])
    )


FAULTS: dict[str, Fault] = {
    "none": _nothing,
    "rate-not-kept": _rate_not_kept,
    "min-qty-edited": _min_qty_edited,
    "held-twice": _held_twice,
    "product-renamed": _product_renamed,
    "package-renamed": _package_renamed,
    "deleted": _deleted,
    "link-edited": _link_edited,
    "written-product-renamed": _written_product_renamed,
    "product-not-read-before": _product_not_read_before,
}
#: Another writer's edit of a product the apply did not write, which a written
#: package-product's key names: a check that names such products as the apply's read
#: before the writes saw them does not see it.
UNWRITTEN_RENAMED = {"product-renamed"}


def _combinations(needed: frozenset[Kind]) -> Iterator[Kinds]:
    """Every way of reading `needed`: package-products by package with any of the others
    by name and id; or every kind whole."""
    yield Kinds(needed, frozenset())
    others = sorted(needed - {Kind.PACKAGE_PRODUCT})
    for size in range(len(others) + 1):
        for chosen in combinations(others, size):
            yield Kinds(needed, frozenset({Kind.PACKAGE_PRODUCT, *chosen}))


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(p, marks=() if p == DEFAULT_PROFILE else (pytest.mark.variant_profile,))
        for p in PROFILES
    ],
)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_targeted_check_s_verdicts_are_the_whole_read_s(profile: str, fault: str) -> None:
    """With the names the apply's read saw (but under an edit of a product the apply did
    not write since: `UNWRITTEN_RENAMED`) and without them (every product the
    package-products read name is read by `Id IN`)."""
    _on_emulator(profile, fault, trusted=fault not in UNWRITTEN_RENAMED)
    if fault not in UNWRITTEN_RENAMED:
        _on_emulator(profile, fault, trusted=False)


def test_a_product_the_apply_did_not_write_is_named_as_the_apply_s_read_saw_it() -> None:
    """SMS, which the apply did not write, renamed Texts after the writes: the whole read
    finds the written Gold / Voice / SMS / New under Gold / Voice / Texts / New instead
    ("not found on re-read"); the check that trusts the apply's read names SMS as that read
    saw it and finds the package-product in effect, as it was written (the next plan shows
    the rename)."""
    verdicts = _on_emulator(DEFAULT_PROFILE, "product-renamed", trusted=True)
    whole, targeted = verdicts
    nested = package_product_ref("Gold", "Voice", "SMS", "New")
    assert "not found on re-read" in (whole[nested].message or "")
    assert targeted == {ref: result for ref, result in whole.items() if ref != nested}


def _on_emulator(
    profile: str, fault: str, *, trusted: bool
) -> tuple[dict[Ref, ChangeResult], dict[Ref, ChangeResult]]:
    """The whole read's verdicts and the targeted reads' (all alike, else it fails)."""
    verdicts: list[tuple[dict[Ref, ChangeResult], dict[Ref, ChangeResult]]] = []

    async def go() -> None:
        with BillingPlatformEmulator(profile=profile) as emulator:
            client = BillingPlatformClient(
                "http://emulator", "u", "p", transport=emulator.async_transport(), settings=UNPACED
            )
            backend = BillingPlatformBackend(client)
            try:
                exact = not (trusted and fault in UNWRITTEN_RENAMED)
                checked = await _check(backend, client, FAULTS[fault], trusted=trusted, exact=exact)
                verdicts.append(checked)
            finally:
                await backend.close()

    anyio.run(go)
    return verdicts[0]


def _handed(records: list[LiveResource], written: Written) -> set[tuple[Ref, str]]:
    """The package-products among `records` in a package of a name written or written into
    (every one of which a targeted read reads)."""
    return {
        (r.ref, r.remote_id)
        for r in records
        if r.ref.kind is Kind.PACKAGE_PRODUCT and r.ref.key[0] in written.packages
    }


async def _check(
    backend: BillingPlatformBackend,
    client: BillingPlatformClient,
    fault: Fault,
    *,
    trusted: bool,
    exact: bool,
) -> tuple[dict[Ref, ChangeResult], dict[Ref, ChangeResult]]:
    """The whole read's verdicts and the targeted reads' after the apply and `fault`;
    `trusted`: the products the apply did not write named as its read before them saw
    them; `exact`: every targeted read hands the check the records the whole read hands it
    in the packages it reads and gets its verdicts (else they agree among themselves)."""
    first = build_plan(_first(), LiveCatalog(), OPTS)
    report = await apply_plan(first, backend, LiveCatalog(), options=ApplyOptions(verify=False))
    assert report.exit_code == 0, report.results
    backend = BillingPlatformBackend(client)  # a new apply
    before = await backend.fetch_live()
    plan = build_plan(_second(), before, OPTS)
    report = await apply_plan(plan, backend, before, options=ApplyOptions(verify=False))
    assert report.exit_code == 0, report.results
    results = {r.ref: r for r in report.results}
    ids = index_live(before, renames_in(plan)).ids()
    ids |= {r.ref: r.remote_id for r in report.results if r.remote_id}
    changes = list(plan.changes)
    # Deletes the check is told succeeded: one that did (Silver / Fax, deleted here), one
    # that did not (a nested one, keyed by its parent), one of an id another kind's record
    # holds (a product's id as a package-product's: the deleted one's).
    kept = package_product_ref("Silver", "Voice", "Data")
    for ref, gone in (
        (package_product_ref("Silver", "Fax"), ids[package_product_ref("Silver", "Fax")]),
        (kept, ids[kept]),
        (product_ref("Gone"), ids[package_product_ref("Silver", "Fax")]),
    ):
        changes.append(Change(Action.DELETE, ref, remote_id=gone, live_fingerprint="x"))
        results[ref] = ChangeResult(ref, Outcome.SUCCEEDED, gone)
    await client.delete("PACKAGE_PRODUCT", [ids[package_product_ref("Silver", "Fax")]])
    written = InEffect(changes, results).written(ids, before if trusted else None)
    assert bool(written.product_names) == trusted
    await fault(client, ids)

    whole = InEffect(changes, results)
    live = await backend.fetch_live()
    for record in live:
        whole.see(record)
    expected = whole.failures()
    counts = live.count()
    # Each read's verdicts, and whether it named products from the apply's read.
    verdicts: list[tuple[dict[Ref, ChangeResult], bool]] = []
    for kinds in _combinations(_needed(written)):
        targeted = InEffect(changes, results)
        seen: list[LiveResource] = []
        await read_written(backend, written, kinds, chain_see(seen, targeted.see), counts)
        verdicts.append((targeted.failures(), Kind.PRODUCT in kinds.targeted))
        if exact or Kind.PRODUCT not in kinds.targeted:
            # the package-products of the packages read, each keyed as the whole read keys it
            assert _handed(seen, written) == _handed(list(live), written), kinds
    chosen = InEffect(changes, results)
    backend.expect_counts(lambda: counts)
    await backend.fetch_written_into(written, chosen.see)
    way = kinds_to_read(written, counts)
    verdicts.append((chosen.failures(), way is not None and Kind.PRODUCT in way.targeted))
    trusting = [each for each, named in verdicts if named and not exact]
    assert all(each == expected for each, named in verdicts if exact or not named), verdicts
    assert all(each == trusting[0] for each in trusting), trusting
    return expected, trusting[0] if trusting else expected


def chain_see(
    seen: list[LiveResource], see: Callable[[LiveResource], None]
) -> Callable[[LiveResource], None]:
    """`see`, keeping each record in `seen` too."""

    def both(record: LiveResource) -> None:
        seen.append(record)
        see(record)

    return both


def _needed(written: Written) -> frozenset[Kind]:
    kinds = kinds_to_read(written, {kind: 10**6 for kind in Kind})
    assert kinds is not None
    return kinds.needed


def _one_percent(products: int, packages: int, package_products: int) -> Written:
    """The benchmark's 1% change (`benchmarks/systems.py`): every 100th product's rate and
    every 100th package-product's min_qty, each in a package of its own."""
    changed = package_products // 100
    keys = {product_ref(f"Product {i:06d}") for i in range(0, products, 100)}
    keys |= {package_product_ref(f"Package {p:05d}", f"Product {p:06d}") for p in range(changed)}
    ids = {package_ref(f"Package {p:05d}"): str(1_000_000 + p) for p in range(changed)}
    return _written(keys, {}, ids)


def _written(keys: set[Ref], deleted: dict[Kind, frozenset[str]], ids: dict[Ref, str]) -> Written:
    packages = frozenset(ref.key[0] for ref in keys if ref.kind is not Kind.PRODUCT)
    return Written(frozenset(keys), frozenset(ref.kind for ref in keys), deleted, packages, ids)


L_COUNTS = {Kind.PRODUCT: 50_000, Kind.PACKAGE: 5_000, Kind.PACKAGE_PRODUCT: 150_000}
M_COUNTS = {Kind.PRODUCT: 10_000, Kind.PACKAGE: 1_000, Kind.PACKAGE_PRODUCT: 30_000}


def test_a_one_percent_change_reads_its_package_s_package_products_alone() -> None:
    """At M and L the package-products of the packages written into are fewer requests
    than the whole read; the products they name and the packages are read whole (as many
    `Id IN` statements as products named would be more)."""
    for counts in (L_COUNTS, M_COUNTS):
        sizes = (counts[Kind.PRODUCT], counts[Kind.PACKAGE], counts[Kind.PACKAGE_PRODUCT])
        kinds = kinds_to_read(_one_percent(*sizes), counts)
        assert kinds == Kinds(frozenset(Kind), frozenset({Kind.PACKAGE_PRODUCT}))


def test_with_the_products_names_known_a_one_percent_change_reads_products_by_name() -> None:
    """With the names of the products it did not write from the apply's read, the 1%
    change reads its 100 / 500 written products by `Name IN` (one statement at M, three at
    L) instead of PRODUCT's 2 / 6 pages; packages stay one page whole."""
    for counts in (L_COUNTS, M_COUNTS):
        sizes = (counts[Kind.PRODUCT], counts[Kind.PACKAGE], counts[Kind.PACKAGE_PRODUCT])
        plain = _one_percent(*sizes)
        names = {str(i): f"Product {i:06d}" for i in range(1, counts[Kind.PRODUCT], 100)}
        known = Written(plain.keys, plain.kinds, plain.deleted, plain.packages, plain.ids, names)
        assert kinds_to_read(known, counts) == Kinds(
            frozenset(Kind), frozenset({Kind.PRODUCT, Kind.PACKAGE_PRODUCT})
        )


def test_a_cold_apply_and_unknown_counts_read_the_whole_catalog() -> None:
    products = [product_ref(f"Product {i:06d}") for i in range(10_000)]
    pps = [package_product_ref(f"Package {i // 30:05d}", f"Product {i:06d}") for i in range(30_000)]
    packages = [package_ref(f"Package {i:05d}") for i in range(1_000)]
    ids = {ref: str(i) for i, ref in enumerate(packages)}
    cold = _written({*products, *pps, *packages}, {}, ids)
    assert kinds_to_read(cold, M_COUNTS) is None
    assert kinds_to_read(_one_percent(10_000, 1_000, 30_000), None) is None


def test_a_few_changes_are_read_by_name_and_id_and_untouched_kinds_not_at_all() -> None:
    few = _written(
        {product_ref("Voice"), package_product_ref("Gold", "Voice")},
        {Kind.PRODUCT: frozenset({"12"})},
        {package_ref("Gold"): "1000001"},
    )
    # (PACKAGE is one page whole: its one statement by name is no fewer)
    assert kinds_to_read(few, L_COUNTS) == Kinds(
        frozenset(Kind), frozenset({Kind.PRODUCT, Kind.PACKAGE_PRODUCT})
    )
    products_only = _written({product_ref("Voice")}, {}, {})
    assert kinds_to_read(products_only, L_COUNTS) == Kinds(
        frozenset({Kind.PRODUCT}), frozenset({Kind.PRODUCT})
    )
    # at S a kind is one page whole: read whole, the kinds not written not read at all
    s_counts = {Kind.PRODUCT: 1_000, Kind.PACKAGE: 100, Kind.PACKAGE_PRODUCT: 3_000}
    assert kinds_to_read(products_only, s_counts) == Kinds(frozenset({Kind.PRODUCT}), frozenset())


def test_a_package_id_statement_asks_fewer_rows_than_a_page() -> None:
    """At L a package holds 30 package-products: 334 packages a statement (what 4,000
    characters hold) were 10,020 rows, two requests; 300 are 9,000, one."""
    assert _packages_a_statement(L_COUNTS) == 300
    ids = [str(1_000_000 + i) for i in range(1_500)]
    paging = Paging("PACKAGE_PRODUCT", select_fields(Kind.PACKAGE_PRODUCT))
    assert [c.count(",") + 1 for c in in_conditions(paging, "PackageId", ids, 300)] == [300] * 5
    assert len(in_conditions(paging, "PackageId", ids)) == 5  # 334 each, the last 164
