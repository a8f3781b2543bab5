"""An export file's items laid out a field at a time, for objects of one shape.

`YamlCatalogFormat.export_sections` lays out each object's lines one field at a time, in
Python: at L ~8 us an object (205,000 of them), most of it asking again, per object, which
fields are kept, in which order, and how each value is written. But the objects of a kind
in a file hold the same fields (a backend reads every field of a kind), of the same type
each: so the order is worked out once per kind and file (or run of files laid out
together: `sections_of`), and each field's values become their lines together (`map`, in
C), each distinct value's line once per writer (`_Lines`: the line of the field's key and
value at its indent, or "" for a value `export_fields` leaves out). An object's text is
then the join of its fields' lines.

What this does not lay out it leaves to the object-at-a-time code (`None`): objects whose
fields differ in their keys or in a field's type, flags that are not bools, values other
than the scalars and tuples of texts a live record holds, keys that would take the place
of an item's own (`taken`), a package item whose container is not in the file. The text is
the same either way; tests hold the two ways and `dump_yaml` to the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, compress, filterfalse, groupby, islice, repeat
from operator import eq, is_, itemgetter
from typing import TYPE_CHECKING, Any

from catalogsync.catalog import Kind, Ref, Value
from catalogsync.yamlfast import plain_texts

if TYPE_CHECKING:
    from catalogsync.catalog_writer import CatalogWriter

_REF, _FIELDS = itemgetter(0), itemgetter(1)  # a record's
_KIND, _KEY = itemgetter(0), itemgetter(1)  # a Ref's
_CONTAINER = itemgetter(slice(None, -1))  # a package item's key → its container's
_NONE = type(None)
#: The types whose values are remembered by value (equal values of one type are written
#: alike); numbers are remembered by their digits (`str`), tuples only of texts.
_BY_VALUE = frozenset({str, int, bool, tuple})
_BY_DIGITS: dict[type, Callable[[str], Any]] = {Decimal: Decimal, float: float}


@dataclass(frozen=True)
class ColumnLayout:
    """How a format's objects are laid out (`YamlCatalogFormat.export_sections` gives it):
    `head` the key of each kind's name, `lists` each kind's list key, `children_key` the
    list key of a package item's children; `order(kind, keys)` the keys in the order they
    are written, `flags(kind)` the fields left out when false, `defaults(kind)` fields left
    out when equal to what the function gives for the object's key, `yaml_value` how a
    value is written, `taken` the keys an item holds besides its fields."""

    head: Mapping[Kind, str]
    lists: Mapping[Kind, str]
    children_key: str | None
    order: Callable[[Kind, tuple[str, ...]], tuple[str, ...]]
    flags: Callable[[Kind], frozenset[str]]
    defaults: Callable[[Kind], Mapping[str, Callable[[tuple[str, ...]], Value]]]
    yaml_value: Callable[[str, Value], Any]
    taken: Mapping[Kind, frozenset[str]]

    def sections(
        self, records: Sequence[tuple[Ref, Mapping[str, Value]]], writer: CatalogWriter
    ) -> dict[str, list[str]] | None:
        """The text of each item of each top-level list (records in key order), or None
        when this does not lay them out (see the module docstring)."""
        files = self.sections_of([records], writer)
        return None if files is None else files[0]

    def sections_of(
        self, files: Sequence[Sequence[tuple[Ref, Mapping[str, Value]]]], writer: CatalogWriter
    ) -> list[dict[str, list[str]]] | None:
        """`sections` of each file's records, each kind's objects of all the files laid
        out together: a file of one package and its items holds a few dozen objects, and
        the work per kind and field (~1 us a field, ~15 us a kind) is then shared by a run
        of files. None when this does not lay out every file."""
        # Each file's runs of one kind (in key order, the records of a kind are together),
        # and each kind's keys and fields over all the files, in turn
        shapes: list[list[tuple[Kind, int]]] = []
        keys_of: dict[Kind, list[tuple[str, ...]]] = {}
        fields_of: dict[Kind, list[Mapping[str, Value]]] = {}
        for records in files:
            refs = list(map(_REF, records))
            kinds = list(map(_KIND, refs))
            shape, at = [], 0
            for kind in dict.fromkeys(kinds):
                end = at + kinds.count(kind)
                if kinds[at:end].count(kind) != end - at:
                    return None
                keys_of.setdefault(kind, []).extend(map(_KEY, refs[at:end]))
                fields_of.setdefault(kind, []).extend(map(_FIELDS, records[at:end]))
                shape.append((kind, end - at))
                at = end
            shapes.append(shape)
        nested = Kind.PACKAGE_PRODUCT
        keys_in: dict[Kind, Iterator[tuple[str, ...]]] = {}
        texts_in: dict[Kind, Iterator[str]] = {}
        depths: set[int] = set()  # (of the package items)
        for kind, keys in keys_of.items():
            # Each object's indent: one for all where its items are all at one depth
            # (a catalog whose items nest none: then no lookup of its indent per object)
            indents: list[int] | int = 4
            if kind is nested:
                depths = set(map(len, keys))
                indents = (
                    4 * min(depths) if len(depths) == 1 else list(map((4).__mul__, map(len, keys)))
                )
            texts = self._texts(writer, kind, keys, fields_of[kind], indents)
            if texts is None:
                return None
            keys_in[kind], texts_in[kind] = iter(keys), iter(texts)
        unders = self._unders(writer, depths)
        if unders is None:
            return None
        nests = max(depths, default=2) > 2  # (whether a package item holds any)
        made = []
        for shape in shapes:
            sections = self._file(shape, keys_in, texts_in, unders, nests)
            if sections is None:
                return None
            made.append(sections)
        return made

    def _unders(self, writer: CatalogWriter, depths: set[int]) -> dict[int, str] | None:
        """The line of the list key a package item at each depth goes under, written
        before its container's first item (None: a format without nested items)."""
        unders = {}
        for depth in depths:
            under = self.children_key if depth > 2 else self.lists[Kind.PACKAGE_PRODUCT]
            if under is None:
                return None
            writer.key(under)
            unders[depth] = f"{' ' * (4 * depth - 4)}{under}:\n"
        return unders

    def _file(
        self,
        shape: list[tuple[Kind, int]],
        keys_in: dict[Kind, Iterator[tuple[str, ...]]],
        texts_in: dict[Kind, Iterator[str]],
        unders: dict[int, str],
        nests: bool,
    ) -> dict[str, list[str]] | None:
        """One file's sections: its runs (`shape`) of each kind's keys and texts, taken
        in turn; each package item at the end of its top-level item, its container's list
        key before the container's first item (`export_sections`' order exactly).
        `nests`: whether a package item holds others (else none is looked up)."""
        # Each list's items: a package's as the parts of its text (its items' follow it),
        # any other's as its text (a kind's objects are under a list of their own)
        sections: dict[str, list[Any]] = {}
        parted: set[str] = set()  # (the lists of packages)
        # The parts of the top-level item holding each package and package item, by key
        tops: dict[tuple[str, ...], list[str]] = {}
        opened: set[tuple[str, ...]] = set()  # containers whose list key is written
        for kind, count in shape:
            keys = list(islice(keys_in[kind], count))
            texts = list(islice(texts_in[kind], count))
            if kind is not Kind.PACKAGE_PRODUCT:
                name = self.lists[kind]
                items = sections.setdefault(name, [])
                if kind is Kind.PACKAGE:
                    parted.add(name)
                    for key, text in zip(keys, texts, strict=True):
                        parts = [text]
                        items.append(parts)
                        tops[key] = parts
                else:
                    items.extend(texts)
                continue
            # (a step per run of items of one container, not per item: a package's items
            # are neighbours, each nested item's between its parent and the next item)
            at = 0
            for container, same in groupby(map(_CONTAINER, keys)):
                end = at + len(list(same))
                parts = tops.get(container)  # type: ignore[assignment]
                if parts is None:
                    return None
                if container not in opened:
                    opened.add(container)
                    parts.append(unders[len(container) + 1])
                parts.extend(texts[at:end])
                if nests:
                    tops.update(zip(keys[at:end], repeat(parts)))
                at = end
        return {
            name: list(map("".join, items)) if name in parted else items
            for name, items in sections.items()
        }

    def _texts(
        self,
        writer: CatalogWriter,
        kind: Kind,
        keys: list[tuple[str, ...]],
        fields: list[Mapping[str, Value]],
        indents: list[int] | int,
    ) -> list[str] | None:
        """Each object's text (objects of one kind; keys at `indents`, each object's or
        one for all)."""
        # The same keys: as many in each, and each of the first's in all (`_columns`)
        shape = tuple(fields[0])
        if set(map(len, fields)) != {len(shape)} or not self.taken[kind].isdisjoint(shape):
            return None
        try:
            written = self.order(kind, shape)
            columns_of = _columns(written, fields)
        except KeyError:  # (a field its model lacks, an object without one: decided there)
            return None
        names = list(map(itemgetter(-1), keys))
        if set(map(type, names)) != {str}:
            return None
        field = self.head[kind]
        writer.key(field)
        # (each name's whole first line remembered where all stand at one indent: made
        # anew per object, the line was ~0.4 us of an object's ~2.5 us at L)
        if isinstance(indents, int):
            firsts = _names_at(writer, f"{' ' * (indents - 2)}- {field}: ")
            firsts.fill(names)
            lines = [list(map(firsts.__getitem__, names))]
        else:  # (each name's text once, whatever its indent: a product's at several)
            texts = _names_at(writer, "")
            texts.fill(names)
            starts = {indent: f"{' ' * (indent - 2)}- {field}: " for indent in set(indents)}
            named = map(texts.__getitem__, names)
            lines = [list(map(str.__add__, map(starts.__getitem__, indents), named))]
        count, flags, defaults = len(fields), self.flags(kind), self.defaults(kind)
        for field, values in zip(written, columns_of, strict=True):
            # (`any` first: `count` compares each value with None, a Decimal in Python)
            if values[0] is None and not any(values) and values.count(None) == count:
                continue  # (every value empty: no line; most fields of most objects)
            flag = field in flags
            if flag and values.count(False) + values.count(None) == count:
                continue  # (every flag false, a value equal to False is: no line)
            # (types first: comparing a Decimal with None or False asks `numbers` in Python)
            types = set(map(type, values))
            types.discard(_NONE)
            if not types:
                continue  # (every value empty: no line)
            default = defaults.get(field)
            if default is not None:
                # (each value against its default in C: at L 150,000 package-products'
                # names, which are nearly always their default)
                same = list(map(eq, values, map(default, keys)))
                if all(same):
                    continue  # (every value its default: no line)
                values = [None if s else v for v, s in zip(values, same, strict=True)]
                types = set(map(type, values))
                types.discard(_NONE)
                if not types:
                    continue
            if len(types) != 1:
                return None
            (of,) = types
            if flag and of is not bool:
                return None
            if of is tuple and _not_all_texts(values):
                return None
            at_indent = writer.columns.get((kind, field, of))
            if at_indent is None:
                if of not in _BY_VALUE and of not in _BY_DIGITS:
                    return None
                at_indent = writer.columns[(kind, field, of)] = _AtIndent(
                    writer, field, of, flag, self.yaml_value
                )
            if of in _BY_DIGITS:
                values = list(map(str, values))
            if isinstance(indents, int):
                at = at_indent[indents]
                if of is str:
                    at.fill(values)
                lines.append(list(map(at.__getitem__, values)))
            else:
                at_each = map(at_indent.__getitem__, indents)
                lines.append(list(map(dict.__getitem__, at_each, values)))
        return list(map("".join, zip(*lines, strict=True)))


def _names_at(writer: CatalogWriter, start: str) -> _Names:
    """The writer's first lines of items starting with `start` (made once per writer)."""
    at = writer.columns.get((str, start))
    if at is None:
        at = writer.columns[(str, start)] = _Names(writer, start)
    return at


class _Names(dict[str, str]):
    """Each name's line as an item's first (`start`: its indent, dash and key), as
    `CatalogWriter.entry` writes it, and its newline."""

    def __init__(self, writer: CatalogWriter, start: str) -> None:
        super().__init__()
        self._writer, self._start = writer, start

    def __missing__(self, name: str) -> str:
        text = self[name] = f"{self._start}{self._writer.scalar_text(name)}\n"
        return text

    def fill(self, names: Iterable[str]) -> None:
        """Add the lines of the `names` not seen yet that are written as they are, made
        together in C (at L ~55,000 names, each new to the writer; the others are left to
        `__missing__`)."""
        new = list(filterfalse(self.__contains__, set(names)))
        if new:
            plain = plain_texts(new)
            line = self._start.replace("%", "%%") + "%s\n"
            self.update(zip(plain, map(line.__mod__, plain), strict=True))


class _AtIndent(dict[int, "_Lines"]):
    """One field's lines (of values of one type) at each indent."""

    def __init__(
        self,
        writer: CatalogWriter,
        field: str,
        of: type,
        flag: bool,
        yaml_value: Callable[[str, Value], Any],
    ) -> None:
        super().__init__()
        self._writer, self._field, self._yaml_value = writer, field, yaml_value
        convert = _BY_DIGITS.get(of)
        self._convert = convert
        # (what `export_fields` leaves out: None, a false flag; numbers by their digits)
        self._left_out = ["None"] if convert is not None else [None, False] if flag else [None]

    def __missing__(self, indent: int) -> _Lines:
        lines = self[indent] = _Lines(self, indent)
        return lines

    def plain_lines(self, indent: int, texts: Iterable[str]) -> Iterator[tuple[str, str]]:
        """The lines `line` makes of those `texts` (each a `str`) that the format writes
        as they are (`yaml_value` gives the very text) and YAML takes plain, by text: made
        together in C (descriptions, ~40,000 at L, each new to the writer)."""
        self._writer.key(self._field)  # (as `entry` asks first)
        texts = list(texts)
        written = map(self._yaml_value, repeat(self._field), texts)
        plain = plain_texts(compress(texts, map(is_, texts, written)))
        start = f"{' ' * indent}{self._field}: ".replace("%", "%%")
        return zip(plain, map(f"{start}%s\n".__mod__, plain), strict=True)

    def line(self, indent: int, value: Any) -> str:
        """The lines `entry` makes of the field's `value` (by its digits: a number)."""
        if self._convert is not None:
            value = self._convert(value)
        lines: list[str] = []
        written = self._yaml_value(self._field, value)
        self._writer.entry(lines, " " * indent, indent, self._field, written)
        return "\n".join(lines) + "\n"


class _Lines(dict[Any, str]):
    """One field's lines at one indent, by value (a number by its digits); "" for what
    `export_fields` leaves out."""

    def __init__(self, field: _AtIndent, indent: int) -> None:
        super().__init__(dict.fromkeys(field._left_out, ""))
        self._field, self._indent = field, indent

    def __missing__(self, value: Any) -> str:
        text = self[value] = self._field.line(self._indent, value)
        return text

    def fill(self, texts: Iterable[Any]) -> None:
        """Add the lines of the `texts` (each a `str` or None) not seen yet, those written as they
        are made together (`_AtIndent.plain_lines`; the others are left to `__missing__`)."""
        new = list(filterfalse(self.__contains__, set(texts)))
        if new:
            self.update(self._field.plain_lines(self._indent, new))


def _columns(written: tuple[str, ...], fields: list[Mapping[str, Value]]) -> list[Sequence[Value]]:
    """Each field's values, the objects' in turn: each object's taken together (its
    values are then read while its dict is at hand), then turned into columns (in C)."""
    if len(written) == 1:
        return [list(map(itemgetter(written[0]), fields))]
    if not written:
        return []
    return list(zip(*map(itemgetter(*written), fields), strict=True))


def _not_all_texts(tuples: Sequence[Any]) -> bool:
    """Whether the tuples (or None) hold anything but texts (equal tuples of other types,
    `(1,)` and `(True,)`, are written differently)."""
    return bool(set(map(type, chain.from_iterable(filter(None, tuples)))) - {str})
