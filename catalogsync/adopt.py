"""Adoption: export the live catalog into a project, checked before anything is written.

`exporter` (pure) picks the objects and makes the YAML texts; here they are placed in the
project:

1. when the files join the project's catalog (they are under its `catalog:` paths), its
   existing catalog files (those not being overwritten) are read, so that objects already
   declared are not exported again; an export elsewhere stands alone;
2. the new files are written (one at a time) to a staging folder and loaded *together
   with* the existing ones, and planned against the same live catalog: every exported
   object must plan as unchanged. Only then are the files moved into place, each
   atomically. An export that would not load back unchanged is a bug, and refusing is
   better than writing a catalog that lies.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from catalogsync import collector
from catalogsync.beside import Beside, Lost, run_of
from catalogsync.beside import answer_within as _answer_within  # (tests set it)
from catalogsync.catalog import Kind, Ref, Resource
from catalogsync.catalog_format import CatalogFormat
from catalogsync.catalog_writer import CatalogWriter, write_file
from catalogsync.config import Project
from catalogsync.errors import CatalogSyncError, CatalogValidationError, UsageError
from catalogsync.export_ahead import EarlyFile, ExportAhead
from catalogsync.export_check import StagedCheck
from catalogsync.exporter import (
    Chosen,
    ExportResult,
    Selection,
    SplitBy,
    choose_export,
    export_texts_of,
)
from catalogsync.live import LiveCatalog
from catalogsync.loader import load_catalog, project_catalog_files
from catalogsync.planner import PlanOptions, build_plan, upserts
from catalogsync.registry import get_format
from catalogsync.staging import put_whole, staging_folder
from catalogsync.yamlio import display_path

SCHEMA_FOLDER = "schemas"


@dataclass
class PreparedExport:
    """A verified export, ready to write: its files wait in a staging folder."""

    result: ExportResult
    out: Path
    schema_path: Path
    schema_text: str
    notes: list[str] = field(default_factory=list)
    #: The verified files under their relative paths (None: nothing to write).
    staged: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    _targets: list[Path] | None = field(default=None, init=False, repr=False, compare=False)
    _shown: list[str] | None = field(default=None, init=False, repr=False, compare=False)
    _counts: dict[Kind, int] | None = field(default=None, init=False, repr=False, compare=False)

    def targets(self) -> list[Path]:
        """Where the files go (made once: listed, written and checked for coverage)."""
        if self._targets is None:
            self._targets = [self.out / relative for relative in self.result.files]
        return self._targets

    def shown(self) -> list[str]:
        """The targets as the report lists them (`shown_paths`; made once)."""
        if self._shown is None:
            self._shown = shown_paths(self.targets())
        return self._shown

    def counts(self) -> dict[Kind, int]:
        """How many objects of each kind the files hold (made once)."""
        if self._counts is None:
            self._counts = self.result.count()
        return self._counts

    def close(self) -> None:
        """Remove the staging folder (what `write_export` did not move out of it)."""
        if self.staged is not None:
            self.staged.cleanup()
            self.staged = None

    def __enter__(self) -> PreparedExport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def prepare_export(
    project: Project,
    live: LiveCatalog,
    options: PlanOptions,
    *,
    out: Path,
    selection: Selection,
    split_by: SplitBy,
    force: bool,
    ahead: ExportAhead | None = None,
) -> PreparedExport:
    """Make and verify the export (nothing is written). `ahead`: the work started before
    the read ended (`export_ahead`), used where it is this export's own.

    The choice leaves its check that nothing needed is missing (`choose_export`'s
    `needs_later`) to this process once the child that shares the files is forked: it
    almost always holds, and the child need not wait for it. When it does not, the
    export is made again from the start with the dependencies looked for, before
    anything is said or written.

    Raises:
        UsageError: files would be overwritten without `force`.
        CatalogSyncError: the export does not load back, or not unchanged (nothing written).
    """
    made = functools.partial(_prepared, project, live, options, out, selection, split_by, force)
    try:
        return made(ahead, needs_later=True)
    except _NeedsMore:  # (rare: an object needs one not chosen, or one not exportable)
        return made(None, needs_later=False)


def _prepared(
    project: Project,
    live: LiveCatalog,
    options: PlanOptions,
    out: Path,
    selection: Selection,
    split_by: SplitBy,
    force: bool,
    ahead: ExportAhead | None,
    *,
    needs_later: bool,
) -> PreparedExport:
    """`prepare_export`, the choice's check of what is needed left for later or not."""
    fmt = get_format(project.config.backend)
    schema_path = out / SCHEMA_FOLDER / f"{fmt.backend}.catalog.schema.json"
    notes: list[str] = []

    def choose(declared: frozenset[Ref], checked: bool) -> Chosen:
        return choose_export(
            live,
            fmt,
            selection=selection,
            split_by=split_by,
            declared=declared,
            checked=checked,
            needs_later=needs_later,
        )

    # Unchecked first: the load in `_verify` checks every exported object anyway.
    chosen = choose(frozenset(), checked=False)
    # Files that join the project's catalog are checked against what it declares already;
    # an export elsewhere (a review copy, another repository) stands alone.
    listed = [(project.root / entry).resolve() for entry in project.config.catalog]
    if _joins_catalog(listed, out, chosen.groups):
        targets = set(_resolved(out / p for p in chosen.groups))
        # Everything selected may be declared already (export run again in an adopted
        # project): then there is nothing to write, and nothing would be overwritten.
        _, everything = _existing_catalog(project, set(), [])
        if everything and _all_declared(live, selection, _refs(everything)):
            empty = ExportResult((), ())
            return PreparedExport(empty, out, schema_path, fmt.json_schema_text(), notes)
        existing, kept = _existing_catalog(project, targets, notes)
        declared = _refs(kept)
        chosen = choose(declared, checked=False)
    else:
        existing, kept, declared = [], (), frozenset()

    header = export_header(fmt, options.target, out)

    def stage(chosen: Chosen) -> PreparedExport:
        """Write the files to a staging folder and verify them there."""
        # (the objects' keys, `Chosen.result`, are listed once the child is forked: until
        # then the result holds the files alone; see `settle`)
        result = ExportResult(tuple(chosen.groups), ())
        # The staging folder a file was started in before the read ended, if that is this
        # export's own work (`export_ahead`; the first choice only).
        staged, early = ahead.take(chosen, live, kept) if ahead is not None else (None, [])
        if staged is None:
            staged = staging_folder(out)
        prepared = PreparedExport(result, out, schema_path, "", notes, staged)
        folder = Path(staged.name)
        for parent in dict.fromkeys(map(os.path.dirname, result.files)):
            os.makedirs(os.path.join(staged.name, parent), exist_ok=True)

        def settle() -> None:
            """What needs this process alone, done once the child shares the files."""
            if chosen.needs_met is not None and not chosen.needs_met():
                raise _NeedsMore
            clobbered = sorted(str(p) for p in _existing(out / rel for rel in result.files))
            if clobbered and not force:
                raise UsageError(
                    "export would overwrite existing files (pass --force to replace them, "
                    "or choose another --out):\n  " + "\n  ".join(clobbered)
                )
            # What the report and the writing use, made while the child works rather than
            # after its answer (at L ~0.05 s).
            prepared.result = chosen.result()
            prepared.schema_text = fmt.json_schema_text()
            prepared.counts()
            prepared.shown()

        try:
            check = StagedCheck.prepare(chosen, fmt, kept, folder, live, options)
            # (kept by a command to its exit, as the live catalog: the choice's records
            # and links and the check's index are freed at once then, not as this returns)
            collector.outlive(chosen, check)
            if not _written_and_checked(chosen, fmt, header, check, early, settle):
                # A part failed: the whole check, here, words the error (or passes).
                paths = (folder / relative for relative in result.files)
                _verify(
                    prepared.result, fmt, itertools.chain(existing, paths), folder, live, options
                )
        except BaseException:
            for file in early:  # (stopped before its folder goes)
                file.close()
            prepared.close()
            raise
        return prepared

    try:
        prepared = stage(chosen)
    except CatalogSyncError:
        if chosen.checked:
            raise
        # Something exported does not load back unchanged: ask the format about each
        # object, leave out those it refuses, and verify again (an error now is final).
        prepared = stage(choose(declared, checked=True))
    return prepared


class _NeedsMore(Exception):
    """The choice left out an object that an exported one needs (`Chosen.needs_met`)."""


def export_header(fmt: CatalogFormat, target: str, out: Path) -> Callable[[str], list[str]]:
    """The comment lines that start each exported file, by its path relative to `out`."""
    schema_resolved = (out / SCHEMA_FOLDER / f"{fmt.backend}.catalog.schema.json").resolve()

    @functools.cache
    def folder_resolved(folder: Path) -> Path:  # a few folders for all the files
        return folder.resolve()

    @functools.cache
    def header_in(folder: str) -> list[str]:  # (a file's header depends on its folder only)
        return _header(fmt, target, folder_resolved(out / folder), schema_resolved)

    def header(path: str) -> list[str]:
        return header_in(os.path.dirname(path))

    return header


def _refs(resources: Iterable[Resource]) -> frozenset[Ref]:
    return frozenset(resource.ref for resource in resources)


def _written_and_checked(
    chosen: Chosen,
    fmt: CatalogFormat,
    header: Callable[[str], Sequence[str]],
    check: StagedCheck,
    early: Sequence[EarlyFile] = (),
    settle: Callable[[], None] = lambda: None,
) -> bool:
    """Write each staged file and check it (`StagedCheck`), the files shared out between a
    forked child and this process (`Beside.share`); whether every part passed. The `early`
    files, started before the read ended, are their children's: each is taken once this
    process has no more of the rest to take, while the child does its last (and written
    and checked here when its child's work was not the one this export needs,
    `EarlyFile.passed`).

    Once a part fails the rest are only written: the caller then checks them all at once.
    `settle` runs in this process first, once the child is forked: what must hold before
    any file is used but only this process needs (it raises to stop the export).

    The files are handed out largest first. Each file is one item, and the order of the
    groups puts `products.yaml` (a quarter of the objects, in one file) last: whichever
    process took it then wrote and checked it alone while the other had nothing left (at
    M ~0.45 s of CPU, at L seconds). Largest first, the last items are the smallest.
    """
    groups = chosen.groups
    started_early = {file.relative for file in early}
    files = sorted(
        (relative for relative in groups if relative not in started_early),
        key=lambda relative: len(groups[relative]),
        reverse=True,
    )
    folder = check.folder
    shared = len(files)  # (an early file made here after all is added after these)

    def done(items: Iterable[int]) -> bool:
        passed = True
        writer = CatalogWriter()
        made: dict[int, str] = {}  # the texts of the items of a run not yet written
        for item in items:
            relative = files[item]
            text = made.pop(item, None)
            if text is None:  # the texts of this item's run, made together
                run = run_of(shared, item) if item < shared else range(item, item + 1)
                paths = [files[at] for at in run]
                texts = export_texts_of(chosen, fmt, paths, list(map(header, paths)), writer)
                made.update(zip(run, texts, strict=True))
                text = made.pop(item)
            write_file(folder / relative, text)
            passed = passed and check.file_ok(relative)
        return passed

    def early_done(file: EarlyFile) -> bool:
        passed = file.passed(groups[file.relative], header(file.relative))
        if passed is None:  # not this export's file after all: made here
            files.append(file.relative)
            return done(_noted(iter([len(files) - 1]), taken))
        return passed

    started = time.monotonic()
    child, mine = Beside.share(len(files), done)
    taken: list[int] = []
    try:
        settle()
        passed = check.references_ok()
        passed = done(_noted(mine, taken)) and passed
        for file in early:  # (while the child does its last items)
            passed = early_done(file) and passed
        if child is not None:
            try:
                passed = child.result(_answer_within(time.monotonic() - started)) and passed
            except Lost:  # (killed, out of memory, stuck): its files, here
                ours = set(taken)
                passed = done(item for item in range(len(files)) if item not in ours) and passed
        return passed
    finally:
        if child is not None:
            child.close()
        for file in early:
            file.close()


def _noted(items: Iterator[int], taken: list[int]) -> Iterator[int]:
    for item in items:
        taken.append(item)
        yield item


def _all_declared(live: LiveCatalog, selection: Selection, declared: frozenset[Ref]) -> bool:
    return all(r.ref in declared for r in live if selection.selects(r.ref))


def write_export(prepared: PreparedExport, project: Project) -> list[str]:
    """Write the files (each atomically, or all at once: `staging.put_whole`); return notes
    for the user."""
    notes = list(prepared.notes)
    assert prepared.staged is not None or not prepared.result.files
    staged = prepared.staged
    if staged is not None and prepared.result.files and not put_whole(staged.name, prepared.out):
        for folder in dict.fromkeys(path.parent for path in prepared.targets()):
            folder.mkdir(parents=True, exist_ok=True)
        # (each staged path joined as text: 5,001 `Path` joins were ~0.05 s of CPU at L)
        for relative, target in zip(prepared.result.files, prepared.targets(), strict=True):
            _move_atomically(os.path.join(staged.name, relative), target)
    prepared.close()
    schema = prepared.schema_path
    stale = not schema.exists() or schema.read_text(encoding="utf-8") != prepared.schema_text
    if prepared.result.files and stale:
        _write_atomically(schema, prepared.schema_text)
        notes.append(f"wrote the editor schema {display_path(schema, project.root)}")
    notes.extend(_coverage_notes(prepared, project))
    return notes


def shown_paths(paths: Iterable[Path]) -> list[str]:
    """`display_path(path, Path.cwd())` of each path, worked out once per folder: an export
    writes thousands of files into a few folders, and a file is shown as its folder is,
    followed by its name."""
    cwd = Path.cwd()
    folders: dict[Path, str] = {}
    shown = []
    for path in paths:
        folder = folders.get(path.parent)
        if folder is None:
            folder = folders[path.parent] = display_path(path.parent, cwd)
        shown.append(path.name if folder == os.curdir else os.path.join(folder, path.name))
    return shown


def _resolved(paths: Iterable[Path]) -> list[Path]:
    """`path.resolve()` of each path, each folder resolved and listed once: an export's
    files share a few folders (5,000 package files one), `resolve` walks every part of a
    path, and only a file that is a symbolic link needs more than its folder's answer."""
    folders: dict[Path, tuple[Path, frozenset[str] | None]] = {}
    resolved = []
    for path in paths:
        parent = path.parent
        known = folders.get(parent)
        if known is None:
            folder = parent.resolve()
            known = folders[parent] = (folder, _links_in(folder))
        folder, links = known
        inside = folder / path.name
        linked = inside.is_symlink() if links is None else path.name in links
        resolved.append(inside.resolve() if linked else inside)
    return resolved


def _not_covered(out: Path, relatives: Sequence[str], covered: set[Path]) -> list[int]:
    """The places in `relatives` of the files at `out / relative` that, resolved, are
    not among the `covered` (resolved) paths: what `_resolved` of each path tells, told
    per folder (an export's 5,001 files are in three; a `Path` per file was ~0.03 s at L):
    a file that is no symbolic link resolves into its folder's resolved path, so it is
    covered exactly when its name is covered there; each link is resolved on its own."""
    folders: dict[str, tuple[Path, frozenset[str] | None, set[str]]] = {}
    outside = []
    for at, relative in enumerate(relatives):
        folder, name = os.path.split(relative)
        known = folders.get(folder)
        if known is None:
            resolved = (out / folder).resolve()
            names = {path.name for path in covered if path.parent == resolved}
            known = folders[folder] = (resolved, _links_in(resolved), names)
        resolved, links, names = known
        linked = (resolved / name).is_symlink() if links is None else name in links
        if linked:
            if (resolved / name).resolve() not in covered:
                outside.append(at)
        elif name not in names:
            outside.append(at)
    return outside


def _links_in(folder: Path) -> frozenset[str] | None:
    """The names of the symbolic links in `folder` (none when it does not exist), or None
    when it cannot be listed (then each path is asked about: a folder one may enter but
    not list still answers `lstat`)."""
    try:
        with os.scandir(folder) as entries:
            return frozenset(entry.name for entry in entries if entry.is_symlink())
    except FileNotFoundError:
        return frozenset()
    except OSError:
        return None


def _joins_catalog(listed: list[Path], out: Path, relatives: Iterable[str]) -> bool:
    """Whether any file at `out / relative` is `_in_catalog_paths` once resolved: what
    `_any_in_catalog_paths(listed, _resolved(...))` answers, told per folder (an export's
    5,001 files are in three) without a `Path` per file: a file that is no symbolic link
    resolves into its folder's resolved path, so it joins the catalog exactly when that
    folder does or it is a listed file there; each link is resolved on its own."""
    names_in: dict[str, list[str]] = {}
    for relative in relatives:
        folder, name = os.path.split(relative)
        names_in.setdefault(folder, []).append(name)
    for folder, names in names_in.items():
        path = out / folder
        resolved = path.resolve()
        links = _links_in(resolved)
        if links is None:  # (not listable: each file asked about)
            if _any_in_catalog_paths(listed, _resolved(path / name for name in names)):
                return True
            continue
        plain = [name for name in names if name not in links] if links else names
        if plain and _in_catalog_paths(listed, resolved):
            return True
        listed_here = {entry.name for entry in listed if entry.parent == resolved}
        if not listed_here.isdisjoint(plain):
            return True
        linked = [(path / name).resolve() for name in names if name in links]
        if _any_in_catalog_paths(listed, linked):
            return True
    return False


def _existing(paths: Iterable[Path]) -> list[Path]:
    """The paths that exist, each folder listed once instead of a look-up per path."""
    listed: dict[Path, frozenset[str]] = {}
    found = []
    for path in paths:
        names = listed.get(path.parent)
        if names is None:
            try:
                names = frozenset(os.listdir(path.parent))
            except OSError:  # no such folder (or not one): nothing in it exists
                names = frozenset()
            listed[path.parent] = names
        if path.name in names and path.exists():  # (exists: a dangling link does not)
            found.append(path)
    return found


def _in_catalog_paths(listed: list[Path], path: Path) -> bool:
    """Whether `plan` reads a catalog file written at `path`: one of the project's
    `listed` catalog paths (resolved) is that file or a folder above it."""
    return any(path == entry or entry in path.parents for entry in listed)


def _any_in_catalog_paths(listed: list[Path], paths: Iterable[Path]) -> bool:
    """Whether any of `paths` is `_in_catalog_paths`, each folder asked about once (a
    path is inside a listed folder exactly when its own folder is that folder or inside
    it; only a listed file is a path's own answer)."""
    files = set(listed)
    folders: dict[Path, bool] = {}
    for path in paths:
        if path in files:
            return True
        inside = folders.get(path.parent)
        if inside is None:
            inside = folders[path.parent] = _in_catalog_paths(listed, path.parent)
        if inside:
            return True
    return False


def _existing_catalog(
    project: Project, overwritten: set[Path], notes: list[str]
) -> tuple[list[Path], tuple[Resource, ...]]:
    """The project's catalog files that stay, and what they declare."""
    try:
        files = project_catalog_files(project)
    except CatalogValidationError:
        return [], ()  # no catalog yet: a fresh adoption
    kept = [f for f in files if f.resolve() not in overwritten]
    if not kept:
        return [], ()
    try:
        catalog = load_catalog(kept, get_format(project.config.backend), base=project.root)
    except CatalogValidationError as exc:
        notes.append(
            f"the project's existing catalog has {len(exc.issues)} problem(s) (run "
            "`catalogsync validate`); exported everything selected, without checking it "
            "against the existing files"
        )
        return [], ()
    return kept, catalog.resources


def _verify(
    result: ExportResult,
    fmt: CatalogFormat,
    files: Iterable[Path],
    folder: Path,
    live: LiveCatalog,
    options: PlanOptions,
) -> None:
    """Load `files` (the project's existing ones, then those staged in `folder`, read as
    they come), and plan them against `live`: every exported object must be unchanged."""
    exported = set(result.refs)
    try:
        desired = load_catalog(files, fmt, base=folder)
    except CatalogValidationError as exc:
        raise CatalogSyncError(
            "the exported catalog does not load back, so nothing was written. The live "
            "catalog holds values a catalog file cannot declare; fix them in the billing "
            "system, or leave those objects out with --exclude:\n  "
            + "\n  ".join(str(issue) for issue in exc.issues[:20])
        ) from exc
    options = dataclasses.replace(options, prune=())
    if all(c.ref not in exported for c in upserts(desired, live, options)):
        return
    # A bug: the whole plan, for its order of the changes (what the message lists).
    moved = [c for c in build_plan(desired, live, options).changes if c.ref in exported]
    if moved:
        listed = "\n  ".join(f"{c.action.value} {c.ref}" for c in moved[:20])
        raise CatalogSyncError(
            "the exported catalog would not plan as unchanged (nothing was written; this is "
            f"a bug in catalogsync, please report it):\n  {listed}"
        )


def _header(fmt: CatalogFormat, target: str, folder: Path, schema: Path) -> list[str]:
    """The comment lines that start a file in `folder` (both paths resolved)."""
    relative = Path(os.path.relpath(schema, folder)).as_posix()
    return [
        f"yaml-language-server: $schema={relative}",
        f"Exported by `catalogsync export` from {fmt.backend} target '{target}'.",
    ]


def _move_atomically(staged: str, path: Path) -> None:
    """Put a staged file at `path` (its folder exists): renamed when on the same file
    system, else copied."""
    try:
        os.replace(staged, path)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        partial = path.with_name(f".{path.name}.partial")
        shutil.copyfile(staged, partial)
        os.replace(partial, path)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _coverage_notes(prepared: PreparedExport, project: Project) -> list[str]:
    """Warn when the written files are outside the project's `catalog:` paths."""
    try:
        files = project_catalog_files(project)
    except CatalogValidationError:
        files = []
    covered = {f.resolve() for f in files}
    targets = prepared.targets()
    outside = [targets[at] for at in _not_covered(prepared.out, prepared.result.files, covered)]
    if not outside:
        return []
    shown = ", ".join(display_path(p, project.root) for p in outside[:5])
    return [
        f"{len(outside)} written file(s) are not among the project's catalog paths "
        f"({', '.join(project.config.catalog)}), so `plan` will not read them: {shown}. "
        "Add their folder to `catalog:` in catalogsync.yaml."
    ]
