"""After an apply: is every change the API accepted actually in effect?

An API can answer "success" for a write it did not carry out (a field it ignores, a value
it silently truncates, a concurrent writer that overwrote it). `verify_results` compares a
fresh read of the live catalog with what each succeeded change planned, using the
planner's own field comparison, and turns each change that is not live as planned into a
failure "accepted by the API but not in effect" (DESIGN.md §3: exit 4).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from catalogsync.catalog import Kind, Ref, Value, package_ref
from catalogsync.diffing import field_changes
from catalogsync.live import LiveCatalog, LiveResource
from catalogsync.plan import Action, Change
from catalogsync.report import ChangeResult, Outcome

NOT_IN_EFFECT = "accepted by the API but not in effect"


def verify_results(
    changes: Sequence[Change], results: Mapping[Ref, ChangeResult], live: LiveCatalog
) -> dict[Ref, ChangeResult]:
    """The results of `changes` after checking the succeeded ones against `live`."""
    return {**results, **not_in_effect(changes, results, live)}


def not_in_effect(
    changes: Sequence[Change], results: Mapping[Ref, ChangeResult], live: Iterable[LiveResource]
) -> dict[Ref, ChangeResult]:
    """The failures that replace the results of the succeeded `changes` that `live` does not
    show as planned (an apply updates its results with them rather than holding a second
    whole copy of them beside the verification read)."""
    check = InEffect(changes, results)
    for resource in live:
        check.see(resource)
    return check.failures()


@dataclass(frozen=True)
class Written:
    """What the check after an apply looks at (`InEffect`): a verification read that hands
    it every live record under one of `keys` and every live record of `deleted` ids (with
    any other records, each once) gets the verdicts a read of the whole catalog gets.

    `keys`: of the succeeded creates and updates, of the `kinds` named; `deleted`: the ids
    the succeeded deletes removed, by kind; `packages`: the names of the packages the keys
    are or sit in; `ids`: the ids the apply knows of those packages (where a targeted read
    may start: hints, not proof; another writer may have created or renamed a package
    since); `product_names`: by id, the names of the products no change of the apply
    writes, as the apply's own read before its writes saw them (empty when it gave none).

    A read that names the products its records hold from `product_names` instead of
    reading them trusts that none of those products was renamed or deleted since that
    read: under another writer's rename of one, a written package-product's key is
    worked out with the product's old name (found in effect where the whole read finds
    it under the new name, "not found on re-read"). A product not among them (one the
    apply wrote, one made since) is read."""

    keys: AbstractSet[Ref]
    kinds: frozenset[Kind]
    deleted: Mapping[Kind, frozenset[str]]
    packages: frozenset[str]
    ids: Mapping[Ref, str]
    product_names: Mapping[str, str] = field(default_factory=dict)


class InEffect:
    """`not_in_effect`, told the live records one at a time (`see`) as a read builds them,
    so the verification read after an apply need not hold the whole live catalog beside the
    plan (at L, 205,000 records on top of a 205,000-change plan and its results): of each
    record it keeps the id, under the planned change's own ref, and the problem when there
    is one. The same verdicts, in any order of records."""

    def __init__(self, changes: Sequence[Change], results: Mapping[Ref, ChangeResult]) -> None:
        self._changes = changes
        self._results = results
        # The succeeded creates and updates by ref (rarely several under one ref: a saved
        # plan), and the ids the succeeded deletes removed, by kind (ids are an entity's
        # own: a billing system may number each table apart, so a deleted product's id may
        # be a live package's).
        self._wanted: dict[Ref, Change] = {}
        self._also: dict[Ref, list[Change]] = {}
        self._gone: dict[Kind, set[str]] = {}
        for change in changes:
            result = results.get(change.ref)
            if result is None or result.outcome is not Outcome.SUCCEEDED:
                continue
            if change.action is Action.DELETE:
                gone = result.remote_id or change.remote_id
                if gone:
                    self._gone.setdefault(change.ref.kind, set()).add(gone)
            elif self._wanted.setdefault(change.ref, change) is not change:
                self._also.setdefault(change.ref, []).append(change)
        self._first: dict[Ref, str] = {}  # the id of the first live record under a ref
        self._more: dict[Ref, list[str]] = {}  # every id, of a ref held by several records
        self._problems: dict[int, str] = {}  # by id(change): what the first record shows
        self._still_there: set[tuple[Kind, str]] = set()  # deleted ids read again

    def written(self, ids: Mapping[Ref, str], seen: LiveCatalog | None = None) -> Written:
        """What this check looks at (`Written`), `ids` the remote ids the apply knows,
        `seen` the live catalog the apply read just before its writes (None: not read just
        before, e.g. a confirmation waited in between), whose products' names it hands on.
        One pass over the keys, tuples unpacked in C (a cold apply's are all of them)."""
        product, package = Kind.PRODUCT, Kind.PACKAGE
        inner = [(kind, key) for kind, key in self._wanted if kind is not product]
        kinds = {product} if len(inner) < len(self._wanted) else set()
        if any(kind is package for kind, _ in inner):
            kinds.add(package)
        if any(kind is not package for kind, _ in inner):
            kinds.add(Kind.PACKAGE_PRODUCT)
        packages = frozenset(key[0] for _, key in inner)
        return Written(
            self._wanted.keys(),  # no copy: at L a cold apply's 205,000
            frozenset(kinds),
            {kind: frozenset(gone) for kind, gone in self._gone.items()},
            packages,
            {ref: ids[ref] for ref in map(package_ref, packages) if ref in ids},
            self._not_written(seen.of_kind(Kind.PRODUCT)) if seen is not None else {},
        )

    def _not_written(self, products: Iterable[LiveResource]) -> dict[str, str]:
        """By id, the names of `products` no change of the plan writes: not one that
        succeeded, failed or was skipped (it may have been written in part), by its key or
        by its id (a rename's key is its new name)."""
        written = [change for change in self._changes if change.ref.kind is Kind.PRODUCT]
        refs = {change.ref for change in written}
        ids = {change.remote_id for change in written}
        ids |= {result.remote_id for result in map(self._results.get, refs) if result is not None}
        return {
            product.remote_id: product.ref.key[0]
            for product in products
            if product.ref not in refs and product.remote_id not in ids
        }

    def see(self, resource: LiveResource) -> None:
        """One live record of the read (of any kind, in any order; each once)."""
        gone = self._gone.get(resource.ref.kind)
        if gone and resource.remote_id in gone:
            self._still_there.add((resource.ref.kind, resource.remote_id))
        change = self._wanted.get(resource.ref)
        if change is None:
            return
        ref = change.ref  # the plan's own ref, held anyway: not the record's
        held = self._first.get(ref)
        if held is not None:
            self._more.setdefault(ref, [held]).append(resource.remote_id)
            return
        result = self._results[ref]
        # The result's id when it is the record's (one object less per record kept).
        same = result.remote_id is not None and result.remote_id == resource.remote_id
        self._first[ref] = result.remote_id if same and result.remote_id else resource.remote_id
        # The common case, told without a call: the record is the one the apply wrote and
        # holds every planned field as planned (what `_problem` finds no problem with).
        if same and not self._also and change.values.items() <= resource.fields.items():
            return
        for each in (change, *self._also.get(ref, ())):
            problem = _problem(each, result, resource)
            if problem:
                self._problems[id(each)] = problem

    def failures(self) -> dict[Ref, ChangeResult]:
        """The failures that replace the succeeded changes' results, once every record of
        the read has been seen."""
        if not (self._more or self._problems or self._still_there) and len(self._first) == len(
            self._wanted
        ):
            # Every succeeded create and update was seen once, as planned, and no deleted
            # id was: nothing below would find a problem (no change need be looked at).
            return {}
        checked: dict[Ref, ChangeResult] = {}
        for change in self._changes:
            result = self._results.get(change.ref)
            if result is None or result.outcome is not Outcome.SUCCEEDED:
                continue
            if change.action is Action.DELETE:
                problem = _not_deleted(change, result, self._still_there)
            elif change.ref in self._more:
                problem = _held_twice(self._more[change.ref])
            elif change.ref not in self._first:
                problem = "not found on re-read"
            else:
                problem = self._problems.get(id(change), "")
            if problem:
                checked[change.ref] = ChangeResult(
                    change.ref, Outcome.FAILED, result.remote_id, f"{NOT_IN_EFFECT}: {problem}"
                )
        return checked


def _not_deleted(
    change: Change, result: ChangeResult, live_ids: Collection[tuple[Kind, str]]
) -> str:
    gone = result.remote_id or change.remote_id
    return f"id {gone} still exists" if gone and (change.ref.kind, gone) in live_ids else ""


def _held_twice(ids: list[str]) -> str:
    listed = ", ".join(sorted(ids))
    return (
        f"{len(ids)} live records now have this key (ids {listed}): another writer "
        "(a concurrent apply?) created one too; delete the extra record(s) and run plan"
    )


def _problem(change: Change, result: ChangeResult, found: LiveResource) -> str:
    """What is wrong with a succeeded create or update as the live record under its key
    shows it ("" if nothing), when no other record holds that key."""
    if result.remote_id and found.remote_id != result.remote_id:
        return f"the live record under this key is id {found.remote_id}, not {result.remote_id}"
    return _differences(change.values, found)


def _differences(planned: Mapping[str, Value], record: LiveResource) -> str:
    # Every planned field live with its planned value: one C-level comparison of the
    # items (equality as a dict's). Otherwise a field may also be absent live and planned
    # empty (None), which `get` reads as equal.
    if planned.items() <= record.fields.items():
        return ""
    current = {key: record.fields.get(key) for key in planned}
    if current == dict(planned):
        return ""
    return "; ".join(
        f"{f.field} is {_show(f.before)} live, planned {_show(f.after)}"
        for f in field_changes(current, planned)
    )


def _show(value: Value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return repr(value) if isinstance(value, str) else str(value)
