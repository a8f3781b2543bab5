"""Live resources built page by page while the rest of a read is still on the wire. No HTTP.

`mapping.live_resources` turns a whole read into live resources once the last answer is in:
at M that was ~0.3 s of CPU after the last answer, at L ~1.8 s, while during the read the
process mostly waits on the network. `LiveRows` does the same work as each page comes in:
a page's fields are decoded and its live resources made as soon as what they depend on is
read, so what is left when the read ends is small:
- a product's and a package's fields depend on nothing else;
- a package-product's key names its product and package, so a row is keyed as soon as
  they are read (at L the PRODUCT read's last page, the proof of its end, can come after
  most package-product pages: they do not wait for it); a nested one's key is its
  parent's plus its own product, known at once when the parent was keyed before it (ids
  grow with creation, so nearly always); a row whose product, package or parent is not
  read yet waits, and is keyed when PRODUCT and PACKAGE have ended or, at the latest,
  when the read ends (`mapping.product_path`);
- a rating method is named from RATING_METHOD rows read after the last page, a linked
  product from the package-product it links to (which may be on a later page), a linked
  package from the PACKAGE rows: those fields are filled in when the read ends, in place,
  before any resource is handed out.
The result is the same set of resources as `mapping.live_resources` gives on the whole read
(tests/backends/test_billingplatform_live_rows.py). An Id read twice (an unstable order,
rows added while reading) among the package-products, or among the products or packages
they name, makes the package-products be built again from the whole read by
`mapping.live_resources`, which keeps the last row of each Id.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from itertools import compress, repeat
from operator import add, not_, or_, setitem
from types import MappingProxyType
from typing import cast

from catalogsync.backends.billingplatform.catalog_format import normalise_number_text
from catalogsync.backends.billingplatform.columns import Columns
from catalogsync.backends.billingplatform.mapping import (
    FIELDS,
    FieldType,
    decode_value,
    live_resources,
    product_path,
    reference_name,
)
from catalogsync.catalog import (
    Kind,
    Ref,
    Value,
    package_product_refs_keyed,
    package_ref,
    product_ref,
)
from catalogsync.live import LiveResource

__all__ = ["LiveRows"]

#: Fields named from what is read last (filled in by `LiveRows.finish`).
_LATE = frozenset({FieldType.RATING_METHOD, FieldType.LINKED_PRODUCT, FieldType.PACKAGE})
_DECODERS: dict[FieldType, Callable[[str], Value]] = {
    FieldType.TEXT: str,
    FieldType.NUMBER_TEXT: normalise_number_text,
    FieldType.DECIMAL: lambda text: decode_value(text, FieldType.DECIMAL),
    FieldType.FLAG: lambda text: decode_value(text, FieldType.FLAG),
}
_NAMES = {kind: tuple(spec.name for spec in specs) for kind, specs in FIELDS.items()}
#: `text or None` of each text, as a C-level `map(_OR_NONE, texts, texts)`.
_OR_NONE = {"": None}.get
#: `path or ()` of each parent's path (None: a top-level row's), as `map(_OR_TOP, p, p)`.
_OR_TOP = cast(
    "Callable[[tuple[str, ...] | None, tuple[str, ...] | None], tuple[str, ...]]",
    {None: ()}.get,
)
#: A package-product row whose key is worked out once what it names is read: (its fields,
#: Id, Updated, UpdatedUserId, PackageId, ProductId, ParentPackageProductId).
_Pending = tuple[dict[str, Value], str, str, str, str, str, str]


class LiveRows:
    """The live resources of one read of `kinds` (see the module docstring): `add` each
    page as it comes in, `end` each entity's read with its whole rows, `work` whenever the
    CPU is free, `finish` once every read has ended."""

    def __init__(self, kinds: Collection[Kind]) -> None:
        self._kinds = frozenset(kinds)
        self._waiting: dict[Kind, deque[Columns]] = {kind: deque() for kind in Kind}
        self._rows: dict[Kind, Columns] = {}  # each ended read, whole
        self._names: dict[Kind, dict[str, str]] = {}  # Id → Name, products and packages
        self._resources: dict[Kind, list[LiveResource]] = {kind: [] for kind in Kind}
        #: Every row's fields dict, per kind, and the texts of its late fields, row by row.
        self._fields: dict[Kind, list[dict[str, Value]]] = {kind: [] for kind in Kind}
        self._late: dict[Kind, dict[str, list[str]]] = {
            kind: {s.wire: [] for s in specs if s.type in _LATE} for kind, specs in FIELDS.items()
        }
        self._values: dict[tuple[Kind, str], dict[str, Value]] = {}  # decoded texts, per column
        # Package-products: what their keys are worked out from, as far as read.
        self._pp_products: dict[str, str] = {}  # Id → ProductId
        self._pp_parents: dict[str, str] = {}  # Id → ParentPackageProductId
        self._pp_paths: dict[str, tuple[str, ...] | None] = {}  # mapping.product_path's
        self._pp_pending: list[_Pending] = []
        #: An Id read twice (package-products, or the products or packages they name): the
        #: package-products are built from the whole read instead.
        self._pp_repeats = False
        self._ended: set[Kind] = set()
        self._retry = True  # pending rows are tried again once products and packages are read

    def add(self, kind: Kind, page: Columns) -> None:
        """One more page of `kind`'s read, in offset order (built by `work`)."""
        self._waiting[kind].append(page)

    def end(self, kind: Kind, rows: Columns) -> None:
        """`kind`'s read has ended with `rows` (every page `add`ed before). A kind that is
        not read only names what package-products refer to: its rows, no page."""
        self._rows[kind] = rows
        self._ended.add(kind)
        if kind not in self._kinds and kind is not Kind.PACKAGE_PRODUCT:
            self._names[kind] = dict(zip(rows.column("Id"), rows.column("Name"), strict=True))

    def work(self) -> None:
        """Build every waiting page."""
        for kind in (Kind.PRODUCT, Kind.PACKAGE):
            self._named_kind(kind)
        waiting = self._waiting[Kind.PACKAGE_PRODUCT]
        if Kind.PACKAGE_PRODUCT not in self._kinds or self._pp_repeats:
            waiting.clear()
            return
        while waiting:
            self._package_products(waiting.popleft())
        if self._retry and Kind.PRODUCT in self._ended and Kind.PACKAGE in self._ended:
            # What waited for a product or a package not read yet is known now.
            self._retry, pending, self._pp_pending = False, self._pp_pending, []
            self._resolve(pending)

    def final(self, kind: Kind) -> list[LiveResource] | None:
        """`kind`'s live resources, when they are known for good before `finish`: a product's
        or a package's (they depend on no other read) once its read has `end`ed, its pages
        built now, and none of its rows names a rating method (`finish` would name it in
        place). The very resources `finish` returns of that kind, unchanged by it. None
        otherwise (a package-product's depend on the whole read)."""
        if kind is Kind.PACKAGE_PRODUCT or kind not in self._kinds or kind not in self._ended:
            return None
        self._named_kind(kind)
        if any(map(any, self._late[kind].values())):  # a late text: filled in by `finish`
            return None
        return list(self._resources[kind])

    def finish(self, rating_methods: Mapping[str, str], keep: bool = False) -> list[LiveResource]:
        """The live resources, once every kind's read has `end`ed (rating methods: Id → type).
        Called once: what the pages were built with is let go of (`_release`) unless `keep`
        (whoever holds this keeps it to the exit)."""
        self.work()
        products, packages = self._names[Kind.PRODUCT], self._names[Kind.PACKAGE]
        if self._pp_repeats and Kind.PACKAGE_PRODUCT in self._kinds:
            # Whatever was built of them before the repeat showed is dropped.
            self._fields[Kind.PACKAGE_PRODUCT] = []
            self._resources[Kind.PACKAGE_PRODUCT] = live_resources(
                self._rows, rating_methods, {Kind.PACKAGE_PRODUCT}
            )
        elif Kind.PACKAGE_PRODUCT in self._kinds:
            self._settle_pending(products, packages)
        for kind, specs in FIELDS.items():
            for spec in specs:
                texts = self._late[kind].get(spec.wire, [])
                named = dict.fromkeys(texts).keys() - {""}
                if not named or not self._fields[kind]:
                    continue  # every row's value stays None (as "" decodes)
                if spec.type is FieldType.RATING_METHOD:
                    table: Mapping[str, str] = rating_methods
                elif spec.type is FieldType.PACKAGE:
                    table = packages
                else:  # a linked product: the product of the package-product it names
                    pp_products = self._pp_products
                    table = {i: products.get(pp_products[i], "") for i in named if i in pp_products}
                values: dict[str, Value] = {text: reference_name(text, table) for text in named}
                values[""] = None
                # In C: each row's dict gets its value (its key is already in place).
                setting = map(
                    setitem, self._fields[kind], repeat(spec.name), map(values.__getitem__, texts)
                )
                deque(setting, 0)
        found = [resource for kind in Kind for resource in self._resources[kind]]
        if not keep:
            self._release()
        return found

    def _release(self) -> None:
        """Let go of the read's rows and of the tables built from its pages (at L, held
        beside the live resources at an apply's verification read's peak otherwise)."""
        self._rows, self._names, self._values = {}, {}, {}
        self._resources = {kind: [] for kind in Kind}
        self._fields = {kind: [] for kind in Kind}
        self._late = {kind: {} for kind in Kind}
        self._pp_products, self._pp_parents, self._pp_paths = {}, {}, {}
        self._pp_pending = []

    # -- building --------------------------------------------------------------------

    def _named_kind(self, kind: Kind) -> None:
        """Build the waiting pages of products or packages (their names known from then on)."""
        waiting = self._waiting[kind]
        names = self._names.setdefault(kind, {})
        while waiting:
            page = waiting.popleft()
            if kind not in self._kinds:
                continue  # not read: named by the rows `end` gives
            before = len(names)
            names.update(zip(page.column("Id"), page.column("Name"), strict=True))
            if len(names) != before + len(page):
                self._pp_repeats = True  # an Id read twice: its name is known at the end
            ref = product_ref if kind is Kind.PRODUCT else package_ref
            self._build(kind, page, map(ref, page.column("Name")), self._decoded(kind, page))

    def _build(
        self,
        kind: Kind,
        page: Columns,
        refs: Iterable[Ref | None],
        fields: list[dict[str, Value]],
    ) -> None:
        """Live resources of the page's rows whose ref is known; `None` leaves a row out."""
        ids, updated, updated_by = (page.column(c) for c in ("Id", "Updated", "UpdatedUserId"))
        refs = list(refs)
        if None not in refs:  # every row's (nearly always): made in C
            self._resources[kind] += LiveResource.made(
                cast("list[Ref]", refs),
                ids,
                map(MappingProxyType, fields),
                map(_OR_NONE, updated, updated),
                map(_OR_NONE, updated_by, updated_by),
            )
            return
        system = zip(ids, updated, updated_by, strict=True)
        append = self._resources[kind].append
        adopting = LiveResource.adopting
        for ref, row_fields, (remote_id, updated_at, updated_by) in zip(
            refs, fields, system, strict=True
        ):
            if ref is not None:
                append(adopting(ref, remote_id, row_fields, updated_at or None, updated_by or None))

    def _decoded(self, kind: Kind, page: Columns) -> list[dict[str, Value]]:
        """Each row's fields dict (late fields None until `finish`), kept for `finish`."""
        columns: list[Sequence[Value]] = []
        for spec in FIELDS[kind]:
            texts = page.column(spec.wire)
            if spec.type in _LATE:
                self._late[kind][spec.wire].extend(texts)
                columns.append([None] * len(page))
            else:
                columns.append(self._column(kind, spec.wire, spec.type, texts))
        names = repeat(_NAMES[kind])
        fields = list(map(dict, map(zip, names, zip(*columns, strict=True))))
        self._fields[kind] += fields
        return fields

    def _column(
        self, kind: Kind, wire: str, field_type: FieldType, texts: Sequence[str]
    ) -> list[Value]:
        """`mapping._decoded_column`, each distinct text decoded once for the whole read."""
        if field_type is FieldType.TEXT:
            # A text is its own value ("" is None): no table of its distinct texts (a
            # Python step for each, nearly every row of a column of names).
            return list(map(_OR_NONE, texts, texts))
        values = self._values.setdefault((kind, wire), {})
        decode = _DECODERS[field_type]
        for text in dict.fromkeys(texts).keys() - values.keys():
            values[text] = decode(text) if text else None
        return list(map(values.__getitem__, texts))

    def _package_products(self, page: Columns) -> None:
        """A page of package-products: the keys `_resolve` can tell now (`_Pending` rows)."""
        ids = page.column("Id")
        before = len(self._pp_products)
        self._pp_products.update(zip(ids, page.column("ProductId"), strict=True))
        if len(self._pp_products) != before + len(page):
            self._pp_repeats = True  # see the module docstring
            return
        parents = page.column("ParentPackageProductId")
        self._pp_parents.update(zip(ids, parents, strict=True))
        fields = self._decoded(Kind.PACKAGE_PRODUCT, page)
        updated, updated_by = page.column("Updated"), page.column("UpdatedUserId")
        package_ids, product_ids = page.column("PackageId"), page.column("ProductId")
        rows = zip(fields, ids, updated, updated_by, package_ids, product_ids, parents, strict=True)
        if "" in self._pp_paths:
            self._resolve(rows)  # an Id "": a parent "" must not find it (see `_key_now`)
            return
        # The rows whose key is known at once, keyed in C; the others (a product, package
        # or parent not read yet, or a parent that has no key) one by one, after them.
        known = self._key_now(ids, parents, package_ids, product_ids, fields, updated, updated_by)
        self._resolve(compress(rows, map(not_, known)))

    def _key_now(
        self,
        ids: Sequence[str],
        parents: Sequence[str],
        package_ids: Sequence[str],
        product_ids: Sequence[str],
        fields: list[dict[str, Value]],
        updated: Sequence[str],
        updated_by: Sequence[str],
    ) -> list[bool]:
        """The live resources of the rows `_resolve` would key for good from what is known
        before this page (product and package read, and no parent or a keyed one: a row at
        the top of its package, or under a keyed row), their paths recorded as `_resolve`
        records them, all made in C (at M ~30,000 rows, a Python step each in `_resolve`);
        which rows they were. A row under a row of this same page is left to `_resolve`,
        which runs after these are recorded, as for a row whose parent's page came first."""
        paths = self._pp_paths
        names = list(map(self._names[Kind.PRODUCT].get, product_ids))
        packages = list(map(self._names[Kind.PACKAGE].get, package_ids))
        above = list(map(paths.get, parents))  # None: top level ("" is no Id), or not keyed
        # A path is a tuple of one name or more: among them only None is false.
        reached = map(or_, map(not_, parents), map(bool, above))
        known = list(map(all, zip(names, packages, reached, strict=True)))
        if not any(known):
            return known
        path_of = list(compress(map(add, map(_OR_TOP, above, above), zip(names)), known))
        keyed = list(compress(ids, known))
        paths.update(zip(keyed, path_of, strict=True))
        keys = map(add, zip(compress(packages, known)), path_of)  # (package, *path)
        at, by = list(compress(updated, known)), list(compress(updated_by, known))
        self._resources[Kind.PACKAGE_PRODUCT] += LiveResource.made(
            package_product_refs_keyed(keys),
            keyed,
            map(MappingProxyType, compress(fields, known)),
            map(_OR_NONE, at, at),
            map(_OR_NONE, by, by),
        )
        return known

    def _resolve(self, rows: Iterable[_Pending]) -> None:
        """Live resources of the rows whose key is known for good; the others are kept in
        `_pp_pending`. A key is `mapping.product_path`'s answer: its product's name after
        its parent's path (a top-level row: its product's name alone), no key when its
        product or package is not live or its parent has no key. A product or package not
        read yet may still come; a parent not read yet (or not keyed yet) likewise."""
        products, packages = self._names[Kind.PRODUCT], self._names[Kind.PACKAGE]
        all_products = Kind.PRODUCT in self._ended
        all_packages = Kind.PACKAGE in self._ended
        paths = self._pp_paths
        pending = self._pp_pending.append
        append = self._resources[Kind.PACKAGE_PRODUCT].append
        adopting = LiveResource.adopting
        kind = Kind.PACKAGE_PRODUCT
        path: tuple[str, ...] | None
        for row in rows:
            fields, remote_id, updated_at, updated_by, package_id, product_id, parent = row
            name = products.get(product_id)
            if name is None:
                if not all_products:
                    pending(row)
                    continue
                path = None  # its product is not live
            elif not parent:
                path = (name,)
            elif parent in paths:
                above = paths[parent]
                path = None if above is None else (*above, name)
            else:
                pending(row)
                continue
            paths[remote_id] = path  # known for good
            package = packages.get(package_id)
            if package is None and path is not None and not all_packages:
                pending(row)
                continue
            if path is not None and package is not None:
                ref = Ref(kind, (package, *path))
                append(adopting(ref, remote_id, fields, updated_at or None, updated_by or None))

    def _settle_pending(self, products: Mapping[str, str], packages: Mapping[str, str]) -> None:
        """The keys of the package-products whose parent was not read before them, now that
        every row is (a cycle, a parent or product that is not live: no key, left out)."""
        kind = Kind.PACKAGE_PRODUCT
        append = self._resources[kind].append
        for fields, remote_id, updated_at, updated_by, package_id, _, _ in self._pp_pending:
            path = product_path(
                remote_id, self._pp_products, self._pp_parents, products, self._pp_paths
            )
            package = packages.get(package_id)
            if path is not None and package is not None:
                ref = Ref(kind, (package, *path))
                append(
                    LiveResource.adopting(
                        ref, remote_id, fields, updated_at or None, updated_by or None
                    )
                )
        self._pp_pending = []
