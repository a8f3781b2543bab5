"""`catalog_digest`: a run of resources encoded by msgspec (`_encoded`) is byte for byte
what `json` made of `_content` (the exact path, `canonical_json`), and anything the fast
path does not vouch for is encoded (or refused) by the exact path as before."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync import catalog_digest as digest_module
from catalogsync.catalog import Catalog, Kind, Ref, Resource
from catalogsync.catalog_digest import Digesting, catalog_digest
from catalogsync.plan import canonical_json
from tests.conftest import examples

# Any text but lone surrogates (which neither path can write as UTF-8: tested below).
_TEXTS = st.text(st.characters(exclude_categories=["Cs"]), max_size=6)
_DECIMALS = st.one_of(
    st.sampled_from(
        [
            *(Decimal("1"), Decimal("1.0"), Decimal("1.50"), Decimal("-0"), Decimal("0E+3")),
            *(Decimal("1E+2"), Decimal("100"), Decimal("NaN"), Decimal("-Infinity")),
        ]
    ),
    st.decimals(allow_nan=False, places=4),
    st.decimals(allow_nan=False),
)
# Every type a normalised field holds (`catalog.Value`): big and negative integers too.
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**80),
    _DECIMALS,
    _TEXTS,
    st.lists(_TEXTS, max_size=3).map(tuple),
)
_RESOURCES = st.builds(
    Resource,
    st.builds(
        Ref, st.sampled_from(list(Kind)), st.lists(_TEXTS, min_size=1, max_size=3).map(tuple)
    ),
    st.dictionaries(_TEXTS, _VALUES, max_size=6),
    st.just(()),
    st.lists(_TEXTS, max_size=2).map(tuple),
    st.booleans(),
)


def _exact(resources: list[Resource]) -> bytes:
    """The bytes the digest hashed before `_encoded`."""
    return canonical_json([digest_module._content(r) for r in resources]).encode()


@settings(max_examples=examples(400))
@given(st.lists(_RESOURCES, max_size=8))
def test_the_fast_path_writes_what_json_writes(resources: list[Resource]) -> None:
    assert digest_module._encoded(resources) == _exact(resources)


@settings(max_examples=examples(100))
@given(st.lists(_RESOURCES, min_size=1, max_size=12), st.integers(1, 5))
def test_a_digest_is_the_exact_paths_whatever_the_runs(resources: list[Resource], run: int) -> None:
    catalog = Catalog(tuple(resources))
    digesting = Digesting()
    for start in range(0, len(catalog.resources), run):
        digesting.add(catalog.resources[start : start + run])
    whole = b"[" + b",".join(_exact([r])[1:-1] for r in catalog.resources) + b"]"
    assert digesting.digest() == "sha256:" + hashlib.sha256(whole).hexdigest()
    assert catalog_digest(catalog) == digesting.digest()


class _Text(str):
    pass


class _Number(Decimal):
    pass


def _with(**changes: Any) -> Resource:
    made = Resource(Ref(Kind.PRODUCT, ("Gold",)), {"rate": Decimal("1.50"), "name": "Gold"})
    for name, value in changes.items():
        object.__setattr__(made, name, value)
    return made


def _outcome(encode: Any, resources: list[Resource]) -> tuple[str, object]:
    try:
        return "wrote", encode(resources)
    except Exception as exc:
        return "raised", type(exc)


@pytest.mark.parametrize(
    "odd",
    [
        _with(fields=MappingProxyType({"rate": _Number("2.0")})),  # a Decimal subclass
        _with(fields=MappingProxyType({"name": _Text("x")})),  # a str subclass
        _with(fields=MappingProxyType({_Text("name"): "x"})),
        _with(fields=MappingProxyType({"at": 1.5})),  # a float: not a catalog value
        _with(renamed_from="Old"),  # a text, not a tuple: json writes its letters
        _with(renamed_from=("Old", 3)),
        _with(ref=Ref("product", ("Gold",))),  # type: ignore[arg-type]
        _with(ref=Ref(Kind.PRODUCT, "Gold")),  # type: ignore[arg-type]
        _with(protect=1),
    ],
)
def test_what_the_fast_path_does_not_vouch_for_goes_the_exact_way(odd: Resource) -> None:
    """Written as the exact path writes it, or refused as it refuses it."""
    with pytest.raises(digest_module._NotPlain):
        digest_module._encoded([odd])
    assert _outcome(digest_module._contents_json, [odd]) == _outcome(_exact, [odd])


@pytest.mark.parametrize(
    "odd",
    [
        _with(fields=MappingProxyType({"name": "\ud800"})),  # not UTF-8
        _with(fields=MappingProxyType({"rate": Decimal("sNaN")})),  # not hashable, not comparable
    ],
)
def test_what_the_exact_path_refuses_it_still_refuses(odd: Resource) -> None:
    refused = _outcome(_exact, [odd])
    assert refused[0] == "raised"
    assert _outcome(digest_module._contents_json, [odd]) == refused


def test_a_run_of_plain_resources_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """(So the tests above compare two paths, not one with itself.)"""

    def refused(data: Any) -> str:
        raise AssertionError("the exact path was taken")

    monkeypatch.setattr(digest_module, "canonical_json", refused)
    resources = [_with(), _with(fields=MappingProxyType({"tags": ("a", "b"), "n": 3}))]
    Digesting().add(resources)
