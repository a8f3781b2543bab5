"""The export's work that need not wait for the end of the live read: the products' file,
written and proven by a forked child while the rest of the read is on the wire.

An export chose, wrote and proved its files once the whole live catalog was in (at L
seconds of CPU), while the read before it, paced by the rate limit and the latency, left
both cores partly idle. The products' file depends on the products alone, and a backend
that knows every product record for good before its read ends hands them over
(`Backend.hand_out`: PRODUCT's read ended, before the package-products' pages do). Then
a child (`Beside.stream`) does what the export does for that file, with the export's own
code, on a live catalog of the products alone: `choose_export`, `export_text` into the
staging folder, and `StagedCheck.file_ok` (the file loaded back by the loader `plan`
uses, and planned against those products).

Once the whole catalog is in and the export chosen, `ExportAhead.take` tells whether that
work is the export's own, and it is used only then (`adopt._written_and_checked`):
- the export writes a file of that path, with the same header, into this staging folder;
- the live catalog's products are the records handed over, the very objects (a backend
  hands a kind over only once none of its records changes any more);
- no kept catalog file declares a rename (renames are worked out of every key);
- once the child answers: the file holds exactly the objects the export puts in it, in
  its order.
Then the text is the one the export writes (`export_text` of the same objects, records and
header), and `file_ok` answers what it answers on the whole catalog: it reads the file,
what each of its objects links to (from its record) and their upserts, which without
renames compare each object with the live record under its key, always one of these
(every record of a product's key is a product). Otherwise the child is stopped and the
file is made here as before. The checks across files (`StagedCheck.references_ok`) and
everything else still run on the whole catalog, once it is in.

The child only computes (see `catalogsync.beside`); `ExportAhead.close` stops it and
removes the staging folder unless the export took it, so a read that fails or is
interrupted leaves nothing written and no child behind.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from catalogsync.beside import Beside, answer_within
from catalogsync.catalog import Kind, Ref, Resource
from catalogsync.catalog_format import CatalogFormat
from catalogsync.catalog_writer import write_file
from catalogsync.export_check import StagedCheck
from catalogsync.exporter import Chosen, Selection, SplitBy, choose_export, export_text
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.planner import PlanOptions
from catalogsync.staging import temporary_folder

#: The one kind whose file holds nothing else (`exporter._group`: `products.yaml`).
KIND = Kind.PRODUCT
_KEY = attrgetter("key")

#: What the child answers: the file (relative), its header, its objects' keys in order,
#: and whether it passed `StagedCheck.file_ok`; None when the products make no file of
#: their own.
Answer = tuple[str, tuple[str, ...], list[tuple[str, ...]], bool] | None


@dataclass
class EarlyFile:
    """A staged file the child writes and checks; see `ExportAhead.take`."""

    relative: str
    child: Beside[Answer] | None
    started: float  # time.monotonic() when the child was forked

    def passed(self, refs: Sequence[Ref], header: Sequence[str]) -> bool | None:
        """Whether the file passed its check, once the child has answered that it wrote
        exactly `refs` (the export's objects of that file, in order) under `header` (the
        export's for it); None when it did not (another choice, the child lost or failed):
        then the caller writes and checks the file itself."""
        child, self.child = self.child, None
        if child is None:
            return None
        try:
            (answer,) = child.items(answer_within(time.monotonic() - self.started))
        except Exception:  # (lost, or its work failed: the work here says how, if it does)
            return None
        finally:
            child.close()
        if answer is None:
            return None
        relative, lines, keys, passed = answer
        if relative != self.relative or lines != tuple(header):
            return None
        if any(ref.kind is not KIND for ref in refs) or keys != list(map(_KEY, refs)):
            return None
        return passed

    def close(self) -> None:
        """Stop the child if it still runs."""
        child, self.child = self.child, None
        if child is not None:
            child.close()


class ExportAhead:
    """The export's products' file, started once the backend hands the products over
    (`ready`, given to `Backend.hand_out`); see the module docstring."""

    def __init__(
        self,
        fmt: CatalogFormat,
        options: PlanOptions,
        *,
        selection: Selection,
        split_by: SplitBy,
        header: Callable[[str], Sequence[str]],
        staging: Callable[[], tempfile.TemporaryDirectory[str]] = temporary_folder,
    ) -> None:
        self._fmt = fmt
        self._staging = staging  # makes the staging folder (`staging.staging_folder`)
        self._options = options
        self._selection = selection
        self._split_by = split_by
        self._header = header
        self._records: Sequence[LiveResource] = ()
        self._staged: tempfile.TemporaryDirectory[str] | None = None
        self._child: Beside[Answer] | None = None
        self._started = 0.0

    def ready(self, kind: Kind, records: Sequence[LiveResource]) -> None:
        """`Backend.hand_out`'s callback: the products' file starts in a child."""
        split_by = self._split_by
        if kind is not KIND or self._child is not None or split_by is SplitBy.NONE:
            return  # (with no split, every object goes into one file)
        if not records:
            return
        staged = self._staging()
        folder = Path(staged.name)
        fmt, options, selection, split_by = self._fmt, self._options, self._selection, split_by
        header = self._header

        def work() -> list[Answer]:
            return [_file_of(records, fmt, options, selection, split_by, folder, header)]

        child = Beside.stream(work)
        if child is None:  # no second core: the export makes it with the rest
            staged.cleanup()
            return
        self._records, self._staged, self._child = records, staged, child
        self._started = time.monotonic()

    def take(
        self, chosen: Chosen, live: LiveCatalog, kept: Sequence[Resource]
    ) -> tuple[tempfile.TemporaryDirectory[str] | None, list[EarlyFile]]:
        """The staging folder the child writes into, and the file it makes there, when that
        is the export's own work (see the module docstring; the objects are compared once
        it answers, `EarlyFile.passed`); else (None, []), the child stopped and its folder
        removed. Taken once: the folder is the caller's from then on."""
        staged, child = self._staged, self._child
        self._staged = self._child = None
        records, self._records = self._records, ()
        if staged is None or child is None:
            return None, []
        relative = _products_file(chosen)
        usable = (
            relative is not None
            and not any(resource.renamed_from for resource in kept)
            and _same_records(live.of_kind(KIND), records)
        )
        if not usable or relative is None:
            child.close()
            staged.cleanup()
            return None, []
        return staged, [EarlyFile(relative, child, self._started)]

    def close(self) -> None:
        """Stop the child and remove its folder, unless `take` handed them on."""
        child, self._child = self._child, None
        if child is not None:
            child.close()
        staged, self._staged = self._staged, None
        if staged is not None:
            staged.cleanup()
        self._records = ()

    def __enter__(self) -> ExportAhead:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _file_of(
    records: Sequence[LiveResource],
    fmt: CatalogFormat,
    options: PlanOptions,
    selection: Selection,
    split_by: SplitBy,
    folder: Path,
    header: Callable[[str], Sequence[str]],
) -> Answer:
    """The child's work: the file the export makes of `records` alone, written into
    `folder` and checked there (None when they make no file of their own)."""
    live = LiveCatalog(tuple(records))
    chosen = choose_export(live, fmt, selection=selection, split_by=split_by, checked=False)
    relative = _products_file(chosen)
    if relative is None or len(chosen.groups) != 1:
        return None
    lines = tuple(header(relative))
    write_file(folder / relative, export_text(chosen, fmt, relative, lines))  # (as `adopt`)
    check = StagedCheck.prepare(chosen, fmt, (), folder, live, options)
    keys = list(map(_KEY, chosen.groups[relative]))
    return relative, lines, keys, check.file_ok(relative)


def _products_file(chosen: Chosen) -> str | None:
    """The file of `chosen` whose first object is a product (None: no such file)."""
    for relative, refs in chosen.groups.items():
        if refs and refs[0].kind is KIND:
            return relative
    return None


def _same_records(found: Sequence[LiveResource], handed: Sequence[LiveResource]) -> bool:
    """Whether `found` are the very objects `handed` (in any order)."""
    return len(found) == len(handed) and set(map(id, found)) == set(map(id, handed))
