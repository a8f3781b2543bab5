"""A written catalog file's resources straight from its text, a column per field: what
`loader` makes of it through `yamlstrict`, pydantic and the format, without a dict, a
model or a Python step per object, for the files that keep to `export`'s layout and pass.

An export's proof reads every file it wrote back with `plan`'s reader (205,000 objects at
L), and most of them are items of one kind in a run: a file's products, a package's items.
Where every item of a run has the first's lines (its key, then the same fields in the
same order), the run's lines are split once and each field's line of every item taken by
a slice, told by its prefix and cut in C (`_Run._alike`). Otherwise the run is matched by
one compiled expression per kind (`_Run.item`: the item's key line, then each of the
model's scalar fields on its own line, in the model's order, each optional; where items
nest, at any indent, with their nested items' key line last) with `finditer` in C; the
matches, laid end to end, must cover the run's text exactly, so every line is one of
those forms and nothing is skipped. Nested items' keys come from their indents, each
standing where its block opens (`_nested_keys`). Each field's column of texts is typed as
`yamlstrict`'s memo of scalars types it (`yamlblock`'s meaning, so libyaml's; plain texts
no YAML type may start taken as they are, in C) and validated by pydantic as the model's
field (its annotation's validator over a list: the same validators and constraints); the
format says whether its checks surely find nothing in those values
(`YamlCatalogFormat.columns_pass`). A package's own lines are read by `yamlstrict` and
validated as its model, as `loader` does, once per text after its name's line (its
fields do not depend on its name, which its field's validator validates alone).

**Why the result is the loader's.** A file is taken here only when it would load with no
issue: every top-level key is one of the format's lists, every item is of the narrow form
above (or a package whose own lines `yamlstrict` reads), every value validates, every
required field is there and the checks find nothing; no item links another (its needs
are the loader's to make) or declares a kept structural field null (a default). Then
`loader`'s resources are those of the validated models, which hold each field's validated
value: the same values, declared fields (`declared_values_from`, `declared_values`'
rules), keys, order and places (each item's line, at its content's column) made here.
Anything else returns None, and the caller loads the file as before, which decides as it
always did (its issues and their places included): the path here only ever gives the
loader's answer for a file that has no issue.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, compress, islice, repeat
from operator import add, attrgetter, itemgetter, methodcaller
from sys import intern
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from catalogsync.catalog import (
    Kind,
    Resource,
    Value,
    made_locations,
    owned_resource,
    package_product_refs,
    package_product_refs_keyed,
    package_ref,
    product_refs,
    restored_resources,
)
from catalogsync.catalog_format import declared_values_from, flags_of
from catalogsync.catalog_yaml import YamlCatalogFormat
from catalogsync.errors import made_location
from catalogsync.yamlblock import _INSIDE, _PLAIN
from catalogsync.yamlfast import _TYPED
from catalogsync.yamlstrict import _SCALARS, NotStrict, _Reader, past_comments

__all__ = ["file_resources"]

#: A scalar as `yamlblock` takes one (its `_SCALAR` without the groups): plain, a double-
#: quoted number or a single-quoted text, on one line. `_SCALARS` then types it (or refuses).
_ONE_SCALAR = rf"""(?:{_PLAIN}|"[-0-9.]*"|'(?:[ -&(-~]|'')*')"""
#: A line at column 0: where a top-level list ends.
_TOP_LINE = re.compile(r"\n(?! )")
_GROUPS = methodcaller("groups")
_TEXT = methodcaller("group")
_scalar = _SCALARS.__getitem__
#: The first characters of a scalar's text that `_SCALARS` makes other than the text
#: itself: a quote, or one that may start a typed plain scalar (`_plain`).
_NOT_AS_IS = frozenset({'"', "'", *_TYPED})
_FIRST = itemgetter(0)


def _typed(texts: Sequence[str]) -> list[Any]:
    """Each scalar's text (of the form `_ONE_SCALAR`) as `_SCALARS` makes it: a plain text
    that starts with none of `_NOT_AS_IS` is itself (interned, as `yamlblock._typed` makes
    it), so a column of those (names, most texts) is taken in C without a look-up each."""
    if _NOT_AS_IS.isdisjoint(map(_FIRST, texts)):
        return list(map(intern, texts))
    return list(map(_scalar, texts))


#: The first characters of a plain scalar (`_PLAIN`) that `_SCALARS` makes the text itself.
_AS_IS_FIRST = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/()+~$"
).difference(_NOT_AS_IS)


def _checked(texts: list[str], plain: bool) -> list[Any]:
    """Each text as `_SCALARS` makes it, or `NotStrict` when one is not a whole scalar.
    `plain`: the texts hold no `:` or `#` and end with no blank (`_PLAIN`'s form but for
    the first character, the text printable ASCII): a column of those that start with a
    character of `_AS_IS_FIRST` is itself, told in C."""
    try:
        if plain and _AS_IS_FIRST.issuperset(map(_FIRST, texts)):
            return list(map(intern, texts))
    except IndexError:  # (an empty text: `key:` and a blank)
        raise NotStrict from None
    return list(map(_scalar, texts))


def _collection(annotation: Any) -> bool:
    """Whether a field's annotation holds a list, tuple or model anywhere (not a scalar)."""
    origin = get_origin(annotation)
    if origin in (list, tuple, dict, set, frozenset):
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_collection(arg) for arg in get_args(annotation) if arg is not None)


class _Run:
    """A list of one model's items at one column (their first when they nest): its
    expression and each field's validator."""

    def __init__(
        self,
        model: type[BaseModel],
        head: str,
        structural: frozenset[str],
        dash: int,
        kept: frozenset[str] = frozenset(),
        children: str | None = None,
    ):
        infos = model.model_fields
        self.model, self.head, self.kept, self.children = model, head, kept, children
        #: The model's scalar fields other than the key, in its order (the written order):
        #: the structural ones only where `kept` (declared as fields).
        self.fields = tuple(
            name
            for name, info in infos.items()
            if name != head
            and (name not in structural or name in kept)
            and not _collection(info.annotation)
        )
        listed = {head, *self.fields}
        #: Whether the form can hold every item that validates (no required field left out).
        self.usable = all(not info.is_required() or name in listed for name, info in infos.items())
        at = " " * (dash + 2)
        if children is None:
            fields = "".join(rf"(?:\n{at}{name}: ({_ONE_SCALAR}))?" for name in self.fields)
            self.item = re.compile(rf"\n{' ' * dash}- {head}: ({_ONE_SCALAR}){fields}")
        else:  # (any item's indent first, its nested items' key line last)
            fields = "".join(rf"(?:\n\1  {name}: ({_ONE_SCALAR}))?" for name in self.fields)
            self.item = re.compile(rf"\n( *)- {head}: ({_ONE_SCALAR}){fields}(\n\1  {children}:)?")
        self.dash = dash
        self.column = dash + 2
        #: Each field's line up to its value, and the key's (`_alike`).
        self.at = at
        self.prefixes = {name: f"{at}{name}: " for name in self.fields}
        self.prefixes[head] = f"{' ' * dash}- {head}: "
        self.order = {name: place for place, name in enumerate(self.fields)}
        self.required = [infos[name].is_required() for name in self.fields]
        self.flags = flags_of(model)

    @functools.cached_property
    def validators(self) -> dict[str, Callable[[list[Any]], list[Any]]]:
        """Each field's values as the model validates them (a list at a time)."""
        infos = self.model.model_fields
        made: dict[str, Callable[[list[Any]], list[Any]]] = {}
        for name in (self.head, *self.fields):
            info = infos[name]
            annotation = (
                Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            )
            # (its validator itself: `TypeAdapter.validate_python` is a Python call more)
            made[name] = TypeAdapter(list[annotation]).validator.validate_python  # type: ignore[valid-type]
        return made

    def read(self, text: str, start: int, stop: int) -> _Read | None:
        """The run of items in `text[start:stop]` (from the line break before the first
        item's dash), or None when it is not wholly of this form or does not validate."""
        try:
            found = None if self.children else self._alike(text, start, stop)
            nests: tuple[list[int], list[Any]] | None = None
            if found is None:
                matched = self._matched(text, start, stop)
                if matched is None:
                    return None
                found, nests = matched
            heads, typed, lines = found
            validators = self.validators
            heads = validators[self.head](heads)
            values: dict[str, list[Any]] = {}
            held: dict[str, list[bool]] = {}
            for name, required in zip(self.fields, self.required, strict=True):
                given, mask = typed.get(name, (None, None))
                if (given is None or mask is not None) and required:
                    return None  # (the model's error: the loader words it)
                if given is None:
                    continue
                valid = validators[name](given)
                if mask is None:
                    values[name] = valid
                else:
                    present = iter(valid)
                    values[name] = [next(present) if there else None for there in mask]
                    held[name] = mask
        except (ValidationError, NotStrict):
            return None
        return _Read(heads, values, held, lines, nests)

    def _alike(self, text: str, start: int, stop: int) -> _Found | None:
        """The run's typed texts where every item has the first's lines (its key, then the
        same fields in the same order), cut in C: the lines split once, each field's the
        same line of every item (a slice), its prefix told by `startswith` and cut off by
        a slice; None when they are not alike (`_matched` then reads them)."""
        lines = text[start + 1 : stop].split("\n")
        head = self.prefixes[self.head]
        if not lines[0].startswith(head):
            return None
        names: list[str] = []
        at, order = self.at, self.order
        last = -1
        for line in islice(lines, 1, None):  # the first item's fields
            if not line.startswith(at):
                break
            key, colon, _ = line[len(at) :].partition(": ")
            place = order.get(key, -1)
            if not colon or place <= last:
                return None
            names.append(key)
            last = place
        size = len(names) + 1
        if len(lines) % size:
            return None
        # (each line's one `:` is its key's, none is `#` or ends with a blank: then no text
        # holds either, told once over the run's text)
        plain = (
            text.count(":", start, stop) == len(lines)
            and text.find("#", start, stop) < 0
            and text.find(" \n", start, stop) < 0
            and text[stop - 1] != " "
        )
        columns: list[list[Any]] = []
        for n, name in enumerate((self.head, *names)):
            prefix = self.prefixes[name]
            texts = lines[n::size]
            if not all(map(str.startswith, texts, repeat(prefix))):
                return None
            cut = list(map(itemgetter(slice(len(prefix), None)), texts))
            columns.append(_checked(cut, plain))
        typed: dict[str, tuple[list[Any], list[bool] | None]] = {
            name: (column, None) for name, column in zip(names, columns[1:], strict=True)
        }
        return columns[0], typed, [size] * len(columns[0])

    def _matched(
        self, text: str, start: int, stop: int
    ) -> tuple[_Found, tuple[list[int], list[Any]] | None] | None:
        """The run's typed texts, matched by `item` (each field on its line or not), and
        where they nest, each item's indent and its nested items' key line (None where it
        has none); None when the matches do not cover the run."""
        matches = list(self.item.finditer(text, start, stop))
        spans = list(map(_TEXT, matches))
        if sum(map(len, spans)) != stop - start or not matches:
            return None  # (a gap: some line is of another form)
        columns = list(zip(*map(_GROUPS, matches), strict=True))
        nests = None
        if self.children is not None:
            nests = (list(map(len, columns[0])), list(columns[-1]))
            columns = columns[1:-1]
        typed: dict[str, tuple[list[Any], list[bool] | None]] = {}
        for name, texts in zip(self.fields, columns[1:], strict=True):
            count = len(texts) - texts.count(None)
            if count == len(texts):
                typed[name] = (_typed(texts), None)
            elif count:
                mask = list(map(bool, texts))  # (a scalar's text is never empty)
                typed[name] = (_typed(list(compress(texts, mask))), mask)
        lines = list(map(str.count, spans, repeat("\n")))
        return (_typed(columns[0]), typed, lines), nests


#: A run's keys' typed texts, each field's (with which items hold it, when not all do),
#: and each item's count of lines.
_Found = tuple[list[Any], dict[str, tuple[list[Any], list[bool] | None]], list[int]]


class _Read:
    """A run's validated items: their keys, their fields' columns, which item holds each
    field (when not all do) and each item's count of lines."""

    __slots__ = ("heads", "held", "lines", "nests", "values")

    def __init__(
        self,
        heads: list[Any],
        values: dict[str, list[Any]],
        held: dict[str, list[bool]],
        lines: list[int],
        nests: tuple[list[int], list[Any]] | None = None,
    ):
        self.heads, self.values, self.held, self.lines = heads, values, held, lines
        #: Where the items nest: each one's indent, and its nested items' key line or None.
        self.nests = nests

    def declares_null(self, keys: Iterable[str]) -> bool:
        """Whether an item declares one of `keys` null."""
        for key in keys:
            column = self.values.get(key)
            if column is not None:
                mask = self.held.get(key)
                if None in (column if mask is None else compress(column, mask)):
                    return True
        return False

    def fields(self, run: _Run) -> list[dict[str, Value]] | None:
        """Each item's declared fields, as `declared_values` makes them (None: one is not
        made so in columns)."""
        keys = sorted(self.values)
        count = len(self.heads)
        held = self.held
        every = [True] * count
        return declared_values_from(
            keys,
            [self.values[key] for key in keys],
            [held.get(key, every) for key in keys] if held else [],
            run.flags,
            count,
        )

    def located(self, shown: str, first_line: int, columns: Sequence[int]) -> list[Any]:
        """Each item's place: its first line (1-based from `first_line`) at its column."""
        lines = list(accumulate(self.lines, initial=first_line))
        lines.pop()
        return made_locations(shown, lines, columns)


@functools.cache
def _runs(fmt: YamlCatalogFormat) -> dict[Kind, _Run]:
    """The format's runs: its products at the top, its package items in a package."""
    made = {
        Kind.PRODUCT: _Run(fmt.models[Kind.PRODUCT], "name", fmt.structural, 2),
        # (its validators only: a package's name, `_File.own`)
        Kind.PACKAGE: _Run(fmt.models[Kind.PACKAGE], "name", fmt.structural, 2),
        Kind.PACKAGE_PRODUCT: _Run(
            fmt.models[Kind.PACKAGE_PRODUCT],
            fmt.item_key,
            fmt.structural,
            6,
            fmt.item_fields_kept,
            fmt.children_key,
        ),
    }
    return {kind: run for kind, run in made.items() if run.usable}


_NAME = attrgetter("name")


def file_resources(raw: bytes, shown: str, fmt: YamlCatalogFormat) -> list[Resource] | None:
    """The resources `loader.load_file` makes of a file whose bytes are `raw`, when it has
    no issue and keeps to the layout read here (see the module docstring); None otherwise
    (the loader then reads the same bytes as before)."""
    if raw.translate(None, _INSIDE) or not raw:  # (only printable ASCII and line feeds)
        return None
    try:
        return _File(raw.decode("ascii"), shown, fmt).resources()
    except NotStrict:
        return None


class _File:
    """One file's text read here: its resources, or None where it is not taken."""

    __slots__ = ("fmt", "runs", "shown", "text")

    def __init__(self, text: str, shown: str, fmt: YamlCatalogFormat):
        self.text, self.shown, self.fmt, self.runs = text, shown, fmt, _runs(fmt)

    def resources(self) -> list[Resource] | None:
        text, fmt = self.text, self.fmt
        products, packages = fmt.lists[Kind.PRODUCT], fmt.lists[Kind.PACKAGE]
        ends = len(text) - text.endswith("\n")
        start, line = past_comments(text, ends)
        seen: set[str] = set()
        resources: list[Resource] = []
        while start <= ends:
            end = text.find("\n", start, ends)
            if end < 0 or not text.startswith("  - ", end + 1):
                return None
            name = text[start:end]
            if name[-1:] != ":" or name in seen:
                return None
            name = name[:-1]
            seen.add(name)
            found = _TOP_LINE.search(text, end + 1, ends)
            stop = ends if found is None else found.start()
            made: list[Resource] | None = None
            if name == products:
                run = self.runs.get(Kind.PRODUCT)
                read = None if run is None else self.run(run, Kind.PRODUCT, end, stop, line + 1)
                made = None if read is None else read[0]
            elif name == packages:
                made = self.packages(end, stop, line + 1)
            if made is None:
                return None
            resources.extend(made)
            line += text.count("\n", start, stop) + 1
            start = stop + 1
        return resources if seen else None

    def run(
        self, run: _Run, kind: Kind, start: int, stop: int, line: int, package: str = ""
    ) -> tuple[list[Resource], int] | None:
        """The resources of the run of `kind` in `text[start:stop]` (from the line break
        before its first item, which stands on the 0-based `line`; package items in
        `package`) and its count of lines; None when it is not taken here."""
        fmt = self.fmt
        read = run.read(self.text, start, stop)
        if read is None or not fmt.columns_pass(kind, read.heads, read.values):
            return None
        # (a link makes the item need what it links, a kept field declared null is a
        # default: the loader's)
        if any(map(read.values.__contains__, fmt.link_fields)) or read.declares_null(run.kept):
            return None
        fields = read.fields(run)
        if fields is None:
            return None
        count = len(read.heads)
        columns: Sequence[int] = [run.column + 1] * count
        if kind is Kind.PRODUCT:
            refs = list(product_refs(read.heads))
        elif read.nests is None:
            refs = list(package_product_refs(repeat(package, count), read.heads))
        else:
            indents, nested = read.nests
            keys = _nested_keys(package, read.heads, indents, nested, run.dash)
            if keys is None:
                return None
            refs = list(package_product_refs_keyed(keys))
            columns = list(map(add, indents, repeat(3)))  # (past `- `, 1-based)
        nothing = [()] * count
        places = read.located(self.shown, line + 1, columns)
        made = restored_resources(refs, fields, nothing, nothing, [False] * count, places)
        return made, sum(read.lines)

    def packages(self, start: int, stop: int, line: int) -> list[Resource] | None:
        """The packages listed in `text[start:stop]` (from the line break before the
        first), each with its items, the first on the 0-based `line`."""
        text, fmt = self.text, self.fmt
        run = self.runs.get(Kind.PACKAGE_PRODUCT)
        items_key = fmt.lists[Kind.PACKAGE_PRODUCT]
        items_line = f"\n    {items_key}:\n"
        resources: list[Resource] = []
        at = start + 5  # (past "\n  - ")
        while at <= stop:
            end = text.find("\n  - ", at, stop)
            if end < 0:
                end = stop
            items_at = text.find(items_line, at, end)
            if items_at >= 0 and run is None:
                return None  # (before any work: the format's package items are not read here)
            own_end = end if items_at < 0 else items_at
            own = self.own(text[at:own_end], items_key)
            if own is None:
                return None
            name, fields, renamed_from, protect = own
            if not fmt.columns_pass(Kind.PACKAGE, [name], {}):
                return None
            place = made_location(self.shown, line + 1, 5)
            resources.append(
                owned_resource(package_ref(name), fields, (), renamed_from, protect, place)
            )
            own_lines = text.count("\n", at, own_end) + 1
            if run is not None and items_at >= 0:
                first = items_at + len(items_line) - 1  # (the line break before the first)
                # (the first item past the items' key line)
                read = self.run(run, Kind.PACKAGE_PRODUCT, first, end, line + own_lines + 1, name)
                if read is None:
                    return None
                resources.extend(read[0])
                own_lines += 1 + read[1]
            line += own_lines
            at = end + 5
        return resources

    def own(self, item: str, items_key: str) -> _Own | None:
        """A package's name, declared fields, earlier names and protection, from its own
        lines (`item`: from its first line's key, without its items); None when they are
        not read here or do not validate. The lines after the first (`name: …`) are read
        and validated once per text and remembered (`_own_fields`): packages' frequencies,
        currencies and statuses are a few texts over and over, and a package's fields but
        its name do not depend on its name."""
        first, newline, rest = item.partition("\n")
        if not first.startswith("name: "):
            return None
        try:
            name = self.runs[Kind.PACKAGE].validators["name"]([_scalar(first[6:])])[0]
        except ValidationError:
            return None
        remembered = _OWN_FIELDS.get(self.fmt)
        if remembered is None:
            remembered = _OWN_FIELDS[self.fmt] = {}
        own = remembered.get(rest, _UNKNOWN)
        if own is _UNKNOWN:
            if len(remembered) >= _OWN_REMEMBERED:
                remembered.clear()
            own = remembered[rest] = _own_fields(f"name: x{newline}{rest}", items_key, self.fmt)
        if own is None:
            return None
        fields, renamed_from, protect = own
        return name, dict(fields), renamed_from, protect


_Own = tuple[str, dict[str, Value], tuple[str, ...], bool]
#: By format, each package's lines after its name's: its fields, earlier names and
#: protection, or None (not read here); at most `_OWN_REMEMBERED` of them.
_OWN_FIELDS: dict[YamlCatalogFormat, dict[str, Any]] = {}
_OWN_REMEMBERED = 1 << 12
_UNKNOWN = object()
_NOWHERE = made_location("", 1, 1)


def _own_fields(
    item: str, items_key: str, fmt: YamlCatalogFormat
) -> tuple[dict[str, Value], tuple[str, ...], bool] | None:
    """The declared fields, earlier names and protection of a package whose own lines are
    `item` (from its first line's key), as `declared` makes them of its model; None when
    `yamlstrict` does not read them or they do not validate."""
    try:
        data, _ = _Reader(_placed_nowhere).item(item, 4, 0, ("packages", 0), 3)
    except NotStrict:
        return None
    if type(data) is not dict or items_key in data:
        return None
    try:
        package = fmt.models[Kind.PACKAGE].model_validate(data)
    except ValidationError:
        return None
    made = fmt.declared(package, package_ref("x"), _NOWHERE)
    return dict(made.fields), made.renamed_from, made.protect


def _nested_keys(
    package: str, heads: list[Any], indents: list[int], nested: list[Any], dash: int
) -> list[tuple[str, ...]] | None:
    """Each item's key (its package, its parents' products, its own), read from the
    items' indents in the order they stand (each one's nested items right after it, as
    `package_items` makes them); None unless each stands where its block opens: the first
    at `dash`, one after a nested items' key line four columns further in, any other at
    an open block's column (its own or one out)."""
    keys: list[tuple[str, ...]] = []
    path: list[Any] = []
    deeper, last = True, -1
    for head, indent, nests in zip(heads, indents, nested, strict=True):
        depth, rest = divmod(indent - dash, 4)
        if rest or depth < 0 or (depth != last + 1 if deeper else depth > last):
            return None
        del path[depth:]
        path.append(head)
        keys.append((package, *path))
        deeper, last = nests is not None, depth
    return None if deeper else keys


def _placed_nowhere(line: int, column: int) -> None:
    """(a package's own nested items need no place here: a file with an issue is not
    taken)"""
    return None
