"""The rows of one BillingPlatform read, held column by column. No HTTP.

A read of a large catalog is up to 150,000 package-products of 16 string cells. As a dict
per row that was most of a fetch's memory, and decoding it cell by cell most of its CPU.
Column by column the rows cost one list slot per cell; each column's repeated texts
(statuses, rates, package ids, timestamps of a bulk load) are one string object in a page
(a read joins its pages' texts as they are: `BillingPlatformClient.query_rest`); and the
mapping decodes each distinct text of a column once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["Columns"]

#: Unique per row by definition: sharing its texts would only cost a table entry each.
_UNIQUE = "Id"


class Columns:
    """Rows as `{column: [text of each row]}`; "" where a row lacks the column."""

    __slots__ = ("_data", "_shared", "_size")

    def __init__(self, names: Iterable[str]) -> None:
        self._data: dict[str, list[str]] = {name: [] for name in names}
        self._shared: dict[str, dict[str, str]] = {n: {} for n in self._data if n != _UNIQUE}
        self._size = 0

    @classmethod
    def from_rows(cls, names: Iterable[str], rows: Iterable[Mapping[str, str]]) -> Columns:
        """Columns `names` of dict rows (a row without a column has "" in it)."""
        rows = list(rows)
        columns = cls(names)
        columns.extend({name: [row.get(name, "") for row in rows] for name in columns._data})
        return columns

    @classmethod
    def holding(cls, names: Iterable[str], held: Mapping[str, list[str]]) -> Columns:
        """The rows of a `Columns` of the same `names` whose columns were `held` (sent by
        the worker that decoded a page: `pages_beside`), its texts as they are, compacted."""
        columns = cls(names)
        columns._data = {name: held[name] for name in columns._data}
        columns._size = len(next(iter(columns._data.values()), ()))
        columns.compact()
        return columns

    def held(self) -> dict[str, list[str]]:
        """Its columns, for `holding` in another process."""
        return self._data

    def extend(self, table: Mapping[str, Sequence[str]] | Columns) -> None:
        """Append rows given column by column (columns this one lacks are left out)."""
        if isinstance(table, Columns):
            table = table._data
        added = len(next(iter(table.values()), ()))
        for name, column in self._data.items():
            texts = table.get(name)
            if texts is None:
                column.extend([""] * added)
            elif name in self._shared:
                # One string object per distinct text of the column, across pages.
                shared = self._shared[name]
                column.extend(map(shared.setdefault, texts, texts))
            else:
                column.extend(texts)
        self._size += added

    def compact(self) -> None:
        """No more rows are coming: let go of the tables that share each column's texts
        across pages (one entry per distinct text: at L ~150,000 each for a package-product
        read's names and ids, held until the read's live resources are built). Rows
        `extend`ed after this are kept, their texts no longer shared."""
        self._shared = {}

    def copy(self, *, share: bool = True) -> Columns:
        """The same rows, the same text objects. `share`: the copy shares the texts of rows
        `extend`ed later with these (a new read); else it shares none (as `compact`ed)."""
        copied = Columns(self._data)
        if not share:
            copied.compact()
        copied.extend(self)
        return copied

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, rows: slice) -> Columns:
        """The rows of a slice, with the same text objects (like a list's slice)."""
        kept = Columns(self._data)
        kept._data = {name: column[rows] for name, column in self._data.items()}
        kept._size = len(range(self._size)[rows])
        return kept

    def column(self, name: str) -> Sequence[str]:
        """The texts of a column, one per row ("" for every row if it was not read)."""
        found = self._data.get(name)
        return found if found is not None else [""] * self._size

    def last_of_each(self, name: str) -> Columns:
        """One row per distinct text of column `name`: the last row with it, at the place of
        the first (what a dict keyed by that column keeps). Itself when there are no repeats."""
        last = {text: position for position, text in enumerate(self.column(name))}
        if len(last) == self._size:
            return self
        kept = Columns(self._data)
        kept.extend({n: [column[p] for p in last.values()] for n, column in self._data.items()})
        return kept
