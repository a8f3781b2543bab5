"""Large freed blocks given back to the system once a command handles answers of megabytes.
No HTTP.

glibc's malloc maps a block of 128 KiB or more on its own, and unmaps it when it is freed,
until the first such block is freed: from then on its threshold rises to that block's size
(up to 32 MiB), and a heap keeps up to twice that free at its top. A large read frees a
multi-megabyte body, its pickled copy for the page worker and its columns sent back, page
after page, on the threads that handle them (the login thread's reads, the worker's pipe,
the event loop), each with its own heap. So those blocks were carved from heaps and freed
there, and each heap kept them: in a plan of the benchmark's largest catalog ~100 MB of its
560 MB peak RSS was free memory no allocation of the main thread could use (`malloc_info`
as the read ended: 106 MB free of 178 MB taken from the system).

`give_back_large_blocks` fixes the threshold at glibc's starting 128 KiB and lets a heap
keep at most `KEPT` free at its top; the first answer of `LARGE_ANSWER` bytes or more calls
it (`HttpClient`), so a command of small answers never loads `ctypes`. A child forked after
it (`beside.become_child`) goes back to keeping what it frees (`keep_freed_blocks`): it only
decodes or writes, and mapping each large block anew there costs page faults and no memory
this process holds. Elsewhere than glibc (macOS, musl) both do nothing.
"""

from __future__ import annotations

import sys

__all__ = ["KEPT", "LARGE_ANSWER", "give_back_large_blocks", "keep_freed_blocks"]

#: An answer at least this long (bytes) is a large read's: the policy applies from then on.
LARGE_ANSWER = 1 << 20

#: glibc's `mallopt` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

#: Free bytes a heap keeps at its top (glibc's default is 128 KiB: more trims than this
#: needs; 1 MiB measured as low a peak with fewer system calls).
KEPT = 1 << 20
_MAPPED_FROM = 128 << 10  # glibc's starting threshold

#: What glibc's dynamic thresholds grow to at most (64-bit), for a forked child.
_MAPPED_FROM_AT_MOST = 32 << 20
_KEPT_AT_MOST = 2 * _MAPPED_FROM_AT_MOST

_given = False


def give_back_large_blocks() -> None:
    """From now on in this process blocks of 128 KiB or more are mapped on their own (and
    unmapped when freed), and a heap keeps at most `KEPT` free at its top. Once."""
    global _given
    if _given:
        return
    _given = True
    _mallopt((_M_MMAP_THRESHOLD, _MAPPED_FROM), (_M_TRIM_THRESHOLD, KEPT))


def keep_freed_blocks() -> None:
    """In a child forked after `give_back_large_blocks`: keep freed blocks for reuse as
    glibc's own thresholds would once they have grown."""
    if _given:
        _mallopt((_M_MMAP_THRESHOLD, _MAPPED_FROM_AT_MOST), (_M_TRIM_THRESHOLD, _KEPT_AT_MOST))


def _mallopt(*settings: tuple[int, int]) -> bool:
    """Set glibc's malloc `settings`; False where there is no glibc or one was refused."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # (~2 ms: only once a command has a large answer)

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl has no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all(mallopt(parameter, value) == 1 for parameter, value in settings)
