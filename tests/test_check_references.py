"""`check_references` answers a catalog whose every key-implied need is declared without
walking each resource (`catalog.key_needs_met`, sets of names): whatever the catalog,
its issues are the walk's, in the same order."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import loader
from catalogsync.catalog import Kind, Ref, Resource, package_product_ref, package_ref, product_ref
from catalogsync.errors import SourceLocation
from catalogsync.loader import check_references
from tests.conftest import examples

_NAMES = st.sampled_from(["A", "B", "C"])
_REFS = st.one_of(
    _NAMES.map(product_ref),
    _NAMES.map(package_ref),
    st.lists(_NAMES, min_size=2, max_size=4).map(lambda names: package_product_ref(*names)),
)


def _resource(index: int, ref: Ref, renamed: bool) -> Resource:
    renamed_from = ("Z",) if renamed and ref.kind is not Kind.PACKAGE_PRODUCT else ()
    return Resource(ref, {}, renamed_from=renamed_from, location=SourceLocation("c.yaml", index, 1))


@settings(max_examples=examples(400), deadline=None)
@given(declared=st.lists(st.tuples(_REFS, st.booleans()), max_size=12), renames=st.booleans())
def test_the_issues_are_the_walks(declared: list[tuple[Ref, bool]], renames: bool) -> None:
    resources = [
        _resource(index, ref, renames and renamed)
        for index, (ref, renamed) in enumerate(declared, 1)
    ]
    found = [str(issue) for issue in check_references(resources)]
    with mock.patch.object(loader, "key_needs_met", lambda by_ref: False):
        walked = [str(issue) for issue in check_references(resources)]
    assert found == walked


def test_a_catalog_with_every_need_declared_is_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    resources = [
        Resource(product_ref("Voice"), {}),
        Resource(package_ref("Gold"), {}),
        Resource(package_product_ref("Gold", "Voice"), {}),
        Resource(package_product_ref("Gold", "Voice", "Voice"), {}),
    ]
    monkeypatch.setattr(loader, "_all_declared_test", None)  # (the walk would fail)
    assert check_references(resources) == []
    missing = [*resources[:2], Resource(package_product_ref("Gold", "Data"), {})]
    with pytest.raises(TypeError):
        check_references(missing)  # (a need not declared: the walk words it)


def test_key_needs_met_tells_whether_each_key_implied_need_is_among_the_refs() -> None:
    """The check `check_references` and export's choice skip their walk on."""
    from catalogsync.catalog import (
        Kind,
        Ref,
        key_needs_met,
        package_product_ref,
        package_ref,
        product_ref,
    )

    voice, sms, gold = product_ref("Voice"), product_ref("SMS"), package_ref("Gold")
    item, nested = package_product_ref("Gold", "Voice"), package_product_ref("Gold", "Voice", "SMS")
    everything = [voice, sms, gold, item, nested]
    assert key_needs_met(everything)
    assert key_needs_met([voice, gold])  # nothing implied
    for missing in (voice, sms, gold, item):  # product, nested product, package, parent
        assert not key_needs_met([ref for ref in everything if ref != missing])
    assert not key_needs_met([*everything, Ref(Kind.PRODUCT, ("a", "b"))])  # no catalog's
