"""What applying a plan will need, as every plan rendering says it (before anyone applies).

The plan carries `ApplyNeeds` (see `guards.apply_needs`): the deletes that need
`--allow-delete`, the kinds over the share guard that need `--force`, and what apply
refuses whatever the flags. The text and Markdown renderers each add one block of these,
so the review sees, before merging, what apply on merge would otherwise refuse.
"""

from __future__ import annotations

from catalogsync.guards import share_sentence
from catalogsync.plan import Plan
from catalogsync.render.common import kind_words, one_line

__all__ = ["DELETES_LISTED", "needs_lines", "needs_text"]

#: How many deletes the sentence names before "… and N more" (every delete is also in the
#: plan's own list of changes).
DELETES_LISTED = 20


def needs_lines(plan: Plan) -> list[str]:
    """One plain sentence per need, in the order: deletes, force, refusals; [] for none."""
    needs = plan.needs
    words = kind_words(plan.backend)
    lines = []
    if needs.allow_delete:
        names = [words.title(ref) for ref in needs.allow_delete[:DELETES_LISTED]]
        more = len(needs.allow_delete) - len(names)
        listed = ", ".join(names) + (f" and {more} more" if more else "")
        count = len(needs.allow_delete)
        lines.append(f"--allow-delete for {count} delete{'s' * (count != 1)}: {listed}")
    lines += [
        f"--force: {share_sentence(excess, words.plural(excess.kind))}" for excess in needs.force
    ]
    lines += [f"refused whatever the flags: {one_line(reason)}" for reason in needs.refused]
    return lines


def needs_text(plan: Plan) -> str:
    """The terminal block (`Apply needs:` and indented lines), or '' when nothing is needed."""
    lines = needs_lines(plan)
    return "\n".join(["Apply needs:", *("    " + line for line in lines)]) if lines else ""
