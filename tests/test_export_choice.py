"""`choose_export`'s files: each object in the file of its kind or package, files (and
package files' names) in the order of their first object, and each file's live records
handed over with its objects (`Chosen.records`), whatever the catalog and selection."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.catalog import Kind, Ref, package_product_ref, package_ref, product_ref
from catalogsync.exporter import (
    Selection,
    Selector,
    SplitBy,
    _unique_slug,
    choose_export,
)
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.registry import get_format
from tests.conftest import examples

# Names whose file names collide ("Gold plan", "gold-plan"): the slugs' order matters.
_NAMES = st.sampled_from(["Gold plan", "gold-plan", "Voice", "SMS", "Ünï"])
_REFS = st.one_of(
    _NAMES.map(product_ref),
    _NAMES.map(package_ref),
    st.lists(_NAMES, min_size=2, max_size=3).map(lambda names: package_product_ref(*names)),
)
_SELECTIONS = st.sampled_from(
    [
        Selection(),
        Selection(only=(Selector(Kind.PACKAGE),)),
        Selection(exclude=(Selector(Kind.PRODUCT, "S*"),)),
    ]
)


def _files_an_object_at_a_time(refs: tuple[Ref, ...], split_by: SplitBy) -> dict[str, list[Ref]]:
    """The files as the choice's rule states it, one object after the other."""
    if split_by is SplitBy.NONE:
        return {"catalog.yaml": list(refs)} if refs else {}
    groups: dict[str, list[Ref]] = {}
    paths: dict[str, str] = {}
    taken: set[str] = set()
    for ref in refs:
        if ref.kind is Kind.PRODUCT:
            path = "products.yaml"
        elif split_by is SplitBy.KIND:
            path = "packages.yaml"
        else:
            if ref.key[0] not in paths:
                slug = _unique_slug(ref.key[0], taken)
                taken.add(slug)
                paths[ref.key[0]] = f"packages/{slug}.yaml"
            path = paths[ref.key[0]]
        groups.setdefault(path, []).append(ref)
    return groups


@settings(max_examples=examples(200), deadline=None)
@given(
    refs=st.lists(_REFS, max_size=14, unique=True),
    selection=_SELECTIONS,
    split_by=st.sampled_from(SplitBy),
    declared=st.lists(_REFS, max_size=3),
)
def test_each_file_holds_its_objects_and_their_records(
    refs: list[Ref], selection: Selection, split_by: SplitBy, declared: list[Ref]
) -> None:
    live = LiveCatalog(
        tuple(
            LiveResource(ref, str(n), {"min_qty": n} if ref.kind is Kind.PACKAGE_PRODUCT else {})
            for n, ref in enumerate(refs)
        )
    )
    chosen = choose_export(
        live,
        get_format("billingplatform"),
        selection=selection,
        split_by=split_by,
        declared=declared,
        checked=False,
    )
    assert chosen.groups == _files_an_object_at_a_time(chosen.refs, split_by)
    assert list(chosen.groups) == list(_files_an_object_at_a_time(chosen.refs, split_by))
    by_ref = {record.ref: record for record in live}
    assert list(chosen.records) == list(chosen.groups)
    for path, objects in chosen.groups.items():
        records = chosen.records[path]  # the very records, in the objects' order
        assert len(records) == len(objects)
        assert all(by_ref[ref] is record for ref, record in zip(objects, records, strict=True))
