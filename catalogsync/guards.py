"""Safety guards run on a plan before anything is written.

- Deletes happen only inside the configured `prune` scope (or under a pruned parent), even
  for a saved plan made when the scope was wider.
- Deletes need an explicit yes: `--allow-delete` (or `allow_delete: true` in the config).
- Protected objects (`protect: true` in YAML, or a `protect` rule in catalogsync.yaml) are
  never deleted, whatever the flags; a saved plan carries the YAML's marks on its deletes.
- A plan that updates or deletes more than `max_change_share` of a kind's live objects
  (once the kind has `min_objects`) is refused unless `--force` (octoDNS's 30% rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from catalogsync.catalog import Kind, Ref, kind_word
from catalogsync.config import Guards, ObjectRule
from catalogsync.errors import GuardRefusedError
from catalogsync.plan import Action, ApplyNeeds, Plan, ShareExcess


@dataclass(frozen=True)
class GuardOptions:
    """The guard settings and the flags given on the command line."""

    guards: Guards = field(default_factory=Guards)
    protect: tuple[ObjectRule, ...] = ()
    prune: tuple[ObjectRule, ...] = ()
    protected_refs: frozenset[Ref] = frozenset()
    allow_delete: bool = False
    force: bool = False


def apply_needs(plan: Plan, options: GuardOptions) -> ApplyNeeds:
    """What applying `plan` needs under these settings, ignoring the flags given.

    Made at plan time and kept in the plan, so the review sees which deletes need
    `--allow-delete`, which kinds need `--force`, and what apply refuses whatever the flags.
    """
    deletes = [c.ref for c in plan.of_action(Action.DELETE)]
    protected = {c.ref for c in plan.of_action(Action.DELETE) if c.protected}
    refused = [
        f"{ref} is protected and cannot be deleted"
        for ref in deletes
        if ref in protected
        or ref in options.protected_refs
        or any(rule.matches(ref) for rule in options.protect)
    ]
    refused += [
        f"{ref} is outside the prune scope of catalogsync.yaml and cannot be deleted"
        for ref in deletes
        if not _in_prune_scope(ref, options.prune)
    ]
    return ApplyNeeds(
        allow_delete=() if options.allow_delete else tuple(deletes),
        force=tuple(_share_excesses(plan, options.guards)),
        refused=tuple(refused),
    )


def guard_problems(plan: Plan, options: GuardOptions) -> list[str]:
    """Why the plan must not be applied as it is (empty: it may)."""
    needs = apply_needs(plan, options)
    problems = list(needs.refused)
    if needs.allow_delete:
        problems.append(
            f"the plan deletes {len(needs.allow_delete)} object(s); "
            "pass --allow-delete to apply deletes"
        )
    if not options.force:
        problems += [
            f"{share_sentence(excess)}; pass --force if this is intended" for excess in needs.force
        ]
    return problems


def share_sentence(excess: ShareExcess, plural: str | None = None) -> str:
    """`the plan updates or deletes 4 of 10 live products (40%, over the 30% guard)`.

    `plural` names the kind in the billing system's words (renderers pass
    `KindWords.plural`: `services` where products are services); by default the words in use
    (`catalog.kind_word`).
    """
    share = excess.touched / excess.live
    return (
        f"the plan updates or deletes {excess.touched} of {excess.live} live "
        f"{plural or kind_word(excess.kind) + 's'} ({share:.0%}, over the {excess.limit:.0%} guard)"
    )


def _in_prune_scope(ref: Ref, prune: Iterable[ObjectRule]) -> bool:
    """Inside a prune rule itself, or below a package or package-product that is."""
    chain = [ref]
    if ref.kind is Kind.PACKAGE_PRODUCT:
        chain.append(Ref(Kind.PACKAGE, ref.key[:1]))
        chain += [Ref(Kind.PACKAGE_PRODUCT, ref.key[:n]) for n in range(2, len(ref.key))]
    rules = tuple(prune)
    return any(rule.matches(r) for r in chain for rule in rules)


def _share_excesses(plan: Plan, guards: Guards) -> Iterable[ShareExcess]:
    for kind in Kind:
        live = plan.live_counts.get(kind, 0)
        if live < max(guards.min_objects, 1):
            continue
        touched = sum(
            1
            for c in plan.changes
            if c.ref.kind is kind and c.action in (Action.UPDATE, Action.DELETE)
        )
        if touched / live > guards.max_change_share:
            yield ShareExcess(kind, touched, live, guards.max_change_share)


def check_guards(plan: Plan, options: GuardOptions) -> None:
    """Raise GuardRefusedError (exit 3) listing every reason the plan is refused."""
    problems = guard_problems(plan, options)
    if problems:
        raise GuardRefusedError("refused by safety guards:\n  " + "\n  ".join(problems))
