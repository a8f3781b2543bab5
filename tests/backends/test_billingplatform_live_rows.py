"""Live rows built page by page (`LiveRows`) are the ones `mapping.live_resources` builds
from the whole read, whatever the pages, the order they come in, and the rows in them."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.live_rows import LiveRows
from catalogsync.backends.billingplatform.mapping import live_resources, select_fields
from catalogsync.catalog import Kind
from catalogsync.live import LiveResource
from tests.conftest import examples

_texts = st.sampled_from(["", "a", "1", "2.50", "true", "0", "#"])
_stamps = st.sampled_from(["", "2026-01-01 10:00:00", "2026-01-02 11:00:00"])
_users = st.sampled_from(["", "7"])


def _rows(kind: Kind, ids: Sequence[str], extra: dict[str, Any]) -> Any:
    """Rows of `kind` with every column `select_fields` reads, ids from `ids`: mostly each
    Id once and nearly all of them, in Id order (as a read gives them), else any."""
    columns = {name: _texts for name in select_fields(kind)}
    columns.update({"Id": st.sampled_from(ids), "Updated": _stamps, "UpdatedUserId": _users})
    columns.update(extra)
    row = st.fixed_dictionaries(columns)
    once = st.lists(row, min_size=len(ids) - 1, max_size=len(ids), unique_by=lambda r: r["Id"])
    in_order = once.map(lambda rows: sorted(rows, key=lambda r: int(r["Id"])))
    return st.one_of(in_order, in_order, in_order, once, st.lists(row, max_size=len(ids) + 2))


_products = _rows(
    Kind.PRODUCT,
    ["1", "2", "3", "4"],
    {
        "Name": st.sampled_from(["P1", "P2", "P3"]),
        "RatingMethodId": st.sampled_from(["", "", "r1", "r2", "r9"]),
        "Rate": st.sampled_from(["", "1.5", "$1.00", "x"]),
    },
)
_packages = _rows(Kind.PACKAGE, ["7", "8"], {"Name": st.sampled_from(["Gold", "Silver"])})
_pp_ids = ["10", "11", "12", "13", "14", "15", "16"]
_package_products = _rows(
    Kind.PACKAGE_PRODUCT,
    _pp_ids,
    {
        "ProductId": st.sampled_from(["1", "2", "3", "1", "2", "3", "5", ""]),
        "PackageId": st.sampled_from(["7", "8", "7", "8", "9"]),
        "ParentPackageProductId": st.sampled_from(["", "", "10", "11", "12", "13", "16", "99"]),
        "RatingMethodId": st.sampled_from(["", "r1", "r3"]),
        "LinkPackageId": st.sampled_from(["", "7", "9"]),
        "LinkPackageProductId": st.sampled_from(["", "10", "13", "98"]),
    },
)


def _seen(resources: Sequence[LiveResource]) -> list[tuple[Any, ...]]:
    """Everything a live resource holds, fields in their order."""
    held = [
        (r.ref, r.remote_id, list(r.fields.items()), r.updated_at, r.updated_by) for r in resources
    ]
    return sorted(held, key=repr)


@settings(max_examples=examples(300), deadline=None)
@given(
    _products,
    _packages,
    _package_products,
    st.data(),
    st.sets(st.sampled_from(list(Kind)), min_size=1),
)
def test_live_rows_built_page_by_page_are_those_of_the_whole_read(
    products: list[dict[str, str]],
    packages: list[dict[str, str]],
    package_products: list[dict[str, str]],
    data: st.DataObject,
    kinds: set[Kind],
) -> None:
    read = {Kind.PRODUCT: products, Kind.PACKAGE: packages, Kind.PACKAGE_PRODUCT: package_products}
    whole = {kind: Columns.from_rows(select_fields(kind), rows) for kind, rows in read.items()}
    methods = {"r1": "Usage", "r2": ""}
    expected = live_resources(whole, methods, kinds)

    live = LiveRows(kinds)
    # Each kind's pages (cut anywhere), then the end of its read, interleaved in any order,
    # with `work` at any point.
    steps: list[tuple[Kind, Columns | None]] = []
    for kind, rows in read.items():
        cuts = sorted(data.draw(st.lists(st.integers(0, len(rows)), max_size=3)))
        bounds = [0, *cuts, len(rows)]
        pages = [whole[kind][a:b] for a, b in pairwise(bounds)]
        steps += [(kind, page) for page in pages] + [(kind, None)]
    order = data.draw(st.permutations(range(len(steps))))
    # A kind's own steps stay in their order (pages in offset order, then its end).
    by_kind: dict[Kind, list[tuple[Kind, Columns | None]]] = {}
    for step in steps:
        by_kind.setdefault(step[0], []).append(step)
    for index in order:
        kind = steps[index][0]
        _, page = by_kind[kind].pop(0)
        if page is None:
            live.end(kind, whole[kind])
        else:
            live.add(kind, page)
        if data.draw(st.booleans()):
            live.work()
    assert _seen(live.finish(methods)) == _seen(expected)


def test_a_column_slice_keeps_the_rows_and_their_text_objects() -> None:
    rows = Columns.from_rows(["Id", "Name"], [{"Id": "1", "Name": "a"}, {"Id": "2"}])
    tail = rows[1:]
    assert len(tail) == 1
    assert tail.column("Id") == ["2"] and tail.column("Name") == [""]
    assert tail.column("Id")[0] is rows.column("Id")[1]


@settings(max_examples=examples(100), deadline=None)
@given(_products, _packages, _package_products, st.data())
def test_a_kind_told_final_before_the_read_ends_is_what_the_read_ends_with(
    products: list[dict[str, str]],
    packages: list[dict[str, str]],
    package_products: list[dict[str, str]],
    data: st.DataObject,
) -> None:
    """`LiveRows.final` (what `Backend.hand_out` hands over): once a product's or a
    package's read has ended, its resources unless a row names a rating method (named in
    place at the end); they are the very resources `finish` returns of that kind, and hold
    then what they held when handed over. Never a package-product's."""
    read = {Kind.PRODUCT: products, Kind.PACKAGE: packages, Kind.PACKAGE_PRODUCT: package_products}
    whole = {kind: Columns.from_rows(select_fields(kind), rows) for kind, rows in read.items()}
    methods = {"r1": "Usage", "r2": ""}
    expected = live_resources(whole, methods, set(Kind))
    live = LiveRows(set(Kind))
    handed: dict[Kind, tuple[list[LiveResource], list[tuple[Any, ...]]]] = {}
    ends = data.draw(st.permutations(list(Kind)))
    for kind in ends:
        cut = data.draw(st.integers(0, len(read[kind])))
        for page in (whole[kind][:cut], whole[kind][cut:]):
            live.add(kind, page)
        if data.draw(st.booleans()):
            live.work()
        live.end(kind, whole[kind])
        final = live.final(kind)
        naming = kind is Kind.PRODUCT and any(row["RatingMethodId"] for row in products)
        if kind is Kind.PACKAGE_PRODUCT or naming:
            assert final is None
            continue
        assert final is not None
        handed[kind] = (final, _seen(final))
    found = live.finish(methods)
    assert _seen(found) == _seen(expected)
    for kind, (final, seen) in handed.items():
        of_kind = [resource for resource in found if resource.ref.kind is kind]
        assert sorted(map(id, final)) == sorted(map(id, of_kind))
        assert _seen(final) == seen
