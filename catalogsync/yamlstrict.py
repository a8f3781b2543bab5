"""The strict layout `export` writes, read an item at a time: `yamlblock`'s parts with the
work per line done by `str` methods in C.

`yamlblock` reads its layout one line at a time, and its Python step per line was most of
an export's proof (an L export: 680,000 lines, ~1 s of the reader's ~1.3 s). The files
`export` writes keep to a narrower layout still (`CatalogWriter`'s): comments only at the
top, no blank lines, each top-level key a list split in parts, each block exactly two
columns right of its key, sequences never indentless. There, the lines of a sequence's
item are those up to the next `- ` at the sequence's column, and those of a mapping the
lines at its column: `str.find` and `str.split` cut a file into its items and each item
into its entries, and each entry (`key: value`, the same few thousand lines over and over)
is made once (`_ENTRIES`), so a plain item (a product, a package-product without children)
costs a few C calls, not a Python step per line. A mapping holding a nested block is cut
at its own column by one compiled expression (`_OWN`) and its blocks are read the same way.

**Why the result is `yamlblock`'s (so libyaml's).** Each piece is taken only in a form
whose meaning `yamlblock`'s rules fix (its docstring): an entry is `key: value` or `key:`
with `yamlblock`'s own expressions for the key and the scalar, typed by its `_typed`; a
piece holding a line of any other column, or a line break where none may be, matches no
form (a key or a scalar holds no line break), so a line that does not belong where it
stands is never absorbed. `key:` is null when no block follows (a line at its column or
the item's end comes next), as libyaml reads it; a block must start exactly two columns
in. A key twice in a mapping, a nesting deeper than `_DEPTH` or anything else raises
`NotStrict`, and the caller reads the file with `yamlblock` instead (skipping the parts
handed out already: `yamlblock` hands out the same ones), which decides as it always did.
The parts are cut as `yamlblock` cuts them: a top-level item is read before the part of
the items before it is handed out, once those hold `size` positions or more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from itertools import islice
from typing import Any

from catalogsync.yamlblock import _SCALAR, Unsure, _key, _typed
from catalogsync.yamlfast import Part

__all__ = ["NotStrict", "strict_parts"]


class NotStrict(Exception):
    """The text leaves the strict layout: `yamlblock` reads it."""


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,999}")
_ONLY_SCALAR = re.compile(_SCALAR)
#: Entries, keys and scalars remembered from file to file (each a few hundred bytes at
#: most): past these they are forgotten, so a large catalog's unique ones do not stay.
#: Scalars are mostly names, which the catalog holds anyway.
_REMEMBERED = 1 << 15
_SCALARS_REMEMBERED = 1 << 17
#: How deep the blocks may nest here (further in, `yamlblock` reads the file).
_DEPTH = 16


class _Keys(dict[str, str]):
    """Each key's text as a key (a string, else `NotStrict`)."""

    def __missing__(self, text: str) -> str:
        if _KEY.fullmatch(text) is None:
            raise NotStrict
        try:
            key = _key(text)
        except Unsure:
            raise NotStrict from None
        if len(self) >= _REMEMBERED:
            self.clear()
        self[text] = key
        return key


class _Scalars(dict[str, Any]):
    """Each scalar's text (plain or quoted, as written) as its value."""

    def __missing__(self, text: str) -> Any:
        found = _ONLY_SCALAR.fullmatch(text)
        if found is None:
            raise NotStrict
        try:
            value = _typed(*found.groups())
        except Unsure:
            raise NotStrict from None
        if len(self) >= _SCALARS_REMEMBERED:
            self.clear()
        self[text] = value
        return value


_KEYS, _SCALARS = _Keys(), _Scalars()


class _Entries(dict[str, tuple[str, Any]]):
    """Each entry's text (`key: value` or `key:`, unindented) as its key and value."""

    def __missing__(self, text: str) -> tuple[str, Any]:
        key, colon, value = text.partition(": ")
        if colon:
            pair = (_KEYS[key], _SCALARS[value])
        elif text[-1:] == ":":
            pair = (_KEYS[text[:-1]], None)
        else:
            raise NotStrict
        if len(self) >= _REMEMBERED:
            self.clear()
        self[text] = pair
        return pair


_ENTRIES = _Entries()
_entry = _ENTRIES.__getitem__

#: By column (at most ~`_DEPTH` * 2 here): a line break and that many blanks; the same
#: before `- `.
_AT = ["\n" + " " * column for column in range(4 * _DEPTH)]
_ITEM_AT = [f"{at}- " for at in _AT]


class _Own(dict[int, "re.Pattern[str]"]):
    """By column: a line break, that many blanks and no more (a mapping's own lines,
    `_nested_mapping`), compiled when first needed."""

    def __missing__(self, column: int) -> re.Pattern[str]:
        own = self[column] = re.compile(rf"\n {{{column}}}(?! )")
        return own


_OWN = _Own()
#: A line at column 0: where a top-level list ends.
_TOP_LINE = re.compile(r"\n(?! )")

Place = Callable[[int, int], Any]
Path_ = tuple[Any, ...]
Positions = dict[Path_, Any]


def strict_parts(
    text: str, split: Callable[[Any], bool], size: int, place: Place
) -> Iterator[Part]:
    """`yamlblock.block_parts(text, split, size, place)`'s parts, or `NotStrict` (possibly
    after some parts: the caller then has `yamlblock` skip those). `text` is printable
    ASCII and line feeds only (`block_parts` sends any other to libyaml)."""
    ends = len(text) - text.endswith("\n")  # (its last line feed ends a line, starts none)
    start, line = past_comments(text, ends)
    seen: set[str] = set()
    last: Part | None = None  # a list's last part: handed out once the next line reads
    while start <= ends:
        end = text.find("\n", start, ends)
        if end < 0:
            raise NotStrict
        head = text[start:end]
        name, value = _entry(head)
        # (`key:` with a list two columns in, its key one to hand out in parts)
        if value is not None or head[-1] != ":" or name in seen or not split(name):
            raise NotStrict
        if last is not None:
            yield last
        seen.add(name)
        start, line = end + 1, line + 1
        if not text.startswith("  - ", start):
            raise NotStrict
        found = _TOP_LINE.search(text, start, ends)
        stop = ends if found is None else found.start()
        last = yield from _top_list(text, start + 4, stop, name, line, size, place)
        line += text.count("\n", start, stop) + 1
        start = stop + 1
    if last is not None:
        yield last


def past_comments(text: str, ends: int) -> tuple[int, int]:
    """Where the text's first line after its comments at the top starts, and its number
    (0-based); `NotStrict` when it holds nothing else."""
    start = line = 0
    while text.startswith("#", start):
        start = text.find("\n", start, ends) + 1
        if not start:
            raise NotStrict
        line += 1
    return start, line


def _top_list(
    text: str, at: int, stop: int, name: str, line: int, size: int, place: Place
) -> Generator[Part, None, Part]:
    """The parts of the top-level list `name` whose first item's text starts at `at`; the
    last one is returned, not handed out."""
    items: list[Any] = []
    positions: Positions = {}
    first = 0
    reader = _Reader(place)
    while at <= stop:
        end = text.find("\n  - ", at, stop)
        if end < 0:
            end = stop
        item = text[at:end]
        at = end + 5
        path = (name, first + len(items))
        nested: Positions = {}
        reader.positions = nested
        value, lines = reader.item(item, 4, line, path, 3)
        if len(positions) >= size:  # the items so far are complete: hand them out
            yield Part(name, first, items, positions)
            first += len(items)
            items, positions = [], {}
        positions[path] = place(line, 4)
        if nested:
            positions.update(nested)
        items.append(value)
        line += lines
    return Part(name, first, items, positions)


class _Reader:
    """Reads the items of a top-level item, each nested one placed (`place`) in
    `positions`."""

    __slots__ = ("place", "positions")

    def __init__(self, place: Place) -> None:
        self.place = place
        self.positions: Positions = {}

    def item(self, item: str, column: int, line: int, path: Path_, depth: int) -> tuple[Any, int]:
        """A sequence item's value (its text after `- `, content at `column`) and lines."""
        if _AT[column + 1] in item:  # a line further in: a block nested in the item
            value = self.nested_mapping(item, column, line, path, depth)
            return value, item.count("\n") + 1
        pieces = item.split(_AT[column])
        # Its first entry apart: mostly a name, met once (`_ENTRIES` keeps the others).
        key, colon, scalar = pieces[0].partition(": ")
        if colon:
            data = {_KEYS[key]: _SCALARS[scalar]}
            data.update(map(_entry, islice(pieces, 1, None)))
        elif len(pieces) > 1 or item[-1:] == ":":  # (`- key:` first)
            data = dict(map(_entry, pieces))
        else:
            return _SCALARS[item], 1
        if len(data) != len(pieces):
            raise NotStrict  # (a key twice: libyaml words it)
        return data, len(pieces)

    def nested_mapping(
        self, text: str, column: int, line: int, path: Path_, depth: int
    ) -> dict[str, Any]:
        """A mapping at `column` holding a nested block (its first line unindented)."""
        if depth > _DEPTH:
            raise NotStrict
        data: dict[str, Any] = {}
        inner = column + 2
        for piece in _OWN[column].split(text):
            newline = piece.find("\n")
            if newline < 0:
                name, value = _entry(piece)
                line += 1
            else:  # `key:` and its block, exactly two columns in
                head, block = piece[:newline], piece[newline + 1 :]
                name, value = _entry(head)
                if value is not None or head[-1] != ":" or block[inner : inner + 1] in ("", " "):
                    raise NotStrict
                if not block.startswith(_AT[inner][1:]):
                    raise NotStrict
                under = (*path, name)
                if block.startswith("- ", inner):
                    value = self.sequence(block, inner, line + 1, under, depth + 1)
                else:  # a mapping: as a sequence item's, its first line unindented
                    value, _ = self.item(block[inner:], inner, line + 1, under, depth + 1)
                    if type(value) is not dict:
                        raise NotStrict
                line += piece.count("\n") + 1
            if name in data:
                raise NotStrict
            data[name] = value
        return data

    def sequence(self, text: str, column: int, line: int, path: Path_, depth: int) -> list[Any]:
        """A sequence at `column` (its first line indented), each item placed at its
        content."""
        items: list[Any] = []
        inner = column + 2
        positions, place = self.positions, self.place
        for index, item in enumerate(text[inner:].split(_ITEM_AT[column])):
            at = (*path, index)
            positions[at] = place(line, inner)
            value, lines = self.item(item, inner, line, at, depth + 1)
            items.append(value)
            line += lines
        return items
