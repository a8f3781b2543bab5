"""Catalog files as `export` writes them, byte for byte what `yamlio.dump_yaml` writes, faster.

`dump_yaml` converts a whole document (quoting each string after asking a YAML 1.1
resolver about it) and then lays it out; an export of 40,000 objects spent most of its
writing time there, asking again about every repeated name, status and rate. Here a
document is written one top-level object at a time to a stream, and each distinct scalar
is rendered once per writer:

- plain-safe text, bools, ints and finite decimals by the rules `yamlfast.fast_dump` uses
  (a decimal as its quoted `f` text, text that no YAML reader types as is);
- any other scalar by `dump_yaml` itself (`k: <value>`), when that fits on one line;
- an object holding anything else (a multi-line text, an empty list, an odd key) is
  written whole by `dump_yaml` (as the one item of its list).

A block sequence's items are laid out independently of each other, so writing them one
by one gives the whole document's bytes. Tests compare the two writers on generated
catalogs (awkward names too), both backends' fixtures and random documents.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TextIO

from catalogsync.yamlfast import plain_text
from catalogsync.yamlio import dump_yaml

if TYPE_CHECKING:  # (a plan imports the formats, never this writer)
    from pathlib import Path

    from catalogsync.catalog import Ref, Value
    from catalogsync.catalog_format import CatalogFormat


class _Whole(Exception):
    """An object this writer does not lay out itself: `dump_yaml` writes it whole."""


#: The text of each item of each top-level list, its lines each ending in a newline
#: (`export`).
Sections = dict[str, list[str]]


class CatalogWriter:
    """Writes catalog documents (top-level keys → lists of mappings) in the house style.

    One writer serves one export: it remembers how each distinct scalar is written.
    """

    def __init__(self) -> None:
        # Each distinct scalar's text (None: not on one line), by its type, then by value:
        # `True`, `1` and `Decimal(1)` are equal keys, each type writes them its own way.
        self._scalars: dict[type, dict[Any, str | None]] = {}
        # Numbers that equal others written differently (`Decimal("1.20")` and `"1.2"`,
        # `-0` and `0`), by their type and their own digits instead (never in `_scalars`).
        self._numbers: dict[tuple[type, str], str | None] = {}
        #: The line (`key: text`, without its indent) of each scalar entry a format wrote
        #: with `scalar_entry`, under the key it chose for it (`export_sections`).
        self.entries: dict[Any, str] = {}
        #: The mapping keys seen so far that are written plain (a catalog has a few dozen).
        self._keys: set[str] = set()
        #: Each field's lines by value, and each kind's first lines by name, at each indent
        #: (`export_columns`: kept here, so one writer's files share them).
        self.columns: dict[Any, Any] = {}

    def write(
        self, stream: TextIO, document: Mapping[str, Any], header: Sequence[str] = ()
    ) -> None:
        """`dump_yaml(document, header)`, written to `stream` one top-level object at a time."""
        if not self._simple_top(document):
            stream.write(dump_yaml(document, header))
            return
        for line in header:
            stream.write(f"# {line}\n" if line else "#\n")
        for key, items in document.items():
            stream.write(f"{key}:\n")
            for item in items:
                stream.write(self._item(key, item))

    def text(self, document: Mapping[str, Any], header: Sequence[str] = ()) -> str:
        """`dump_yaml(document, header)`."""
        stream = io.StringIO()
        self.write(stream, document, header)
        return stream.getvalue()

    def export(
        self,
        fmt: CatalogFormat,
        records: Iterable[tuple[Ref, Mapping[str, Value]]],
        header: Sequence[str] = (),
    ) -> str:
        """`text(fmt.export_document(records), header)`: the file `export` writes.

        A format may lay out the items itself, straight from the records
        (`CatalogFormat.export_sections`, with this writer's `entry`), without the document
        of dicts in between; the text is then the one `text` writes of that document, line
        for line (the items' lines are `_mapping`'s, made by the same `entry`). Anything it
        does not lay out (an object `text` writes whole with `dump_yaml`, an object outside
        its package) and the file is written from the document instead.
        """
        ordered = sorted(records, key=itemgetter(0))
        try:
            sections = fmt.export_sections(ordered, self)
            for key in sections or ():
                self.key(key)
        except (_Whole, KeyError):
            sections = None
        return self._joined(fmt, ordered, sections, header)

    def export_files(
        self,
        fmt: CatalogFormat,
        files: Sequence[Iterable[tuple[Ref, Mapping[str, Value]]]],
        headers: Sequence[Sequence[str]],
        *,
        in_order: bool = False,
    ) -> list[str]:
        """`export` of each file's records with its header, the files laid out together
        where the format can (`CatalogFormat.export_sections_of`), else each alone: the
        same texts either way. `in_order`: each file's records are in key order already
        (as `choose_export` hands them out), not sorted again (at L 205,000 records)."""
        if in_order:
            ordered = [list(records) for records in files]
        else:
            ordered = [sorted(records, key=itemgetter(0)) for records in files]
        try:
            made = fmt.export_sections_of(ordered, self)
            for sections in made or ():
                for key in sections:
                    self.key(key)
        except (_Whole, KeyError):
            made = None
        if made is None:
            return [
                self.export(fmt, records, header)
                for records, header in zip(ordered, headers, strict=True)
            ]
        return [
            self._joined(fmt, records, sections, header)
            for records, sections, header in zip(ordered, made, headers, strict=True)
        ]

    def _joined(
        self,
        fmt: CatalogFormat,
        ordered: list[tuple[Ref, Mapping[str, Value]]],
        sections: Sections | None,
        header: Sequence[str],
    ) -> str:
        """The file of `sections` (None, or no objects: of `fmt.export_document`)."""
        if not sections:  # (None, or no objects: `dump_yaml`'s text of an empty document)
            return self.text(fmt.export_document(ordered), header)
        parts = [f"# {line}\n" if line else "#\n" for line in header]
        for key, items in sections.items():
            parts.append(f"{key}:\n")
            parts.extend(items)
        return "".join(parts)

    def scalar_entry(self, remembered: Any, key: Any, value: Any) -> str | None:
        """The line `entry` writes of `key: value` (without its indent) when `value` is a
        scalar of one line, remembered in `entries` under `remembered` (the caller's key,
        which must tell apart every value written differently: a scalar's text depends on
        its type and value only, a number's on its digits); None for anything else, which
        is `entry`'s to lay out. Raises `_Whole` as `entry` does."""
        if isinstance(value, (dict, list, tuple)):
            return None
        self.key(key)
        line = self.entries[remembered] = f"{key}: {self._scalar(value)}"
        return line

    def scalar_text(self, value: Any) -> str:
        """How a scalar is written on its line (remembered); raises `_Whole` when it is
        not written on one line."""
        return self._scalar(value)

    def key(self, key: Any) -> None:
        """Refuse (`_Whole`) a mapping key this writer does not write plain."""
        if key not in self._keys:
            if type(key) is not str or not plain_text(key):
                raise _Whole
            self._keys.add(key)

    @staticmethod
    def _simple_top(document: Mapping[str, Any]) -> bool:
        """Whether the document is non-empty keys → non-empty lists of non-empty mappings."""
        return bool(document) and all(
            type(key) is str
            and plain_text(key)
            and isinstance(items, list)
            and items
            and all(isinstance(item, dict) and item for item in items)
            for key, items in document.items()
        )

    def _item(self, key: str, item: dict[str, Any]) -> str:
        """One top-level object, as the item of the list under `key`."""
        lines: list[str] = []
        try:
            self._mapping(item, 4, lines, "  - ")
        except _Whole:
            whole = dump_yaml({key: [item]})
            return whole[whole.index("\n") + 1 :]
        lines.append("")
        return "\n".join(lines)

    def _mapping(self, mapping: dict[str, Any], indent: int, lines: list[str], first: str) -> None:
        """Keys at `indent`; the first line starts with `first` (a sequence dash) if given."""
        if not mapping:
            raise _Whole
        pad = " " * indent
        start = first or pad
        entry = self.entry
        for key, value in mapping.items():
            entry(lines, start, indent, key, value)
            start = pad

    def entry(self, lines: list[str], start: str, indent: int, key: Any, value: Any) -> None:
        """One entry of a mapping whose keys stand at `indent`, its line starting with
        `start` (the indent, or a sequence's dash before it): `key: value`, or `key:` and
        the nested block. Raises `_Whole` for what this writer does not lay out."""
        if key not in self._keys:
            if type(key) is not str or not plain_text(key):
                raise _Whole
            self._keys.add(key)
        # Most values are scalars of a type written before: their text is looked up
        # here, without `_scalar`'s call (an export writes ~5 values per object).
        known = self._scalars.get(type(value))
        if known is not None:
            try:
                text = known[value]
            except (KeyError, TypeError):  # (new, or unhashable): worked out there
                text = self._scalar(value)
            if text is None:
                raise _Whole
            lines.append(f"{start}{key}: {text}")
        elif isinstance(value, dict):
            lines.append(f"{start}{key}:")
            self._mapping(value, indent + 2, lines, "")
        elif isinstance(value, (list, tuple)):
            lines.append(f"{start}{key}:")
            self._sequence(value, indent, lines)
        else:
            lines.append(f"{start}{key}: {self._scalar(value)}")

    def _sequence(self, items: Sequence[Any], indent: int, lines: list[str]) -> None:
        """The items of a sequence whose key is at `indent`: dashes two columns further in."""
        if not items:
            raise _Whole
        dash = " " * (indent + 2) + "- "
        for item in items:
            if isinstance(item, dict):
                self._mapping(item, indent + 4, lines, dash)
            elif isinstance(item, (list, tuple)):
                raise _Whole
            else:
                lines.append(dash + self._scalar(item))

    def _scalar(self, value: Any) -> str:
        """How `value` is written (each distinct one worked out once: a product's name
        recurs in every package-product of it, statuses and quantities everywhere)."""
        kind = type(value)
        if kind is Decimal or kind is float:
            key = (kind, str(value))
            try:
                text = self._numbers[key]
            except KeyError:
                text = self._numbers[key] = _scalar_text(value)
            if text is None:
                raise _Whole
            return text
        known = self._scalars.get(kind)
        if known is None:
            known = self._scalars[kind] = {}
        try:
            text = known[value]
        except KeyError:
            text = known[value] = _scalar_text(value)
        except TypeError:  # an unhashable scalar (never in a catalog): worked out each time
            text = _scalar_text(value)
        if text is None:
            raise _Whole
        return text


def _scalar_text(value: Any) -> str | None:
    """How a scalar is written, or None if not on one line (see `_rendered`)."""
    kind = type(value)
    if kind is str and plain_text(value):
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is Decimal and value.is_finite():
        return f'"{format(value, "f")}"'  # quoted, so its precision survives (yamlio)
    return _rendered(value)


def _rendered(value: Any) -> str | None:
    """How `dump_yaml` writes one scalar as a mapping's value, or None if not on one line.

    A scalar's rendering there does not depend on where it stands (`yamlfast` relies on
    the same), so this is its text anywhere in a block mapping or sequence.
    """
    written = dump_yaml({"k": value})
    if not written.startswith("k: ") or written.count("\n") != 1:
        return None
    return written[3:-1]


#: How `write_file` opens a file: as `open(path, "w")` does.
_WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC


def write_file(path: Path, text: str) -> None:
    """`path.write_text(text, encoding="utf-8")`, the same bytes and mode, in the three
    system calls a file needs (open, write, close): `open` adds a stat, a terminal check
    and two seeks, and a text wrapper's ~10 us of Python (`export` writes 5,001 files at
    L; the kernel's cost of making each is the same either way)."""
    data = memoryview(text.encode("utf-8"))
    descriptor = os.open(path, _WRITE, 0o666)
    try:
        while data:
            data = data[os.write(descriptor, data) :]
    finally:
        os.close(descriptor)
