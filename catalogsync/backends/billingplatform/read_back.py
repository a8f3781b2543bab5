"""An apply's verification read, BillingPlatform: the records the check looks at, read by
what names them, where that costs fewer requests than reading their kind whole. No writes.

The check (`verify.InEffect`, `verify.Written`) looks at every live record under a key
the apply wrote and at every record of an id it deleted. A key is made of names: a
product's and a package's `Name`; a package-product's package's `Name` and the `Name`s of
the products on its way down from the top of the package. So the records it looks at are
found by (docs/vendor-api.md, "verification read"):
- products by `Name IN (…)`, packages by `Name IN (…)`: every holder of a written name;
- package-products by `PackageId IN (…)` of every package holding a written package name
  (the ids the apply knows first; a package the name read shows besides them, another
  writer's, is read after): every record whose key starts with that name;
- deleted records by `Id IN (…)`.
Each record is built as the whole read builds it (`LiveRows`), from the records it names:
the product, package and parent of each package-product read, and what its links name,
are read by `Id IN (…)` until none is missing (a record absent from such an answer is not
live, as it is absent from the whole read), the rating methods as the whole read reads
them. A product the apply did not write and its read before the writes saw
(`Written.product_names`) is named as that read saw it instead, not read again: the
check then trusts that no other writer renamed or deleted it since (see `Written`); a
product it wrote, or one made since, is read by `Id IN` as before. Every statement goes
through `client.in_conditions` (at most 4,000 characters) and is paged and proven whole
as any read (`client.query_rest`).

A kind is read whole instead when its targeted statements and pages would be as many as
the whole read's pages (`targeted_kinds`): a cold apply writes everything, and reads as
before; a package-product read whole names every product and package, so those are then
read whole too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain, filterfalse
from typing import TYPE_CHECKING

from catalogsync.aio import gather_or_cancel
from catalogsync.backends.billingplatform.client import (
    MAX_IN_ITEMS,
    MAX_SQL_CHARS,
    Paging,
    in_conditions,
)
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.live_rows import LiveRows
from catalogsync.backends.billingplatform.mapping import ENTITY, select_fields
from catalogsync.backends.billingplatform.reads import MAX_PAGE_SIZE
from catalogsync.catalog import Kind
from catalogsync.live import LiveResource
from catalogsync.verify import Written

if TYPE_CHECKING:
    from catalogsync.backends.billingplatform.backend import BillingPlatformBackend

__all__ = ["Kinds", "kinds_to_read", "read_written"]

_PP = Kind.PACKAGE_PRODUCT


@dataclass(frozen=True)
class Kinds:
    """What a verification read reads: `needed` kinds at all (the check looks at none of
    the others' records), of those the `targeted` ones by name and id, the others whole."""

    needed: frozenset[Kind]
    targeted: frozenset[Kind]


def kinds_to_read(written: Written, counts: Mapping[Kind, int] | None) -> Kinds | None:
    """Which kinds the verification read of `written` reads, and how: a kind by name and
    id when its statements and pages are fewer than its whole read's pages. None: the
    whole read of every kind (as before; also when the counts are not known)."""
    if counts is None:
        return None
    # A cold apply's 205,000 keys are not looked at one by one: the lower bounds below
    # settle it from the packages written into.
    needed = set(written.kinds) | {kind for kind, ids in written.deleted.items() if ids}
    if _PP in needed:
        needed |= {Kind.PRODUCT, Kind.PACKAGE}  # what package-products name
    targeted: set[Kind] = set()
    pp_rows = 0  # the package-products read by package, about
    if _PP in needed:
        packages = len(written.ids)  # the ids known of the packages written into
        pp_rows = counts.get(_PP, 0) * packages // max(1, counts.get(Kind.PACKAGE, 0))
        whole = _whole_cost(counts, _PP)
        at_least = packages // MAX_IN_ITEMS + pp_rows // MAX_PAGE_SIZE
        if at_least >= whole or _pp_cost(written, counts) >= whole:
            return None  # every package-product names every product and package
        targeted.add(_PP)
    # The products those package-products hold, named by `Id IN`: about one each, none
    # when their names are known from the apply's read (only one made since is read).
    unnamed = 0 if written.product_names else pp_rows
    for kind in (Kind.PRODUCT, Kind.PACKAGE):
        whole = _whole_cost(counts, kind)
        at_least = _ids_statements(unnamed) if kind is Kind.PRODUCT else 0
        if kind in needed and at_least < whole and _cost(written, kind, unnamed) < whole:
            targeted.add(kind)
    if not targeted and len(needed) == len(Kind):
        return None
    return Kinds(frozenset(needed), frozenset(targeted))


def _whole_cost(counts: Mapping[Kind, int], kind: Kind) -> int:
    """The pages of a whole read of `kind` (the last one proving its end)."""
    return counts.get(kind, 0) // MAX_PAGE_SIZE + 1


def _statements(kind: Kind, field: str, values: Collection[str], most: int = MAX_IN_ITEMS) -> int:
    if not values:
        return 0
    return len(in_conditions(Paging(ENTITY[kind], select_fields(kind)), field, values, most))


def _packages_a_statement(counts: Mapping[Kind, int]) -> int:
    """How many packages a `PackageId IN` statement names at most: the package-products
    a package holds on average, with a tenth to spare, times that fill less than a page
    (at L 334 packages' 10,020 rows were two requests, 300 packages' 9,000 are one)."""
    per_package = counts.get(_PP, 0) / max(1, counts.get(Kind.PACKAGE, 0))
    return max(1, int(MAX_PAGE_SIZE * 0.9 / max(1.0, per_package)))


def _ids_statements(ids: int) -> int:
    """About how many `Id IN` statements `ids` ids take (ids of up to 12 digits)."""
    per_statement = min(MAX_IN_ITEMS, (MAX_SQL_CHARS - 400) // len("'123456789012', "))
    return -(-ids // per_statement)


def _cost(written: Written, kind: Kind, unnamed: int) -> int:
    """Requests of reading `kind`'s records by name and id: the written names, the deleted
    ids and, beside package-products read by package, what they name (`unnamed` products
    by `Id IN`; their packages are the ones read by name)."""
    names = written.packages if kind is Kind.PACKAGE else _product_names(written)
    deleted = written.deleted.get(kind, frozenset())
    cost = _statements(kind, "Name", names) + _statements(kind, "Id", deleted)
    if kind is Kind.PRODUCT:
        return cost + _ids_statements(unnamed)
    return cost + (1 if written.deleted.get(_PP) else 0)  # the deleted ones' packages


def _pp_cost(written: Written, counts: Mapping[Kind, int]) -> int:
    """Requests of reading the package-products of the written packages by `PackageId IN`
    (statements, each a page, or more when a package holds more than a page) and the
    deleted ones."""
    package_ids = _known_package_ids(written)
    deleted = written.deleted.get(_PP, frozenset())
    most = _packages_a_statement(counts)
    pages = 1 + counts.get(_PP, 0) // max(1, counts.get(Kind.PACKAGE, 0)) // MAX_PAGE_SIZE
    statements = _statements(_PP, "PackageId", package_ids, most)
    return statements * pages + _statements(_PP, "Id", deleted)


def _product_names(written: Written) -> list[str]:
    """The names of the written products."""
    return sorted(ref.name for ref in written.keys if ref.kind is Kind.PRODUCT)


def _known_package_ids(written: Written) -> list[str]:
    return sorted(set(written.ids.values()))


@dataclass
class _Rows:
    """What the read has of one kind so far: its rows, and the ids asked by `Id IN` or
    found (no need to ask them again)."""

    pages: list[Columns] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)

    def add(self, rows: Columns) -> None:
        self.pages.append(rows)
        self.ids.update(rows.column("Id"))

    def column(self, name: str) -> Iterable[str]:
        return chain.from_iterable(page.column(name) for page in self.pages)

    def whole(self, kind: Kind) -> Columns:
        """Every row read, once each (the last row of an Id read twice)."""
        if len(self.pages) == 1:
            return self.pages[0].last_of_each("Id")  # a whole read's, as it is
        joined = Columns(select_fields(kind))
        for page in self.pages:
            joined.extend(page)
        return joined.last_of_each("Id")


async def read_written(
    backend: BillingPlatformBackend,
    written: Written,
    kinds: Kinds,
    see: Callable[[LiveResource], None],
    counts: Mapping[Kind, int],
) -> int:
    """The records of `written` (`kinds.targeted` by name and id, the other kinds the
    check needs read whole, `counts` how many rows each should hold), each built as the
    whole read builds it and handed to `see`; how many.

    Of products and packages only the rows the check looks at (a written key's name, a
    deleted id) are built: the others only name what package-products refer to (at L a
    whole PRODUCT read is 50,000 rows, of which a 1% change writes 500)."""
    needed = kinds.needed
    read = _Read(backend, written, kinds.targeted, counts)
    # Package-products first: the longest answer (at M 9,000 rows), and what the reads
    # that follow are worked out from; the others queue behind it for the rate limit.
    first = sorted(needed, key=lambda kind: kind is not _PP)
    await gather_or_cancel(*map(read.first, first))
    while asks := read.missing():
        await gather_or_cancel(*asks)
    rows = {kind: read.rows[kind].whole(kind) for kind in needed}
    heads = {kind: _looked_at(kind, rows[kind], written) for kind in rows if kind is not _PP}
    named = {
        i
        for table in (*heads.values(), rows.get(_PP))
        if table
        for i in table.column("RatingMethodId")
    }
    methods = await backend.rating_methods(named - {""})
    found: list[LiveResource] = []
    if _PP in rows:
        live = LiveRows({_PP})
        # what names each package-product's key and links
        live.end(Kind.PRODUCT, _naming(rows[Kind.PRODUCT], rows[_PP], written.product_names))
        live.end(Kind.PACKAGE, rows[Kind.PACKAGE])
        live.add(_PP, rows[_PP])
        live.end(_PP, rows[_PP])
        found += live.finish(methods)
    live = LiveRows(heads)
    for kind in (Kind.PRODUCT, Kind.PACKAGE):
        if kind in heads:
            live.add(kind, heads[kind])
        live.end(kind, heads.get(kind, Columns(["Id", "Name"])))
    live.end(_PP, Columns(["Id"]))
    found += live.finish(methods)
    for resource in found:
        see(resource)
    return len(found)


def _naming(products: Columns, pps: Columns, known: Mapping[str, str]) -> Columns:
    """The ids and names of the products `pps` hold: the `products` read, and the names
    `known` of the others (`Written.product_names`; none read is known there but by a
    rename since, and then the read's name is the one kept)."""
    if not known:
        return products
    read = set(products.column("Id"))
    ids = [i for i in dict.fromkeys(pps.column("ProductId")) if i not in read and i in known]
    named = Columns(["Id", "Name"])
    named.extend({"Id": ids, "Name": list(map(known.__getitem__, ids))})
    named.extend(products)
    return named


def _looked_at(kind: Kind, rows: Columns, written: Written) -> Columns:
    """The rows of a product or package read the check looks at: under a written key's
    name, or of a deleted id."""
    names = {ref.name for ref in written.keys if ref.kind is kind}
    gone = written.deleted.get(kind, frozenset())
    picked = [
        row
        for row, (name, remote_id) in enumerate(
            zip(rows.column("Name"), rows.column("Id"), strict=True)
        )
        if name in names or remote_id in gone
    ]
    if len(picked) == len(rows):
        return rows
    kept = Columns(select_fields(kind))
    columns = {name: rows.column(name) for name in select_fields(kind)}
    kept.extend({name: [texts[row] for row in picked] for name, texts in columns.items()})
    return kept


class _Read:
    """The rows of one targeted verification read, as they come in."""

    def __init__(
        self,
        backend: BillingPlatformBackend,
        written: Written,
        targeted: frozenset[Kind],
        counts: Mapping[Kind, int],
    ) -> None:
        self._backend = backend
        self._counts = counts
        self._written = written
        self._targeted = targeted
        self.rows = {kind: _Rows() for kind in Kind}
        self._package_names = written.packages
        self._pp_packages: set[str] = set()  # the PackageIds package-products were read by
        self._most = _packages_a_statement(counts)

    async def first(self, kind: Kind) -> None:
        """The records of `kind` the check looks at: the whole kind, or by name and id."""
        if kind not in self._targeted:
            self.rows[kind].add(await self._backend.whole_rows(kind, self._counts.get(kind)))
            return
        deleted = self._written.deleted.get(kind, frozenset())
        if kind is _PP:
            values = _known_package_ids(self._written)
            self._pp_packages.update(values)
            field, most = "PackageId", self._most
        else:
            names = self._package_names if kind is Kind.PACKAGE else _product_names(self._written)
            values, field, most = sorted(names), "Name", MAX_IN_ITEMS
        asked = self._by(kind, field, values, most)
        if deleted:
            await gather_or_cancel(asked, self._by(kind, "Id", deleted))
        else:  # asked at once, no task between (the order the reads start in)
            await asked

    def missing(self) -> list[Awaitable[None]]:
        """The reads of what the rows read so far name and no read has asked yet."""
        if _PP not in self._targeted:
            return []  # read whole, with every product and package
        pps, packages = self.rows[_PP], self.rows[Kind.PACKAGE]
        asks: list[Awaitable[None] | None] = []
        # Another holder of a written package name (another writer's package): its
        # package-products are under the written keys too.
        holders = {
            i
            for i, name in zip(packages.column("Id"), packages.column("Name"), strict=True)
            if name in self._package_names
        } - self._pp_packages
        if holders:
            self._pp_packages |= holders
            asks.append(self._by(_PP, "PackageId", sorted(holders), self._most))
        above = set(pps.column("ParentPackageProductId")) | set(pps.column("LinkPackageProductId"))
        asks.append(self._ids(_PP, above))
        if Kind.PRODUCT in self._targeted:
            known = self._written.product_names  # named as the apply's read saw them
            held = set(filterfalse(known.__contains__, pps.column("ProductId")))
            asks.append(self._ids(Kind.PRODUCT, held))
        if Kind.PACKAGE in self._targeted:
            named = set(pps.column("PackageId")) | set(pps.column("LinkPackageId"))
            asks.append(self._ids(Kind.PACKAGE, named))
        return [ask for ask in asks if ask is not None]

    def _ids(self, kind: Kind, ids: set[str]) -> Awaitable[None] | None:
        """A read of those `ids` of `kind` not read or asked yet (None if none)."""
        new = ids - {""} - self.rows[kind].ids
        if not new:
            return None
        self.rows[kind].ids.update(new)  # asked: an id absent from the answer is not live
        return self._by(kind, "Id", sorted(new))

    async def _by(
        self, kind: Kind, field: str, values: Collection[str], most: int = MAX_IN_ITEMS
    ) -> None:
        if values:
            self.rows[kind].add(await self._backend.rows_in(kind, field, values, most))
