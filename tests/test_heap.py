"""`catalogsync.heap`: large freed blocks given back to the system once a command handles
answers of megabytes (glibc's malloc; elsewhere nothing changes)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from catalogsync import heap


def _glibc() -> bool:
    import ctypes

    return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallopt")


GLIBC = _glibc()

#: Run in a fresh interpreter: the freed blocks of a large read, in the pattern that kept
#: them (blocks of a few MB freed between blocks that stay), then the MB still resident.
_KEPT_AFTER_FREEING = textwrap.dedent(
    """
    import sys
    from catalogsync import heap

    def resident():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024

    del bytearray(8 << 20)[:]  # one large block freed: glibc's threshold rises to it
    if sys.argv[1] != "keep":
        heap.give_back_large_blocks()
    if sys.argv[1] == "forked child":
        heap.keep_freed_blocks()
    before = resident()
    large, staying = [], []
    for _ in range(16):
        large.append(b"x" * (3 << 20))  # a page's body (touched)
        staying.append(b"y" * (200 << 10))  # what the read keeps of it
    del large[:]
    print(resident() - before - 16 * 200 / 1024)
    """
)


def _kept_mb(mode: str) -> float:
    ran = subprocess.run(
        [sys.executable, "-c", _KEPT_AFTER_FREEING, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(ran.stdout)


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_freed_large_blocks_go_back_to_the_system_once_given_back() -> None:
    # As before: the 48 MB freed stay resident, held by the heap between what stays.
    assert _kept_mb("keep") > 40
    assert _kept_mb("give back") < 8


@pytest.mark.skipif(not GLIBC, reason="glibc's malloc only")
def test_a_child_forked_after_keeps_its_freed_blocks_for_reuse() -> None:
    assert _kept_mb("forked child") > 40


def test_a_large_answer_gives_back_large_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import httpx

    from catalogsync.http import HttpClient, HttpSettings

    calls: list[None] = []
    monkeypatch.setattr(heap, "give_back_large_blocks", lambda: calls.append(None))

    async def handler(request: httpx.Request) -> httpx.Response:
        size = int(request.url.params["size"])
        return httpx.Response(200, content=b"x" * size)

    async def read(size: int) -> None:
        async with HttpClient(
            "https://api.example.test/acme",
            settings=HttpSettings(rate_limit_per_second=0),
            transport=httpx.MockTransport(handler),
        ) as client:
            await client.request("GET", "/q", params={"size": str(size)}, idempotent=True)

    asyncio.run(read(heap.LARGE_ANSWER - 1))
    assert calls == []
    asyncio.run(read(heap.LARGE_ANSWER))
    assert calls == [None]
