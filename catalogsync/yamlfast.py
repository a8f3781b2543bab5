"""A fast path for reading plain YAML: libyaml's C parser, with ruamel's YAML 1.2 typing.

ruamel.yaml's round-trip parser is pure Python: a 2.5 MB catalog (10,000 products) takes
about 15 seconds to read. libyaml (through PyYAML's C parser) produces the same event
stream in a fraction of a second. This module builds plain data from those events and
gives up (returns None) on anything where the two libraries could disagree, so the caller
falls back to the exact round-trip reader:

- anchors, aliases, merge keys, tags, `%YAML`/`%TAG` directives, several documents;
- non-scalar mapping keys;
- plain scalars that ruamel's YAML 1.2 resolver would type as something this module does
  not convert itself (octal, hex, `1_000`, `1e5`, `.inf`, timestamps, ...).

What is wrong whichever reader reads it is reported here, located, as a `YamlProblem`
(never sent to the slow reader: a syntax error at the end of a 30 MB file would cost
minutes there): syntax errors, duplicate keys, nesting deeper than `MAX_DEPTH`.

What it does convert is only the unambiguous forms: `null`/`~`/empty, `true`/`false` (three
spellings each), decimal integers without leading zeros, and decimal fractions `1.5` (as an
exact Decimal, never a float, like the exact reader's numbers). Every
other plain scalar that no YAML 1.2 resolver matches is a string, as in ruamel.

It records the position of each sequence item only (the resource locations a catalog
needs); `locate_under` finds the few other positions an error message needs afterwards.
"""

from __future__ import annotations

import functools
import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml
from yaml import MarkedYAMLError, YAMLError
from yaml import events as _ev

#: PyYAML's libyaml-backed loader; absent when PyYAML was built without libyaml, and then
#: every read takes the exact path.
_CLoader: Any = getattr(yaml, "CSafeLoader", None)

try:  # ruamel's own resolver table, so "looks typed" means exactly what ruamel thinks
    from ruamel.yaml.resolver import implicit_resolvers as _RUAMEL_RESOLVERS
except ImportError:  # pragma: no cover - a future ruamel without the table
    _RUAMEL_RESOLVERS = []

__all__ = [
    "KEY",
    "MAX_DEPTH",
    "ExactReaderNeeded",
    "ItemPositions",
    "Part",
    "YamlProblem",
    "check_shape",
    "fast_available",
    "fast_load",
    "fast_parts",
    "line_starts",
    "locate_under",
]

#: (line, column), both 0-based, of each sequence item, keyed by the item's path.
ItemPositions = dict[tuple[Any, ...], tuple[int, int]]

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+")


def _typed_patterns() -> dict[str, list[Any]]:
    """First character → the YAML 1.2 implicit-type patterns ruamel tries for it.

    ruamel's patterns are lazily compiled regexes (its `RegExp`); only `.match` is used.
    """
    table: dict[str, list[Any]] = {}
    for versions, _tag, pattern, first in _RUAMEL_RESOLVERS:
        if (1, 2) in versions:
            for char in first:
                table.setdefault(char, []).append(pattern)
    return table


_TYPED = _typed_patterns()


class ExactReaderNeeded(Exception):
    """The document uses something only the exact reader handles faithfully (or libyaml is
    missing)."""


class YamlProblem(Exception):
    """What is wrong with a document whichever reader reads it, and where (0-based)."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"{line + 1}:{column + 1}: {message}")
        self.line = line
        self.column = column
        self.message = message

    @classmethod
    def from_marked(cls, exc: MarkedYAMLError) -> YamlProblem:
        """libyaml's syntax error, worded as the exact reader words its own."""
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or "invalid YAML").strip()
        context = f" {exc.context}" if exc.context else ""
        return cls(
            mark.line if mark else 0,
            mark.column if mark else 0,
            f"invalid YAML: {problem}{context}",
        )


#: How deep collections may nest. A catalog needs a few levels (a package-product nested
#: ten deep is 24); the readers and the models recurse per level, so a document nested
#: thousands deep would end in a RecursionError (or libyaml's own limit) at no useful place.
MAX_DEPTH = 64


def _too_deep(mark: Any) -> YamlProblem:
    return YamlProblem(
        mark.line,
        mark.column,
        f"YAML nested more than {MAX_DEPTH} levels deep (a catalog needs only a few levels)",
    )


def fast_available() -> bool:
    """Whether the fast path can run here (libyaml and ruamel's resolver table present)."""
    return _CLoader is not None and bool(_TYPED)


@functools.lru_cache(maxsize=4096)
def _plain(value: str) -> Any:
    """A plain (unquoted) scalar typed as ruamel's YAML 1.2 round-trip loader types it.

    Remembered per text (its result is immutable; a refusal is raised again each time): a
    catalog repeats the same few quantities, flags and statuses tens of thousands of times.
    """
    if not value:
        return None
    first = value[0]
    patterns = _TYPED.get(first)
    if patterns is None:
        return value  # no YAML 1.2 type starts with this character
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return Decimal(value)  # exact: a float would round `12345678901234567.89`
    if any(p.match(value) for p in patterns):
        raise ExactReaderNeeded(f"typed scalar {value!r}")
    return value


def _scalar(event: Any) -> Any:  # (`_build` has it inline: it runs per scalar)
    if event.anchor is not None or event.tag is not None:
        raise ExactReaderNeeded("anchor or tag")
    if not event.style:  # plain (libyaml reports "" or None)
        return _plain(event.value)
    return event.value  # quoted or block: always a string


def fast_load(
    text: str, *, locate: bool = False, place: Callable[[int, int], Any] | None = None
) -> tuple[Any, dict[tuple[Any, ...], Any]] | None:
    """Plain data and item positions, or None when the exact reader must decide.

    Each position is `place(line, column)` (0-based), by default the pair itself: a
    caller that keeps positions in its own type gets them built once, not converted
    (a 30 MB catalog has half a million items).

    With `locate=True` the positions also hold every mapping value (keyed by its path) and
    every mapping key (keyed by its path with a trailing `KEY` marker): a full source map,
    for locating errors without the slow round-trip reader.

    Raises:
        YamlProblem: a syntax error, a duplicate key or too deep a nesting, located.
    """
    try:
        (whole,) = fast_parts(text, locate=locate, place=place)
    except ExactReaderNeeded:
        return None
    return whole.data, whole.positions


@dataclass
class Part:
    """A piece of a document as `fast_parts` hands it out, with the positions in it."""

    #: The top-level list the part is a slice of; None for the rest of the document.
    key: Any
    #: The index in that list of the part's first item.
    start: int
    #: The slice's items, or the document without its sliced lists.
    data: Any
    #: As `fast_load` returns them, keyed by paths in the whole document.
    positions: dict[tuple[Any, ...], Any]


def _never(key: Any) -> bool:
    return False


def fast_parts(
    source: str | bytes,
    *,
    split: Callable[[Any], bool] = _never,
    size: int = 1_000,
    locate: bool = False,
    place: Callable[[int, int], Any] | None = None,
) -> Iterator[Part]:
    """The document read by libyaml, handed out as it is read: `fast_load`'s data in parts.

    A document in the block layout catalogsync writes is read line by line instead
    (`catalogsync.yamlblock`: exactly libyaml's parts, a few times cheaper); on any doubt
    there libyaml reads it, skipping the parts already handed out.

    Each list value of the top-level mapping whose key `split` accepts comes in slices of
    about `size` sequence items (its own and those nested in them: a package with 30
    package-products weighs 31), each handed out as soon as the next item begins (or the
    list ends), so the whole document is never built at once; the rest of the document
    (the top-level mapping without those lists, or a document that is not a mapping) comes
    last, when it holds anything or no list was split. `source` may be the file's UTF-8 bytes (no
    decoded copy of a 30 MB file is needed).

    Raises:
        YamlProblem: a syntax error, a duplicate key or too deep a nesting, located.
        ExactReaderNeeded: the exact reader must read this document (possibly after some
            parts were handed out: the caller then discards them).
    """
    if not fast_available():
        raise ExactReaderNeeded("libyaml is not available")
    place = place or _pair
    if locate:
        yield from libyaml_parts(source, split, size, locate, place)
        return
    # the block layout catalogsync writes, line by line (`yamlblock`); its parts are
    # libyaml's first ones, not handed out again
    from catalogsync.yamlblock import Unsure, block_parts

    def by_libyaml(handed: int) -> Iterator[Part]:
        return libyaml_parts(source, split, size, locate, place, skip=handed)

    yield from parts_or_else(lambda: block_parts(source, split, size, place), Unsure, by_libyaml)


def parts_or_else(
    first: Callable[[], Iterator[Part]],
    doubt: type[Exception],
    then: Callable[[int], Iterator[Part]],
) -> Iterator[Part]:
    """`first()`'s parts; should it raise `doubt` (as it is called or while it hands them
    out), `then(handed)`'s: `handed` says how many `first` handed out, the same parts as
    `then`'s first ones, for it to skip."""
    handed = 0
    try:
        for part in first():
            handed += 1
            yield part
        return
    except doubt:
        pass
    del first  # (with what it holds, e.g. a whole file's text)
    yield from then(handed)


def libyaml_parts(
    source: str | bytes,
    split: Callable[[Any], bool],
    size: int,
    locate: bool,
    place: Callable[[int, int], Any],
    *,
    skip: int = 0,
) -> Iterator[Part]:
    """`fast_parts` read by libyaml alone, without its first `skip` parts."""
    parser = _CLoader(source)
    try:
        for part in _build(iter(parser.get_event, None), split, size, locate, place):
            if skip:
                skip -= 1
            else:
                yield part
    except MarkedYAMLError as exc:
        raise YamlProblem.from_marked(exc) from None
    except (YAMLError, ValueError) as exc:  # ValueError: an int past Python's digit limit
        # YAMLError here is unmarked (a forbidden character): the exact reader locates it.
        raise ExactReaderNeeded(str(exc)) from None
    finally:
        parser.dispose()


#: Ends the path of a mapping key's position in `fast_load(..., locate=True)`.
KEY = object()


def _pair(line: int, column: int) -> tuple[int, int]:
    return line, column


def _build(
    events: Iterator[Any],
    split: Callable[[Any], bool],
    size: int,
    locate: bool,
    place: Callable[[int, int], Any],
) -> Iterator[Part]:
    rest_positions: dict[tuple[Any, ...], Any] = {}
    positions = rest_positions  # where the next position goes: the rest's or a slice's
    # Open containers: [container, its path, the pending mapping key (or _NO_KEY), the
    # index of its first item (a sliced list's items are let go slice by slice)].
    stack: list[list[Any]] = []
    sliced: dict[Any, Any] = {}  # top-level keys whose lists were handed out in parts
    slicing: list[Any] | None = None  # the frame of the list being handed out
    starts_slice = False
    root: Any = None
    documents = 0
    scalar_event, mapping_start, mapping_end = (
        _ev.ScalarEvent,
        _ev.MappingStartEvent,
        _ev.MappingEndEvent,
    )
    sequence_start, sequence_end = _ev.SequenceStartEvent, _ev.SequenceEndEvent
    intern = sys.intern
    for event in events:
        kind = type(event)
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise ExactReaderNeeded("anchor or tag")
            value: Any = event.value
            # Plain (libyaml reports "" or None), and maybe typed (`_plain`'s first test,
            # here: most names and keys are not); else always a string.
            if not event.style and (not value or value[0] in _TYPED):
                value = _plain(value)
            if type(value) is str:  # one string per distinct text: a product's name
                value = intern(value)  # recurs in its package-products' keys
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None:
                raise ExactReaderNeeded("anchor or tag")
            value = {} if kind is mapping_start else []
        elif kind is mapping_end or kind is sequence_end:
            frame = stack.pop()
            if frame is slicing:
                if frame[0]:
                    yield Part(frame[1][0], frame[3], frame[0], positions)
                slicing, positions = None, rest_positions
            continue
        elif kind is _ev.DocumentStartEvent:
            documents += 1
            if documents > 1 or event.version is not None or event.tags:
                raise ExactReaderNeeded("directives or several documents")
            continue
        elif kind in _IGNORED:
            continue
        else:  # AliasEvent and anything unknown
            raise ExactReaderNeeded(kind.__name__)
        if not stack:
            root, path = value, ()
        else:
            frame = stack[-1]
            container = frame[0]
            if type(container) is list:
                if frame is slicing and len(positions) >= size:
                    # The items so far are complete: hand them out before this one.
                    yield Part(frame[1][0], frame[3], container, positions)
                    frame[3] += len(container)
                    container = frame[0] = []
                    positions = {}
                path = (*frame[1], frame[3] + len(container))
                mark = event.start_mark
                positions[path] = place(mark.line, mark.column)
                container.append(value)
            elif frame[2] is _NO_KEY:
                if kind is not scalar_event:
                    raise ExactReaderNeeded("complex key")
                if value in container or (len(stack) == 1 and value in sliced):
                    # `1` and `true` are equal Python keys but not equal YAML keys
                    taken = sliced if len(stack) == 1 else {}
                    same = next(k for k in (*container, *taken) if k == value)
                    if type(same) is not type(value):
                        raise ExactReaderNeeded("keys equal only to Python")
                    mark = event.start_mark
                    raise YamlProblem(mark.line, mark.column, _duplicate(value))
                frame[2] = value  # (interned: half a million `name`s are 25 MB otherwise)
                if locate:
                    mark = event.start_mark
                    positions[(*frame[1], value, KEY)] = place(mark.line, mark.column)
                continue
            else:
                if kind is sequence_start and len(stack) == 1 and split(frame[2]):
                    sliced[frame[2]] = frame[2]  # handed out in parts, not kept in the root
                    starts_slice = True
                else:
                    container[frame[2]] = value
                if locate:
                    mark = event.start_mark
                    positions[(*frame[1], frame[2])] = place(mark.line, mark.column)
                elif kind is scalar_event:  # (the most common event: no path needed)
                    frame[2] = _NO_KEY
                    continue
                path = (*frame[1], frame[2])
                frame[2] = _NO_KEY
        if kind is not scalar_event:
            if len(stack) >= MAX_DEPTH:
                raise _too_deep(event.start_mark)
            stack.append([value, path, _NO_KEY, 0])
            if starts_slice:
                slicing, positions, starts_slice = stack[-1], {}, False
    if not isinstance(root, dict) or root or not sliced:
        yield Part(None, 0, root, rest_positions)


def _duplicate(key: Any) -> str:
    return f"duplicate key '{key}' (a key may appear only once in a mapping)"


_NO_KEY = object()
_IGNORED = (_ev.StreamStartEvent, _ev.StreamEndEvent, _ev.DocumentEndEvent)


# --- alias expansion --------------------------------------------------------------------------

#: How many nodes aliases may add to a document once expanded. Aliases are shared, not
#: copied, while parsing, but every later step (plain data, validation, planning) walks the
#: expanded tree: nine aliases a level, six levels deep, is 354 bytes and half a million
#: nodes (an "alias bomb"; 91 s and 6.9 GB before this bound). A catalog sharing a few
#: defaults or product lists stays far below it.
MAX_ALIAS_NODES = 100_000


def check_shape(text: str, limit: int = MAX_ALIAS_NODES) -> None:
    """Refuse, located, what would make the exact reader blow up on `text`.

    Counted on libyaml's event stream, in one pass and without building anything: each
    anchored node's expanded size is recorded when it ends, and each alias adds the size of
    its anchor. An alias inside its own anchor (a recursive document) is refused too: it
    would expand forever. So are nesting deeper than `MAX_DEPTH` and syntax errors (the
    exact reader would take minutes to find one in a large file). A forbidden character
    is left to the exact reader, which locates it at once.

    Raises:
        YamlProblem: the alias, the nesting or the syntax error, located.
    """
    if _CLoader is None:
        return
    sizes: dict[str, int] = {}
    open_anchors: set[str] = set()
    # Open collections: [anchor, expanded size so far].
    stack: list[list[Any]] = []
    added = 0
    event: Any
    try:
        for event in yaml.parse(text, Loader=_CLoader):
            kind = type(event)
            if kind is _ev.MappingStartEvent or kind is _ev.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise _too_deep(event.start_mark)
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append([event.anchor, 1])
                continue
            if kind is _ev.MappingEndEvent or kind is _ev.SequenceEndEvent:
                anchor, size = stack.pop()
                if anchor is not None:
                    sizes[anchor] = size
                    open_anchors.discard(anchor)
            elif kind is _ev.ScalarEvent:
                size = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif kind is _ev.AliasEvent:
                size = sizes.get(event.anchor, 1)
                added += size
                _check_alias(event, open_anchors, size, added, limit)
            else:
                continue
            if stack:
                stack[-1][1] += size
    except MarkedYAMLError as exc:
        raise YamlProblem.from_marked(exc) from None
    except YAMLError:
        return


def _check_alias(event: Any, open_anchors: set[str], size: int, added: int, limit: int) -> None:
    mark = event.start_mark
    if event.anchor in open_anchors:
        raise YamlProblem(
            mark.line,
            mark.column,
            f"alias *{event.anchor} refers to itself (a recursive document cannot be read)",
        )
    if added > limit:
        raise YamlProblem(
            mark.line,
            mark.column,
            f"aliases expand this document past {limit:,} nodes (alias *{event.anchor} adds "
            f"{size:,}); write the values out instead of nesting aliases",
        )


# --- locating afterwards ---------------------------------------------------------------------

#: What libyaml counts as a line break (YAML 1.1: NEL, LS and PS too).
#: What libyaml counts as a line break (YAML 1.1: NEL, LS and PS too), in UTF-8.
_BREAK = re.compile(b"\r\n|[\r\n]|\xc2\x85|\xe2\x80[\xa8\xa9]")


def line_starts(raw: bytes, lines: Iterable[int]) -> dict[int, int]:
    """Where each of `lines` (0-based, as libyaml counts them) starts in the UTF-8 `raw`.

    Counted without a table of every line (1.3 million of them in a 30 MB catalog: 50 MB);
    lines past the end are left out.
    """
    pending = sorted(set(lines), reverse=True)
    starts: dict[int, int] = {}
    while pending and pending[-1] == 0:
        starts[pending.pop()] = 0
    for line, found in enumerate(_BREAK.finditer(raw), start=1):
        if not pending:
            break
        if line == pending[-1]:
            starts[pending.pop()] = found.end()
    return starts


def locate_under(
    raw: bytes, start: tuple[int, int, int], wanted: Iterable[tuple[Any, ...]]
) -> ItemPositions:
    """Positions of the `wanted` paths (relative to the node at `start`) and of their keys.

    `raw` is the document as UTF-8 (no decoded copy of a 30 MB file is needed); `start` is
    the (offset of its line in `raw`, line, column) of a node, 0-based: a sequence item
    the fast reader placed, or the document's start. Only the text from there is parsed,
    and only as far as the node goes (a window widened until it holds the node), so
    locating an error in one item of a 30 MB catalog costs about as much as reading that
    item. Paths are keyed as `fast_load(..., locate=True)` keys them (a key's with a
    trailing `KEY`); every prefix of a wanted path that exists is placed, so the caller
    can fall back to the nearest one.
    """
    prefixes = {path[:end] for path in wanted for end in range(len(path) + 1)}
    line_offset, line, column = start
    # The column counts characters: skip that many from the line's start.
    offset = line_offset + len(
        raw[line_offset : line_offset + 4 * column].decode("utf-8", "ignore")[:column].encode()
    )
    window = 1 << 16
    while True:
        # The node keeps its column: blanks stand in for what precedes it on its line. A
        # character cut by the window's end is dropped: the window then widens.
        chunk = raw[offset : offset + window].decode("utf-8", "ignore")
        found, complete = _walk(" " * column + chunk, prefixes)
        if complete or offset + window >= len(raw):
            return {
                path: (line + at_line, at_column) for path, (at_line, at_column) in found.items()
            }
        window *= 8


def _walk(text: str, prefixes: set[tuple[Any, ...]]) -> tuple[ItemPositions, bool]:
    """Where the `prefixes` stand in the first node of `text`; and whether all were found
    or the node ended (else the text was cut short of it)."""
    found: ItemPositions = {}
    missing = len(prefixes)
    # Open collections: [path (None: nothing wanted under it), is a sequence, next index
    # (sequence) or the pending key (mapping; _NO_KEY while expecting one)].
    stack: list[list[Any]] = []
    event: Any
    try:
        for event in yaml.parse(text, Loader=_CLoader):
            kind = type(event)
            if kind is _ev.MappingEndEvent or kind is _ev.SequenceEndEvent:
                stack.pop()
                if not stack:
                    return found, True
                continue
            opens = kind is _ev.MappingStartEvent or kind is _ev.SequenceStartEvent
            if not opens and kind is not _ev.ScalarEvent and kind is not _ev.AliasEvent:
                continue
            mark = event.start_mark
            path: Any = ()
            if stack:
                frame = stack[-1]
                parent = frame[0]
                if frame[1]:
                    path = None if parent is None else (*parent, frame[2])
                    frame[2] += 1
                elif frame[2] is _NO_KEY:  # this node is a mapping key
                    frame[2] = _key(event) if kind is _ev.ScalarEvent else None
                    if parent is not None and (*parent, frame[2]) in prefixes:
                        found[(*parent, frame[2], KEY)] = (mark.line, mark.column)
                    if opens:  # a complex key: nothing wanted in it
                        stack.append([None, kind is _ev.SequenceStartEvent, 0])
                    continue
                else:
                    path = None if parent is None else (*parent, frame[2])
                    frame[2] = _NO_KEY
                if path is not None and path not in prefixes:
                    path = None
            if path is not None:
                found[path] = (mark.line, mark.column)
                missing -= 1
                if not missing:
                    return found, True
            if opens:
                sequence = kind is _ev.SequenceStartEvent
                stack.append([path, sequence, 0 if sequence else _NO_KEY])
            elif not stack:
                return found, True
    except YAMLError:  # the window cut the node short, or what follows it is not YAML alone
        pass
    return found, False


def _key(event: Any) -> Any:
    """A mapping key as the fast reader keys its data."""
    try:
        return _scalar(event)
    except ExactReaderNeeded:
        return event.value


# --- writing -------------------------------------------------------------------------------

# Strings written plain by the fast writer: those ruamel also writes plain in block style.
# Anything else (non-ASCII letters, ':' or '#', leading digits...) goes to ruamel.
_SAFE_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 ._/()+-]*[A-Za-z0-9._/()+-]|[A-Za-z]")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def plain_text(text: str) -> bool:
    """Whether `text` is written as is, unquoted, by `fast_dump` (and by `yamlio.dump_yaml`):
    plain-safe by shape and read back as that very text by YAML 1.1 and 1.2 readers."""
    return _SAFE_PLAIN.fullmatch(text) is not None and text not in _RESERVED


def plain_texts(texts: Iterable[str]) -> set[str]:
    """Those of `texts` (each a `str`) that `plain_text` passes, asked in C: an export
    meets ~100,000 names and descriptions at L for the first time."""
    return set(filter(_SAFE_PLAIN.fullmatch, texts)).difference(_RESERVED)


class _NotSimple(Exception):
    """A value the fast writer does not render exactly as ruamel would."""


def fast_dump(data: Any) -> str | None:
    """`data` as ruamel's round-trip dumper writes it with `indent(mapping=2, sequence=4,
    offset=2)` and unlimited width, or None when it holds anything but non-empty dicts and
    lists of plain-safe strings, ints, bools and the quoted strings `yamlio` marks.

    ruamel's pure-Python emitter took ~90% of `export`'s CPU (about 20 s for 40,000
    objects); catalogs are mostly names, enums, numbers and quoted decimals, which need
    none of its generality. Tests compare the two writers' output byte for byte.
    """
    lines: list[str] = []
    try:
        if isinstance(data, dict):
            _mapping(data, 0, lines, "")
        elif isinstance(data, list):
            _sequence(data, 0, lines)
        else:
            return None
    except _NotSimple:
        return None
    return "\n".join(lines) + "\n"


def _mapping(mapping: dict[Any, Any], indent: int, lines: list[str], first: str) -> None:
    """Keys at `indent`; the first line starts with `first` (a sequence dash) if given."""
    if not mapping:
        raise _NotSimple
    pad = " " * indent
    for index, (key, value) in enumerate(mapping.items()):
        start = first if index == 0 and first else pad
        if type(key) is not str or not _SAFE_PLAIN.fullmatch(key) or key in _RESERVED:
            raise _NotSimple
        if isinstance(value, dict):
            lines.append(f"{start}{key}:")
            _mapping(value, indent + 2, lines, "")
        elif isinstance(value, list):
            lines.append(f"{start}{key}:")
            _sequence(value, indent, lines)
        else:
            lines.append(f"{start}{key}: {_scalar_text(value)}")


def _sequence(items: list[Any], indent: int, lines: list[str]) -> None:
    """The items of a sequence whose key is at `indent`: dashes two columns further in."""
    if not items:
        raise _NotSimple
    dash = " " * (indent + 2) + "- "
    for item in items:
        if isinstance(item, dict):
            _mapping(item, indent + 4, lines, dash)
        elif isinstance(item, list):
            raise _NotSimple
        else:
            lines.append(dash + _scalar_text(item))


def _scalar_text(value: Any) -> str:
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is str:
        if _SAFE_PLAIN.fullmatch(value) and value not in _RESERVED:
            return str(value)
        return _ruamel_scalar(value, "")
    name = kind.__name__
    if name == "DoubleQuotedScalarString" and _DECIMAL_TEXT.fullmatch(value):
        return f'"{value}"'
    if name == "SingleQuotedScalarString" and value.isascii() and value.isprintable():
        return "'" + str(value).replace("'", "''") + "'"
    if name in ("DoubleQuotedScalarString", "SingleQuotedScalarString"):
        return _ruamel_scalar(str(value), name)
    raise _NotSimple


@functools.lru_cache(maxsize=100_000)
def _ruamel_scalar(text: str, style: str) -> str:
    """How ruamel writes one awkward scalar as a block mapping's value (`k: <here>`).

    A scalar's block-context rendering does not depend on where it stands, so asking
    ruamel about the value alone (once per distinct value: names repeat in every
    package-product) gives exactly its bytes, without running its emitter over the file.
    Anything that would not stay on one line is left to ruamel's whole-document path.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    marked = {
        "DoubleQuotedScalarString": DoubleQuotedScalarString,
        "SingleQuotedScalarString": SingleQuotedScalarString,
    }.get(style, str)(text)
    dumper = YAML(typ="rt")
    dumper.indent(mapping=2, sequence=4, offset=2)
    dumper.allow_unicode = True
    dumper.width = 1_000_000
    stream = io.StringIO()
    dumper.dump({"k": marked}, stream)
    written = stream.getvalue()
    if not written.startswith("k: ") or written.count("\n") != 1:
        raise _NotSimple
    return written[3:-1]


#: Plain-safe by shape, but typed by a YAML 1.1 or 1.2 reader: never written plain here.
_RESERVED = frozenset(
    [
        "y",
        "Y",
        "n",
        "N",
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "null",
        "Null",
        "NULL",
    ]
)
