"""What `apply` works out while its first wave waits on the network: the plan hash its
report carries.

The hash is a pure function of the plan that nobody reads before the end, and CPU work:
~1.8 s for a cold M plan (41,000 changes), ~12 s at L. A worker thread of this process
computed it while the first wave ran, holding the interpreter against the event loop that
sends the wave's requests and reads their answers (each waited its turn for the
interpreter). A forked child (`beside.Beside.stream`) works it out on the other core from
its copy of the plan and sends back its 71 characters. Where no child can help (no `fork`,
one core) or it is lost, the worker thread computes it as before: the same hash either way.
"""

from __future__ import annotations

from catalogsync.beside import Beside, Lost
from catalogsync.plan import Plan

#: How long the child may take before this process works the hash out itself: far more
#: than it takes (a 205,000-change plan ~12 s of CPU on a loaded machine); a forked child
#: could in principle hang on a lock another thread held at the fork.
_LEAST_WAIT_S, _WAIT_PER_CHANGE_S = 60.0, 0.001
#: A plan of fewer changes is hashed here: the fork would cost more than it saves
#: (~45 µs of CPU a change: 5,000 changes ~0.2 s).
FORKED_CHANGES = 5_000


def prepare(plan: Plan) -> None:
    """Work out `plan`'s hash (kept on the plan), in a forked child when one can help.
    Runs in a worker thread."""
    worked = _beside(plan)
    plan.hash_known(worked if worked is not None else _worked_out(plan))


def _beside(plan: Plan) -> str | None:
    """The child's answer; None when no child could run or it gave none."""
    if len(plan.changes) < FORKED_CHANGES:
        return None
    child: Beside[str] | None = Beside.stream(lambda: [_worked_out(plan)])
    if child is None:
        return None
    try:  # (read to its end, which reaps it)
        sent = list(child.items(timeout=_LEAST_WAIT_S + _WAIT_PER_CHANGE_S * len(plan.changes)))
    except Lost:
        return None
    return sent[0] if sent else None


def _worked_out(plan: Plan) -> str:
    return plan.plan_hash
