"""Stored records as the API shows them: `xxxName` companions, owner fields, `details`.

Every `xxxId` gets its `xxxName` (null when it points nowhere the emulator knows, e.g. a
`termId`), as the v8 object pages show. Names are resolved in bulk per response, so a page
of 10,000 package services costs a handful of queries, not 10,000.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalogsync.emulator.logisense.schema import RESOURCES, Resource, companion_name
from catalogsync.emulator.logisense.store import Database, Record

__all__ = ["OWNED", "OWNER_ID", "OWNER_NAME", "Rendering", "Views"]

#: [INFERRED] the emulator is one tenant with one owner.
OWNER_ID = 1
OWNER_NAME = "Emulator"

#: Resources whose pages show `ownerId` / `ownerName`.
OWNED = frozenset({"Service", "Package"})
_NONE: dict[int, Record] = {}
#: A field as a response shows it: name, `xxxName` companion (of an `xxxId`), the records
#: it may refer to by identity.
_Shown = tuple[str, str | None, dict[int, Record]]


class Views:
    """Renders records of one database; each call resolves the names it needs at once."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def render(
        self, resource: Resource, records: Sequence[Record], *, in_detail: bool = False
    ) -> list[dict[str, Any]]:
        """The records as the API shows them (no `details`); `in_detail`: as children
        inside a parent's `details`, which add what the seed's Detail sample shows."""
        return self.read(resource, records, in_detail=in_detail).build()

    def render_detailed(
        self, resource: Resource, records: Sequence[Record]
    ) -> list[dict[str, Any]]:
        """The records with their `details`: a Package's services, frequencies, currencies.

        [INFERRED] from the seed's Paged/Detail sample: `details` holds one list per child
        collection. Other resources' children (usage buckets and so on) are not emulated,
        so their `details` is an empty object.
        """
        return self.read(resource, records, detail=True).build()

    def read(
        self,
        resource: Resource,
        records: Sequence[Record],
        *,
        detail: bool = False,
        in_detail: bool = False,
    ) -> Rendering:
        """Everything the database holds that rendering `records` needs (the records they
        name; with `detail`, their children and what those name), read now: the rendering
        itself (`Rendering.build`) reads nothing, so a caller holding the database lock for
        the reads can build outside it, and other requests need not wait for the building
        (a page of package details is 40,000 records at M)."""
        refs = self._referenced(resource, records)
        # each field's companion and referenced names, worked out once per response rather
        # than once per record
        shown: list[_Shown] = [
            (
                f.name,
                companion_name(f.name) if f.name.endswith("Id") else None,
                refs.get(f.ref or "", _NONE),
            )
            for f in resource.fields
        ]
        children: list[tuple[str, Rendering]] | None = None
        if detail:
            ids = [record["identity"] for record in records]
            children = []
            for child in (r for r in RESOURCES.values() if r.parent == resource.key):
                assert child.collection is not None
                rows = self.db.where_in(child, "packageId", ids)
                children.append((child.collection, self.read(child, rows, in_detail=True)))
        return Rendering(resource, records, shown, refs, in_detail, children)

    # -- internals -----------------------------------------------------------------------

    def _referenced(
        self, resource: Resource, records: Sequence[Record]
    ) -> dict[str, dict[int, Record]]:
        """The referenced records each response needs, by resource key and identity."""
        wanted: dict[str, set[int]] = defaultdict(set)
        for field in resource.fields:
            if field.ref is not None:
                wanted[field.ref].update(
                    r[field.name] for r in records if r[field.name] is not None
                )
        found: dict[str, dict[int, Record]] = {}
        for key, ids in wanted.items():
            found[key] = {
                r["identity"]: r for r in self.db.where_in(RESOURCES[key], "identity", ids)
            }
        if resource.key == "Service":  # the base type comes from the service type
            types = found.get("ServiceType", {}).values()
            base_ids = {t["serviceBaseTypeId"] for t in types if t["serviceBaseTypeId"]}
            base = self.db.where_in(RESOURCES["ServiceBaseType"], "identity", base_ids)
            found["ServiceBaseType"] = {r["identity"]: r for r in base}
        return found


@dataclass(frozen=True)
class Rendering:
    """Records read for an answer, with what they name (`Views.read`): `build` makes the
    items the API shows without touching the database."""

    resource: Resource
    records: Sequence[Record]
    shown: list[_Shown]
    refs: dict[str, dict[int, Record]]
    in_detail: bool
    #: With `details`: each child collection's name and its rendering; None without.
    children: list[tuple[str, Rendering]] | None

    def build(self) -> list[dict[str, Any]]:
        resource, shown, refs, in_detail = self.resource, self.shown, self.refs, self.in_detail
        items = [_one(resource, record, shown, refs, in_detail) for record in self.records]
        if self.children is None:
            return items
        for item in items:
            item["details"] = {}
        by_id = {item["identity"]: item for item in items}
        for collection, child in self.children:
            for item in items:
                item["details"][collection] = []
            for rendered in child.build():
                by_id[rendered["packageId"]]["details"][collection].append(rendered)
        return items


def _one(
    resource: Resource,
    record: Record,
    shown: list[_Shown],
    refs: dict[str, dict[int, Record]],
    in_detail: bool,
) -> dict[str, Any]:
    item: dict[str, Any] = {"identity": record["identity"]}
    for name, companion, targets in shown:
        value = item[name] = record[name]
        if companion is not None:
            target = targets.get(value) if value is not None else None
            item[companion] = target["name"] if target else None
    if resource.key == "Service":
        service_type = refs.get("ServiceType", {}).get(record["serviceTypeId"])
        base_id = service_type["serviceBaseTypeId"] if service_type else None
        base = refs.get("ServiceBaseType", {}).get(base_id) if base_id else None
        item["serviceBaseTypeId"] = base_id
        item["serviceBaseTypeName"] = base["name"] if base else None
        item["taxCodeId"] = None
    if resource.key == "PackageCurrency" and in_detail:
        currency = refs.get("Currency", {}).get(record["currencyId"])
        # The seed's Detail sample (004:485) shows currencyCode; the v8 Package-Currency
        # page does not, so only Detail output carries it.
        item["currencyCode"] = currency["code"] if currency else None
    if resource.key in OWNED:
        item["ownerId"], item["ownerName"] = OWNER_ID, OWNER_NAME
    if resource.shows_created:
        item["created"] = record["created"]
    if resource.has_updated:
        item["updated"] = record["updated"]
    if resource.key == "Package":
        # The v8 samples carry an `id` beside `identity`; [INFERRED] the same number.
        item["id"] = record["identity"]
    return item
