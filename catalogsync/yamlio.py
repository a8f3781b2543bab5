"""Reading YAML files into plain data plus a source map: the one seam over ruamel.yaml.

ruamel's round-trip mode keeps the line and column of every mapping key, value and
sequence item, and refuses duplicate keys. We convert its node types to plain `dict`,
`list` and scalars at once, so that no ruamel type travels further than this module, and
keep the positions in a `SourceMap` keyed by the path of each value in the document.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from catalogsync.errors import Issue, SourceLocation, made_location
from catalogsync.yamlfast import (
    KEY,
    Part,
    YamlProblem,
    check_shape,
    fast_dump,
    fast_load,
    fast_parts,
    line_starts,
    locate_under,
)

# A path into a YAML document: mapping keys and sequence indexes, e.g. ("packages", 0, "name").
YamlPath = tuple[str | int, ...]

# Catalog files are hand-written text; a file this large is a mistake (a data dump, a wrong
# path) and would take ruamel's pure-Python parser minutes. Split big catalogs into files.
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of one YAML document stands in its file.

    The fast reader's map is partial (`exact=False`): it places sequence items only (every
    resource), not every key and value. Such a map remembers what it was asked and could
    not place exactly; `resolve()` then re-reads the file and parses only the items that
    hold those places, so an error message costs about what reading its item costs.
    """

    path: str
    values: dict[YamlPath, SourceLocation] = field(default_factory=dict)
    keys: dict[YamlPath, SourceLocation] = field(default_factory=dict)
    #: False when only sequence items are mapped (the fast reader): see `resolve`.
    exact: bool = True
    #: The document again, as UTF-8, for `resolve` (re-read rather than kept: it is large).
    reread: Callable[[], bytes] | None = None
    _asked: set[YamlPath] = field(default_factory=set)
    _tried: set[YamlPath] = field(default_factory=set)

    def value(self, ypath: YamlPath) -> SourceLocation:
        """The location of the value at `ypath`, or of its nearest ancestor."""
        found = self.values.get(ypath)
        if found is not None:  # (asked for every resource: the quick way first)
            return found
        self._ask(ypath)
        return self._nearest(self.values, ypath)

    def key(self, ypath: YamlPath) -> SourceLocation:
        """The location of the mapping key that ends `ypath` (falls back to the value)."""
        if ypath in self.keys:
            return self.keys[ypath]
        self._ask(ypath)
        return self._nearest(self.values, ypath)

    def resolve(self) -> bool:
        """Place what `value` and `key` were asked and could not place exactly.

        True when anything was asked: asking again now gives the exact places (or, for a
        path the document does not have, its nearest ancestor's, as an exact map would).
        """
        asked, self._asked = self._asked, set()
        if not asked or self.reread is None:
            return False
        self._tried |= asked
        raw = self.reread()
        under: dict[YamlPath, list[YamlPath]] = {}
        for ypath in asked:
            item = self._item_holding(ypath)
            under.setdefault(item, []).append(ypath[len(item) :])
        places = {item: self.values.get(item, SourceLocation(self.path, 1, 1)) for item in under}
        starts = line_starts(raw, (where.line - 1 for where in places.values()))
        for item, relatives in under.items():
            line, column = places[item].line - 1, places[item].column - 1
            if line not in starts:  # the file changed since it was read
                continue
            start = (starts[line], line, column)
            for relative, (at_line, at_column) in locate_under(raw, start, relatives).items():
                where = SourceLocation(self.path, at_line + 1, at_column + 1)
                if relative and relative[-1] is KEY:
                    self.keys[(*item, *relative[:-1])] = where
                else:
                    self.values[(*item, *relative)] = where
        return True

    def _ask(self, ypath: YamlPath) -> None:
        if not self.exact and ypath not in self._tried:
            self._asked.add(ypath)

    def _item_holding(self, ypath: YamlPath) -> YamlPath:
        """The deepest placed sequence item on `ypath` (the document when none is)."""
        for end in range(len(ypath), 0, -1):
            if isinstance(ypath[end - 1], int) and ypath[:end] in self.values:
                return ypath[:end]
        return ()

    def _nearest(self, table: dict[YamlPath, SourceLocation], ypath: YamlPath) -> SourceLocation:
        for end in range(len(ypath), -1, -1):
            found = table.get(ypath[:end])
            if found is not None:
                return found
        return SourceLocation(self.path, 1, 1)


@dataclass
class YamlDocument:
    """One parsed YAML file: plain data and where each piece came from."""

    path: str
    data: Any
    source: SourceMap


class YamlFileError(Exception):
    """A YAML file could not be read or parsed; carries one located Issue."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


def display_path(path: Path, base: Path | None = None) -> str:
    """The path as the user should see it in messages: relative to `base` (or cwd) if possible."""
    if not path.is_absolute():
        return str(path)
    # (the working folder asked only when `base` does not answer: an export's proof shows
    # each of its thousands of files relative to its staging folder)
    for root in _roots(base):
        try:
            relative = os.path.relpath(path, root)
        except ValueError:  # different drive on Windows
            continue
        # `../../../tmp/x.yaml` says less than `/tmp/x.yaml`: climb out only one level.
        if not relative.startswith(os.pardir + os.sep + os.pardir):
            return relative
    return str(path)


def _roots(base: Path | None) -> Iterator[Path]:
    if base is not None:
        yield base
    yield Path.cwd()


def read_yaml_file(path: Path, shown_as: str | None = None, *, fast: bool = False) -> YamlDocument:
    """Read and parse one YAML file.

    With `fast=True`, a plain document is read by libyaml (see `catalogsync.yamlfast`) and
    its source map holds only the positions of sequence items: enough to place resources,
    not to locate every error, so a caller that finds a problem must re-read exactly.
    Anything the fast reader is unsure of (including every syntax error) is read exactly.

    Raises:
        YamlFileError: unreadable, too large, not UTF-8, empty, or not valid YAML
            (syntax errors and duplicate keys, with their line and column).
    """
    shown = shown_as or str(path)
    text = _decode(read_file_bytes(path, shown), shown)  # the bytes are let go before parsing
    document = parse_yaml_text(text, shown, fast=fast)
    del text
    if not document.source.exact:
        document.source.reread = lambda: path.read_bytes().removeprefix(_UTF8_BOM)
    return document


#: A piece of a document as `read_yaml_parts` hands it out (positions as SourceLocations).
YamlPart = Part


def read_yaml_parts(
    path: Path, shown: str, *, split: Callable[[Any], bool], size: int, raw: bytes | None = None
) -> tuple[SourceMap, Iterator[YamlPart]]:
    """One YAML file read by libyaml as a stream of parts (see `yamlfast.fast_parts`): each
    top-level list whose key `split` accepts, `size` items at a time, then the rest.

    The source map starts with the document's start only: each part brings its items'
    positions (`read_yaml_file(fast=True)`'s), for the caller to add while it needs them.

    Raises:
        YamlFileError: unreadable, too large, not UTF-8 or empty (here); not valid YAML
            (while the parts are read: a syntax error or a duplicate key, located).
        ExactReaderNeeded: while the parts are read, when only the exact reader can read
            this file (`read_yaml_file` then reads it): discard the parts read so far.
    """
    # (`raw`: the bytes the caller read, `loader._load_file`'s, or `updated_catalog`'s
    # changed items alone, not the file's: a re-read takes them again, not the file)
    given = raw
    if raw is None:
        raw = read_file_bytes(path, shown)
    if not _has_content(_decode(raw, shown)):  # the decoded text is let go at once
        raise _file_error(shown, "file is empty (expected a YAML mapping)")
    raw = raw.removeprefix(_UTF8_BOM)

    def place(line: int, column: int) -> SourceLocation:
        return made_location(shown, line + 1, column + 1)

    source = SourceMap(shown, exact=False)
    source.values[()] = SourceLocation(shown, 1, 1)
    if given is None:
        source.reread = lambda: path.read_bytes().removeprefix(_UTF8_BOM)
    else:
        text = raw
        source.reread = lambda: text
    return source, _located(fast_parts(raw, split=split, size=size, place=place), shown)


def _located(parts: Iterator[YamlPart], shown: str) -> Iterator[YamlPart]:
    try:
        yield from parts
    except YamlProblem as exc:
        where = SourceLocation(shown, exc.line + 1, exc.column + 1)
        raise YamlFileError(Issue(exc.message, where)) from None


def read_file_bytes(path: Path, shown: str) -> bytes:
    """A catalog file's bytes, refused (`YamlFileError`, located at `shown`) when too large
    or unreadable."""
    try:
        return bytes_within(path, MAX_FILE_BYTES)
    except TooLarge as exc:
        raise _file_error(
            shown,
            f"file is {exc.size / 1_048_576:.1f} MiB; catalog files are limited to "
            f"{MAX_FILE_BYTES // 1_048_576} MiB (split the catalog into several files)",
        ) from None
    except OSError as exc:
        raise _file_error(shown, f"cannot read file: {exc.strerror or exc}") from exc


class TooLarge(Exception):
    """A file larger than the limit `bytes_within` was given: its size."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def bytes_within(path: Path, limit: int) -> bytes:
    """The file's bytes, when it holds at most `limit` of them as it is opened (else
    `TooLarge`), in five system calls: open, fstat, a read of its size and one more byte,
    the read that finds its end, close. `Path.stat` then `Path.read_bytes` made ten (a
    second stat, an ioctl, two seeks, another fstat), and an export's proof reads every
    file it wrote (5,001 at L). A file that grows while it is read is read whole, as
    `read_bytes` reads it.

    Raises:
        TooLarge: the file is larger than `limit`.
        OSError: it cannot be opened or read (a folder: "Is a directory").
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(descriptor).st_size
        if size > limit:
            raise TooLarge(size)
        chunks = []
        asked = size + 1 if size else _READ_AT_LEAST
        while chunk := os.read(descriptor, asked):
            chunks.append(chunk)
        return b"".join(chunks)  # (one chunk: that very object, not a copy)
    finally:
        os.close(descriptor)


#: The least `bytes_within` asks of a read (a file whose size says 0, such as a pipe's).
_READ_AT_LEAST = 1 << 16


def parse_yaml_text(text: str, shown: str, *, fast: bool = False) -> YamlDocument:
    """Parse YAML text (already decoded) into a YamlDocument (see `read_yaml_file`)."""
    if not _has_content(text):
        raise _file_error(shown, "file is empty (expected a YAML mapping)")
    try:
        document = _parse(text, shown, fast=fast)
    except YamlProblem as exc:
        where = SourceLocation(shown, exc.line + 1, exc.column + 1)
        raise YamlFileError(Issue(exc.message, where)) from None
    except RecursionError:  # only past MAX_DEPTH's bound, where libyaml cannot look first
        raise _file_error(
            shown, "YAML nested too deeply to read (a catalog needs only a few levels)"
        ) from None
    if not document.source.exact:
        document.source.reread = text.encode  # (a file's map re-reads the file instead)
    return document


class _ExactConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor, with numbers that have a fraction read as the exact
    Decimal their text says (`12345678901234567.89` would lose its cents as a float);
    `.inf` and `.nan` stay floats, for the models to refuse."""

    def construct_yaml_float(self, node: Any) -> Any:
        try:
            number = Decimal(str(node.value).replace("_", ""))
        except ArithmeticError:
            return super().construct_yaml_float(node)
        return number if number.is_finite() else super().construct_yaml_float(node)


_ExactConstructor.add_constructor("tag:yaml.org,2002:float", _ExactConstructor.construct_yaml_float)


def _reader() -> YAML:
    """ruamel's round-trip reader, with exact decimal numbers (see `_ExactConstructor`)."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _ExactConstructor
    return yaml


def _parse(text: str, shown: str, *, fast: bool) -> YamlDocument:
    # libyaml reads what it is sure of: with only item positions (fast), or with every key's
    # and value's position, which locates errors as the round-trip reader would, in a
    # fraction of its time (a 30 MB catalog with one bad field: seconds, not minutes).
    def place(line: int, column: int) -> SourceLocation:
        return made_location(shown, line + 1, column + 1)

    loaded = fast_load(text, locate=not fast, place=place)
    if loaded is not None:
        data, positions = loaded
        source = SourceMap(shown, exact=not fast)
        if fast:  # items only: the positions are the map
            source.values = positions
            source.values[()] = SourceLocation(shown, 1, 1)
        else:
            source.values[()] = SourceLocation(shown, 1, 1)
            for ypath, where in positions.items():
                if ypath and ypath[-1] is KEY:
                    source.keys[ypath[:-1]] = where
                else:
                    source.values[ypath] = where
        return YamlDocument(shown, data, source)
    check_shape(text)  # what the exact reader would choke on: refused, located, here
    yaml = _reader()
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        raise YamlFileError(_marked_issue(exc, shown)) from exc
    except ReaderError as exc:  # a character YAML forbids (NUL, other control characters)
        raise YamlFileError(_forbidden_character(text, shown, exc)) from exc
    except YAMLError as exc:  # unmarked: rare (e.g. reader errors)
        raise _file_error(shown, f"invalid YAML: {exc}") from exc
    except (ValueError, TypeError, OverflowError) as exc:
        # ruamel resolved a scalar to a type it then cannot build (`._` looks like a float).
        raise YamlFileError(_unbuildable_scalar(text, shown, exc)) from exc
    source = SourceMap(shown)
    source.values[()] = SourceLocation(shown, 1, 1)
    data = _plain(node, (), source)
    return YamlDocument(shown, data, source)


def _unbuildable_scalar(text: str, shown: str, exc: Exception) -> Issue:
    """Locate the scalar ruamel could not construct, by building each one alone."""
    yaml = _reader()
    pending = [yaml.compose(text)]
    while pending:
        node = pending.pop()
        if node is None:
            continue
        if isinstance(node, ScalarNode):
            try:
                yaml.constructor.construct_object(node, deep=True)
            except (ValueError, TypeError, OverflowError):
                mark = node.start_mark
                where = SourceLocation(shown, mark.line + 1, mark.column + 1)
                shown_value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
                return Issue(f"invalid value {shown_value!r}; quote it to write text", where)
        elif isinstance(node.value, list):
            for item in node.value:
                pending.extend(item if isinstance(item, tuple) else (item,))
    return Issue(f"invalid YAML: {exc}", SourceLocation(shown, 1, 1))


def _forbidden_character(text: str, shown: str, exc: ReaderError) -> Issue:
    """Where the character YAML refuses stands (ruamel gives its offset, not a line)."""
    offset = max(0, min(exc.position, len(text)))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return Issue(
        f"character U+{code:04X} is not allowed in YAML; remove it",
        SourceLocation(shown, line, column),
    )


def _has_content(text: str) -> bool:
    """Whether some line is more than blanks, a comment or a document marker (looked at
    line by line: a copy of a 30 MB text, or a list of its lines, costs 100 MB)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        stripped = text[start:end].strip()
        if stripped and not stripped.startswith("#") and stripped not in ("---", "..."):
            return True
        start = end + 1
    return False


_UTF8_BOM = "\ufeff".encode()


def _decode(raw: bytes, shown: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlFileError(
            Issue(
                f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
                SourceLocation(shown, line, column),
            )
        ) from exc
    return text.removeprefix("\ufeff")


def _file_error(shown: str, message: str) -> YamlFileError:
    return YamlFileError(Issue(message, SourceLocation(shown, 1, 1)))


def _marked_issue(exc: MarkedYAMLError, shown: str) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    where = SourceLocation(shown, mark.line + 1, mark.column + 1) if mark else None
    problem = (exc.problem or "invalid YAML").strip()
    if problem.startswith("found duplicate key"):
        # ruamel: 'found duplicate key "a" with value "2" (original value: "1")'
        key = problem.split('"')[1] if '"' in problem else "?"
        return Issue(f"duplicate key '{key}' (a key may appear only once in a mapping)", where)
    context = f" {exc.context}" if exc.context else ""
    return Issue(f"invalid YAML: {problem}{context}", where)


def _plain(node: Any, ypath: YamlPath, source: SourceMap) -> Any:
    """Convert ruamel nodes to plain data, recording positions in `source`."""
    if isinstance(node, CommentedMap):
        result: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*ypath, _plain_key(key))
            (kline, kcol), (vline, vcol) = _key_position(node, key)
            source.keys[child] = SourceLocation(source.path, kline + 1, kcol + 1)
            source.values[child] = SourceLocation(source.path, vline + 1, vcol + 1)
            result[_plain_key(key)] = _plain(value, child, source)
        return result
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            # A tagged sequence (`!!python/object/apply:… [a]`) keeps no item positions in
            # ruamel: its items are placed where the sequence is.
            position = node.lc.item(index)
            source.values[(*ypath, index)] = (
                SourceLocation(source.path, position[0] + 1, position[1] + 1)
                if position is not None
                else source.values.get(ypath, SourceLocation(source.path, 1, 1))
            )
            items.append(_plain(value, (*ypath, index), source))
        return items
    return _plain_scalar(node)


def _key_position(node: CommentedMap, key: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where `key` and its value stand: in `node`, or in a map merged into it (`<<: *d`)."""
    pending = [node]
    while pending:
        mapping = pending.pop(0)
        if key in (mapping.lc.data or ()):
            return mapping.lc.key(key), mapping.lc.value(key)
        pending.extend(merged for merged in getattr(mapping, "merge", ()) if merged is not None)
    own = (node.lc.line or 0, node.lc.col or 0)
    return own, own


def _plain_key(key: Any) -> Any:
    return _plain_scalar(key) if not isinstance(key, (CommentedMap, CommentedSeq)) else str(key)


def _plain_scalar(value: Any) -> Any:
    """ruamel's scalar subclasses (ScalarFloat, ScalarInt, TaggedScalar...) as builtins."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        return str(value)
    # Dates, timestamps and tagged scalars: keep their text; the models decide.
    return str(value)


def walk_files(root: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> Iterator[Path]:
    """YAML files under a folder, sorted, skipping hidden folders (e.g. .catalogsync)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(suffixes) and not name.startswith("."):
                yield Path(dirpath) / name


# --- writing --------------------------------------------------------------------------------


def dump_yaml(data: Any, header: Sequence[str] = ()) -> str:
    """YAML text for plain data, in the catalog's house style, loading back to equal data.

    Decimals are written as quoted strings ("10.50") so their precision survives; strings
    that YAML would read as something else (`"1"`, `"yes"`, `" padded "`, `"a: b"`) are
    quoted by ruamel's representer. `header` lines are written first, as comments.
    """
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    yaml.width = 1_000_000  # never fold a long name over two lines
    stream = io.StringIO()
    for line in header:
        stream.write(f"# {line}\n" if line else "#\n")
    dumpable = _dumpable(data)
    fast = fast_dump(dumpable)
    if fast is None:
        yaml.dump(dumpable, stream)
    else:
        stream.write(fast)
    return stream.getvalue()


def _dumpable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _dumpable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_dumpable(v) for v in value]
    if isinstance(value, Decimal):
        return DoubleQuotedScalarString(format(value, "f"))
    if isinstance(value, str):
        return _quoted_if_needed(value)
    return value


# YAML 1.1 readers (many editors, PyYAML, libyaml) read `yes`, `on`, `1_000` or `1:30` as
# bools and numbers where YAML 1.2 reads strings: quote such text so every reader agrees.
_YAML11 = VersionedResolver(version=(1, 1))
_STR_TAG = "tag:yaml.org,2002:str"


def _quoted_if_needed(text: str) -> Any:
    # Line and paragraph separators and control characters are read back as plain line
    # breaks unless escaped, which only the double-quoted style does.
    if any(ch in "\x85\u2028\u2029\r\ufeff" or (ord(ch) < 32 and ch != "\n") for ch in text):
        return DoubleQuotedScalarString(text)
    if _YAML11.resolve(ScalarNode, text, (True, False)) != _STR_TAG:
        return SingleQuotedScalarString(text)
    return text
