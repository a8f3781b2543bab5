"""A catalog file's top-level items as text: where each begins and ends, and a digest of its
bytes. No YAML is parsed here.

The catalog cache keeps these with its entry (`catalog_cache`), so that when a catalog file
changes a little, the next load reads only the items whose text changed and takes the
resources of the others from the entry (`loader.updated_catalog`). That is sound only for
a file whose top-level items each read the same wherever they stand, which the plain
block layout every catalog writer here uses guarantees, and `items_of` accepts nothing else:

- every line at column 0 is blank, a comment, a top-level key alone (`products:`), each
  key once, or, as every line indented as far as the items are (`- ...` at column 0, as
  the benchmarks write them, or indented, as `export` writes them) or less, the start of an
  item of the list under the last key; an item runs to the next such line (its nested
  lines are indented further);
- no byte that could tie one place of the file to another or change how a text reads:
  `&` (anchor), `*` (alias), `!` (tag), `%` (directive), no tab, no byte-order mark, no
  CR (a line ends at LF alone, the last one too), no `{` or `[` (a flow collection: an
  object could begin within a line, inside a text quoted across lines);
- nothing but blank and comment lines before the first key, or between a key and its
  first item.

A quoted text may still run over lines, into what looks like the next item here: the
caller proves that the YAML reader began an object on each item's first line (a resource
is placed there), which a line inside a quoted text never is.

A file beyond that is `None`: it is loaded whole, as always. A comment line between two
items belongs to the item above it (it only changes that item's digest).

An item that holds a nested list (a package's products) also has its lines before the
list digested apart and the list's items as items of their own (`_nested_of`), found the
same way one level in: where the format says such items read alone too
(`CatalogFormat.nested_items_alone`), a changed package whose lines before its products
read as before has only its changed package-products read again.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["Item", "Items", "Nested", "Sub", "items_of"]

#: A nested list item of an item: (first line (0-based), end line (exclusive), blake2b-16).
Sub = tuple[int, int, bytes]
#: An item's nested list (`nested_of`): the digest of its lines before the list, and the
#: list's items; None when the item has no such list.
Nested = tuple[bytes, tuple[Sub, ...]] | None
#: (top-level key, first line (0-based), end line (exclusive), blake2b-16 of its bytes, and
#: its nested list).
Item = tuple[str, int, int, bytes, Nested]

#: A file's items, and the line (0-based) of each top-level key.
Items = tuple[list[Item], dict[str, int]]

#: Bytes that make a file not plain enough to read item by item (see the module docstring),
#: each looked for on its own (`in`: a memchr each; one character class was ~25x slower).
_REFUSED = (b"&", b"*", b"!", b"%", b"\t", b"\r", b"{", b"[")
_BOM = b"\xef\xbb\xbf"
#: A line's indentation and first character, when that is content (not blank or comment).
_CONTENT = re.compile(rb"^( *)[^ #\n]", re.MULTILINE)
_KEY = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*):[ ]*\n")


def items_of(raw: bytes) -> Items | None:
    """The top-level list items of a catalog file, in file order, and its keys' lines, or
    None when the file is not in the plain layout the module docstring describes (or a key
    holds no item: `products:` alone reads as null)."""
    if raw.startswith(_BOM) or any(byte in raw for byte in _REFUSED):
        return None
    if not raw.endswith(b"\n"):
        return None  # (a block text at the end reads otherwise without its line's end)
    first = _CONTENT.search(raw)
    second = _CONTENT.search(raw, first.end()) if first is not None else None
    if second is None:
        return None
    indent = len(second.group(1))  # the items' (the same under every key)
    lines = re.compile(rb"^( {0,%d})[^ #\n]" % indent, re.MULTILINE)
    dash = b" " * indent + b"-"
    items: list[Item] = []
    keys: dict[str, int] = {}
    key: str | None = None
    line = 0
    position = 0  # (bytes up to `position` counted in `line`)
    opened: tuple[int, int] | None = None  # the current item's (byte, line)
    outside = 0  # where content outside any item may begin (the file's start, a key's end)

    def close(at: int, at_line: int) -> None:
        assert opened is not None and key is not None
        begin, first = opened
        digest = hashlib.blake2b(raw[begin:at], digest_size=16).digest()
        items.append((key, first, at_line, digest, _nested_of(raw, begin, at, first)))

    for found in lines.finditer(raw):
        start = found.start()
        if opened is None and _CONTENT.search(raw, outside, start) is not None:
            return None  # content before the first key, or between a key and its items
        line += raw.count(b"\n", position, start)
        position = start
        if raw.startswith(dash, start) and raw[start + len(dash) : start + len(dash) + 1] in (
            b" ",
            b"\n",
        ):
            if key is None:
                return None  # an item before any key: not this layout
            if opened is not None:
                close(start, line)
            opened = (start, line)
            continue
        named = _KEY.match(raw, start)
        if named is None:
            return None  # a scalar, a flow value, a document marker, a line out of place...
        if opened is not None:
            close(start, line)
            opened = None
        if key is not None and (not items or items[-1][0] != key):
            return None  # the key before holds no item
        key = named.group(1).decode("ascii")
        outside = named.end()
        if key in keys:
            return None  # a key twice: the file's own problem, read whole
        keys[key] = line
    if opened is None:
        return None  # no item, or the last key holds none
    close(len(raw), line + raw.count(b"\n", position))
    return items, keys


_DASH_LINE = re.compile(rb"\n( *)- ")
#: `^( {0,n})[^ #\n]` for each indentation n met (lines at n columns or fewer).
_AT_MOST: dict[int, re.Pattern[bytes]] = {}


def _nested_of(raw: bytes, begin: int, end: int, first: int) -> Nested:
    """The nested list of the item in `raw[begin:end]` (first line `first`): the item's
    lines before its first line that opens a nested list item (`- ` after the item's first
    line, at the least indentation such a line has), then each such item, running to the
    next or to the item's end. None when there is none, or when a line as little indented
    as those items is not one of them (a field after the list, another list: the item is
    then compared whole). A nested item is one of these only as text: the caller proves
    the YAML reader began an object on its first line, as for top-level items."""
    line_end = raw.find(b"\n", begin, end)
    found = _DASH_LINE.search(raw, line_end, end) if line_end >= 0 else None
    if found is None:
        return None
    indent = len(found.group(1))
    lines = _AT_MOST.get(indent)
    if lines is None:
        lines = _AT_MOST[indent] = re.compile(rb"^( {0,%d})[^ #\n]" % indent, re.MULTILINE)
    dash = b" " * indent + b"- "
    starts: list[int] = []
    for content in lines.finditer(raw, found.start() + 1, end):
        if not raw.startswith(dash, content.start()):
            return None
        starts.append(content.start())
    line = first + raw.count(b"\n", begin, starts[0])
    subs: list[Sub] = []
    for at, start in enumerate(starts):
        stop = starts[at + 1] if at + 1 < len(starts) else end
        lines_in = raw.count(b"\n", start, stop)
        subs.append(
            (line, line + lines_in, hashlib.blake2b(raw[start:stop], digest_size=16).digest())
        )
        line += lines_in
    header = hashlib.blake2b(raw[begin : starts[0]], digest_size=16).digest()
    return header, tuple(subs)
