"""Loading a catalog: YAML files → validated, cross-checked `Catalog`.

The loader reports *every* problem it finds in one `CatalogValidationError`, each issue
with `file:line:col`: YAML syntax, duplicate keys, wrong types, unknown fields (with a
suggestion), missing fields, bad enum values, semantic checks of the backend's format,
and the cross-file checks done here (duplicate names, dangling references, renames that
clash, reference cycles). It never returns a partial catalog.
"""

from __future__ import annotations

import dataclasses
import graphlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from catalogsync.beside import Abandon
from catalogsync.catalog import (
    Catalog,
    Kind,
    Ref,
    Resource,
    key_needs_met,
    kind_word,
    kind_words_in_use,
)
from catalogsync.catalog_cache import CountsKnown, WriteLater, cached_catalog
from catalogsync.catalog_format import CatalogFormat, Locate
from catalogsync.catalog_items import Item, Items
from catalogsync.catalog_yaml import YamlCatalogFormat
from catalogsync.config import Project
from catalogsync.errors import CatalogValidationError, Issue, SourceLocation, made_location
from catalogsync.registry import get_format
from catalogsync.validation import model_at, suggest, validation_issues
from catalogsync.yamlcolumns import file_resources
from catalogsync.yamlfast import ExactReaderNeeded
from catalogsync.yamlio import (
    MAX_FILE_BYTES,
    SourceMap,
    YamlDocument,
    YamlFileError,
    YamlPart,
    YamlPath,
    display_path,
    read_file_bytes,
    read_yaml_file,
    read_yaml_parts,
    walk_files,
)


def find_catalog_files(
    entries: Sequence[str],
    project: Path,
    exclude: Iterable[Path] = (),
    *,
    allow_outside: bool = False,
) -> list[Path]:
    """Expand catalog entries (files and folders, relative to the project) into YAML files.

    Every file must be inside the project folder, symbolic links resolved, unless
    `allow_outside`: a catalog path is shown in messages with its lines, so `/etc/...` or
    `../../secrets.yaml` must not be read by accident (or by a hostile pull request).
    """
    excluded = {p.resolve() for p in exclude}
    root = project.resolve()
    files: list[Path] = []
    issues: list[Issue] = []
    for entry in entries:
        path = project / entry
        if path.is_dir():
            found = list(walk_files(path))
        elif path.is_file():
            found = [path]
        else:
            issues.append(Issue(f"catalog path '{entry}' does not exist (in {project})"))
            continue
        for file in found:
            try:
                real = file.resolve(strict=True)
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
                issues.append(Issue(f"catalog file '{file}' is a broken or looping symlink"))
                continue
            if real in excluded:
                continue
            if not allow_outside and not real.is_relative_to(root):
                issues.append(
                    Issue(
                        f"catalog path '{entry}' leads outside the project folder ({real}); "
                        "set allow_catalog_outside_project: true to read it"
                    )
                )
                continue
            files.append(file)
    if issues:
        raise CatalogValidationError(issues)
    unique = list(dict.fromkeys(files))
    if not unique:
        raise CatalogValidationError([Issue(f"no catalog YAML files found in {project}")])
    return unique


def load_catalog(files: Iterable[Path], fmt: CatalogFormat, base: Path | None = None) -> Catalog:
    """Load, validate and cross-check catalog files, each read when `files` hands it out
    (`export` hands out its files one by one as they are written).

    Each file is read once, with the fast reader (libyaml) where it can: its source map
    places every resource but not every value. A problem that needs a finer place (a bad
    field, a semantic check) is located afterwards by parsing only the items that hold
    those places (`SourceMap.resolve`), so an invalid catalog costs about what a valid one
    costs, and every reported issue still has its exact file:line:col.

    Raises:
        CatalogValidationError: with every problem found, each located in its file.
    """
    with kind_words_in_use(fmt.kind_names):  # messages in the format's words
        return _load_catalog(files, fmt, base)


def load_file(
    path: Path, fmt: CatalogFormat, base: Path | None = None, *, shown: str | None = None
) -> tuple[list[Issue], list[Resource]]:
    """One file's problems and resources as `load_catalog` finds them in it, without the
    checks across files (`check_references`). `shown`: the path its messages show, when
    the caller has it (`display_path(path, base)` otherwise)."""
    if shown is None:
        shown = display_path(path, base)
    with kind_words_in_use(fmt.kind_names):
        try:
            issues, resources, _ = _load_file(path, shown, fmt)
        except YamlFileError as exc:
            return [exc.issue], []
    return issues, resources


def _load_catalog(files: Iterable[Path], fmt: CatalogFormat, base: Path | None) -> Catalog:
    issues: list[Issue] = []
    resources: list[Resource] = []
    invalid_names: set[str] = set()
    for path in files:
        try:
            file_issues, file_resources, file_invalid = _load_file(
                path, display_path(path, base), fmt
            )
        except YamlFileError as exc:
            issues.append(exc.issue)
            continue
        issues.extend(file_issues)
        resources.extend(file_resources)
        invalid_names |= file_invalid
    issues.extend(check_references(resources, ignore_names=invalid_names))
    if issues:
        raise CatalogValidationError(issues)
    return Catalog(tuple(resources))


def updated_catalog(
    files: Sequence[Path],
    fmt: CatalogFormat,
    shown: Sequence[str],
    previous: Catalog,
    items: Sequence[Items | None],
    now: Sequence[tuple[bytes, Items | None]],
) -> Catalog | None:
    """What `load_catalog(files, fmt)` returns for the files' bytes `now` (each with its
    `catalog_items.items_of`), made from `previous`, the catalog these files held when their
    `items` were taken (None where a file had none; each file shown as `shown` says, as
    then): the top-level items whose text did not change keep their resources, moved with
    their lines; only the others are read (the file with every other item blanked out, so
    that each keeps its lines and columns). Where the format's nested items read alone
    (`CatalogFormat.nested_items_alone`), a changed item whose lines before its nested list
    did not change is read again as those lines and its changed nested items only, and
    reading those lines again must give the resources they gave (`_nested_kept`). None
    when that cannot tell the same catalog for sure, and the caller loads the files whole:
    a file not in the plain layout (`catalog_items`), anything to say about the changed
    items or across the files (the whole load words it), a resource of `previous` that no
    item holds.

    Sound because a format's models and checks see each top-level item alone (a file is
    read in slices of items, `_load_file`), a plain item reads the same wherever it
    stands, and the checks across the files run over the whole result here too."""
    if not len(files) == len(shown) == len(items) == len(now) == len(set(shown)):
        return None
    held: dict[str, list[Resource]] = {name: [] for name in shown}
    for resource in previous.resources:
        where = resource.location
        if where is None or where.path not in held:
            return None
        held[where.path].append(resource)
    resources: list[Resource] = []
    with kind_words_in_use(fmt.kind_names):
        for path, name, before, (raw, after) in zip(files, shown, items, now, strict=True):
            found = (
                _updated_file(path, name, fmt, raw, before, after, held[name])
                if before is not None and after is not None and len(raw) <= MAX_FILE_BYTES
                else None
            )
            if found is None:
                return None
            resources.extend(found)
        if check_references(resources):
            return None
    return Catalog(tuple(resources))


def _updated_file(
    path: Path,
    shown: str,
    fmt: CatalogFormat,
    raw: bytes,
    before: Items,
    now: Items,
    held: list[Resource],
) -> list[Resource] | None:
    """One file's resources for `updated_catalog`, or None."""
    items, keys = now
    if not all(model_at(fmt.document_model, (key, 0)) is not None for key in keys):
        return None  # a key the format does not read as a list of objects
    old_items, _ = before
    holding = _held_by([(first, end) for _, first, end, _, _ in old_items], held)
    if holding is None:
        return None
    old = {(item[0], item[3]): (item, kept) for item, kept in zip(old_items, holding, strict=True)}
    if len(old) != len(old_items):
        return None  # the same item twice (not a valid catalog's)
    resources: list[Resource] = []
    blanked: list[tuple[int, int]] = []  # lines not read again
    changed: list[Item] = []
    for item in items:
        key, first, end, digest, _ = item
        was = old.pop((key, digest), None)
        if was is None:
            changed.append(item)
            continue
        resources.extend(_moved_all(was[1], first - was[0][1]))
        blanked.append((first, end))
    if not changed:
        return resources
    # A changed item and the one it was (the same key and lines before its nested list, of
    # no other item left): its nested items that read as before keep their resources.
    partners: dict[tuple[str, bytes], list[tuple[Item, list[Resource]]]] = {}
    for item, kept in old.values():
        if fmt.nested_items_alone and item[4] is not None:
            partners.setdefault((item[0], item[4][0]), []).append((item, kept))
    read: list[tuple[int, int]] = []  # lines read again, each beginning an object
    expected: dict[int, list[Resource]] = {}  # by `read` index: what an item's head gives
    for item in changed:
        key, first, end, _, nested = item
        pair = partners.pop((key, nested[0]), []) if nested is not None else []
        kept_nested = _nested_kept(item, *pair[0]) if len(pair) == 1 else None
        if kept_nested is None:
            read.append((first, end))
            continue
        kept, same, head, again = kept_nested
        resources.extend(kept)
        blanked.extend(same)
        expected[len(read)] = head
        read.extend(again)
    lines = raw.split(b"\n")
    for first, end in blanked:
        lines[first:end] = [b""] * (end - first)
    changed_keys = {key for key, _, _, _, _ in changed}
    for key, line in keys.items():
        if key not in changed_keys:
            lines[line] = b""
    found = _changed_items(path, shown, b"\n".join(lines), fmt)
    placed = _held_by(read, found) if found is not None else None
    if found is None or placed is None:
        return None
    if any(placed[at] != head for at, head in expected.items()):
        return None  # an item's head reads otherwise without its unchanged nested items
    return resources + found


def _nested_kept(
    item: Item, was: Item, kept: list[Resource]
) -> tuple[list[Resource], list[tuple[int, int]], list[Resource], list[tuple[int, int]]] | None:
    """For a changed item whose lines before its nested list read as those of `was` (that
    held `kept`): the resources of its nested items that read as before (moved with their
    lines), their lines, the resources `was`'s head held (moved: what reading the item's
    head again must give), and the lines to read again (its head, then its changed nested
    items); None when `kept` does not lie in `was`'s nested items as they begin."""
    _, first, _, _, nested = item
    _, start, _, _, old_nested = was
    assert nested is not None and old_nested is not None
    subs, old_subs = nested[1], old_nested[1]
    holding = _held_by([(start, old_subs[0][0]), *((f, e) for f, e, _ in old_subs)], kept)
    if holding is None:
        return None
    unchanged: dict[bytes, list[tuple[int, list[Resource]]]] = {}
    for (sub_first, _, digest), held in zip(old_subs, holding[1:], strict=True):
        unchanged.setdefault(digest, []).append((sub_first, held))
    resources: list[Resource] = []
    same: list[tuple[int, int]] = []
    again = [(first, subs[0][0])]
    for sub_first, sub_end, digest in subs:
        olds = unchanged.get(digest)
        if olds:
            old_first, held = olds.pop(0)
            resources.extend(_moved_all(held, sub_first - old_first))
            same.append((sub_first, sub_end))
        else:
            again.append((sub_first, sub_end))
    return resources, same, _moved_all(holding[0], first - start), again


def _held_by(
    spans: Sequence[tuple[int, int]], resources: Sequence[Resource]
) -> list[list[Resource]] | None:
    """The resources each span of lines (first, end: an item's) holds (by the line each is
    placed at), or None when one lies outside every span or a span holds none placed on its
    first line: then that line was not where the YAML reader began an object (inside a text
    quoted over lines, say), and the spans are not the file's own items (`catalog_items`)."""
    starts = [first for first, _ in spans]
    holding: list[list[Resource]] = [[] for _ in spans]
    begun = [False] * len(spans)
    for resource in resources:
        if resource.location is None:
            return None
        line = resource.location.line - 1
        at = bisect_right(starts, line) - 1
        if at < 0 or line >= spans[at][1]:
            return None  # not within a span
        holding[at].append(resource)
        begun[at] = begun[at] or line == starts[at]
    return holding if all(begun) else None


def _moved_all(resources: list[Resource], lines: int) -> list[Resource]:
    return resources if not lines else [_moved(r, lines) for r in resources]


def _moved(resource: Resource, lines: int) -> Resource:
    """`resource`, declared `lines` further down."""
    where = resource.location
    assert where is not None
    return dataclasses.replace(
        resource, location=made_location(where.path, where.line + lines, where.column)
    )


def _changed_items(path: Path, shown: str, raw: bytes, fmt: CatalogFormat) -> list[Resource] | None:
    """The resources of a file's changed items (the others blanked out), as `_load_file`
    reads them; None when it finds anything to say about them."""

    def splits(key: Any) -> bool:
        return isinstance(key, str) and model_at(fmt.document_model, (key, 0)) is not None

    invalid_names: set[str] = set()
    try:
        source, parts = read_yaml_parts(path, shown, split=splits, size=PART_ITEMS, raw=raw)
        issues, resources = _load_parts(source, parts, fmt, invalid_names)
    except (YamlFileError, ExactReaderNeeded):
        return None
    return None if issues or invalid_names else resources


#: List items validated and turned into resources at a time (a top-level item with its
#: nested ones: a package and its package-products; the exact reader's parts count
#: top-level items only): the models of a whole 30 MB file at once were the largest part
#: of its peak memory.
PART_ITEMS = 1_000


def _load_file(
    path: Path, shown: str, fmt: CatalogFormat
) -> tuple[list[Issue], list[Resource], set[str]]:
    """One file's problems, resources (the valid remainder's, when it has problems) and
    the names of its invalid objects.

    The file is read and validated in parts (`PART_ITEMS` items of a top-level list each;
    a format's models and checks see each item alone, so a slice of a file is a file) as
    libyaml reads it: each part's plain data, models and item positions are let go once
    its resources are made, so the whole file's data is never held at once. A file only
    the exact reader can read (anchors, tags...) is read whole by it instead.

    Raises:
        YamlFileError: the file cannot be read, or is not valid YAML (one located issue).
    """
    invalid_names: set[str] = set()
    raw = read_file_bytes(path, shown)  # (once: the column reader's, else the parts')
    if isinstance(fmt, YamlCatalogFormat):  # a written file, read a column at a time
        resources = file_resources(raw, shown, fmt)
        if resources is not None:
            return [], resources, invalid_names

    def splits(key: Any) -> bool:
        return isinstance(key, str) and model_at(fmt.document_model, (key, 0)) is not None

    source, parts = read_yaml_parts(path, shown, split=splits, size=PART_ITEMS, raw=raw)
    del raw  # (the parts and the source map's re-read hold it now)
    try:
        issues, resources = _load_parts(source, parts, fmt, invalid_names)
    except ExactReaderNeeded:
        invalid_names.clear()
        document = read_yaml_file(path, shown, fast=True)
        issues, resources = _load_document(document, fmt, invalid_names)
    return issues, resources, invalid_names


def _load_parts(
    source: SourceMap, parts: Iterable[YamlPart], fmt: CatalogFormat, invalid_names: set[str]
) -> tuple[list[Issue], list[Resource]]:
    """The problems and resources of a document's parts (see `_load_file`)."""
    resources: list[Resource] = []
    rest_resources: list[Resource] = []
    with_issues: list[Callable[[], Iterable[Issue]]] = []
    rest_issues: list[Callable[[], Iterable[Issue]]] = []
    for part in parts:
        source.values.update(part.positions)
        rest = part.key is None  # the rest of the document comes last, but goes first
        shift: Callable[[YamlPath], YamlPath]
        if rest:
            data, shift = part.data, _same
        else:
            data, shift = {part.key: part.data}, _shifted(part.key, part.start)
        part.data = None
        found, model, locate = _validated(data, shift, source, fmt, invalid_names)
        del data
        if model is not None:
            (rest_resources if rest else resources).extend(fmt.to_resources(model, locate))
        if list(found()):  # made in full: each issue asks the source map for its place
            (rest_issues if rest else with_issues).append(found)
        else:  # nothing asks for these places again (the resources hold theirs)
            for ypath in part.positions:
                del source.values[ypath]
    resources[:0] = rest_resources
    return _placed(source, [*rest_issues, *with_issues]), resources


def _load_document(
    document: YamlDocument, fmt: CatalogFormat, invalid_names: set[str]
) -> tuple[list[Issue], list[Resource]]:
    """One file's problems and resources, the file read whole (by the exact reader)."""
    source, data = document.source, document.data
    document.data = None  # the parts release the data as they go
    resources: list[Resource] = []
    with_issues: list[Callable[[], Iterable[Issue]]] = []
    for part, shift in _parts(fmt.document_model, data):
        found, model, locate = _validated(part, shift, source, fmt, invalid_names)
        del part
        if list(found()):  # made in full: each issue asks the source map for its place
            with_issues.append(found)
        if model is not None:
            resources.extend(fmt.to_resources(model, locate))
    del data
    return _placed(source, with_issues), resources


def _placed(source: SourceMap, with_issues: list[Callable[[], Iterable[Issue]]]) -> list[Issue]:
    """The issues, exactly placed.

    They asked the source map for their places; a fast reader's map finds what it lacks
    in one re-read, then the issues are made again, exactly placed.
    """
    source.resolve()
    return [issue for found in with_issues for issue in found()]


def _validated(
    part: Any,
    shift: Callable[[YamlPath], YamlPath],
    source: SourceMap,
    fmt: CatalogFormat,
    invalid_names: set[str],
) -> tuple[Callable[[], Iterable[Issue]], BaseModel | None, Locate]:
    """A part's issues (made on demand), its model (None if nothing is valid) and locator."""
    errors: list[ErrorDetails] = []

    def placed(ypath: YamlPath) -> SourceLocation:
        return source.value(shift(ypath))

    # (asked once per resource: without a call through `shift` when it changes nothing)
    locate: Locate = source.value if shift is _same else placed
    try:
        model: BaseModel | None = fmt.document_model.model_validate(part)
    except ValidationError as exc:
        found_errors = exc.errors(include_url=False)
        errors = [{**err, "loc": shift(tuple(err["loc"]))} for err in found_errors]
        # Keep checking what is valid, so one typo does not hide the other problems.
        salvage = _Salvage(invalid_names)
        model = salvage.document(fmt.document_model, part, found_errors)
        locate = salvage.locator(locate)

    def found() -> Iterator[Issue]:
        yield from validation_issues(errors, source, fmt.document_model, fmt.describe)
        if model is not None:
            yield from fmt.check(model, locate)

    return found, model, locate


def _parts(
    model: type[BaseModel], data: Any
) -> Iterator[tuple[Any, Callable[[YamlPath], YamlPath]]]:
    """The document in parts, each with the map from its paths to the document's.

    Each top-level list of models comes in slices of `PART_ITEMS`, released from `data`
    as they are handed out; whatever else the document holds comes first, alone.
    """
    if not isinstance(data, dict):
        yield data, _same
        return
    lists = [
        key
        for key, value in data.items()
        if isinstance(key, str) and isinstance(value, list) and model_at(model, (key, 0))
    ]
    rest = {key: value for key, value in data.items() if key not in lists}
    if rest or not lists:
        yield rest, _same
    for key in lists:
        items = data[key]
        for start in range(0, len(items), PART_ITEMS):
            part = items[start : start + PART_ITEMS]
            items[start : start + len(part)] = [None] * len(part)
            yield {key: part}, _shifted(key, start)


def _same(ypath: YamlPath) -> YamlPath:
    return ypath


def _shifted(key: str, start: int) -> Callable[[YamlPath], YamlPath]:
    """Paths in a slice of the list `key` that begins at item `start` → the document's."""
    if start == 0:  # (a file's first slice, most files' only one: its paths are the file's)
        return _same

    def shift(ypath: YamlPath) -> YamlPath:
        if len(ypath) > 1 and ypath[0] == key and isinstance(ypath[1], int):
            return (key, ypath[1] + start, *ypath[2:])
        return ypath

    return shift


class _Salvage:
    """The valid part of a document that failed validation: what the errors name left out.

    Only used after a failed validation, to run the semantic and cross-file checks on what
    is left. Each error's path names the field or list item at fault: a wrong field is
    dropped from its object, an item that cannot be valid without it is dropped from its
    list, and everything the errors do not name is kept as it is (a 30 MB catalog with one
    bad field is validated twice, not item by item). Dropping items shifts list indexes,
    so it records which original index each kept item had, and `locator` maps paths in the
    salvaged document back to the file. The names of dropped items go into
    `invalid_names`, so that references to them are not reported as dangling on top of
    their own errors.
    """

    def __init__(self, invalid_names: set[str]) -> None:
        self.invalid_names = invalid_names
        # list path in the salvaged document → original index of each kept item
        self.kept: dict[YamlPath, list[int]] = {}

    def document(
        self, model: type[BaseModel], data: Any, errors: Sequence[ErrorDetails]
    ) -> BaseModel | None:
        kept = self._without(model, data, [tuple(err["loc"]) for err in errors], ())
        if kept is None:
            return None
        try:
            return model.model_validate(kept)
        except ValidationError:
            return None

    def _without(
        self, model: type[BaseModel], data: Any, faults: list[YamlPath], path: YamlPath
    ) -> dict[str, Any] | None:
        """`data` without the fields and items at fault, or None if it cannot be valid."""
        if not isinstance(data, dict) or any(not fault for fault in faults):
            return None
        under: dict[Any, list[YamlPath]] = {}
        for fault in faults:
            under.setdefault(fault[0], []).append(fault[1:])
        kept = dict(data)
        for name, rest in under.items():
            item_model = model_at(model, (name, 0)) if isinstance(name, str) else None
            value = data.get(name)
            if (
                item_model is not None
                and isinstance(value, list)
                and all(r and isinstance(r[0], int) for r in rest)
            ):
                kept[name] = self._items(item_model, value, rest, (*path, name))
            elif name in kept:
                # A field that is itself wrong (unknown, bad value, wrong type) is left
                # out rather than the whole object: its other fields and the objects
                # nested in it are still checked.
                del kept[name]
            else:  # a required field is missing: the object cannot be valid
                return None
        return kept

    def _items(
        self, model: type[BaseModel], items: list[Any], faults: list[YamlPath], path: YamlPath
    ) -> list[Any]:
        at_fault: dict[int, list[YamlPath]] = {}
        for fault in faults:
            at_fault.setdefault(int(fault[0]), []).append(fault[1:])
        kept_items: list[Any] = []
        originals: list[int] = []
        for index, item in enumerate(items):
            if index in at_fault:
                item = self._item(model, item, at_fault[index], (*path, len(kept_items)))
                if item is None:
                    continue
            kept_items.append(item)
            originals.append(index)
        if len(kept_items) != len(items):
            self.kept[path] = originals
        return kept_items

    def _item(
        self, model: type[BaseModel], item: Any, faults: list[YamlPath], path: YamlPath
    ) -> dict[str, Any] | None:
        """The item without its faults, or None (its names noted) if it cannot be valid."""
        kept = self._without(model, item, faults, path)
        if kept is not None:
            try:
                model.model_validate(kept)
                return kept
            except ValidationError:
                pass
        if isinstance(item, dict):
            names = (item.get(k) for k in ("name", "product"))
            self.invalid_names.update(n for n in names if isinstance(n, str))
        return None

    def locator(self, original: Locate) -> Locate:
        """`original` (which locates paths of the unsalvaged data) for the salvaged data."""

        def locate(path: YamlPath) -> SourceLocation:
            unsalvaged: list[str | int] = []
            for depth, part in enumerate(path):
                table = self.kept.get(path[:depth])
                if isinstance(part, int) and table is not None and part < len(table):
                    part = table[part]
                unsalvaged.append(part)
            return original(tuple(unsalvaged))

        return locate


# --- cross-file checks ---------------------------------------------------------------------


def _where(resource: Resource) -> str:
    return f" (first declared at {resource.location})" if resource.location else ""


def check_references(
    resources: Sequence[Resource], ignore_names: Iterable[str] = ()
) -> list[Issue]:
    """Duplicates, dangling references, clashing renames and cycles across all files.

    References to `ignore_names` (objects that failed validation) are not reported.
    """
    ignored = set(ignore_names)
    issues: list[Issue] = []
    # (made in C; a key held twice keeps its first resource, each later one worded, below)
    by_ref: dict[Ref, Resource] = dict(zip(map(_REF, resources), resources, strict=True))
    if len(by_ref) != len(resources):
        by_ref = {}
        for resource in resources:
            first = by_ref.setdefault(resource.ref, resource)
            if first is not resource:
                issues.append(Issue(f"duplicate {resource.ref}{_where(first)}", resource.location))
    if any(map(_RENAMED_FROM, by_ref.values())):
        issues.extend(_check_renames(by_ref))
    # Dependencies are computed once (40,000 resources make it count), and kept only for
    # the cycle check (half a million tuples of Refs: 150 MB). Key-implied dependencies
    # cannot close a cycle: they point from a package-product to its package, its product
    # (which imply nothing) or its parent (a shorter key). So a cycle needs a declared
    # `requires`; most catalogs have none, and skip the graph.
    cycles_possible = any(map(_REQUIRES, by_ref.values()))
    if not cycles_possible and key_needs_met(by_ref):
        return issues  # (nothing can dangle: the walk below would find nothing)
    needs: dict[Ref, tuple[Ref, ...]] = {}
    dangling: list[tuple[Resource, Ref]] = []
    all_declared = _all_declared_test(by_ref)
    for resource in resources:
        if not cycles_possible and all_declared(resource):
            continue  # (the common case, checked on key tuples: no Ref is made)
        dependencies = resource.dependencies()
        if cycles_possible:
            needs.setdefault(resource.ref, dependencies)
        for needed in dependencies:
            if needed not in by_ref and needed.name not in ignored:
                dangling.append((resource, needed))
    for resource, needed in dangling:
        message = _dangling(resource.ref, needed)
        if needed.kind is not Kind.PACKAGE_PRODUCT:
            names = [ref.name for ref in by_ref if ref.kind is needed.kind]
            message += suggest(needed.name, names)
        issues.append(Issue(message, resource.location))
    if cycles_possible:
        issues.extend(_check_cycles(by_ref, needs))
    return issues


_REF, _REQUIRES = attrgetter("ref"), attrgetter("requires")
_RENAMED_FROM = attrgetter("renamed_from")


def _all_declared_test(by_ref: dict[Ref, Resource]) -> Callable[[Resource], bool]:
    """A quick test of whether all of a resource's `dependencies()` are declared: on the
    keys of products and packages (making a `Ref`, and hashing its `Kind`, is a Python
    call); only a nested package-product's parent is looked up as a `Ref`."""
    products = {ref.key for ref in by_ref if ref.kind is Kind.PRODUCT}
    packages = {ref.key for ref in by_ref if ref.kind is Kind.PACKAGE}
    package_product = Kind.PACKAGE_PRODUCT

    def all_declared(resource: Resource) -> bool:
        ref = resource.ref
        if ref.kind is package_product:
            key = ref.key
            if key[:1] not in packages or key[-1:] not in products:
                return False
            if len(key) > 2 and Ref(package_product, key[:-1]) not in by_ref:
                return False
        return all(needed in by_ref for needed in resource.requires) if resource.requires else True

    return all_declared


def _dangling(ref: Ref, needed: Ref) -> str:
    if needed.kind is Kind.PACKAGE_PRODUCT:
        return f"{ref} refers to {needed}, which is not declared"
    return f"{ref} refers to unknown {kind_word(needed.kind)} '{needed.name}'"


def _check_renames(by_ref: dict[Ref, Resource]) -> list[Issue]:
    issues: list[Issue] = []
    claimed: dict[Ref, Resource] = {}
    for resource in by_ref.values():
        for old in resource.renamed_from:
            old_ref = Ref(resource.ref.kind, (old,))
            if old_ref in by_ref:
                issues.append(
                    Issue(
                        f"{resource.ref} is renamed from '{old}', "
                        f"but '{old}' is still declared{_where(by_ref[old_ref])}",
                        resource.location,
                    )
                )
            previous = claimed.setdefault(old_ref, resource)
            if previous is not resource:
                issues.append(
                    Issue(
                        f"{old_ref} is claimed by two renames: '{previous.ref.name}' and "
                        f"'{resource.ref.name}'",
                        resource.location,
                    )
                )
    return issues


def _check_cycles(by_ref: dict[Ref, Resource], needs: dict[Ref, tuple[Ref, ...]]) -> list[Issue]:
    graph = {ref: [d for d in needs[ref] if d in by_ref] for ref in by_ref}
    if not _has_cycle(graph):
        return []
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle: list[Ref] = exc.args[1]
        path = " → ".join(str(ref) for ref in cycle)
        start = by_ref[cycle[0]].location
        return [Issue(f"reference cycle: {path}", start)]
    return []


def _has_cycle(graph: dict[Ref, list[Ref]]) -> bool:
    """Kahn's algorithm: whether some nodes never run out of unmet dependencies.

    A fraction of what `graphlib` costs on a large catalog (which is acyclic nearly
    always); graphlib still finds and words the cycle when there is one.
    """
    waiting = {ref: len(deps) for ref, deps in graph.items()}
    dependents: dict[Ref, list[Ref]] = {}
    for ref, deps in graph.items():
        for dep in deps:
            dependents.setdefault(dep, []).append(ref)
    ready = [ref for ref, count in waiting.items() if count == 0]
    done = 0
    while ready:
        ref = ready.pop()
        done += 1
        for dependent in dependents.get(ref, ()):
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
    return done < len(graph)


def project_catalog_files(project: Project) -> list[Path]:
    """The YAML files the project's `catalog:` paths name (see `find_catalog_files`)."""
    return find_catalog_files(
        project.config.catalog,
        project.root,
        exclude=[project.config_path],
        allow_outside=project.config.allow_catalog_outside_project,
    )


def load_project_catalog(
    project: Project,
    counts_known: CountsKnown | None = None,
    write_later: WriteLater | None = None,
    *,
    beside: bool = False,
    abandon: Abandon | None = None,
) -> Catalog:
    """The desired catalog of a project, from the catalog paths its config names (from the
    project's catalog cache when those files did not change: `catalog_cache`, which tells
    `counts_known` the catalog's counts early, hands `write_later` a new entry's write and,
    with `beside`, loads a catalog it does not hold in a forked child on the other core,
    which `abandon` stops)."""
    files = project_catalog_files(project)
    backend = project.config.backend
    shown = [display_path(file) for file in files]
    return cached_catalog(
        project.state_dir,
        backend,
        files,
        lambda: load_catalog(files, get_format(backend)),
        counts_known,
        write_later,
        beside=beside,
        abandon=abandon,
        update=lambda previous, items, now: updated_catalog(
            files, get_format(backend), shown, previous, items, now
        ),
    )
