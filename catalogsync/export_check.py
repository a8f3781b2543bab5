"""The export's proof, file by file: what `adopt._verify` proves of all the files at once.

`_verify` loads every staged file together with the project's kept ones (`load_catalog`)
and plans them against the live catalog: no problem in any file, none across files
(`check_references`), and no create or update of an exported object. The same proof, in
parts that two processes can share (`catalogsync.beside`):

- each staged file alone (`StagedCheck.file_ok`): loaded by the loader `plan` uses
  (`loader.load_file`: the same reading, validation and checks), it has no problem, it
  declares exactly the objects written into it (the same keys in the same order), each
  linking to what the live record links to and renaming nothing, and none of them plans
  a create or an update (`planner.upsert_check`: the whole catalog's renames and live
  index, made once);
- the checks across files, once (`StagedCheck.references_ok`): `check_references` on the
  kept resources and, for each exported object, a stand-in with its key and its links.
  That function reads nothing else of a resource to decide whether there is a problem
  (its place only words the message), and `file_ok` showed that the files declare
  exactly these keys and links, so it answers what it would answer on the loaded files.
  Where nothing links or renames, the keys alone tell it (`_keys_alone_ok`: each held
  once, every key's needs among them), and no stand-in is made.

All parts pass exactly when `_verify` passes. When any fails, the caller runs `_verify`
itself, which words the error (or passes: a part may refuse what the whole allows, e.g.
objects in another order), so every message is the one it always was.

The files are read as `plan` reads them: the layout export writes is read line by line
(`catalogsync.yamlblock`, which hands out exactly libyaml's parts, or leaves the file to
libyaml), so the proof reads the written bytes, no less than before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter
from pathlib import Path

from catalogsync.catalog import Ref, Resource, Value, key_needs_met, restored_resources
from catalogsync.catalog_format import CatalogFormat
from catalogsync.exporter import Chosen
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.loader import check_references, load_file
from catalogsync.plan import Change
from catalogsync.planner import PlanOptions, upsert_check

_REF, _REQUIRES = attrgetter("ref"), attrgetter("requires")
_RENAMED_FROM = attrgetter("renamed_from")


@dataclass(frozen=True)
class StagedCheck:
    """What checking one staged file needs, made once before the files are shared out."""

    fmt: CatalogFormat
    folder: Path  # the staging folder
    groups: Mapping[str, Sequence[Ref]]  # each file (relative) → the objects written in it
    kept: Sequence[Resource]  # the project's catalog files that stay
    links: Mapping[Ref, tuple[Ref, ...]]  # what each exported object links to, if anything
    #: The creates and updates of a file's resources, each beside its live record
    #: (`planner.UpsertCheck`: the whole catalog's renames and live index, made once).
    upserts: Callable[[list[Resource], Sequence[LiveResource]], list[Change]]
    #: Each file's live records, in the order of its objects (`Chosen.records`).
    records: Mapping[str, Sequence[LiveResource]]
    #: Whether the exported keys are each held once and their key-implied needs among them,
    #: when the choice tells it (`Chosen.keys_whole`, remembered: the parent asked it of
    #: the choice already); None: told here from the keys.
    keys_whole: Callable[[], bool] | None = None

    @classmethod
    def prepare(
        cls,
        chosen: Chosen,
        fmt: CatalogFormat,
        kept: Sequence[Resource],
        folder: Path,
        live: LiveCatalog,
        options: PlanOptions,
    ) -> StagedCheck:
        # What the loader gives as each exported object's `requires`: the format's
        # `linked_refs` of the link fields written, which are the live ones
        # (`export_fields` leaves out only empty values; were it otherwise, `file_ok`
        # would find the difference and the whole check would run). The choice worked
        # them out of the same records with the same format (`Chosen.links`).
        links = chosen.links
        declared: Sequence[Resource] = kept
        if any(resource.renamed_from for resource in kept):  # (their renames need every key)
            declared = [*kept, *_stand_ins(chosen.groups, links)]
        options = dataclasses.replace(options, prune=())
        upserts = upsert_check(declared, live, options)
        return cls(
            fmt, folder, chosen.groups, kept, links, upserts, chosen.records, chosen.keys_whole
        )

    def references_ok(self) -> bool:
        """Whether the checks across files find nothing (see the module docstring)."""
        if self._keys_alone_ok():
            return True
        return not check_references([*self.kept, *_stand_ins(self.groups, self.links)])

    def _keys_alone_ok(self) -> bool:
        """Whether the checks across files surely find nothing, told on the keys alone: no
        object links another or renames one (kept or exported), every key is held once and
        every key's needs are among them (`key_needs_met`). `check_references` then finds
        no duplicate, no rename to word, no cycle (one needs a link) and, its needs met,
        nothing dangling. (Most exports: without it, a stand-in `Resource` per exported
        object, 205,000 at L, was made for that function to find as much.) False sends the
        caller to `check_references`, which decides."""
        kept = self.kept
        if any(self.links.values()) or any(map(_REQUIRES, kept)) or any(map(_RENAMED_FROM, kept)):
            return False
        if not kept and self.keys_whole is not None:
            return self.keys_whole()
        refs = [*map(_REF, kept), *chain.from_iterable(self.groups.values())]
        return len(set(refs)) == len(refs) and key_needs_met(refs)

    def file_ok(self, relative: str) -> bool:
        """Whether the staged file at `relative` passes its part of the proof."""
        # (shown as its path in the staging folder, which the caller has: what
        # `display_path` would work out once per file, 5,001 times at L)
        issues, resources = load_file(self.folder / relative, self.fmt, shown=relative)
        refs = list(map(_REF, resources))
        if issues or refs != self.groups[relative]:
            return False
        # (each resource's parts taken in C, `map`, not a generator step per resource)
        links = self.links
        if links:
            requires = list(map(_REQUIRES, resources))
            linked = requires != list(map(links.get, refs, repeat((), len(refs))))
        else:
            linked = any(map(_REQUIRES, resources))
        if linked or any(map(_RENAMED_FROM, resources)):
            return False
        # (its objects' keys are the file's, in order: each beside its own live record)
        return not self.upserts(resources, self.records[relative])


def _stand_ins(
    groups: Mapping[str, Sequence[Ref]], links: Mapping[Ref, tuple[Ref, ...]]
) -> list[Resource]:
    """Each exported object with the key and links the files declare for it."""
    # Made a column at a time in C (`restored_resources`): `Resource(...)` one by one was
    # most of the checks across files (41,000 stand-ins at M).
    refs = [ref for refs in groups.values() for ref in refs]
    count = len(refs)
    if links:
        requires: list[tuple[Ref, ...]] = list(map(links.get, refs, repeat((), count)))
    else:
        requires = [()] * count
    fields: list[dict[str, Value]] = [{} for _ in range(count)]
    nothing = [()] * count
    return restored_resources(refs, fields, requires, nothing, [False] * count, [None] * count)
