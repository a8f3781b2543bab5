"""Create, update, upsert and delete of `brmObjects` batches (the rules are in `rules`).

A batch runs in one SQLite transaction and each record in its own savepoint, so a record
that breaks a rule is undone alone and reported, while the good records are committed
(reference §3: partial-failure behaviour is undocumented; [INFERRED] commit the good ones,
with `all_or_nothing` to roll the whole batch back instead). Results come back one per
input record, in input order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from catalogsync.emulator.billingplatform.rules import (
    HAS_CHILDREN,
    ID_CONFLICT,
    INVALID_RECORD,
    INVALID_REFERENCE,
    INVALID_VALUE,
    MULTIPLE_MATCHES,
    NOT_FOUND,
    REQUIRED,
    ROLLED_BACK,
    UNKNOWN_FIELD,
    RecordFailure,
    Rules,
)
from catalogsync.emulator.billingplatform.schema import ENTITIES, REQUIRED_KEYS, Entity
from catalogsync.emulator.billingplatform.store import Database, Record
from catalogsync.emulator.billingplatform.values import (
    StoredValue,
    ValueProblem,
    to_storage,
    to_wire,
)

__all__ = ["BatchWriter", "Operation", "RecordResult", "WriteContext"]

Operation = Literal["create", "update", "upsert", "delete"]


@dataclass
class RecordResult:
    """The outcome for one input record."""

    id: int | None = None
    success: bool = True
    code: str = "0"
    text: str = ""
    element: str = ""
    created: bool = False

    def to_wire(self, operation: Operation) -> dict[str, Any]:
        """The result object as BillingPlatform returns it."""
        # [INFERRED] from the OpenAPI types: the upsert result's Id is an integer and
        # `created` a boolean; create/update/delete Ids are strings like every field.
        record_id: Any = self.id if operation == "upsert" else to_wire(self.id)
        wire = {
            "Id": record_id,
            "success": self.success,
            "ErrorCode": self.code,
            "ErrorText": self.text,
            "ErrorElementField": self.element,
        }
        if operation == "upsert":
            wire["created"] = self.created
        return wire


@dataclass(frozen=True)
class WriteContext:
    """Who writes, when, and which names the fault settings make fail."""

    user_id: int
    now: str
    fail_names: re.Pattern[str] | None = None


class _RolledBack(Exception):
    """Raised to roll back an all-or-nothing batch that had a failure."""


class BatchWriter:
    """Applies one batch of records of one entity."""

    def __init__(self, db: Database, entity: Entity, context: WriteContext) -> None:
        self.db = db
        self.entity = entity
        self.context = context
        self.rules = Rules(db, entity, context.fail_names)

    def run(
        self,
        operation: Operation,
        records: Sequence[Any],
        *,
        key: str | None = None,
        all_or_nothing: bool = False,
    ) -> list[RecordResult]:
        """Apply every record; one result per record, in input order."""
        handlers: dict[Operation, Callable[[Any], RecordResult]] = {
            "create": self._create,
            "update": self._update,
            "upsert": lambda raw: self._upsert(raw, key or "Name"),
            "delete": self._delete,
        }
        handler = handlers[operation]
        required = REQUIRED_KEYS.get((self.entity.name, operation), ())
        results: list[RecordResult] = []
        try:
            with self.db.transaction():
                for raw in records:
                    results.append(self._one(handler, raw, required))
                if all_or_nothing and not all(r.success for r in results):
                    raise _RolledBack
        except _RolledBack:
            text = "not saved: another record in this all-or-nothing batch failed"
            results = [
                RecordResult(None if r.created else r.id, False, ROLLED_BACK, text)
                if r.success
                else r
                for r in results
            ]
        return results

    def _one(
        self, handler: Callable[[Any], RecordResult], raw: Any, required: tuple[str, ...]
    ) -> RecordResult:
        try:
            with self.db.savepoint():
                _check_sent(raw, required)
                return handler(raw)
        except RecordFailure as failure:
            return RecordResult(
                failure.record_id, False, failure.code, failure.text, failure.element
            )

    # -- operations ----------------------------------------------------------------------

    def _create(self, raw: Any) -> RecordResult:
        values, _ = self._parse(raw)  # an Id sent on create ("Id": "") is ignored
        record = {f.name: f.default for f in self.entity.fields if not f.system} | values
        self.rules.check(record, None, None)
        stamps: Record = {"Created": self.context.now, "CreatedUserId": self.context.user_id}
        new_id = self.db.insert(self.entity, record | stamps | self._updated_stamps())
        return RecordResult(new_id, created=True)

    def _update(self, raw: Any) -> RecordResult:
        values, raw_id = self._parse(raw)
        record_id = self._existing_id(raw_id)
        self._apply_update(record_id, values)
        return RecordResult(record_id)

    def _upsert(self, raw: Any, key: str) -> RecordResult:
        values, raw_id = self._parse(raw)
        key_value = values.get(key)
        if key_value is None:
            raise RecordFailure(REQUIRED, f"{key} (the external key) is required", key)
        matches = self.db.ids_where(self.entity, key, key_value, limit=2)
        given = self._optional_id(raw_id)
        if len(matches) > 1:
            # [INFERRED] undocumented: refuse rather than guess which record was meant.
            raise RecordFailure(
                MULTIPLE_MATCHES,
                f"more than one {self.entity.name} has {key} = {key_value!r}",
                key,
            )
        if matches:
            if given is not None and given != matches[0]:
                raise RecordFailure(
                    ID_CONFLICT, f"Id {given} is not the record with {key} = {key_value!r}", "Id"
                )
            self._apply_update(matches[0], values)
            return RecordResult(matches[0], created=False)
        if given is not None:
            raise RecordFailure(
                ID_CONFLICT,
                f"no {self.entity.name} has {key} = {key_value!r} (Id {given} sent)",
                "Id",
            )
        return self._create(raw)

    def _delete(self, raw: Any) -> RecordResult:
        if not isinstance(raw, dict):
            raise RecordFailure(INVALID_RECORD, "each record must be a JSON object")
        # Only the Id matters for a delete; other fields a client sends are ignored.
        raw_id = next((v for k, v in raw.items() if str(k).lower() == "id"), None)
        record_id = self._existing_id(raw_id)
        current = self.db.get(self.entity, record_id) or {}
        self.rules.check_injected(current, record_id)
        referrers = self.db.referrers(self.entity, record_id)
        if referrers:
            # [INFERRED] undocumented whether BP cascades; refusing makes clients delete
            # children first, which is safe either way.
            raise RecordFailure(
                HAS_CHILDREN,
                f"record has child records ({', '.join(referrers)}); delete them first",
                "Id",
                record_id,
            )
        self.db.delete(self.entity, record_id)
        return RecordResult(record_id)

    def _apply_update(self, record_id: int, values: Record) -> None:
        current = self.db.get(self.entity, record_id)
        assert current is not None
        self.rules.check(current | values, record_id, current)
        self.db.update(self.entity, record_id, values | self._updated_stamps())

    def _updated_stamps(self) -> Record:
        return {"Updated": self.context.now, "UpdatedUserId": self.context.user_id}

    # -- parsing -------------------------------------------------------------------------

    def _parse(self, raw: Any) -> tuple[Record, Any]:
        """The record's writable values (canonical names, stored form) and its raw Id."""
        if not isinstance(raw, dict):
            raise RecordFailure(INVALID_RECORD, "each record must be a JSON object")
        values: Record = {}
        sent_as: dict[str, str] = {}
        raw_id: Any = None
        for key, value in raw.items():
            name, stored, keep = self._value_of(str(key), value)
            if name in sent_as:
                raise RecordFailure(
                    INVALID_RECORD, f"{name} sent twice (as {sent_as[name]!r} and {key!r})", name
                )
            sent_as[name] = str(key)
            if name == "Id":
                raw_id = value
            elif keep:
                values[name] = stored
        return values, raw_id

    def _value_of(self, key: str, value: Any) -> tuple[str, StoredValue, bool]:
        """(canonical name, stored value, whether to write it) for one sent field."""
        field = self.entity.field(key)
        if field is None:
            if key.lower().endswith("obj") and isinstance(value, dict):
                return self._lookup(key, value)
            raise RecordFailure(UNKNOWN_FIELD, f"unknown field {key!r} on {self.entity.name}", key)
        if field.system:
            return field.name, None, False  # server-maintained; ignored on write
        try:
            return field.name, to_storage(field, value), True
        except ValueProblem as problem:
            raise RecordFailure(INVALID_VALUE, str(problem), field.name) from None

    def _lookup(self, key: str, value: dict[str, Any]) -> tuple[str, StoredValue, bool]:
        """`PackageObj: {"Name": "Gold"}` sets PackageId by a unique key (reference §4.3)."""
        field = self.entity.field(key[:-3] + "Id")
        target = ENTITIES.get(field.references or "") if field else None
        if field is None or target is None:
            raise RecordFailure(UNKNOWN_FIELD, f"unknown field {key!r} on {self.entity.name}", key)
        if len(value) != 1:
            raise RecordFailure(INVALID_VALUE, f"{key} takes exactly one key field", key)
        ((lookup_name, lookup_value),) = value.items()
        lookup = target.field(str(lookup_name))
        if lookup is None or not (lookup.unique or lookup.name == "Id"):
            raise RecordFailure(INVALID_VALUE, f"{key} cannot look up by {lookup_name!r}", key)
        try:
            ids = self.db.ids_where(target, lookup.name, to_storage(lookup, lookup_value), limit=2)
        except ValueProblem as problem:
            raise RecordFailure(INVALID_VALUE, str(problem), key) from None
        if len(ids) != 1:
            raise RecordFailure(
                INVALID_REFERENCE, f"no {target.name} has {lookup.name} = {lookup_value!r}", key
            )
        return field.name, ids[0], True

    def _optional_id(self, raw_id: Any) -> int | None:
        if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
            return None
        id_field = self.entity.field("Id")
        assert id_field is not None
        try:
            stored = to_storage(id_field, raw_id)
        except ValueProblem as problem:
            raise RecordFailure(INVALID_VALUE, str(problem), "Id") from None
        return int(stored) if stored is not None else None

    def _existing_id(self, raw_id: Any) -> int:
        record_id = self._optional_id(raw_id)
        if record_id is None:
            raise RecordFailure(REQUIRED, "Id is required", "Id")
        if not self.db.exists(self.entity, record_id):
            raise RecordFailure(
                NOT_FOUND, f"no {self.entity.name} has Id {record_id}", "Id", record_id
            )
        return record_id


def _check_sent(raw: Any, required: tuple[str, ...]) -> None:
    """Every field the documents mark required is in the record (names in any case)."""
    if not isinstance(raw, dict):
        raise RecordFailure(INVALID_RECORD, "each record must be a JSON object")
    sent = {str(key).lower() for key in raw}
    for name in required:
        # A lookup may be set through its `…Obj` form instead (PackageObj for PackageId).
        lookup = name[:-2] + "Obj" if name.endswith("Id") and name != "Id" else None
        if name.lower() not in sent and (lookup is None or lookup.lower() not in sent):
            raise RecordFailure(REQUIRED, f"{name} is required in this request", name)
