"""`choose_export`'s files: each object in the file of its kind or package, files (and
package files' names) in the order of their first object, and each file's live records
handed over with its objects (`Chosen.records`), whatever the catalog and selection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import exporter
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


@settings(max_examples=examples(100), deadline=None)
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
        assert objects == sorted(objects)  # in key order (the texts rely on it)
        records = chosen.records[path]  # the very records, in the objects' order
        assert len(records) == len(objects)
        assert all(by_ref[ref] is record for ref, record in zip(objects, records, strict=True))


_LINKS = st.one_of(
    st.just({}),
    st.builds(lambda package: {"link_package": package}, _NAMES),
    st.builds(lambda p, item: {"link_package": p, "link_product": item}, _NAMES, _NAMES),
    st.just({"link_package": None, "link_product": None}),
)


# Keys holding a blank name at each place (a product's, a package's, a package item's own
# or its parent's): the choice asks only whether packages' and products' names are blank.
_BLANK_NAMED = st.sampled_from(
    [
        product_ref(" "),
        package_ref(""),
        package_product_ref(" ", "Voice"),
        package_product_ref("Voice", "\t"),
        package_product_ref("Voice", " ", "SMS"),
    ]
)


@settings(max_examples=examples(200), deadline=None)
@given(
    records=st.lists(st.tuples(_REFS | _BLANK_NAMED, _LINKS), max_size=14),
    split_by=st.sampled_from(SplitBy),
)
def test_every_record_taken_as_it_is_is_the_walks_choice(
    records: list[tuple[Ref, dict[str, str | None]]], split_by: SplitBy
) -> None:
    """The usual export (everything, nothing declared) skips the walk of each object's
    needs only when the walk would add and leave out nothing (keys held twice, blank
    names, a missing package, product, parent or linked object: the walk's choice)."""
    live = LiveCatalog(
        tuple(
            LiveResource(ref, str(n), links if ref.kind is Kind.PACKAGE_PRODUCT else {})
            for n, (ref, links) in enumerate(records)
        )
    )
    fmt = get_format("billingplatform")
    taken = choose_export(live, fmt, split_by=split_by, checked=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exporter, "_everything", lambda *args, **kwargs: None)
        walked = choose_export(live, fmt, split_by=split_by, checked=False)
    assert taken.groups == walked.groups and list(taken.groups) == list(walked.groups)
    assert taken.records == walked.records
    assert (taken.added, taken.skipped, taken.links) == (walked.added, walked.skipped, walked.links)
    # The needs asked later (`adopt`): where they are met, the walk's choice as well
    later = choose_export(live, fmt, split_by=split_by, checked=False, needs_later=True)
    assert later.needs_met is not None
    if later.needs_met():
        assert (later.groups, later.records) == (walked.groups, walked.records)
        assert (later.skipped, later.links) == (walked.skipped, walked.links)
    else:
        assert walked.added or len(walked.skipped) > len(later.skipped)


def test_a_package_item_linking_itself_without_its_package_is_left_out() -> None:
    """Its package missing, it is left out; its link to itself must not add it back (the
    walk of needs added it back for good)."""
    item = package_product_ref("Gold", "Voice")
    live = LiveCatalog(
        (
            LiveResource(product_ref("Voice"), "1"),
            LiveResource(item, "2", {"link_package": "Gold", "link_product": "Voice"}),
        )
    )
    chosen = choose_export(live, get_format("billingplatform"), checked=False)
    assert chosen.refs == (product_ref("Voice"),)
    assert {ref for ref, _ in chosen.skipped} == {item}
    assert f"it needs {package_ref('Gold')}" in chosen.skipped[0][1]
