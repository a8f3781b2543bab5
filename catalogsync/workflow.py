"""The steps every command shares: open a target, fetch, plan, check a saved plan, apply.

Commands in `catalogsync.cli` call these; the functions here never print.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import NamedTuple

from catalogsync.aio import gather_or_cancel
from catalogsync.assess import assess_plan
from catalogsync.backend_api import Backend, Progress
from catalogsync.beside import Abandon
from catalogsync.catalog import Catalog, Kind, references
from catalogsync.catalog_cache import CountsKnown, WriteLater
from catalogsync.catalog_digest import catalog_digest
from catalogsync.config import Access, Project, Target
from catalogsync.errors import BackendError, PlanError, StalePlanError
from catalogsync.guards import GuardOptions, apply_needs
from catalogsync.live import LiveCatalog
from catalogsync.loader import load_project_catalog
from catalogsync.plan import Action, Plan
from catalogsync.planner import (
    PlanOptions,
    build_plan,
    index_live,
    renames_in,
    stranded_users,
    uses_of,
)
from catalogsync.preflight import LookupUse, check_duplicate_keys, check_lookup_names, lookup_use
from catalogsync.recheck import moved_before_apply
from catalogsync.registry import get_format, open_backend


@dataclass(frozen=True)
class TargetChoice:
    """A resolved target: its name and configuration."""

    name: str
    target: Target

    @property
    def display_url(self) -> str:
        return self.target.url


def choose_target(project: Project, name: str | None) -> TargetChoice:
    target_name, target = project.config.target(name)
    return TargetChoice(target_name, target)


@asynccontextmanager
async def connected(
    project: Project, choice: TargetChoice, access: Access = "read"
) -> AsyncIterator[Backend]:
    """An open backend for the target with the credentials `access` uses, closed afterwards.

    Only apply asks for "write"; a target with `read:`/`write:` sets gives every other
    command its read-only credentials. A failure of the billing system (refused
    connection, rejected login, …) names the target and its URL: with several targets,
    "connection refused" alone does not say which one, nor whether the URL in
    catalogsync.yaml is the culprit.

    The login is sent as soon as the backend is open (`Backend.start_session`), before the
    command's first read starts the desired catalog's load in a worker thread, which would
    hold the interpreter while the login waits for its turn to leave; its outcome is the
    first request's, so its errors come where they always did.
    """
    backend = open_backend(project, choice.name, choice.target.for_access(access))
    try:
        backend.start_session()
        yield backend
    except BackendError as exc:
        raise _naming_target(exc, choice) from exc
    finally:
        await backend.close()


def _naming_target(exc: BackendError, choice: TargetChoice) -> BackendError:
    where = f"target '{choice.name}' ({choice.display_url})"
    if str(exc).startswith(where):
        return exc
    message = f"{where}: {exc}"
    try:
        named = type(exc)(message)
    except TypeError:  # a subclass with another signature: keep its exit code at least
        named = BackendError(message)
        named.exit_code = exc.exit_code
    return named


def plan_options(project: Project, choice: TargetChoice) -> PlanOptions:
    config = project.config
    return PlanOptions(
        backend=config.backend,
        target=choice.name,
        target_url=choice.display_url,
        prune=config.prune,
        ignore=config.ignore,
    )


def guard_options(
    project: Project, desired: Catalog | None, *, allow_delete: bool, force: bool
) -> GuardOptions:
    config = project.config
    protected = frozenset(r.ref for r in desired if r.protect) if desired else frozenset()
    return GuardOptions(
        guards=config.guards,
        protect=config.protect,
        prune=config.prune,
        protected_refs=protected,
        allow_delete=allow_delete or config.allow_delete,
        force=force,
    )


async def fetch_and_plan(
    project: Project,
    choice: TargetChoice,
    backend: Backend,
    progress: Progress | None = None,
    write_later: WriteLater | None = None,
) -> tuple[Catalog, LiveCatalog, Plan]:
    """Load the desired catalog, fetch the live one, check one against the other, and plan.

    The YAML is read (and its content digest computed) in a worker thread while the fetch
    waits on the network, so a large catalog's parsing hides behind the API's round trips
    instead of adding to them; once it is in, its counts let the backend ask the rest of
    a paged read together (`Backend.expect_counts`). A catalog read from its files has its
    cache entry's write handed to `write_later` when given (`catalog_cache.cached_catalog`).

    Raises:
        CatalogValidationError: the catalog names lookup rows the live system lacks.
        PlanError: a declared key is held by several live records.
    """
    early: list[Mapping[Kind, int]] = []  # from the catalog cache, before the catalog
    abandon = Abandon()
    loading = asyncio.ensure_future(
        asyncio.to_thread(_load_with_digest, project, early.append, write_later, abandon)
    )
    backend.expect_counts(_counts_once_loaded(loading, early))
    try:
        loaded, live = await gather_or_cancel(loading, backend.fetch_live(progress))
    except BaseException:
        # Interrupted, or the read failed: a load still running in its forked child is
        # stopped now. Its thread cannot be cancelled, and `asyncio.run` joins it as the
        # loop closes: the command would wait for the whole load before its one line.
        abandon()
        raise
    assert isinstance(loaded, _Loaded) and isinstance(live, LiveCatalog)
    desired, use = loaded
    check_duplicate_keys(desired, live)
    await check_lookup_names(desired, backend, use)
    plan = build_plan(desired, live, plan_options(project, choice))
    return desired, live, with_apply_needs(plan, project, desired)


def _counts_once_loaded(
    loading: asyncio.Future[_Loaded], counts: list[Mapping[Kind, int]]
) -> Callable[[], Mapping[Kind, int] | None]:
    """How many objects of each kind the catalog `loading` declares, once it is loaded or
    its cache entry told them (`counts`, filled by the loading thread); None before, or when
    loading failed: its error is the command's, not the fetch's."""

    def known() -> Mapping[Kind, int] | None:
        if not counts:
            if not loading.done() or loading.cancelled() or loading.exception() is not None:
                return None
            counts.append(loading.result().catalog.count())
        return counts[0]

    return known


class _Loaded(NamedTuple):
    """The desired catalog, and what the lookup-name check reads of it."""

    catalog: Catalog
    use: LookupUse


def _load_with_digest(
    project: Project,
    counts_known: CountsKnown | None = None,
    write_later: WriteLater | None = None,
    abandon: Abandon | None = None,
) -> _Loaded:
    # A catalog the cache does not hold is loaded on the other core (with its digest),
    # while this process reads the live one: the YAML's CPU no longer shares this
    # process's interpreter with the read's.
    catalog = load_project_catalog(project, counts_known, write_later, beside=True, abandon=abandon)
    if catalog.digest_later is None:  # (else the child that loaded it is hashing it)
        catalog_digest(catalog)  # remembered on the catalog, for build_plan
    # What the lookup-name check reads of the catalog alone, made here while the read
    # goes on rather than after its last answer (at L ~0.12 s of CPU).
    return _Loaded(catalog, lookup_use(catalog))


def with_apply_needs(plan: Plan, project: Project, desired: Catalog) -> Plan:
    """`plan` carrying what applying it needs (the flags, or a refusal), for the review."""
    options = guard_options(project, desired, allow_delete=False, force=False)
    return dataclasses.replace(plan, needs=apply_needs(plan, options))


def assess(
    project: Project,
    plan: Plan,
    desired: Catalog,
    live: LiveCatalog,
    overrides: Collection[str] = (),
) -> Plan:
    """The plan with its review (risk, prices, reach) attached, after the project's policies.

    Raises:
        PolicyRefusedError: a policy is broken and not in `overrides` (exit 3).
    """
    config = project.config
    return assess_plan(
        plan,
        desired,
        live,
        get_format(config.backend),
        pricing=config.pricing,
        risk=config.risk,
        policies=config.policies,
        overrides=overrides,
    )


def check_saved_plan(plan: Plan, project: Project, choice: TargetChoice, live: LiveCatalog) -> None:
    """Refuse a saved plan made for another target, or whose objects moved since: the
    objects it writes, what they need (a create's product), and what would use the objects
    it deletes.

    Raises:
        PlanError: the plan is for another backend or target.
        StalePlanError: objects the plan touches changed since it was made (exit 3).
    """
    if plan.backend != project.config.backend or plan.target != choice.name:
        raise PlanError(
            f"the plan is for {plan.backend} target '{plan.target}', "
            f"not {project.config.backend} target '{choice.name}'"
        )
    fmt = get_format(project.config.backend)
    renames = renames_in(plan)
    moved = moved_before_apply(plan.changes, live, renames)
    records = index_live(live, renames).records()
    live_keys = {key for key, _ in records}
    created = {c.ref for c in plan.of_action(Action.CREATE)}
    for change in plan.changes:
        if change.action is not Action.DELETE:
            # What it needs (package, product, parent, link target) must still be there.
            for needed in references(change.ref, fmt.linked_refs(change.values)):
                if needed not in created and needed not in live_keys:
                    moved.append(f"{change.ref}: needs {needed}, which no longer exists")
    # Nothing added since may use what the plan deletes (a child under a deleted parent).
    deleted = {c.remote_id for c in plan.of_action(Action.DELETE) if c.remote_id}
    for used, users in stranded_users(records, deleted, uses_of(records, renames, fmt)).items():
        listed = ", ".join(str(u) for u in users)
        moved.append(f"{used}: the plan deletes it, but {listed} (added since) uses it")
    if moved:
        raise StalePlanError(
            "the plan is stale; nothing was written. Objects that moved:\n  "
            + "\n  ".join(moved)
            + "\nRun `catalogsync plan` again and review the new plan."
        )
