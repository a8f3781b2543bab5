"""Create, update, delete and nested PATCH, each request in one transaction.

The REST API runs "a single transaction per request" (reference §7, [D] S19), so a request
is all or nothing: the `Writer` records every change and every problem, and the caller
rolls the transaction back and answers 400 with all the problems if there is any.

PATCH bodies (seed 004:758-780 shows `{"details": {}, "packages": {"items": [...]}}`):
each collection is `{"items": [...]}` and each item carries `patchType`
(`create`/`update`/`delete`) and an optional caller-chosen `patchClientId`. A package's
child collections (`services`, `frequencies`, `currencies`) go in the `details` of the
object they belong to, the way Detail output shows them (seed 004:292-487): the body's
`details` for the path's package, an item's `details` for a package created in
`packages.items`. [INFERRED] strict: any other key is refused (400) rather than silently
ignored; the `top-level-children` profile also accepts the collections at the top level.
Result items are `{identity, action, dtoTypeKey, instance}` as the seed's sample
(004:787-822); only the `echo-patch-client-id` profile adds `patchClientId`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from catalogsync.emulator.logisense.schema import RESOURCES, Resource, companion_name
from catalogsync.emulator.logisense.store import Database, Record
from catalogsync.emulator.logisense.validation import (
    BAD_REQUEST,
    IN_USE,
    NOT_FOUND,
    Problem,
    Validator,
    coerce,
    is_int64,
)

__all__ = ["Change", "Writer", "count_patch_items", "nested_collections"]

Action = Literal["created", "updated", "deleted"]

#: [D] the seed's PATCH body lists packages under "packages"; the root resource's own
#: collection name. Other resources have no documented one.
SELF_COLLECTION = {"Package": "packages"}
#: What a PATCH item may carry besides the object's own properties.
PATCH_ITEM_KEYS = frozenset({"patchType", "patchClientId", "details"})
#: Read-only properties the API shows (so a client may send them back) beyond the
#: system fields and the `xxxName` companions.
_SHOWN = {"Service": ("serviceBaseTypeId", "serviceBaseTypeName", "taxCodeId")}
_SYSTEM = ("identity", "id", "created", "updated", "ownerId", "ownerName")


def known_properties(resource: Resource) -> frozenset[str]:
    """Every property name an object of `resource` has (writable or read-only)."""
    names = {*_SYSTEM, *_SHOWN.get(resource.key, ())}
    for field in resource.fields:
        names.add(field.name)
        if field.name.endswith("Id"):
            names.add(companion_name(field.name))
    if resource.key == "PackageCurrency":
        names.add("currencyCode")
    return frozenset(names)


@dataclass
class Change:
    """One affected record, reported in `results.items`.

    `foreign_key` marks a child deleted with its parent (reported as `foreignKeyIdentity`,
    as the documented DELETE sample does for cascades).
    """

    resource: Resource
    identity: int
    action: Action
    patch_client_id: Any = None
    foreign_key: bool = False


class Writer:
    """Applies one request's writes inside the caller's transaction."""

    def __init__(
        self, db: Database, validator: Validator, now: str, *, children_at_top: bool = False
    ) -> None:
        self.db = db
        self.validator = validator
        self.now = now
        #: Profile `top-level-children`: child collections also outside `details`.
        self.children_at_top = children_at_top
        self.changes: list[Change] = []
        self.problems: list[Problem] = []

    # -- single objects ------------------------------------------------------------------

    def create(
        self,
        resource: Resource,
        body: Mapping[str, Any],
        label: str = "",
        *,
        parent_id: int | None = None,
        pending_parent: bool = False,
        client_id: Any = None,
    ) -> int | None:
        """Create one record; its identity, or None when it broke a rule."""
        values, problems = coerce(resource, body, label)
        if resource.parent is not None and (parent_id is not None or pending_parent):
            given = values.get("packageId")
            if given is not None and given != parent_id:
                problems.append(
                    Problem(BAD_REQUEST, f"{label}'PackageId' {given} is not the parent package.")
                )
            values["packageId"] = parent_id
        record = {f.name: f.default for f in resource.fields} | values
        if "defaultInstances" in record and "defaultInstances" not in values:
            # [INFERRED] an omitted default quantity is the minimum (at least 1).
            record["defaultInstances"] = max(1, record.get("minimumInstances") or 0)
        problems += self.validator.check(
            resource, record, None, label, pending_parent=pending_parent
        )
        if problems:
            self.problems += problems
            return None
        stamps = {"created": self.now, "updated": self.now if resource.has_updated else None}
        identity = self.db.insert(resource, {**record, **stamps})
        self.changes.append(Change(resource, identity, "created", client_id))
        return identity

    def update(
        self,
        resource: Resource,
        identity: int,
        body: Mapping[str, Any],
        label: str = "",
        *,
        parent_id: int | None = None,
        client_id: Any = None,
    ) -> bool:
        """Partially update one record (only the supplied fields); False on any problem."""
        before = self._existing(resource, identity, parent_id, label)
        if before is None:
            return False
        values, problems = coerce(resource, body, label)
        if parent_id is not None and values.get("packageId", parent_id) != parent_id:
            problems.append(
                Problem(BAD_REQUEST, f"{label}'PackageId' cannot move a child to another package.")
            )
        record = {**before, **values}
        problems += self.validator.check(resource, record, identity, label)
        if problems:
            self.problems += problems
            return False
        if resource.has_updated:
            values["updated"] = self.now
        self.db.update(resource, identity, values)
        self.changes.append(Change(resource, identity, "updated", client_id))
        return True

    def delete(
        self,
        resource: Resource,
        identity: int,
        label: str = "",
        *,
        parent_id: int | None = None,
        client_id: Any = None,
    ) -> bool:
        """Delete one record and, for a Package, its children (the cascade is reported).

        A record still referenced by something that does not cascade (a Service used by a
        package) is refused: [INFERRED] the reference documents cascades only for a
        package's own children.
        """
        if self._existing(resource, identity, parent_id, label) is None:
            return False
        users = self._referrers(resource, identity)
        if users:
            self.problems.append(
                Problem(
                    IN_USE,
                    f"{label}{resource.key} {identity} cannot be deleted: it is used by "
                    f"{', '.join(users)}.",
                )
            )
            return False
        self.changes.append(Change(resource, identity, "deleted", client_id))
        for child in _children(resource):
            for row in self.db.where_in(child, "packageId", [identity]):
                self.db.delete(child, row["identity"])
                self.changes.append(Change(child, row["identity"], "deleted", foreign_key=True))
        self.db.delete(resource, identity)
        return True

    def _existing(
        self, resource: Resource, identity: int, parent_id: int | None, label: str
    ) -> Record | None:
        """The stored record (of package `parent_id`, when given), or None and a problem."""
        before = self.db.get(resource, identity)
        if before is None or (parent_id is not None and before.get("packageId") != parent_id):
            where = "" if parent_id is None else f" in Package {parent_id}"
            self.problems.append(
                Problem(NOT_FOUND, f"{label}{resource.key} {identity} was not found{where}.")
            )
            return None
        return before

    def _referrers(self, resource: Resource, identity: int) -> list[str]:
        found: list[str] = []
        for other in RESOURCES.values():
            if other.parent == resource.key:
                continue  # cascades
            for field in other.fields:
                if field.ref == resource.key:
                    ids = self.db.ids_where(other, {field.name: identity})
                    found += [f"{other.key} {i}" for i in ids[:5]]
        return found

    # -- PATCH ---------------------------------------------------------------------------

    def patch(self, resource: Resource, identity: int, body: Mapping[str, Any]) -> None:
        """`PATCH X/{id}`: update X's own fields, apply its child collections and, for the
        root's own collection (`packages`), create/update/delete further X records.

        [INFERRED] With only a `packages` collection the path id may be 0 or any id: the
        seed's body creates a package through `PATCH Package/{id}`.
        """
        own = SELF_COLLECTION.get(resource.key)
        self._refuse_unknown(resource, body, {"details", *([own] if own else [])}, "")
        fields = {k: v for k, v in body.items() if resource.field(k) is not None}
        collections = self._collections(resource, body, "")
        has_own = own is not None and own in body
        if fields or collections or not has_own:
            if self.db.get(resource, identity) is None:
                self.problems.append(
                    Problem(NOT_FOUND, f"{resource.key} {identity} was not found.")
                )
                return
            if fields:
                self.update(resource, identity, fields)
            self._apply_children(identity, collections, "")
        if has_own:
            assert own is not None
            for index, item in enumerate(self._items(body, own, "")):
                self._apply_item(resource, item, f"{own}.items[{index}]", None)

    def _apply_children(
        self, parent_id: int | None, collections: Mapping[Resource, list[Any]], label: str
    ) -> None:
        for child, items in collections.items():
            assert child.collection is not None
            for index, item in enumerate(items):
                where = f"{label}{child.collection}.items[{index}]"
                self._apply_item(child, item, where, parent_id, parent_pending=parent_id is None)

    def _refuse_unknown(
        self, resource: Resource, body: Mapping[str, Any], extra: set[str], label: str
    ) -> None:
        """A problem for each key `resource` does not have (strict: never silently dropped)."""
        allowed = known_properties(resource) | extra
        if self.children_at_top:
            allowed |= {str(c.collection) for c in _children(resource)}
        for key in body:
            if key not in allowed:
                self.problems.append(
                    Problem(BAD_REQUEST, f"{label}'{key}' is not a property of {resource.key}.")
                )

    def _collections(
        self, parent: Resource, container: Mapping[str, Any], label: str
    ) -> dict[Resource, list[Any]]:
        """The child collections in `container['details']` (and, for the
        `top-level-children` profile, in `container` itself)."""
        details = container.get("details", {})
        if not isinstance(details, Mapping):
            self.problems.append(Problem(BAD_REQUEST, f"{label}'details' must be an object."))
            details = {}
        children = _children(parent)
        names = {str(c.collection) for c in children}
        for key in details:
            if key not in names:
                where = f"{parent.key} details" if names else f"{parent.key} PATCH details"
                self.problems.append(
                    Problem(BAD_REQUEST, f"{label}'details.{key}' is not a child of {where}.")
                )
        sources = [details, container] if self.children_at_top else [details]
        found: dict[Resource, list[Any]] = {}
        for child in children:
            assert child.collection is not None
            for source in sources:
                if child.collection in source:
                    found.setdefault(child, []).extend(self._items(source, child.collection, ""))
        return found

    def _items(self, source: Mapping[str, Any], key: str, label: str) -> list[Any]:
        collection = source.get(key)
        items = collection.get("items") if isinstance(collection, Mapping) else None
        if not isinstance(items, list):
            self.problems.append(
                Problem(BAD_REQUEST, f"{label}'{key}' must be an object with an 'items' list.")
            )
            return []
        return items

    def _apply_item(
        self,
        resource: Resource,
        item: Any,
        label: str,
        parent_id: int | None,
        *,
        parent_pending: bool = False,
    ) -> None:
        prefix = f"{label}: "
        if not isinstance(item, Mapping):
            self.problems.append(Problem(BAD_REQUEST, f"{prefix}an item must be an object."))
            return
        kind, client_id = item.get("patchType"), item.get("patchClientId")
        if client_id is not None:
            prefix = f"{label} (patchClientId {client_id}): "
        self._refuse_unknown(resource, item, set(PATCH_ITEM_KEYS), prefix)
        if kind == "create":
            new_id = self.create(
                resource,
                item,
                prefix,
                parent_id=parent_id,
                pending_parent=parent_pending,
                client_id=client_id,
            )
            self._apply_children(new_id, self._collections(resource, item, prefix), f"{label}.")
            return
        if kind not in ("update", "delete"):
            self.problems.append(
                Problem(BAD_REQUEST, f"{prefix}'PatchType' must be create, update or delete.")
            )
            return
        identity = item.get("identity", item.get("id"))
        if not is_int64(identity):
            self.problems.append(
                Problem(BAD_REQUEST, f"{prefix}'Identity' is required to {kind} an object.")
            )
            return
        if parent_pending:
            return  # the parent's own failure is reported; its children cannot exist
        if kind == "delete":
            self.delete(resource, identity, prefix, parent_id=parent_id, client_id=client_id)
        elif self.update(
            resource, identity, item, prefix, parent_id=parent_id, client_id=client_id
        ):
            self._apply_children(identity, self._collections(resource, item, prefix), f"{label}.")


def _children(resource: Resource) -> list[Resource]:
    return [r for r in RESOURCES.values() if r.parent == resource.key]


def count_patch_items(body: Any) -> int:
    """How many patch items a body holds at any depth (for `Faults.max_batch_size`)."""
    if isinstance(body, Mapping):
        own = 1 if "patchType" in body else 0
        return own + sum(count_patch_items(v) for v in body.values())
    if isinstance(body, list):
        return sum(count_patch_items(v) for v in body)
    return 0


def nested_collections(resource: Resource, body: Any) -> list[str]:
    """The child collections a body carries in PATCH form (`{"items": [...]}`).

    POST and PUT write one object: [INFERRED] from "to update the parent use PUT; to update
    children use PATCH" (reference §7), they refuse such collections rather than silently
    dropping them. Child lists as Detail output shows them are read-only and ignored.
    """
    if not isinstance(body, Mapping):
        return []
    details = body.get("details")
    sources = [body, details if isinstance(details, Mapping) else {}]
    return [
        str(child.collection)
        for child in _children(resource)
        if any(isinstance(src.get(child.collection), Mapping) for src in sources)
    ]
