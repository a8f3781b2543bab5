"""Checks of the desired catalog against the live system, at plan time, before any write.

- Every lookup name the catalog uses (a rating method, a service type, a currency code…)
  must exist in the live lookup tables; otherwise the plan fails with every unknown name
  at once, each at its file:line with a suggestion (`unknown rating_method 'Usgae' (did
  you mean 'Usage'?)`), instead of an apply that writes everything else and then fails.
- A declared key held by two or more live records (a duplicate made in the UI, or by an
  earlier unclear create) is an error: which record the YAML means is not knowable, and
  writing to either could lose the other's data. The message names every id and what to do.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterator, Mapping
from itertools import groupby
from operator import attrgetter, methodcaller
from pathlib import Path
from typing import Any, NamedTuple

from catalogsync.backend_api import Backend
from catalogsync.catalog import Catalog, Kind, Ref, Resource, Value
from catalogsync.errors import CatalogValidationError, Issue, PlanError, SourceLocation
from catalogsync.live import LiveCatalog, LookupField, LookupTable
from catalogsync.yamlio import YamlDocument, YamlFileError, read_yaml_file

_KIND_OF, _FIELDS_OF = attrgetter("ref.kind"), attrgetter("fields")


class LookupUse(NamedTuple):
    """What `check_lookup_names` reads of the desired catalog alone (`lookup_use`): each
    object's fields by kind, and the fields some object of a kind sets."""

    fields: dict[Kind, list[Mapping[str, Value]]]
    used: frozenset[LookupField]


def lookup_use(desired: Catalog) -> LookupUse:
    """`LookupUse` of `desired`: ~0.12 s of CPU at 205,000 objects, which a command makes
    while the live catalog is still read (`workflow.fetch_and_plan`), not after its last
    answer."""
    fields = _fields_by_kind(desired)
    used = frozenset(
        (kind, name) for kind, of_kind in fields.items() for name in _set_fields(of_kind)
    )
    return LookupUse(fields, used)


async def check_lookup_names(
    desired: Catalog, backend: Backend, use: LookupUse | None = None
) -> None:
    """Raise CatalogValidationError listing every lookup name the live system lacks
    (`use`: `lookup_use(desired)`, when it is made already)."""
    fields, used = use or lookup_use(desired)
    tables = await backend.lookup_tables(used) if used else {}
    if not tables:
        return  # no field names a lookup row: nothing to check, object by object
    if _all_known(fields, tables):
        return  # every name resolves (nearly always): no issues to locate, object by object
    files: dict[str, YamlDocument | None] = {}
    issues = [i for resource in desired for i in _unknown_names(resource, tables, files)]
    if issues:
        raise CatalogValidationError(issues)


def _fields_by_kind(desired: Catalog) -> dict[Kind, list[Mapping[str, Value]]]:
    """Each object's fields, by kind (a catalog's objects come kind by kind: a few runs)."""
    fields: dict[Kind, list[Mapping[str, Value]]] = defaultdict(list)
    for kind, run in groupby(desired, _KIND_OF):
        fields[kind].extend(map(_FIELDS_OF, run))
    return fields


def _set_fields(of_kind: list[Mapping[str, Value]]) -> Iterator[str]:
    """The fields some object of a kind sets (to a value that is not empty): each field
    any of them has, then the first object found to set it, in C (a large catalog has
    ~200,000 objects and a handful of fields, set by most of them)."""
    for name in set().union(*of_kind):
        if any(map(methodcaller("get", name), of_kind)):
            yield name


def _all_known(
    fields: dict[Kind, list[Mapping[str, Value]]], tables: dict[LookupField, LookupTable]
) -> bool:
    """Whether every lookup name the objects' `fields` use is in its table: each distinct
    value of a lookup field checked once, not once per object (a large catalog repeats a
    handful), the distinct values found in C."""
    for (kind, field), table in tables.items():
        values = list(map(methodcaller("get", field), fields.get(kind, ())))
        # by type too: True and Decimal(1) are equal but name different rows
        for _, value in set(zip(map(type, values), values, strict=True)):
            if not value:
                continue
            names = value if isinstance(value, tuple) else (str(value),)
            if any(table.unknown(one) is not None for one in names):
                return False
    return True


def _unknown_names(
    resource: Resource,
    tables: dict[LookupField, LookupTable],
    files: dict[str, YamlDocument | None],
) -> Iterator[Issue]:
    for field, value in sorted(resource.fields.items()):
        table = tables.get((resource.ref.kind, field))
        if table is None or not value:
            continue
        values = value if isinstance(value, tuple) else (str(value),)
        for one in values:
            missing = table.unknown(one)
            if missing is None:
                continue
            close = difflib.get_close_matches(missing, sorted(table.names), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known = "" if close else _known(table)
            yield Issue(
                f"unknown {table.label} '{missing}'{hint}{known}",
                field_location(resource, field, one, files),
            )


def _known(table: LookupTable) -> str:
    names = sorted(table.names)
    if not names:
        return " (the live table is empty)"
    shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
    return f" (known: {shown})"


def field_location(
    resource: Resource, field: str, value: str, files: dict[str, YamlDocument | None]
) -> SourceLocation | None:
    """Where `field` (or, in a list, `value`) of `resource` is written; the resource's own
    location when the file cannot be read again. The loader keeps only where resources
    are; this re-reads the file exactly (once, kept in `files`), which happens only when
    reporting an error."""
    where = resource.location
    if where is None:
        return None
    if where.path not in files:
        files[where.path] = _exact(where.path)
    document = files[where.path]
    if document is None:
        return where
    item = next((p for p, loc in document.source.values.items() if loc == where), None)
    if item is None:
        return where
    data: Any = document.data
    for part in item:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
    own = data.get(field) if isinstance(data, dict) else None
    if isinstance(own, list) and value in own:
        return document.source.value((*item, field, own.index(value)))
    return document.source.key((*item, field)) if own is not None else where


def _exact(path: str) -> YamlDocument | None:
    try:
        return read_yaml_file(Path(path), path, fast=False)
    except (YamlFileError, OSError):
        return None


def check_duplicate_keys(desired: Catalog, live: LiveCatalog) -> None:
    """Raise PlanError when a key the catalog declares is held by several live records."""
    if live.distinct_keys:
        return  # every live key held once (nearly always): nothing to look up
    records: dict[Ref, list[str]] = defaultdict(list)
    for resource in live:
        records[resource.ref].append(resource.remote_id)
    declared = {r.ref: r for r in desired}
    problems = [
        _duplicate_message(ref, ids, declared[ref].location)
        for ref, ids in sorted(records.items())
        if len(ids) > 1 and ref in declared
    ]
    if problems:
        raise PlanError(
            "\n".join(problems)
            + f"\n{len(problems)} declared key(s) held by several live records; nothing was "
            "planned. Delete (or rename) the extra record(s) in the billing system, keeping "
            "the one the YAML means, then run plan again."
        )


def _duplicate_message(ref: Ref, ids: list[str], where: SourceLocation | None) -> str:
    listed = ", ".join(sorted(ids, key=lambda i: (len(i), i)))
    prefix = f"{where}: " if where else ""
    return f"{prefix}{ref} is held by {len(ids)} live records (ids {listed})"
