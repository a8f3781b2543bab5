"""How long a small LogiSense lookup waits while the emulator builds a page of details.

    python -m benchmarks.lookup_wait URL [--repeat 5]

against a LogiSense emulator holding a benchmark catalog (`python -m benchmarks.serve M
logisense DIR`; URL is DIR/url): asks `GET Package/Paged/Detail` (one page of 10,000), and
0.1 s later `GET ServiceType`, and prints, per repeat, the seconds from the lookup's start to
its answer and to the page's. A plan asks both kinds together (the lookups right behind the
listings), so a lookup held until the whole page is built holds one of the client's
concurrency slots as long.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence

import httpx

from benchmarks.harness import CLIENT_ID_ENV, CREDENTIALS, PASSWORD_ENV, USER_ENV

_LOGIN = "/AuthorizationServer/api/v8/Access/Login"
_RESOURCES = "/ResourceServer/api/v8"


async def measure(url: str, repeat: int) -> list[tuple[float, float]]:
    """(lookup answered, page answered) in seconds from the lookup's start, per repeat."""
    form = {"grant_type": "password", "username": CREDENTIALS[USER_ENV]}
    form |= {"password": CREDENTIALS[PASSWORD_ENV], "client_id": CREDENTIALS[CLIENT_ID_ENV]}
    async with httpx.AsyncClient(base_url=url, timeout=600) as client:
        login = await client.post(_LOGIN, data=form)
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        paging = {"Pagination": json.dumps({"pageNumber": 1, "pageSize": 10_000})}
        times = []
        for _ in range(repeat):
            page = asyncio.ensure_future(
                client.get(f"{_RESOURCES}/Package/Paged/Detail", headers={**headers, **paging})
            )
            await asyncio.sleep(0.1)
            started = time.perf_counter()
            (await client.get(f"{_RESOURCES}/ServiceType", headers=headers)).raise_for_status()
            lookup = time.perf_counter() - started
            (await page).raise_for_status()
            times.append((lookup, time.perf_counter() - started))
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lookup_wait")
    parser.add_argument("url", help="the emulator's base URL")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    times = asyncio.run(measure(args.url, max(1, args.repeat)))
    print("lookup / page answered (s): " + " ".join(f"{a:.3f}/{b:.3f}" for a, b in times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
