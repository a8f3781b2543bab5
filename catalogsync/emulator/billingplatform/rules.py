"""The rules a stored BillingPlatform record must satisfy, and the per-record error codes.

Required fields, references that must exist, package-product nesting, MinQty <= MaxQty,
unique names, and the injected name failures. A broken rule raises `RecordFailure`, which
the batch writer reports for that record alone.
"""

from __future__ import annotations

import re

from catalogsync.emulator.billingplatform.schema import ENTITIES, Entity, Kind
from catalogsync.emulator.billingplatform.store import Database, Record
from catalogsync.emulator.billingplatform.values import StoredValue, decimal_of

__all__ = ["RecordFailure", "Rules"]

# [INFERRED] The vendor's per-record error codes are undocumented; clients only test
# ErrorCode != "0", so the emulator uses stable descriptive codes.
REQUIRED = "REQUIRED_FIELD_MISSING"
UNKNOWN_FIELD = "UNKNOWN_FIELD"
INVALID_VALUE = "INVALID_FIELD_VALUE"
INVALID_RECORD = "INVALID_RECORD"
INVALID_REFERENCE = "INVALID_REFERENCE"
DUPLICATE = "DUPLICATE_VALUE"
NOT_FOUND = "RECORD_NOT_FOUND"
MULTIPLE_MATCHES = "MULTIPLE_MATCHES"
ID_CONFLICT = "ID_CONFLICT"
HAS_CHILDREN = "HAS_CHILD_RECORDS"
INJECTED = "INJECTED_FAILURE"
ROLLED_BACK = "ROLLED_BACK"


class RecordFailure(Exception):
    """A record broke a rule; it is reported, and only it is undone."""

    def __init__(self, code: str, text: str, element: str = "", record_id: int | None = None):
        super().__init__(text)
        self.code, self.text, self.element, self.record_id = code, text, element, record_id


class Rules:
    """Checks records of one entity against the stored data."""

    def __init__(self, db: Database, entity: Entity, fail_names: re.Pattern[str] | None) -> None:
        self.db = db
        self.entity = entity
        self.fail_names = fail_names

    def check(self, record: Record, record_id: int | None, before: Record | None) -> None:
        """Every rule a stored record must satisfy; the first broken one fails it.

        `record` is the whole record as it would be stored, `record_id` its Id (None for a
        create) and `before` the stored record an update starts from.
        """
        self.check_injected(record, record_id)
        for field in self.entity.fields:
            if field.required and record.get(field.name) is None:
                raise RecordFailure(REQUIRED, f"{field.name} is required", field.name, record_id)
        for field in self.entity.fields:
            value = record.get(field.name)
            target = ENTITIES.get(field.references or "")
            if target is not None and value is not None and not self.db.exists(target, value):
                raise RecordFailure(
                    INVALID_REFERENCE,
                    f"{field.name} {value} does not exist ({target.name})",
                    field.name,
                    record_id,
                )
        if self.entity.name == "PACKAGE_PRODUCT":
            self._check_nesting(record, record_id, before)
        self._check_quantities(record, record_id)
        self._check_unique(record, record_id)

    def check_injected(self, record: Record, record_id: int | None) -> None:
        """Fail records whose Name matches `Faults.fail_names_matching`."""
        pattern = self.fail_names
        name = record.get("Name")
        if pattern is not None and isinstance(name, str) and pattern.search(name):
            raise RecordFailure(
                INJECTED, f"injected failure: Name matches {pattern.pattern!r}", "Name", record_id
            )

    def _check_nesting(self, record: Record, record_id: int | None, before: Record | None) -> None:
        parent_id = record.get("ParentPackageProductId")
        field = "ParentPackageProductId"
        if parent_id is not None:
            parent = self.db.get(self.entity, int(parent_id))
            assert parent is not None  # existence was checked with the references
            if parent["PackageId"] != record.get("PackageId"):
                raise RecordFailure(
                    INVALID_REFERENCE,
                    f"parent package product {parent_id} belongs to another package",
                    field,
                    record_id,
                )
            if record_id is not None and record_id in self._ancestors(int(parent_id)):
                raise RecordFailure(
                    INVALID_REFERENCE,
                    "a package product cannot be its own ancestor",
                    field,
                    record_id,
                )
        moved = before is not None and before.get("PackageId") != record.get("PackageId")
        has_children = record_id is not None and self.db.ids_where(
            self.entity, field, record_id, limit=1
        )
        if moved and has_children:
            raise RecordFailure(
                INVALID_REFERENCE,
                "cannot move a package product that has child package products to another package",
                "PackageId",
                record_id,
            )

    def _ancestors(self, start: int) -> set[int]:
        """`start` and every package product above it (stops on an existing cycle)."""
        seen: set[int] = set()
        current: StoredValue = start
        while current is not None and int(current) not in seen:
            seen.add(int(current))
            row = self.db.get(self.entity, int(current))
            current = row.get("ParentPackageProductId") if row else None
        return seen

    def _check_quantities(self, record: Record, record_id: int | None) -> None:
        low, high = decimal_of(record.get("MinQty")), decimal_of(record.get("MaxQty"))
        if low is not None and high is not None and low > high:
            raise RecordFailure(
                INVALID_VALUE,
                f"MinQty ({low}) must not exceed MaxQty ({high})",
                "MinQty",
                record_id,
            )

    def _check_unique(self, record: Record, record_id: int | None) -> None:
        for field in self.entity.fields:
            value = record.get(field.name)
            if not field.unique or value is None or field.kind is Kind.ID:
                continue
            others = [
                i
                for i in self.db.ids_where(self.entity, field.name, value, limit=2)
                if i != record_id
            ]
            if others:
                raise RecordFailure(
                    DUPLICATE,
                    f"{field.name} {value!r} is already used by {self.entity.name} {others[0]}",
                    field.name,
                    record_id,
                )
