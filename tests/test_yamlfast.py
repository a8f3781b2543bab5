"""The fast YAML reader agrees with the exact (ruamel round-trip) one, or declines.

The fast path is only an optimisation: for any text it must give the same data and the
same sequence-item positions as the exact reader, or return None so the exact reader runs.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from benchmarks.generate import generate, write_project
from catalogsync.errors import CatalogValidationError
from catalogsync.loader import load_catalog
from catalogsync.registry import get_format
from catalogsync.yamlfast import (
    YamlProblem,
    check_shape,
    fast_available,
    fast_dump,
    fast_load,
    fast_parts,
)
from catalogsync.yamlio import SourceMap, _dumpable, parse_yaml_text
from tests.conftest import EXAMPLE, FIXTURES, examples

pytestmark = pytest.mark.skipif(not fast_available(), reason="PyYAML without libyaml")


def exact(text: str) -> tuple[Any, SourceMap]:
    document = parse_yaml_text(text, "t.yaml")
    return document.data, document.source


def assert_agrees(text: str) -> bool:
    """True when the fast reader took the text (and agreed); False when it declined."""
    loaded = fast_load(text)
    if loaded is None:
        return False
    data, items = loaded
    expected, source = exact(text)
    assert data == expected
    assert [type(v) for v in _scalars(data)] == [type(v) for v in _scalars(expected)]
    for ypath, (line, column) in items.items():
        where = source.values[ypath]
        assert (where.line, where.column) == (line + 1, column + 1), ypath
    assert reassembled(text) == (_without_empty_lists(data), items)
    return True


def reassembled(text: str) -> tuple[Any, dict[tuple[Any, ...], Any]]:
    """The document put back together from `fast_parts`, every top-level list sliced two
    items at a time."""
    rest: Any = None
    lists: dict[Any, list[Any]] = {}
    positions: dict[tuple[Any, ...], Any] = {}
    for part in fast_parts(text, split=lambda key: True, size=2):
        assert not set(positions) & set(part.positions)
        positions.update(part.positions)
        if part.key is None:
            rest = part.data
        else:
            assert part.start == len(lists.setdefault(part.key, []))
            lists[part.key].extend(part.data)
    return ({**(rest or {}), **lists} if lists else rest), positions


def _without_empty_lists(data: Any) -> Any:
    """A document as `fast_parts` hands it out: an empty top-level list has no part."""
    if not isinstance(data, dict):
        return data
    return {key: value for key, value in data.items() if value != [] or type(value) is not list}


def assert_same_outcome(text: str) -> None:
    """Valid text reads the same both ways; invalid text fails the same way both ways."""
    try:
        exact(text)
    except Exception as exc:  # ruamel itself raises ValueError on e.g. `._` (a float to it)
        with pytest.raises(type(exc)) as fast_error:
            parse_yaml_text(text, "t.yaml", fast=True)
        assert str(fast_error.value) == str(exc)
        return
    assert_agrees(text)


def _scalars(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [x for k, v in data.items() for x in [k, *_scalars(v)]]
    if isinstance(data, list):
        return [x for v in data for x in _scalars(v)]
    return [data]


def yaml_files() -> list[Path]:
    return sorted([*EXAMPLE.rglob("*.yaml"), *FIXTURES.rglob("*.yaml")])


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: p.name)
def test_every_fixture_reads_the_same_or_falls_back(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert_same_outcome(text)


def test_a_generated_catalog_with_awkward_names_takes_the_fast_path(tmp_path: Path) -> None:
    folder = write_project(tmp_path, generate(60, 6, 150, awkward=True))
    assert assert_agrees((folder / "catalog.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("scalar", "taken"),
    [
        ("plain text", True),
        ("10.50", True),
        ("-3", True),
        ("0", True),
        ("true", True),
        ("FALSE", True),
        ("~", True),
        ("null", True),
        ("yes", True),  # YAML 1.2: a string, as ruamel reads it
        ("on", True),
        ("'quoted 1'", True),
        ('"esc\\u00e9aped"', True),
        ("007", False),  # octal in ruamel's 1.2 resolver
        ("0x1F", False),
        ("1_000", False),
        ("1e5", False),
        (".inf", False),
        ("2024-01-02", False),
        ("!!str 5", False),
        ("&a x", False),
    ],
)
def test_scalars(scalar: str, taken: bool) -> None:
    assert assert_agrees(f"key: {scalar}\nlist:\n  - {scalar}\n") is taken


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "? [a]\n: 1\n",
        "a: 1\n---\nb: 2\n",
        "%YAML 1.1\n---\na: yes\n",
    ],
)
def test_what_only_the_exact_reader_handles(text: str) -> None:
    assert fast_load(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: 2\na: 3\n",  # duplicate key
        "a: [1, 2\nb: 3\n",  # syntax errors...
        "a: b: c\n",
        "a:\n  - x\n b: 2\n",
        "a: @x\n",
        "a: &x 1\nb: *x\nc: [\n",  # ...even after what the fast reader leaves to ruamel
    ],
)
def test_what_is_wrong_for_any_reader_is_located_by_libyaml_where_ruamel_would(
    text: str,
) -> None:
    # A syntax error at the end of a 30 MB file would cost minutes in ruamel's reader.
    with pytest.raises(YamlProblem) as fast:
        if fast_load(text) is None:
            check_shape(text)
    with pytest.raises(MarkedYAMLError) as slow:
        YAML(typ="rt").load(text)
    mark = slow.value.problem_mark
    assert mark is not None
    assert (fast.value.line, fast.value.column) == (mark.line, mark.column)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.text(st.sampled_from("ab1.0-+_eExTtnN~: '\"#é"), max_size=8), max_size=6))
def test_random_scalars_agree_or_decline(values: list[str]) -> None:
    lines = ["items:"] + [f"  - {value}" for value in values]
    assert_same_outcome("\n".join(lines) + "\n")


def test_an_invalid_catalog_is_reported_with_exact_positions(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("products:\n  - name: A\n    rate: cheap\npackages: []\n", encoding="utf-8")
    with pytest.raises(CatalogValidationError) as caught:
        load_catalog([path], get_format("billingplatform"))
    assert [i.location.line if i.location else 0 for i in caught.value.issues] == [3]


# --- the fast writer ---------------------------------------------------------------------


def ruamel_dump(data: Any) -> str:
    """What `dump_yaml` wrote before the fast writer: ruamel's emitter, same settings."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    yaml.width = 1_000_000
    stream = io.StringIO()
    yaml.dump(_dumpable(data), stream)
    return stream.getvalue()


def assert_writes_like_ruamel(data: Any) -> bool:
    """True when the fast writer took `data` (and wrote ruamel's bytes); False if it declined."""
    fast = fast_dump(_dumpable(data))
    if fast is None:
        return False
    assert fast == ruamel_dump(data)
    return True


def test_an_exported_generated_catalog_is_written_fast_and_identically(tmp_path: Path) -> None:
    fmt = get_format("billingplatform")
    data = generate(60, 6, 150)
    catalog_file = write_project(tmp_path, data) / "catalog.yaml"
    resources = load_catalog([catalog_file], fmt)
    document = fmt.document(list(resources))
    assert assert_writes_like_ruamel(document)
    assert assert_writes_like_ruamel([document["packages"][0]])  # a drift snippet


def test_awkward_names_are_written_fast_and_agree() -> None:
    # Awkward scalars are rendered by ruamel one at a time (cached), the rest directly.
    data = generate(60, 6, 150, awkward=True)
    taken = [assert_writes_like_ruamel({"products": [p]}) for p in data["products"]]
    assert all(taken)
    assert assert_writes_like_ruamel(data)


_text = st.text(
    st.sampled_from("aZ09 ._-:#'\"é\n/()+%@`&*!|>{[,?ö–\\\t\x85\u2028~=<\r"), max_size=8
)
_scalar = st.one_of(
    _text,
    st.integers(-5, 10**6),
    st.booleans(),
    st.decimals(places=2, allow_nan=False, allow_infinity=False),
)
_keys = st.sampled_from(["name", "rate", "min_qty", "children", "products", "x y", "1", "on"])
_values = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.dictionaries(_keys, _values, max_size=4), st.lists(_values, max_size=3)))
def test_random_documents_are_written_like_ruamel_or_declined(data: Any) -> None:
    assert_writes_like_ruamel(data)
