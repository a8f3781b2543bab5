"""The reads every full read of a LogiSense tenant begins with, as data: the client sends
them (`client.LogiSenseClient.list_all`, `paged`), and so does the login thread that runs
before the configuration is validated (`catalogsync.early_login`, through the registry),
which imports this module alone (through `login.py`).

A full read (`backend.LogiSenseBackend._read`) is the six lookup tables (`GET X/`), page 1
of `GET Service/Paged` and page 1 of `GET Package/Paged/Detail`, every page asked with a
`Pagination` header `{"pageNumber", "pageSize", "excludeTotalCount"}`
(../shared/reference/logisense-api.md §5-§6).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from catalogsync.logins import EarlyRead

API = "/ResourceServer/api/v8"
MAX_PAGE_SIZE = 10_000
#: Lookup table -> its path under `API` (reference §5).
LOOKUP_PATHS = {
    "ServiceType": "ServiceType",
    "FrequencyType": "FrequencyType",
    "Currency": "Currency",
    "PackageCategory": "Package/Category",
    "AccountPackageStatusType": "Account/Package/StatusType",
    "ServiceStatusType": "Service/StatusType",
}


def listing_path(resource: str) -> str:
    """`GET X/`: every object of a (small) collection."""
    return f"{API}/{resource}"


def paged_path(resource: str, detail: bool) -> str:
    """`GET X/Paged[/Detail]`."""
    return f"{API}/{resource}/Paged" + ("/Detail" if detail else "")


def pagination(number: int, size: int) -> dict[str, str]:
    """The headers asking page `number` (1-based) of `size` records, its total counted."""
    page = {"pageNumber": number, "pageSize": size, "excludeTotalCount": False}
    return {"Pagination": json.dumps(page)}


#: The listings a full read pages through, by the kind the catalog cache counts of each
#: (`catalog_cache_keys.counts_hint`): (resource, with details, kind); the largest answer
#: first (the packages' page is nearly always the last answer in).
_PAGED = (("Package", True, "package"), ("Service", False, "product"))
#: At most this many reads are sent early, whatever a counts hint says (L: 12).
MOST_EARLY_READS = 64


def pages_after_the_first(total: int, size: int) -> range:
    """The numbers of the pages after the first that a listing of `total` records asks
    together once page 1 holds `size` of them (`client.LogiSenseClient.paged`): up to the
    one holding the last."""
    return range(2, math.ceil(total / size) + 1) if size > 0 else range(0)


def first_reads(counts: Mapping[str, int] | None) -> tuple[EarlyRead, ...]:
    """The first requests of a full read, what the early login thread sends once its login
    is in, for the client to take (`http.early_reads`): page 1 of each listing; when the
    catalog cache names how many records of each kind the catalog holds, the pages after
    it that the read asks once page 1 is in and as many records live (at L the services'
    pages 2 to 5: asked by the client, they waited for its imports and page 1, then for a
    slot beside the packages' page, and came in after it); then the lookup tables, small,
    whose starts the rate limit paces last (the services' pages are built before they are
    in: `live_rows`). At most `MOST_EARLY_READS`, the tables always among them."""
    expected = counts or {}
    lookups = [EarlyRead(listing_path(path)) for path in LOOKUP_PATHS.values()]
    firsts = [_page(resource, detail, 1) for resource, detail, _ in _PAGED]
    later = [
        _page(resource, detail, number)
        for resource, detail, kind in _PAGED
        for number in pages_after_the_first(expected.get(kind, 0), MAX_PAGE_SIZE)
    ]
    room = MOST_EARLY_READS - len(firsts) - len(lookups)
    return (*firsts, *later[:room], *lookups)


def _page(resource: str, detail: bool, number: int) -> EarlyRead:
    return EarlyRead(paged_path(resource, detail), headers=pagination(number, MAX_PAGE_SIZE))


#: The first reads when no count is known: page 1 of each listing, the lookup tables.
FIRST_READS = first_reads(None)
