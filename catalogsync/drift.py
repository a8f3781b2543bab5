"""Drift: a plan read the other way round, for the nightly job.

A plan says what apply would do to make the billing system match the YAML; a drift report
says how the billing system differs from the YAML, and classifies every finding:

- **changed**: a declared object whose live fields differ (edited in the billing UI, or a
  YAML change not applied yet), field by field, with the live `Updated` time and user;
- **missing**: declared, but not in the billing system;
- **unmanaged**: in the billing system, but not declared, with a ready-to-paste YAML snippet
  to adopt it (and whether `apply --allow-delete` would delete it: inside the prune scope).

Fields covered by `ignore` rules are never compared; the rules are listed in the report so
a reader knows what was not checked.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from catalogsync.catalog import Catalog, Kind, Ref, Resource, count_by_kind
from catalogsync.catalog_format import CatalogFormat
from catalogsync.config import IgnoreRule
from catalogsync.live import LiveCatalog
from catalogsync.plan import Action, FieldChange, Plan, dump_value
from catalogsync.planner import index_live, renames_in
from catalogsync.yamlio import dump_yaml

DRIFT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ChangedObject:
    """A declared object whose live fields differ from the YAML."""

    ref: Ref
    remote_id: str | None
    fields: tuple[FieldChange, ...]  # before = live, after = declared
    updated_at: str | None = None
    updated_by: str | None = None
    renamed_from: str | None = None  # live under this name; the YAML renames it
    location: str | None = None  # where the YAML declares it


@dataclass(frozen=True)
class MissingObject:
    """Declared in the YAML, absent from the billing system."""

    ref: Ref
    location: str | None = None


@dataclass(frozen=True)
class UnmanagedObject:
    """Live, not declared; `snippet` is YAML that declares it as it is."""

    ref: Ref
    remote_id: str
    snippet: str
    placement: str  # where the snippet goes: "the products: list"
    updated_at: str | None = None
    updated_by: str | None = None
    would_delete: bool = False  # inside the prune scope


@dataclass(frozen=True)
class DriftReport:
    """Every difference between the YAML and one target, classified."""

    backend: str
    target: str
    target_url: str
    changed: tuple[ChangedObject, ...] = ()
    missing: tuple[MissingObject, ...] = ()
    unmanaged: tuple[UnmanagedObject, ...] = ()
    ignored: tuple[str, ...] = ()  # the ignore rules, as people read them
    unmanaged_checked: bool = True

    @property
    def has_drift(self) -> bool:
        return bool(self.changed or self.missing or self.unmanaged)

    @property
    def findings(self) -> int:
        return len(self.changed) + len(self.missing) + len(self.unmanaged)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": DRIFT_FORMAT_VERSION,
            "backend": self.backend,
            "target": self.target,
            "target_url": self.target_url,
            "drift": self.has_drift,
            "summary": {
                "changed": len(self.changed),
                "missing": len(self.missing),
                "unmanaged": len(self.unmanaged),
            },
            "changed": [_changed_json(c) for c in self.changed],
            "missing": [{**m.ref.to_json(), "location": m.location} for m in self.missing],
            "unmanaged": [_unmanaged_json(u) for u in self.unmanaged],
            "ignored": list(self.ignored),
            "unmanaged_checked": self.unmanaged_checked,
        }


def _changed_json(item: ChangedObject) -> dict[str, Any]:
    return {
        **item.ref.to_json(),
        "remote_id": item.remote_id,
        "renamed_from": item.renamed_from,
        "updated_at": item.updated_at,
        "updated_by": item.updated_by,
        "location": item.location,
        "fields": [
            {
                "field": f.field,
                "live": dump_value(f.before),
                "declared": dump_value(f.after),
            }
            for f in item.fields
        ],
    }


def _unmanaged_json(item: UnmanagedObject) -> dict[str, Any]:
    return {
        **item.ref.to_json(),
        "remote_id": item.remote_id,
        "updated_at": item.updated_at,
        "updated_by": item.updated_by,
        "would_delete": item.would_delete,
        "placement": item.placement,
        "snippet": item.snippet,
    }


def detect_drift(
    plan: Plan,
    desired: Catalog,
    live: LiveCatalog,
    fmt: CatalogFormat,
    *,
    ignore: Sequence[IgnoreRule] = (),
    include_unmanaged: bool = True,
) -> DriftReport:
    """Classify the plan's findings (see the module docstring)."""
    # Only what the findings need: a no-op drift of a large catalog indexes nothing (it
    # built three dicts of every live or declared object, each used for no finding).
    updated = {c.remote_id for c in plan.changes if c.action is Action.UPDATE}
    live_by_id = {r.remote_id: r for r in live if r.remote_id in updated} if updated else {}
    # Every live record no declared object matches is in the plan: unmanaged, or deleted.
    leftovers = bool(plan.unmanaged) or any(c.action is Action.DELETE for c in plan.changes)
    declared = desired.by_ref() if plan.changes or leftovers else {}
    changed: list[ChangedObject] = []
    missing: list[MissingObject] = []
    deleted_ids: set[str] = set()  # the unmanaged records inside the prune scope
    for change in plan.changes:
        where = _location(declared.get(change.ref))
        if change.action is Action.CREATE:
            missing.append(MissingObject(change.ref, where))
        elif change.action is Action.UPDATE:
            current = live_by_id.get(change.remote_id or "")
            changed.append(
                ChangedObject(
                    ref=change.ref,
                    remote_id=change.remote_id,
                    fields=change.fields,
                    updated_at=current.updated_at if current else None,
                    updated_by=current.updated_by if current else None,
                    renamed_from=change.renamed_from,
                    location=where,
                )
            )
        elif change.remote_id is not None:
            deleted_ids.add(change.remote_id)
    unmanaged: list[UnmanagedObject] = []
    if include_unmanaged and leftovers:
        # Every live record no declared object matches, each duplicate of a key included.
        index = index_live(live, renames_in(plan))
        for key, resource in index.leftovers(declared):
            item = Resource(ref=key, fields=fmt.export_fields(key, resource.fields))
            unmanaged.append(
                UnmanagedObject(
                    ref=key,
                    remote_id=resource.remote_id,
                    snippet=textwrap.dedent(dump_yaml([fmt.item(item)])),
                    placement=placement(key),
                    updated_at=resource.updated_at,
                    updated_by=resource.updated_by,
                    would_delete=resource.remote_id in deleted_ids,
                )
            )
    return DriftReport(
        backend=plan.backend,
        target=plan.target,
        target_url=plan.target_url,
        changed=tuple(changed),
        missing=tuple(missing),
        unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.ref, u.remote_id))),
        ignored=tuple(describe_ignore(rule) for rule in ignore),
        unmanaged_checked=include_unmanaged,
    )


def placement(ref: Ref) -> str:
    """Where a snippet declaring `ref` goes in a catalog file."""
    if ref.kind is Kind.PRODUCT:
        return "the products: list"
    if ref.kind is Kind.PACKAGE:
        return "the packages: list"
    if ref.parent is not None:
        return f"the children: list of package-product {ref.parent.label}"
    return f"the products: list of package {ref.key[0]}"


def describe_ignore(rule: IgnoreRule) -> str:
    """`package_product Gold*: rate, rate_override`."""
    names = ", ".join(rule.names)
    return f"{rule.kind.value} {names}: {', '.join(rule.fields)}"


def _location(resource: Resource | None) -> str | None:
    return str(resource.location) if resource and resource.location else None


def summary_counts(report: DriftReport) -> dict[str, dict[Kind, int]]:
    """Findings per class and kind, for summary tables."""
    return {
        "changed": count_by_kind(c.ref for c in report.changed),
        "missing": count_by_kind(m.ref for m in report.missing),
        "unmanaged": count_by_kind(u.ref for u in report.unmanaged),
    }
