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


#: The first requests of a full read, the largest answers first (the packages' page is
#: nearly always the last answer in): what the early login thread sends once its login is
#: in, for the client to take (`http.early_reads`).
FIRST_READS = (
    EarlyRead(paged_path("Package", True), headers=pagination(1, MAX_PAGE_SIZE)),
    EarlyRead(paged_path("Service", False), headers=pagination(1, MAX_PAGE_SIZE)),
    *(EarlyRead(listing_path(path)) for path in LOOKUP_PATHS.values()),
)
