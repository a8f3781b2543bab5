"""Export: the live catalog written as catalog YAML, for adopting a running billing system.

The backend's `CatalogFormat` decides how objects are written (`export_fields`, `item`,
`document`); this module decides *which* objects go into *which* file:

- `--only` / `--exclude` select objects by kind and name glob. A selected package brings
  its package-products (they are written inside it). Objects a selected one needs (its
  package, product, parent package-product, linked package) are added, unless the project
  already declares them, so the result always loads.
- `--split-by package` writes `products.yaml` and one `packages/<name>.yaml` per package;
  `kind` writes `products.yaml` and `packages.yaml`; `none` writes one `catalog.yaml`.

Nothing here writes files: `choose_export` picks the objects and their files,
`export_texts` makes the texts one file at a time (`export_texts_of`: a run of files
together), and `adopt` verifies them (load + plan = no changes) before they reach the
output folder.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain, compress, groupby, repeat
from operator import attrgetter, is_not, itemgetter, methodcaller

from pydantic import ValidationError

from catalogsync.catalog import Kind, Ref, key_needs_met, ref_order, references
from catalogsync.catalog_format import CatalogFormat
from catalogsync.catalog_writer import CatalogWriter
from catalogsync.errors import SourceLocation
from catalogsync.live import LiveCatalog, LiveResource, ref_of

# Re-exported: where export's callers have always found them.
from catalogsync.selection import Selection as Selection
from catalogsync.selection import Selector as Selector

#: The selection of every object (a frozen value: safe as a default).
_EVERYTHING = Selection()


class SplitBy(StrEnum):
    """How exported objects are spread over files."""

    PACKAGE = "package"
    KIND = "kind"
    NONE = "none"


@dataclass
class ExportResult:
    """The files an export writes, and what it had to add or leave out."""

    files: tuple[str, ...]  # paths relative to the output folder
    refs: tuple[Ref, ...]  # the exported objects
    added: list[Ref] = field(default_factory=list)  # needed by a selected object
    skipped: list[tuple[Ref, str]] = field(default_factory=list)  # cannot be written, why

    def count(self) -> dict[Kind, int]:
        counts = dict.fromkeys(Kind, 0)
        for ref in self.refs:
            counts[ref.kind] += 1
        return counts


@dataclass
class Chosen:
    """The objects an export writes, grouped by file, before any YAML is made.

    Only their keys and live records are kept: each file's objects are made from the
    records when the file is written (`export_texts`), and dropped with it.
    """

    groups: dict[str, list[Ref]]  # path relative to the output folder → its objects
    #: Each file's live records, in the order of its objects in `groups` (handed over as
    #: they are grouped: the texts look none up by key, 205,000 hashed `Ref`s at L). A
    #: file's objects are in key order (`ref_order`: the live catalog's), which the texts
    #: rely on (`export_texts_of`).
    records: dict[str, list[LiveResource]] = field(repr=False)
    added: list[Ref]
    skipped: list[tuple[Ref, str]]
    #: Whether the format was asked about each exported object (False: the caller
    #: loads the files back instead, see `choose_export`).
    checked: bool
    #: What each live object that links anything links to (`CatalogFormat.linked_refs`
    #: of its record; absent: it links nothing), worked out once for the choice and
    #: handed on to the proof (`export_check`), which needs the same of the same records.
    links: Mapping[Ref, tuple[Ref, ...]] = field(default_factory=dict, repr=False)
    #: Whether everything the exported objects need is exported too and no name is blank,
    #: when the choice left that question to its caller (`choose_export(needs_later=True)`);
    #: None: it is settled.
    needs_met: Callable[[], bool] | None = field(default=None, repr=False, compare=False)
    #: Whether every exported key is held once and every key's key-implied needs
    #: (`key_needs_met`) are exported too, when the choice can tell it cheaply (asked once,
    #: then remembered: `needs_met` asks it, and so does the proof's check across files);
    #: None: not known here.
    keys_whole: Callable[[], bool] | None = field(default=None, repr=False, compare=False)

    @property
    def refs(self) -> tuple[Ref, ...]:
        return tuple(ref for refs in self.groups.values() for ref in refs)

    def result(self) -> ExportResult:
        return ExportResult(tuple(self.groups), self.refs, self.added, self.skipped)


def choose_export(
    live: LiveCatalog,
    fmt: CatalogFormat,
    *,
    selection: Selection = _EVERYTHING,
    split_by: SplitBy = SplitBy.PACKAGE,
    declared: Iterable[Ref] = (),
    checked: bool = True,
    needs_later: bool = False,
) -> Chosen:
    """The selected live objects, grouped by the file they go to.

    `declared` are objects the project already declares elsewhere: they are neither
    exported as dependencies nor written twice.

    `checked=False` leaves out the costly part: validating every exported object as a
    catalog file would declare it (the format's document model, a second time per
    object). A caller that loads the written files back anyway (`adopt`) learns the same
    from that load, and only when it fails asks again with `checked=True`, which finds
    and leaves out the objects the format refuses. The objects that are not exported are
    still checked (their refusal is reported as a warning either way); if any is refused,
    the result is the checked one.

    `needs_later=True` (with `checked=False`) leaves out the check that everything the
    chosen objects need is chosen or declared, which almost always holds (at L a fifth of
    the choice's CPU): `Chosen.needs_met` answers it, and a caller that gets False must
    choose again without `needs_later` (objects are then added or left out). `adopt`
    asks it beside the forked child that writes and checks half the files. So is the
    check that no name is blank (which such a name fails too): until it is asked, the
    files may hold a blank name, which the choice made again leaves out.
    """
    known = frozenset(declared)
    if not (checked or known or selection.only or selection.exclude):
        everything = _everything(live, fmt, later=needs_later)
        if everything is not None:  # the usual export: every record as it is
            refs, links, needs_met, keys_whole = everything
            groups = _group(refs, live.resources, split_by)
            return Chosen(*groups, [], [], checked, links, needs_met, keys_whole)
    later: list[Callable[[], bool]] = []
    if checked:
        by_ref, chosen, added, skipped, links = _choose(live, fmt, selection, known, links=fmt)
    else:
        by_ref, chosen, added, skipped, links = _choose(
            live, None, selection, known, links=fmt, needs_later=later if needs_later else None
        )
        if len(chosen) == len(by_ref):  # everything is exported (`chosen` is within `by_ref`)
            rest = []
        else:
            exported = set(chosen)
            rest = [ref for ref in by_ref if ref not in exported]  # (in order: `_exportable`)
        if rest and _format_problem(rest, by_ref, fmt) is not None:
            return choose_export(
                live, fmt, selection=selection, split_by=split_by, declared=known, checked=True
            )
    # (everything exported, the usual case: the records in order, none looked up by key)
    records = list(by_ref.values()) if len(chosen) == len(by_ref) else [by_ref[r] for r in chosen]
    needs_met = later[0] if later else None
    return Chosen(*_group(chosen, records, split_by), added, skipped, checked, links, needs_met)


def export_texts(
    chosen: Chosen, fmt: CatalogFormat, header: Callable[[str], Sequence[str]] = lambda path: ()
) -> Iterator[tuple[str, str]]:
    """(path, YAML text) of each file, one file at a time; `header(path)` gives the comment
    lines that start the file at `path` (e.g. the schema modeline, relative to that file)."""
    writer = CatalogWriter()
    for path in chosen.groups:
        yield path, export_text(chosen, fmt, path, header(path), writer)


def export_text(
    chosen: Chosen,
    fmt: CatalogFormat,
    path: str,
    header: Sequence[str] = (),
    writer: CatalogWriter | None = None,
) -> str:
    """The YAML text of the file at `path` (one of `chosen.groups`), starting with the
    comment lines `header`; `writer` remembers the scalars it wrote (one per process)."""
    records = list(map(_REF_AND_FIELDS, chosen.records[path]))
    return (writer or CatalogWriter()).export(fmt, records, header)


def export_texts_of(
    chosen: Chosen,
    fmt: CatalogFormat,
    paths: Sequence[str],
    headers: Sequence[Sequence[str]],
    writer: CatalogWriter,
) -> list[str]:
    """`export_text` of each file at `paths` with its header (`headers`, in turn), the
    files made together (`CatalogWriter.export_files`: a run of package files' objects
    laid out at once)."""
    files = [list(map(_REF_AND_FIELDS, chosen.records[path])) for path in paths]
    return writer.export_files(fmt, files, headers, in_order=True)


_REF_AND_FIELDS = attrgetter("ref", "fields")


def _choose(
    live: LiveCatalog,
    fmt: CatalogFormat | None,
    selection: Selection,
    already: frozenset[Ref],
    *,
    links: CatalogFormat,
    needs_later: list[Callable[[], bool]] | None = None,
) -> tuple[
    dict[Ref, LiveResource],
    list[Ref],
    list[Ref],
    list[tuple[Ref, str]],
    dict[Ref, tuple[Ref, ...]],
]:
    """(live by key, the keys to export in order, the added dependencies, the skipped,
    what each live object that links anything links to).

    `fmt` refuses what a catalog file cannot declare (None: nothing is refused); `links`
    says what each object links to (its dependencies beyond those its key implies).
    `needs_later`: the dependencies are not looked for; the check that none is missing
    (`_needs_chosen`) is appended to it instead, for the caller to run.
    """
    by_ref, skipped = _exportable(live, fmt)
    if selection.only or selection.exclude:
        chosen = {ref for ref in by_ref if selection.selects(ref) and ref not in already}
    else:  # everything (the usual export): no selector to ask 40,000 times
        chosen = set(by_ref).difference(already)
    linked = _linked(list(by_ref), list(by_ref.values()), links)
    if needs_later is None:
        added = _dependencies(chosen, by_ref, already, skipped, links, linked)
    else:  # (`chosen` is not changed after this: the check sees what is exported)
        needs_later.append(lambda: _needs_chosen(chosen, by_ref, linked))
        added = []
    # `by_ref` is in order, and holds every chosen object (added ones too)
    ordered = list(by_ref) if len(chosen) == len(by_ref) else [r for r in by_ref if r in chosen]
    return by_ref, ordered, sorted(added, key=ref_order), skipped, linked


def _everything(
    live: LiveCatalog, fmt: CatalogFormat, *, later: bool = False
) -> (
    tuple[
        list[Ref],
        dict[Ref, tuple[Ref, ...]],
        Callable[[], bool] | None,
        Callable[[], bool],
    ]
    | None
):
    """(every live object's key, what those that link anything link to, None, whether the
    keys are whole: `Chosen.keys_whole`) when all of them are exported as they are: no key
    held twice (`LiveCatalog.distinct_keys`) or blank, and everything each needs among
    them; None otherwise (`_choose` then says what is added or left out, and why). With
    `later`, whether everything needed is among them and no name is blank is not asked
    here: the third item asks it (`Chosen.needs_met`). No dict or set of 205,000 `Ref`s is
    made for it (at L each hashed its key tuple: ~0.1 s)."""
    if not live.distinct_keys:
        return None
    refs = list(map(ref_of, live))
    links = _linked(refs, live.resources, fmt)

    @functools.cache
    def keys_whole() -> bool:  # (each key is held once: `distinct_keys`)
        return key_needs_met(refs)

    def needs_met() -> bool:
        if not (keys_whole() and _no_blank_name(live)):
            return False
        return not links or all(map(set(refs).issuperset, links.values()))

    if later:
        return refs, links, needs_met, keys_whole
    return (refs, links, None, keys_whole) if needs_met() else None


def _no_blank_name(live: LiveCatalog) -> bool:
    """Whether no name in a key is blank, where every key's key-implied needs are among the
    records (`key_needs_met`): each name in a package item's key is then a package's or a
    product's, so only theirs are looked at (at L 55,000 names, not 560,000)."""
    records = chain(live.of_kind(Kind.PACKAGE), live.of_kind(Kind.PRODUCT))
    return all(map(str.strip, chain.from_iterable(map(_KEY_OF_RECORD, records))))


_KEY_OF_RECORD = attrgetter("ref.key")


def _linked(
    refs: Sequence[Ref], records: Sequence[LiveResource], fmt: CatalogFormat
) -> dict[Ref, tuple[Ref, ...]]:
    """What each record (of `refs`, in turn) that links anything links to: the format's
    `linked_refs` of its fields, asked only of those holding a link field that is not
    empty (told in C: at L 150,000 package-products hold an empty one)."""
    names = tuple(fmt.link_fields)
    if not names:
        return {}
    fields = list(map(_FIELDS_OF, records))
    holding: set[int] = set()
    for name in names:
        values = list(map(methodcaller("get", name), fields))
        if values.count(None) != len(values):  # (at L mostly none holds it)
            holding.update(compress(range(len(fields)), map(is_not, values, repeat(None))))
    linked_refs = fmt.linked_refs
    links = {}
    for at in sorted(holding):
        if linked := linked_refs(fields[at]):
            links[refs[at]] = linked
    return links


_FIELDS_OF = attrgetter("fields")


def _exportable(
    live: LiveCatalog, fmt: CatalogFormat | None
) -> tuple[dict[Ref, LiveResource], list[tuple[Ref, str]]]:
    """Live objects by key, in the live catalog's order (`ref_order`); objects YAML cannot
    declare are listed with the reason.

    With a format, each object is also validated as a catalog file would declare it, so
    one odd record (a link to a product without its package) is left out alone instead
    of failing the whole export.
    """
    skipped: list[tuple[Ref, str]] = []
    by_ref: dict[Ref, LiveResource] = dict(zip(map(ref_of, live), live, strict=True))  # in C
    names = chain.from_iterable(map(_key_of, by_ref))  # (in C: stripping is cheaper than a set)
    if len(by_ref) < len(live) or not all(map(str.strip, names)):
        by_ref = _declarable(live, skipped)  # a key held twice, or a blank name: say which
    if fmt is not None and _format_problem(list(by_ref), by_ref, fmt) is not None:
        # Something in there cannot be declared: find what, object by object (the whole
        # catalog is checked at once first, since it almost always passes).
        for ref in by_ref:
            problem = _format_problem([ref], by_ref, fmt)
            if problem is not None:
                skipped.append((ref, problem))
        refused = {ref for ref, _ in skipped}
        by_ref = {r: v for r, v in by_ref.items() if r not in refused}
    return by_ref, skipped


_key_of = attrgetter("key")


def _declarable(live: LiveCatalog, skipped: list[tuple[Ref, str]]) -> dict[Ref, LiveResource]:
    """Live objects by key, but those whose key is blank or held twice (added to `skipped`
    with the reason)."""
    by_ref: dict[Ref, LiveResource] = {}
    for resource in live:
        ref = resource.ref
        if not all(map(str.strip, ref.key)):  # a blank part (C-level: 40,000 keys)
            skipped.append((ref, "its name is blank, which a catalog file cannot declare"))
        elif ref in by_ref:
            skipped.append(
                (
                    ref,
                    f"two live records have this key (ids {by_ref[ref].remote_id} and "
                    f"{resource.remote_id}); rename one in the billing system first",
                )
            )
        else:
            by_ref[ref] = resource
    duplicated = {ref for ref, _ in skipped}
    if duplicated:
        by_ref = {r: v for r, v in by_ref.items() if r not in duplicated}
    return by_ref


def _containers(ref: Ref) -> list[Ref]:
    """What a catalog file writes `ref` inside: its package, then its parents."""
    if ref.kind is not Kind.PACKAGE_PRODUCT:
        return []
    return [Ref(Kind.PACKAGE, ref.key[:1])] + [
        Ref(Kind.PACKAGE_PRODUCT, ref.key[:n]) for n in range(2, len(ref.key))
    ]


def _format_problem(
    refs: Sequence[Ref], by_ref: Mapping[Ref, LiveResource], fmt: CatalogFormat
) -> str | None:
    """Why the format refuses `refs` as a catalog file would declare them (None: it does not).

    They are declared inside their packages and parents; one whose container is not in
    `by_ref` is left out (`_dependencies` reports it).
    """
    chains = {c: None for ref in refs for c in [*_containers(ref), ref]}
    whole = [c for c in chains if all(a in by_ref for a in [*_containers(c), c])]
    if not whole:
        return None
    document = fmt.export_document((c, by_ref[c].fields) for c in whole)
    try:
        validated = fmt.document_model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"][-1:])
        return f"a catalog file cannot declare its {where}: {first['msg']}"
    issues = list(fmt.check(validated, lambda path: SourceLocation("export", 1, 1)))
    if issues:
        return f"a catalog file cannot declare it: {issues[0].message}"
    return None


def _dependencies(
    chosen: set[Ref],
    by_ref: Mapping[Ref, LiveResource],
    already: frozenset[Ref],
    skipped: list[tuple[Ref, str]],
    links: CatalogFormat,
    linked: Mapping[Ref, tuple[Ref, ...]],
) -> list[Ref]:
    """Objects the chosen ones need that are neither chosen nor declared (added to `chosen`);
    `linked` is `_linked(by_ref, links)`."""
    if _needs_chosen(chosen, by_ref, linked):
        return []  # the usual case: nothing to add, nothing to leave out
    added: list[Ref] = []
    # In key order (popped from the end): what is left out, and the order it is told in,
    # must not depend on a set's order (which changes with Python's hash seed).
    pending = sorted(chosen, key=ref_order, reverse=True)
    # Left out for a need that cannot be met: never added back as another's need (a
    # package item linking itself without its package was added back, forever).
    left_out: set[Ref] = set()
    while pending:
        ref = pending.pop()
        for needed in _needs(ref, by_ref, links):
            if needed in chosen:  # the usual case, first (chosen never holds declared ones)
                continue
            if needed in already and needed in _containers(ref):
                chosen.discard(ref)
                left_out.add(ref)
                skipped.append(
                    (
                        ref,
                        f"it is written inside {needed}, which the project declares: add it "
                        "there (`catalogsync drift` prints the YAML to paste)",
                    )
                )
                break
            if needed in chosen or needed in already:
                continue
            if needed not in by_ref or needed in left_out:
                chosen.discard(ref)
                left_out.add(ref)
                skipped.append((ref, f"it needs {needed}, which cannot be exported"))
                continue
            chosen.add(needed)
            added.append(needed)
            pending.append(needed)
    return added


def _needs_chosen(
    chosen: set[Ref], by_ref: Mapping[Ref, LiveResource], linked: Mapping[Ref, tuple[Ref, ...]]
) -> bool:
    """Whether everything the chosen objects need is chosen too: what `_needs` finds, told
    from the keys without making a `Ref` per need (three per package-product), each kind's
    keys compared as sets; `linked` is what each record that links anything links to
    (`_linked`: only those can need more than their keys imply)."""
    everything = len(chosen) == len(by_ref)  # (`chosen` is within `by_ref`)
    refs = list(by_ref) if everything else [ref for ref in by_ref if ref in chosen]
    if not key_needs_met(refs):
        return False
    if everything:
        return all(map(chosen.issuperset, linked.values()))
    return all(chosen.issuperset(refs) for ref, refs in linked.items() if ref in chosen)


def _needs(ref: Ref, by_ref: Mapping[Ref, LiveResource], fmt: CatalogFormat) -> tuple[Ref, ...]:
    live = by_ref.get(ref)
    linked = fmt.linked_refs(live.fields) if live is not None else ()
    if not linked and ref.kind is not Kind.PACKAGE_PRODUCT:
        return ()  # its key implies nothing, and it links nothing
    return references(ref, linked)


def _group(
    refs: Sequence[Ref], records: Sequence[LiveResource], split_by: SplitBy
) -> tuple[dict[str, list[Ref]], dict[str, list[LiveResource]]]:
    """Each file's objects and their live records (`records` is `refs`' records in turn).

    A file's objects are the refs' runs that go to it, taken a run at a time: the refs of
    a kind are neighbours in the live catalog's order, and a package's items neighbours
    within them (at L 10,000 runs, where a step per object took 205,000). Files are in
    the order of their first object, package files named in that order (`_unique_slug`).
    """
    groups: dict[str, list[Ref]] = {}
    grouped: dict[str, list[LiveResource]] = {}
    if split_by is SplitBy.NONE:
        return ({"catalog.yaml": list(refs)}, {"catalog.yaml": list(records)}) if refs else ({}, {})
    paths: dict[str, str] = {}  # package name → its file's path
    taken: set[str] = set()  # the file names given so far

    def add(path: str, first: int, end: int) -> None:
        groups.setdefault(path, []).extend(refs[first:end])
        grouped.setdefault(path, []).extend(records[first:end])

    at = 0
    for kind, same_kind in groupby(map(_KIND_OF_REF, refs)):
        end = at + len(list(same_kind))
        if kind is Kind.PRODUCT:
            add("products.yaml", at, end)
        elif split_by is SplitBy.KIND:
            add("packages.yaml", at, end)
        else:
            for package, same_package in groupby(map(_FIRST, map(_KEY_OF_REF, refs[at:end]))):
                path = paths.get(package)
                if path is None:
                    slug = _unique_slug(package, taken)
                    taken.add(slug)
                    path = paths[package] = f"packages/{slug}.yaml"
                count = len(list(same_package))
                add(path, at, at + count)
                at += count
        at = end
    return groups, grouped


_KIND_OF_REF, _KEY_OF_REF, _FIRST = itemgetter(0), itemgetter(1), itemgetter(0)


def _unique_slug(name: str, taken: set[str]) -> str:
    """A file name for a package: lowercase ASCII words joined by '-', unique."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    slug = slug or "package"
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate
