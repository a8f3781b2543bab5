"""LogiSense live resources built while the rest of the read is on the wire. No HTTP.

`mapping.live_resources` maps the whole read once the last answer is in. The services'
pages come in well before the packages' page (every package's services come with it),
which is nearly always the last answer at L: there the services were ~0.25 s of CPU after
it. `LiveRows` builds a page of services as soon as it is in, while the packages' page is
still on the wire; at M the six small lookup tables, paced by the rate limit, are the last
answers instead, so a page of typed services is built before they are in, its lookup
fields named in place once they are (`mapping.unnamed_products`), and the package services
(which name no lookup row) once every page of services and the packages' page are in.
Packages, and otherwise their services, are built once the read has ended (a package
service is named through every service read), each package's record let go once built (as
`mapping.taken` does), its frequencies and currencies worked out once (`package_children`)
for both the live resources and the backend's writes.

Every record is mapped by `mapping`'s own code, so the resources are the whole-read
mapping's, in the same order once the live catalog sorts them. A page of services that
fails to map, or an identity read twice, makes `finish` map the whole read with
`mapping.live_resources` instead, in its order, so a malformed answer raises the error the
whole-read mapping raises (tests/backends/logisense/test_live_rows.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any

from catalogsync.backends.logisense.mapping import (
    SERVICE,
    Lookups,
    PackageChildren,
    Record,
    UnnamedPackages,
    field_decoders,
    identity_of,
    live_resources,
    name_products,
    package_children,
    package_resources,
    package_service_resources,
    taken,
    unnamed_products,
)
from catalogsync.catalog import Value
from catalogsync.live import LiveResource, in_ref_order, ref_of

__all__ = ["LiveRows"]


class LiveRows:
    """The live resources of one read (see the module docstring): `services` each page of
    services as it comes in, `named` once the lookup tables are in, `work` whenever the CPU
    is free, `finish` with the whole read once it has ended."""

    def __init__(self) -> None:
        self._lookups: Lookups | None = None
        self._waiting: list[Sequence[Record]] = []  # pages in before the lookup tables
        self._services: list[LiveResource] = []
        self._service_names: dict[int, str] = {}  # identity → name, as `live_resources`'
        self._failed = False  # the whole read is mapped by `live_resources` instead
        self._services_ended = False
        self._packages: list[Any] | None = None  # the packages' records, once in
        #: The package services, built before the lookup tables were in (`work`).
        self._package_services: list[LiveResource] | None = None
        #: The packages, built then too, named once the tables are in.
        self._unnamed_packages: UnnamedPackages | None = None
        #: The fields of the services built before the lookup tables were in, their lookup
        #: fields named once they are (`unnamed_products`).
        self._unnamed: list[dict[str, Value]] = []
        self._built_unnamed = 0
        #: The live ids of each package's frequencies and currencies, by the package's
        #: identity (`LogiSenseBackend._children`), once `finish`ed.
        self.children: dict[str, PackageChildren] = {}
        #: Whether the package services and services built early are each in the live
        #: catalog's order, no ref twice (`_package_services_now`).
        self._in_order = False
        #: Whether what `finish` returned is in the live catalog's order, no ref twice
        #: (`LiveCatalog.in_order`): told of each kind before the last answer when it can.
        self.in_order = False

    def services(self, page: Sequence[Record]) -> None:
        """One more page of services, in any order (read, never changed)."""
        self._waiting.append(page)

    def services_ended(self) -> None:
        """Every page of services is in (told to `services`)."""
        self._services_ended = True

    def packages(self, records: list[Any]) -> None:
        """The packages' records are in (read, never changed, until `finish` takes them)."""
        self._packages = records

    def named(self, lookups: Lookups) -> None:
        """The lookup tables are in."""
        self._lookups = lookups

    @property
    def built_before_lookups(self) -> int:
        """How many live resources were built before the lookup tables were in."""
        packages = self._unnamed_packages.resources if self._unnamed_packages else ()
        return len(self._package_services or ()) + len(packages) + self._built_unnamed

    def work(self) -> None:
        """Build the service pages waiting: before the lookup tables are in, those of
        typed records (`_services_now`) and then the package services
        (`_package_services_now`); once they are, name the lookup fields of those built
        before, and build the rest."""
        lookups = self._lookups
        if lookups is None:
            self._services_now()
            self._package_services_now()
            return
        if self._failed:
            return
        if self._unnamed:
            unnamed, self._unnamed = self._unnamed, []
            name_products(unnamed, lookups)
        names = self._service_names
        while self._waiting:
            page = self._waiting.pop(0)
            before = len(names)
            try:
                self._services += live_resources(page, (), lookups, names)
            except Exception:  # `finish` maps the whole read, which raises it in its turn
                self._failed = True
                return
            if len(names) != before + len(page):
                self._failed = True  # an identity read twice: page order says which name
                return

    def _services_now(self) -> None:
        """The services' pages waiting, built before the lookup tables are in, their lookup
        fields named once they are: pages of typed records, in the order they came, up to
        the first other one (left to `work` once the tables are in, as every page was)."""
        names = self._service_names
        while self._waiting and not self._failed:
            page = self._waiting[0]
            if not page or set(map(type, page)) != {SERVICE}:
                return
            self._waiting.pop(0)
            before = len(names)
            try:
                built, unnamed = unnamed_products(list(page), names)
            except Exception:  # `finish` maps the whole read, which raises it in its turn
                self._failed = True
                return
            self._services += built
            self._unnamed += unnamed
            self._built_unnamed += len(built)
            if len(names) != before + len(page):
                self._failed = True  # an identity read twice: page order says which name

    def _package_services_now(self) -> None:
        """The package services, when the lookup tables are the read's last answers (at M
        the six small tables, paced by the rate limit, come in ~0.3 s after the pages):
        none of their fields names a lookup row, and what names them is every service's
        name, which the services' pages give. Only of typed records (a dict may be
        malformed: mapped whole at the end, it raises where it did), services read once
        each (else `finish` falls back on the whole-read mapping, which names them)."""
        if self._package_services is not None or self._failed:
            return
        if self._packages is None or not self._services_ended or self._waiting:
            return  # (a page waiting is not typed: its services are named once it is built)
        try:
            # In the order of their packages' names (a stable sort of 5,000 names at L,
            # nearly in order on the wire): a package that lists its services by name, as
            # the emulator's pages do, then gives them in the live catalog's order.
            by_name = sorted(self._packages, key=_NAME)
            built = package_service_resources(by_name, self._service_names)
        except Exception:  # built again by `finish`, which raises it where it did
            return  # (as a dict record, which has no `name` attribute: mapped whole there)
        if built is None:  # (a dict record: mapped whole by `finish`)
            return
        # Each kind in the live catalog's order while the tables are on the wire: the
        # catalog then tells it sorted in one pass (`LiveCatalog`), where it sorted every
        # record after the last answer.
        in_order = _sorted(built) and _sorted(self._services)
        # The packages too, their lookup fields, frequencies and currencies named once the
        # tables are in (`finish`), and their records let go of now: every page of services
        # is built (none waits), so nothing maps the whole read from them after this.
        unnamed = UnnamedPackages(self._packages)
        self._packages.clear()
        self._in_order = unnamed.in_order and in_order
        self._package_services, self._unnamed_packages = built, unnamed

    def finish(
        self,
        services: list[Record],
        packages: list[Record],
        lookups: Lookups,
        *,
        children: bool = True,
    ) -> list[LiveResource]:
        """The live resources of the whole read (`services`: the records of every page
        `services` was given, in page order), and with `children` the packages' `children`
        worked out first, as `LogiSenseBackend` does before the writes. Both lists end
        empty: their records are let go as they are built."""
        self.named(lookups)
        self.work()
        early, unnamed = self._package_services, self._unnamed_packages
        self._package_services = self._unnamed_packages = None
        if packages is not self._packages:
            early = unnamed = None  # built of other records
        self._packages = None
        if early is not None and unnamed is not None:  # (`_package_services_now`)
            named = unnamed.name(lookups)  # the whole read's first step, and first error
            if children:
                self.children = named
            services.clear()
            self.in_order = self._in_order
            # (each kind's refs come after every other kind's before it: `Kind` order)
            return unnamed.resources + early + self._services
        known: Iterator[PackageChildren] | None = None
        if children:  # the whole read's first step then, and so its first error
            pairs = [(str(identity_of(p)), package_children(p, lookups)) for p in packages]
            self.children = dict(pairs)
            known = (own for _, own in pairs)
        if self._failed:
            return live_resources(taken(services), taken(packages), lookups)
        services.clear()
        decoders = field_decoders(lookups)
        built = package_resources(taken(packages), lookups, self._service_names, decoders, known)
        return built + self._services  # in the live catalog's order, as `live_resources`

    def finish_into(
        self,
        see: Callable[[LiveResource], None],
        services: list[Record],
        packages: list[Record],
        lookups: Lookups,
    ) -> int:
        """The live resources of `finish` (without children), each handed to `see` as it
        is built rather than listed (the packages' and their services' first, those of the
        services after), and how many: a read that keeps none of them. The lists end empty
        as in `finish`."""
        self.named(lookups)
        self.work()
        if self._failed:  # mapped whole, as `finish` does, so it raises what that raises
            resources = live_resources(taken(services), taken(packages), lookups)
            for resource in resources:
                see(resource)
            return len(resources)
        services.clear()
        decoders = field_decoders(lookups)
        handed = _Handed(see)
        package_resources(taken(packages), lookups, self._service_names, decoders, into=handed)
        built, self._services = self._services, []
        handed.extend(built)
        return handed.count


_NAME = attrgetter("name")


def _sorted(resources: list[LiveResource]) -> bool:
    """Sort `resources` by ref unless they are in that order already (told in one pass,
    stopping at the first out of order; sorting sorted records cost as much as sorting
    them: ~0.03 s for L's 150,000 package services), stable: records of one ref keep their
    order. Whether each ref is then before the next (none held twice)."""
    if in_ref_order(resources):
        return True
    resources.sort(key=ref_of)
    return in_ref_order(resources)


class _Handed:
    """Where `package_resources` puts what it builds (`append`): each resource handed to
    `see` and counted, none kept."""

    __slots__ = ("_see", "count")

    def __init__(self, see: Callable[[LiveResource], None]) -> None:
        self._see = see
        self.count = 0

    def append(self, resource: LiveResource) -> None:
        self.count += 1
        self._see(resource)

    def extend(self, resources: list[LiveResource]) -> None:
        resources.reverse()  # each let go once handed over
        while resources:
            self.append(resources.pop())
