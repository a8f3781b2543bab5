"""The strict layout read an item at a time hands out exactly libyaml's parts, or leaves
the file to the line reader (`NotStrict`), which hands out the same parts from there.

`strict_parts` is compared with `libyaml_parts` (libyaml alone) on catalogs in the
writer's layout, nested as `export` nests them, and on those with lines changed at random.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogsync import yamlstrict
from catalogsync.yamlblock import _OUTSIDE_TEXT
from catalogsync.yamlfast import fast_available, fast_parts, libyaml_parts
from catalogsync.yamlstrict import NotStrict, strict_parts
from tests.conftest import examples
from tests.test_yamlblock import _documents, _edited, _edits, _place, _writer_text, outcome

pytestmark = pytest.mark.skipif(not fast_available(), reason="PyYAML without libyaml")


def _split(key: Any) -> bool:
    return key in ("products", "packages")


def strict_outcome(text: str, size: int) -> tuple[list[Any], bool]:
    """The parts `strict_parts` hands out, and whether it read the whole text."""
    parts: list[Any] = []
    if _OUTSIDE_TEXT.search(text):  # (`block_parts` sends such a text to libyaml)
        return parts, False
    try:
        for part in strict_parts(text, _split, size, _place):
            parts.append((part.key, part.start, part.data, part.positions))
    except NotStrict:
        return parts, False
    return parts, True


def assert_strict_is_libyaml(text: str, size: int = 2) -> bool:
    """What `strict_parts` hands out is libyaml's first parts (all of them, and libyaml
    finds nothing wrong, when it reads the whole text); whether it read it whole."""
    parts, whole = strict_outcome(text, size)
    alone, ended = outcome(libyaml_parts(text, _split, size, False, _place))
    if whole:
        assert (parts, None) == (alone, ended)
    else:
        assert parts == alone[: len(parts)]
    # and the reader the loader uses (strict first, then line by line, then libyaml)
    for source in (text, text.encode()):
        fast = outcome(fast_parts(source, split=_split, size=size, place=_place))
        if not (fast[1] == ended == ("exact",)):  # (see test_yamlblock.assert_same)
            assert fast == (alone, ended)
    return whole


_names = st.sampled_from(["Product 000001", "Gold", "it's", "x.y/z (1)", "Pkg-2", "a"])
_fields = st.dictionaries(
    st.sampled_from(["status", "rate", "min_qty", "max_qty", "description", "is_active"]),
    st.one_of(
        st.sampled_from(["ACTIVE", "Production", "rate 1.50", "", "null", "007"]),
        st.integers(0, 500),
        st.booleans(),
        st.none(),
    ),
    max_size=3,
)


def _item(head: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda name, fields: {head: name, **fields}, _names, _fields)


def _package_product() -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        _item("product"),
        lambda inner: st.builds(
            lambda item, children: {**item, "children": children},
            _item("product"),
            st.lists(inner, min_size=1, max_size=3),
        ),
        max_leaves=6,
    )


def _catalogs() -> st.SearchStrategy[dict[str, Any]]:
    """Catalogs as `export` writes them: products, packages holding package-products
    nested in children, lists of scalars in a package."""
    package = st.builds(
        lambda item, products, frequencies: {
            **item,
            **({"frequencies": frequencies} if frequencies else {}),
            **({"products": products} if products else {}),
        },
        _item("name"),
        st.lists(_package_product(), max_size=4),
        st.lists(st.sampled_from(["Month", "Year", "7"]), max_size=2),
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "products": st.lists(_item("name"), min_size=1, max_size=4),
            "packages": st.lists(package, min_size=1, max_size=3),
        },
    ).filter(bool)


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_catalogs(), st.integers(1, 5))
def test_catalogs_as_export_writes_them_read_as_libyaml_reads_them(
    catalog: dict[str, Any], size: int
) -> None:
    text = _writer_text(catalog)
    whole = assert_strict_is_libyaml(text, size)
    assert whole or "'" in text  # (a single-quoted name may be typed: left to the others)


# (a second or more: the full run's; test_yamlblock's changed lines read through this
# reader first, in the default run)
@pytest.mark.long
@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_catalogs(), _documents()), _edits)
def test_changed_lines_read_as_libyaml_reads_them_or_leave_the_strict_layout(
    catalog: dict[str, Any], edits: list[tuple[str, int]]
) -> None:
    assert_strict_is_libyaml(_edited(_writer_text(catalog), edits))


@pytest.mark.parametrize(
    "text",
    [
        "products:\n  - name: a\n\n  - name: b\n",  # a blank line
        "products:\n  - name: a\n    # a note\n",  # a comment below the top
        "products:\n- name: a\n",  # an indentless sequence
        "products:\n  - name: a\n    children:\n    - product: b\n",  # indentless, nested
        "products:\n  - name: a\n    children:\n       - product: b\n",  # three columns in
        "products:\n  - name: a\n    name: b\n",  # a key twice
        "products:\n  - name: a\n  - name: b\nproducts:\n  - name: c\n",  # a list twice
        "products:\n  - name: a\n   x: 1\n",  # a line between columns
        "products:\n  - name: a\n    b:\n      c\n",  # a scalar on the line after its key
        "products:\n  - name: a b\n      c\n",  # a plain scalar continued
        "products:\n  - name: 0o17\n",  # a typed scalar only ruamel reads
        "products:\n  - name: a # note\n",  # a comment after an entry
        "products:\n  - true: 1\n",  # not a string key
        "products:\n  -\n",  # an empty item
        "other: 1\n",  # a top-level key not handed out in parts
        "other:\n  - a\n",
        "products:\n  x: 1\n",  # a mapping where the list goes
        "# only a comment\n",
        "products:\n" + "".join(f"  - {' ' * 2 * d}a:\n" for d in range(20)),  # deep
    ],
)
def test_what_leaves_the_strict_layout_is_read_line_by_line(text: str) -> None:
    assert not assert_strict_is_libyaml(text)


def test_an_export_s_layout_is_read_here() -> None:
    catalog = {
        "products": [{"name": "Product 1", "status": "ACTIVE", "rate": "1.50"}],
        "packages": [
            {
                "name": "Pkg",
                "frequencies": ["Month"],
                "products": [
                    {"product": "P2", "min_qty": 0, "max_qty": None},
                    {"product": "P3", "children": [{"product": "P4", "min_qty": 1}]},
                ],
            }
        ],
    }
    assert assert_strict_is_libyaml(_writer_text(catalog), size=1)


def test_the_entries_remembered_from_file_to_file_stay_few(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Entries, keys and scalars are remembered across files, at most so many of each: a
    file of more unique ones reads the same and leaves at most that many behind."""
    monkeypatch.setattr(yamlstrict, "_REMEMBERED", 8)
    monkeypatch.setattr(yamlstrict, "_SCALARS_REMEMBERED", 16)
    catalog = {
        "products": [{"name": f"P{n}", "rate": f"{n}.5", f"k{n % 12}": n} for n in range(40)]
    }
    text = _writer_text(catalog)
    assert assert_strict_is_libyaml(text, size=7)
    assert assert_strict_is_libyaml(text, size=7)  # (again: what is remembered)
    assert 0 < len(yamlstrict._ENTRIES) <= 8
    assert 0 < len(yamlstrict._KEYS) <= 8
    assert 0 < len(yamlstrict._SCALARS) <= 16
