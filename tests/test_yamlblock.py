"""The line reader of catalogsync's block layout hands out exactly libyaml's parts.

`fast_parts` (which tries `yamlblock` first) is compared with `libyaml_parts` (libyaml
alone) on documents in the writer's layout, in PyYAML's (indentless sequences), and on
those same documents with lines changed at random: the same parts, or the same error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogsync.catalog_writer import CatalogWriter
from catalogsync.yamlblock import Unsure, block_parts
from catalogsync.yamlfast import (
    ExactReaderNeeded,
    YamlProblem,
    fast_available,
    fast_parts,
    libyaml_parts,
)
from tests.conftest import examples

pytestmark = pytest.mark.skipif(not fast_available(), reason="PyYAML without libyaml")


def _place(line: int, column: int) -> tuple[int, int]:
    return line, column


def _split(key: Any) -> bool:
    return key in ("products", "packages", "children")


def outcome(read: Any) -> Any:
    """The parts a reader hands out (key, start, data, positions), then how it ended."""
    parts: list[Any] = []
    try:
        for part in read:
            parts.append((part.key, part.start, part.data, part.positions))
    except YamlProblem as exc:
        return parts, ("problem", exc.line, exc.column, exc.message)
    except ExactReaderNeeded:
        return parts, ("exact",)
    return parts, None


def assert_same(text: str, size: int = 2) -> None:
    for source in (text, text.encode()):
        fast = outcome(fast_parts(source, split=_split, size=size, place=_place))
        alone = outcome(libyaml_parts(source, _split, size, False, _place))
        if fast[1] == alone[1] == ("exact",):
            # Parts handed out before ExactReaderNeeded are discarded by the caller (the
            # contract of `fast_parts`): where each reader met the typed scalar may differ.
            # The line reader hands out a slice when the next item begins, libyaml once it
            # has built it, so only the outcome is the same.
            continue
        assert fast == alone


def test_a_document_the_exact_reader_must_read_ends_so_with_both_readers() -> None:
    # Found by hypothesis: "1e5" is a text to YAML 1.1 (PyYAML writes it plain) and a float
    # to 1.2; the line reader had handed out the first slice when it met it, libyaml not.
    text = "products:\n- Product 000001\n- 1e5\n"
    for source in (text, text.encode()):
        fast = outcome(fast_parts(source, split=_split, size=1, place=_place))
        alone = outcome(libyaml_parts(source, _split, 1, False, _place))
        assert fast[1] == alone[1] == ("exact",)
    assert_same(text, 1)


def taken(text: str) -> bool:
    """Whether the line reader reads `text` whole (rather than leaving it to libyaml)."""
    try:
        list(block_parts(text, _split, 2, _place))
    except Unsure:
        return False
    return True


# Scalars: the writer's plain and quoted forms, texts typed by YAML 1.2 (ints, bools,
# null, typed forms the fast reader leaves to ruamel), and awkward ones.
_texts = st.sampled_from(
    [
        "Product 000001",
        "a",
        "Active",
        "x.y/z (1)+-",
        "-5",
        "0",
        "12",
        "007",
        "1.50",
        "true",
        "False",
        "null",
        "~",
        "",
        ".inf",
        "1e5",
        "it's",
        "a: b",
        "# no",
        " padded ",
        "-",
        "- x",
        "é",
        "[x]",
        "yes",
    ]
)
_scalars = st.one_of(
    _texts,
    st.integers(-3, 300),
    st.booleans(),
    st.decimals(min_value=-100, max_value=1000, places=2, allow_nan=False),
)
_keys = st.sampled_from(["name", "product", "min_qty", "status", "n", "true", "x_1", "a"])


def _documents() -> st.SearchStrategy[dict[str, Any]]:
    leaves = st.one_of(_scalars, st.none())
    tree = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3),
            st.dictionaries(_keys, inner, min_size=1, max_size=3),
        ),
        max_leaves=12,
    )
    return st.dictionaries(
        st.sampled_from(["products", "packages", "other", "children"]),
        tree,
        min_size=1,
        max_size=3,
    )


def _writer_text(document: dict[str, Any]) -> str:
    return CatalogWriter().text(document, ["Exported by catalogsync", ""])


def _pyyaml_text(document: dict[str, Any]) -> str:
    plain = {key: _undecimal(value) for key, value in document.items()}
    return yaml.safe_dump(plain, sort_keys=False, allow_unicode=True)


def _undecimal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _undecimal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_undecimal(item) for item in value]
    return value


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents(), st.sampled_from([_writer_text, _pyyaml_text]), st.integers(1, 4))
def test_the_layouts_read_as_libyaml_reads_them(
    document: dict[str, Any], write: Any, size: int
) -> None:
    assert_same(write(document), size)


_edits = st.lists(
    st.tuples(
        st.sampled_from(["indent", "dedent", "drop", "double", "comment", "blank", "tab", "tail"]),
        st.integers(0, 200),
    ),
    min_size=1,
    max_size=3,
)


def _edited(text: str, edits: list[tuple[str, int]]) -> str:
    lines = text.split("\n")
    for edit, at in edits:
        index = at % len(lines)
        line = lines[index]
        if edit == "indent":
            lines[index] = " " + line
        elif edit == "dedent":
            lines[index] = line.removeprefix(" ")
        elif edit == "drop":
            del lines[index]
        elif edit == "double":
            lines.insert(index, line)
        elif edit == "comment":
            lines.insert(index, " " * (at % 5) + "# note")
        elif edit == "blank":
            lines.insert(index, " " * (at % 3))
        elif edit == "tab":
            lines[index] = "\t" + line
        else:
            lines[index] = line + (" " if at % 2 else " # c")
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents(), st.sampled_from([_writer_text, _pyyaml_text]), _edits)
def test_changed_lines_read_as_libyaml_reads_them_or_go_to_libyaml(
    document: dict[str, Any], write: Any, edits: list[tuple[str, int]]
) -> None:
    assert_same(_edited(write(document), edits))


def test_the_writers_layout_and_pyyamls_are_read_here() -> None:
    document = {
        "products": [{"name": "Product 1", "rate": Decimal("1.50")}, {"name": "it's"}],
        "packages": [
            {"name": "Pkg", "products": [{"product": "P2", "min_qty": 0, "max_qty": None}]}
        ],
    }
    for text in (_writer_text(document), _pyyaml_text(document)):
        assert taken(text)
        assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n  b: 2\n",  # a line right of a complete entry (a continued scalar)
        # a line right of an indentless sequence: its last item's scalar goes on (or is
        # refused); the sequence must not be handed out as if it had ended there
        "products:\n- Product 000001\n more\npackages: null\n",
        "products:\n- Product 000001\n  packages: null\n",
        "a:\n  products:\n  - x\n   more\n  b: 1\n",
        "a: b\n   c\n",  # a plain scalar continued on the next line
        "a:\n   b: 1\n",  # a block three columns in
        "a: 'x\n  y'\n",  # a quoted scalar over two lines
        "a: 1\na: 2\n",  # a key twice: libyaml words it
        "true: 1\n",  # not a string key
        "a: 0o17\n",  # a typed scalar only ruamel reads
        "a: é\n",  # not ASCII
        "a: 1\r\nb: 2\r\n",  # another line break
        "  a: 1\n",  # the document not at column 0
        "- a\n",  # not a mapping
        "# only a comment\n",
        "a: [1, 2]\n",  # flow style
        "a: &x 1\nb: *x\n",  # anchors
        "--- \na: 1\n",  # a document marker
        "a: 1 # note\n",  # a comment after an entry
        "a: " + "1" * 5000 + "\n",  # an int past Python's digit limit
    ],
)
def test_what_leaves_the_layout_is_read_by_libyaml(text: str) -> None:
    assert not taken(text)
    assert_same(text)


def test_a_doubt_after_parts_were_handed_out_lets_libyaml_go_on_from_there() -> None:
    items = "".join(f"  - name: P{index}\n" for index in range(6))
    text = f"products:\n{items}  - name: late # a comment after an entry\nother: 1\n"
    handed: list[Any] = []
    with pytest.raises(Unsure):
        for part in block_parts(text, _split, 2, _place):
            handed.append(part.data)
    assert handed == [[{"name": f"P{i}"}, {"name": f"P{i + 1}"}] for i in (0, 2)]
    parts = list(fast_parts(text, split=_split, size=2, place=_place))
    assert [part.data for part in parts] == [
        *handed,
        [{"name": "P4"}, {"name": "P5"}],
        [{"name": "late"}],
        {"other": 1},
    ]
    assert_same(text)


def test_a_doubt_is_not_raised_out_of_the_reader() -> None:
    (part,) = fast_parts("a: 1\n  b\n")  # a plain scalar continued: libyaml reads it
    assert part.data == {"a": "1 b"}


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.sampled_from(["", "a", "  - name: x", "bb: 1"]), max_size=12), st.booleans())
def test_a_files_lines_are_those_of_its_bytes_block_by_block(
    lines: list[str], line_feed_last: bool
) -> None:
    """`_byte_lines` splits a file a block at a time: the same lines as reading it a line
    at a time, wherever a block ends (blocks of 1 to 8 bytes here, so every line end is
    tried as one)."""
    import io

    from catalogsync import yamlblock

    source = "\n".join(lines).encode() + (b"\n" if line_feed_last and lines else b"")
    expected = [line.decode().removesuffix("\n") for line in io.BytesIO(source)]
    for block in range(1, 9):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(yamlblock, "_LINES_AT_ONCE", block)
            assert list(yamlblock._byte_lines(source)) == expected
    assert list(yamlblock._byte_lines(source)) == expected


def test_the_lines_remembered_from_file_to_file_stay_few() -> None:
    """The reader remembers each line's parts and each text's scalar across files (most
    lines recur), but no more than `_REMEMBERED` of each: a file of more unique lines than
    that reads the same, and leaves at most that many behind."""
    from catalogsync import yamlblock

    names = [f"Product {n:06d}" for n in range(yamlblock._REMEMBERED + 10)]
    document = {"products": [{"name": name, "status": "ACTIVE"} for name in names]}
    text = _writer_text(document)
    assert_same(text, size=1000)
    assert_same(text, size=1000)  # (read again: the parts remembered give the same)
    assert len(yamlblock._LINES) <= yamlblock._REMEMBERED
    assert len(yamlblock._TEXTS) <= yamlblock._REMEMBERED
    assert len(yamlblock._ENTRIES) <= yamlblock._REMEMBERED


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb:\n  a: 1\n  c: 2\n",  # first as an entry, then right after its key's line
        "b:\n  a: 1\n  a: 1\n",  # the same entry twice in a mapping: libyaml words it
        "b:\n  - x\n  a: 1\n",  # at the column of an open sequence: not an entry
        "b:\n- a: 1\n  a: 1\n",  # after an item's first entry, again: a duplicate key
        "b:\n  c:\n  a: 1\n",  # after `key:` with nothing under it: the key is null
        "a: 1\n  a: 1\n",  # right of a complete entry: libyaml's continued scalar
        "products:\n  - name: x\n    a: 1\n  - name: y\n    a: 1\na: 1\n",  # a list's end
        "products:\n  - name: x\n    a: 1\nproducts: 1\n",  # a key handed out in parts
    ],
)
def test_a_remembered_entry_line_means_what_it_means_where_it_stands(text: str) -> None:
    """`_ENTRIES` adds a line it has read as one more entry of an open mapping without the
    steps that found it one; wherever else the same line stands, it goes through them."""
    from catalogsync import yamlblock

    warm = "a: 1\nc: 2\nb:\n  a: 1\n  c: 2\n    # (a comment)\n"
    assert_same(warm)  # remembered: `a: 1` at columns 0 and 2
    assert "  a: 1" in yamlblock._ENTRIES and "a: 1" in yamlblock._ENTRIES
    assert_same(text, size=1)
    assert_same(text)


@settings(max_examples=examples(500), deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=64).map(lambda text: text.encode()))
def test_the_bytes_left_to_libyaml_are_found_by_a_table_as_by_the_expression(
    source: bytes,
) -> None:
    """`block_parts` tells bytes outside its layout (`_OUTSIDE`: anything but printable
    ASCII and line feeds) by deleting those inside it (`_INSIDE`): the same answer."""
    from catalogsync import yamlblock

    assert bool(source.translate(None, yamlblock._INSIDE)) == bool(
        yamlblock._OUTSIDE.search(source)
    )
    every = bytes(range(256))
    assert every.translate(None, yamlblock._INSIDE) == bytes(
        byte for byte in every if yamlblock._OUTSIDE.fullmatch(bytes([byte]))
    )
