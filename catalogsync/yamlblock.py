"""The block layout catalogsync writes, read line by line: `fast_parts` without libyaml's
per-event Python objects, for the files that keep to that layout.

libyaml parses a catalog file in C in a tenth of the time its events then take as Python
objects (each with two marks) and `yamlfast._build`'s walk over them: for an M export
(1,001 exported files, 136,000 lines) 0.08 s of parsing, 0.55 s of events and walk. The
files `export` writes, and most hand-kept catalogs, are one narrow layout
(`yamlfast.fast_dump`'s): one entry per line, a key's nested block two columns further in,
sequence items as `- `, plain scalars of a few safe characters, and quoted ones of one
line. Those are read here, one regular expression a line, into exactly the parts
`fast_parts` hands out (the same data, the same item positions, split at the same items).

**Why the result is libyaml's.** A line is taken only when its meaning cannot depend on
anything but the lines before it and the layout rules below, and each rule is one libyaml
follows:

- the whole text is printable ASCII and `\\n` (no tabs, other line breaks or characters
  libyaml refuses or counts differently);
- each line is blank, a comment (`#` first after the indentation), `key:`, `key: value`,
  `- key:`, `- key: value` or `- value`; a key is a plain word, typed by `_plain` as
  `_build` types it and taken only when that gives a string; a value is a plain scalar
  that starts with a letter, a digit or one of `._/()+~$` (or `-` before a non-blank),
  holds no `:` or `#` and ends with no blank, or `"…"` of digits, `.` and `-` only, or
  `'…'` of printable ASCII with `''` for a quote: each reads as that one line's text, and
  no later line can extend it, because a more indented line after a complete entry is
  refused;
- blocks: a key's nested block starts exactly two columns right of the key, a sequence
  item's mapping right after its `- `, and every other line stands exactly at the column
  of an open block (the blocks right of it end there), a mapping's lines being keys and a
  sequence's lines items. A line left of a `key:` closes it with an empty (null) value,
  as libyaml reads it; a `- ` at the key's own column opens libyaml's indentless
  sequence, which ends at the first line at or left of that column that is not one more
  item (a line right of it continues its last item's scalar, or is refused: libyaml's);
- no key twice in a mapping, no nesting near `MAX_DEPTH`, a mapping as the document.

Anything else (or `_plain` refusing a scalar) is **not decided here**: the document is
read again by libyaml (`fast_parts`), which skips the parts already handed out (they
were libyaml's parts, by the rules above: an item is handed out only once the next one
begins) and goes on exactly as it always did, errors and positions included. So a file
is read either wholly as libyaml reads it, or by libyaml.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from catalogsync.yamlfast import (
    _TYPED,
    MAX_DEPTH,
    ExactReaderNeeded,
    Part,
    _plain,
    parts_or_else,
)

__all__ = ["Unsure", "block_parts"]


class Unsure(Exception):
    """The text leaves the layout read here: libyaml reads it."""


#: Only printable ASCII and line feeds: anything else goes to libyaml.
_OUTSIDE = re.compile(rb"[^\n\x20-\x7e]")
_OUTSIDE_TEXT = re.compile(r"[^\n\x20-\x7e]")
#: The bytes `_OUTSIDE` does not match: a file's bytes with these deleted (`bytes.translate`,
#: a table look-up per byte) are empty exactly when `_OUTSIDE.search` finds nothing. The
#: regular expression took ~12 ns a byte (~14% of the line reader over an export), this ~0.5.
_INSIDE = b"\n" + bytes(range(0x20, 0x7F))

# A plain scalar: no indicator first (a `-` only before a non-blank), no `:` or `#` in it
# (so neither `: ` nor ` #`), no blank last.
_PLAIN = (
    r"(?:[A-Za-z0-9._/()+~$]|-(?=[\x21\x22\x24-\x39\x3b-\x7e]))"
    r"(?:[\x20-\x22\x24-\x39\x3b-\x7e]*[\x21\x22\x24-\x39\x3b-\x7e])?"
)
_SCALAR = rf"""(?:({_PLAIN})|"([-0-9.]*)"|'((?:[ -&(-~]|'')*)')"""
#: indent, dash, then either key and value (all value groups None: `key:`), or an item.
#: (libyaml finds a key's `:` only within 1,024 characters of its start.)
_LINE = re.compile(rf"( *)(- )?(?:([A-Za-z_][A-Za-z0-9_]{{0,999}}):(?: {_SCALAR})?|{_SCALAR})")
#: A line that holds nothing (blank, or only a comment).
_NOTHING = re.compile(r" *(?:#.*)?")


def block_parts(
    source: str | bytes,
    split: Callable[[Any], bool],
    size: int,
    place: Callable[[int, int], Any],
) -> Iterator[Part]:
    """`fast_parts(source, split=split, size=size, place=place)`'s parts (locate=False), or
    `Unsure` (possibly after some parts: the caller then has libyaml skip those)."""
    lines: Iterable[str]
    if isinstance(source, bytes):
        if source.translate(None, _INSIDE):  # (`_OUTSIDE.search`'s answer, 25x faster)
            raise Unsure
        text = source.decode("ascii")
        lines = _byte_lines(source)
    else:
        if _OUTSIDE_TEXT.search(source):
            raise Unsure
        text = source
        lines = _text_lines(source)
    # Read by `yamlstrict` when the text keeps to its layout, else line by line here
    # (skipping the parts `yamlstrict` handed out: the same ones).
    from catalogsync.yamlstrict import NotStrict, strict_parts

    def line_by_line(handed: int) -> Iterator[Part]:
        return islice(_parts(lines, split, size, place), handed, None)

    return parts_or_else(lambda: strict_parts(text, split, size, place), NotStrict, line_by_line)


#: Bytes of a file decoded and split into lines at a time (about; up to the next line end).
_LINES_AT_ONCE = 1 << 16


def _byte_lines(source: bytes) -> Iterator[str]:
    """The lines `io.BytesIO(source)` gives, decoded, without their line feeds: a block of
    them at a time, decoded and split in C (per line, those two calls were a fifth of the
    reading), and never all at once (a list of a 30 MB file's lines is ~100 MB)."""
    start, size = 0, len(source)
    while start < size:
        end = source.find(b"\n", start + _LINES_AT_ONCE)
        if end < 0:  # the last block: its final line feed ends a line, it starts none
            yield from source[start:].decode("ascii").removesuffix("\n").split("\n")
            return
        yield from source[start:end].decode("ascii").split("\n")
        start = end + 1


def _text_lines(text: str) -> Iterator[str]:
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _typed(plain: str | None, double: str | None, single: str | None) -> Any:
    """A scalar as `yamlfast._build` makes it from libyaml's event."""
    if plain is not None:
        value: Any = plain
        if plain[0] in _TYPED:
            try:
                value = _plain(plain)
            except (ExactReaderNeeded, ValueError):  # (an int past Python's digit limit)
                raise Unsure from None
    elif double is not None:
        value = double
    else:
        assert single is not None
        value = single.replace("''", "'")
    if type(value) is str:
        value = sys.intern(value)
    return value


def _key(text: str) -> str:
    key = _typed(text, None, None)
    if type(key) is not str:  # `true:`, `null:`: not a string key
        raise Unsure
    return key


class _Texts(dict[str, Any]):
    """Each plain text's scalar, made once (names recur in package items)."""

    def __missing__(self, text: str) -> Any:
        value = _typed(text, None, None)
        if len(self) >= _REMEMBERED:
            self.clear()
        self[text] = value
        return value


class _Keys(dict[str, str]):
    """Each key's text as a key, made once per file."""

    def __missing__(self, text: str) -> str:
        key = self[text] = _key(text)
        return key


#: Each line's parts (`_LINE`'s groups) and each plain text's scalar, remembered from file
#: to file: most of a catalog's lines recur (`min_qty: 1`, a status, a product's name in
#: each package holding it: 72% of an M export's 137,000 lines are one of 38,000), and a
#: line's parts or a text's scalar depend on nothing else. At most `_REMEMBERED` of each
#: (~4 MB): past that they are forgotten, so a large catalog's unique lines do not stay.
_LINES: dict[str, tuple[Any, ...]] = {}
_TEXTS = _Texts()
_REMEMBERED = 1 << 14
#: Each `key: value` line (no `- `) once read as one more entry of the mapping open at its
#: column: (that column, its key, its value), as the steps below made them. Such a line
#: means the same wherever it stands as one more entry of an open mapping (nothing in it
#: depends on the lines before), so it is then added without those steps: 58% of an
#: export's lines (`status: ACTIVE`, `min_qty: 1`). Forgotten as `_LINES` is.
_ENTRIES: dict[str, tuple[int, str, Any]] = {}


def _parts(
    lines: Iterable[str],
    split: Callable[[Any], bool],
    size: int,
    place: Callable[[int, int], Any],
) -> Iterator[Part]:
    rest_positions: dict[tuple[Any, ...], Any] = {}
    positions = rest_positions
    root: dict[Any, Any] = {}
    # Open blocks: [container, its path, its column, first index (a sliced list's),
    # whether it is an indentless sequence (at its key's column)].
    stack: list[list[Any]] = []
    top: list[Any] = []  # stack[-1], and its container and column
    container: Any = None
    at_column = -1
    sliced: set[Any] = set()
    slicing: list[Any] | None = None  # the frame of the list being handed out
    pending: tuple[list[Any], str, int] | None = None  # a `key:` whose value is not known
    match_line, nothing = _LINE.fullmatch, _NOTHING.fullmatch
    texts, keys, known, entries = _TEXTS, _Keys(), _LINES, _ENTRIES
    entry_of = entries.get
    for number, line in enumerate(lines):
        if not line:
            # Blank: nothing, wherever it stands (`_NOTHING`'s, told without a match). A
            # changed catalog's items are read with every other item's lines blanked out
            # (`loader.updated_catalog`): at M ~120,000 of them.
            continue
        entry = entry_of(line)
        # One more entry of the open mapping (at its column, no key waiting for its block,
        # the open block a mapping, not a sequence): what the steps below would do with it.
        if (
            entry is not None
            and entry[0] == at_column
            and pending is None
            and type(container) is dict
        ):
            name = entry[1]
            if name in container or (container is root and name in sliced):
                raise Unsure  # (libyaml words the duplicate key)
            container[name] = entry[2]
            continue
        groups = known.get(line)
        if groups is None:
            found = match_line(line)
            if found is None:
                if nothing(line):
                    continue
                raise Unsure
            if len(known) >= _REMEMBERED:
                known.clear()
            groups = known[line] = found.groups()
        indent, dash, key, kp, kd, ks, ip, id_, is_ = groups
        column = len(indent)
        if pending is not None or column != at_column or dash or type(container) is list:
            # Anything but one more key of the open mapping.
            if not stack:  # the document: a mapping at column 0
                if column or dash:
                    raise Unsure
                stack.append([root, (), 0, 0, False])
            if pending is not None:
                frame, name, at = pending
                pending = None
                # The key's nested block: two columns further in, or a sequence at the
                # key's own column (libyaml's indentless sequence).
                if column == at + 2 or (column == at and dash):
                    block: Any = [] if dash else {}
                    path = (*frame[1], name)
                    if len(stack) >= MAX_DEPTH - 2:
                        raise Unsure
                    stack.append([block, path, column, 0, column == at])
                    if dash and len(stack) == 2 and split(name):
                        sliced.add(name)  # handed out in parts, not kept in the root
                        slicing, positions = stack[-1], {}
                    else:
                        frame[0][name] = block
                elif column <= at:
                    frame[0][name] = None  # `key:` with nothing under it
                else:
                    raise Unsure
            # The blocks right of this line end here; so does an indentless sequence
            # at its column when the line is not one more item (its mapping goes on).
            # A line right of an indentless sequence does not end it: libyaml reads it
            # as more of its last item's scalar (or refuses it), so the sequence is not
            # handed out and the line is left to libyaml below.
            while stack[-1][2] > column or (stack[-1][4] and not dash and column <= stack[-1][2]):
                frame = stack.pop()
                if frame is slicing:
                    if frame[0]:
                        yield Part(frame[1][0], frame[3], frame[0], positions)
                    slicing, positions = None, rest_positions
            top = stack[-1]
            container, at_column = top[0], top[2]
            if at_column != column:
                raise Unsure
            if type(container) is list:
                if not dash:
                    raise Unsure
                if top is slicing and len(positions) >= size:
                    # The items so far are complete: hand them out before this one.
                    yield Part(top[1][0], top[3], container, positions)
                    top[3] += len(container)
                    container = top[0] = []
                    positions = {}
                path = (*top[1], top[3] + len(container))
                positions[path] = place(number, column + 2)
                if key is None:
                    container.append(texts[ip] if ip is not None else _typed(ip, id_, is_))
                    continue
                item: dict[Any, Any] = {}
                container.append(item)
                if len(stack) >= MAX_DEPTH - 2:
                    raise Unsure
                top = [item, path, column + 2, 0, False]
                stack.append(top)
                container, at_column = item, column + 2
            elif dash:
                raise Unsure
        if key is None or type(container) is not dict:
            raise Unsure
        name = keys[key]
        if name in container or (container is root and name in sliced):
            raise Unsure  # (libyaml words the duplicate key)
        if kp is not None:
            value = texts[kp]
        elif kd is None and ks is None:
            pending = (top, name, at_column)
            continue
        else:
            value = _typed(kp, kd, ks)
        container[name] = value
        if dash is None:  # (at the open mapping's column: it stands at `at_column`)
            if len(entries) >= _REMEMBERED:
                entries.clear()
            entries[line] = (column, name, value)
    if not stack:
        raise Unsure  # nothing but comments: libyaml says what it is
    if pending is not None:
        frame, name, _ = pending
        frame[0][name] = None
    while stack:
        frame = stack.pop()
        if frame is slicing and frame[0]:
            yield Part(frame[1][0], frame[3], frame[0], positions)
    if root or not sliced:
        yield Part(None, 0, root, rest_positions)
