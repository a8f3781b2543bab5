"""How a catalogsync process runs Python's cyclic garbage collector.

Reference counting frees almost everything a run lets go of; the cyclic collector only adds
what sits in reference cycles, and a run makes few: an M cold apply (227 requests) left 382
objects in cycles, an M plan none beyond its imports. What the collector costs is the
scanning: every object that outlives a young-generation collection is scanned by it, and a
run builds catalogs of hundreds of thousands of objects and keeps them to its end. At the
thresholds this module used before, (100,000, 50, 100), young collections were ~0.1 s of the
benchmarks' M plan's 1.5 s CPU, 0.26 s of their M cold apply's and 0.55-0.7 s of their L
plan's ~6 s, and freed next to nothing. So a command runs with the collector off, and a
server, which runs for hours and must not grow, runs with it on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: The thresholds a long-running process collects at. Higher than Python's (700, 10, 10),
#: whose young collections would re-scan a catalog of tens of thousands of objects many
#: times a second while it is built.
SERVER_THRESHOLDS = (100_000, 50, 100)


#: What a command keeps until its process exits (`outlive`). The interpreter's teardown
#: leaves what modules hold once `before_exit` has frozen it, and the list also holds
#: itself: were the module's globals cleared, no collection looks at a frozen cycle.
_OUTLIVING: list[object] = []
_OUTLIVING.append(_OUTLIVING)
_a_command = False


def for_a_command() -> None:
    """Turn the cyclic collector off for a command that ends on its own.

    The few cycles a run leaves are freed when the process exits.
    """
    global _a_command
    gc.disable()
    _a_command = True


def for_a_server() -> None:
    """Turn the cyclic collector on, at thresholds for a process that runs until stopped."""
    global _a_command
    gc.set_threshold(*SERVER_THRESHOLDS)
    gc.enable()
    _a_command = False


def outlive(*values: object) -> None:
    """In a command, keep `values` until its process exits, which then hands their memory
    back at once instead of freeing them an object at a time.

    A read-only command's catalogs are hundreds of thousands of small objects (at L
    205,000 live records and as many declared, each a few tuples, strings and dicts):
    freed as the step that read them returned, they were ~0.3 s of CPU between the last
    answer and the output. Outside a command (a server, which must not grow; a test
    process) nothing is kept."""
    if _a_command:
        _OUTLIVING.extend(values)


def before_exit() -> None:
    """Spare the interpreter's teardown from scanning what the command leaves alive.

    At exit the interpreter's own collections scan every object still alive (the live and
    desired catalogs, the plan): 0.3-0.4 s of an M plan. Frozen objects are not scanned;
    everything is still freed, and every exit handler still runs.
    """
    gc.freeze()


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for a block that makes millions of objects and no garbage (each
    full pass would walk all of them again), then as it was: off in a command already,
    on again in a server."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
