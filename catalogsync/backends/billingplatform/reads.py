"""The reads a full read of a BillingPlatform org begins with, as data: the client sends
them (`client.BillingPlatformClient.columns_page`, through `backend._fetch`), and so does
the login thread that runs before the configuration is validated
(`catalogsync.early_login`, through the registry), which imports this module alone
(through `login.py`). Also the BP SQL they are written in (`build_select`).

A full read begins with the first page (`OFFSET 0 ROWS FETCH NEXT 10000 ROWS ONLY`) of
PRODUCT, PACKAGE and PACKAGE_PRODUCT, each asked by `GET /rest/2.0/query?sql=` with the
columns of `COLUMNS` (../shared/reference/billingplatform-api.md §4.1, §7).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from catalogsync.logins import EarlyRead

API = "/rest/2.0"
MAX_PAGE_SIZE = 10_000  # rows per query response
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")
_ORDER_BY = re.compile(rf"{_FIELD.pattern}( (ASC|DESC))?(, ?{_FIELD.pattern}( (ASC|DESC))?)*", re.I)

#: The columns a read of each entity selects (`mapping.select_fields`): Id, the keys
#: (Name; a package-product's package, product and parent), every field `mapping.FIELDS`
#: reads from it in the order it lists them, then `mapping.SYSTEM`
#: (tests/backends/test_billingplatform_reads.py derives them so from `FIELDS`).
COLUMNS: dict[str, tuple[str, ...]] = {
    "PRODUCT": (
        *("Id", "Name", "Status", "Rate", "RatingMethodId", "OverridePermissions"),
        *("ExternalKey", "OrderOfExecution", "Ranking", "CustomizeTaxRules"),
        *("ContractRequiredFlag", "DefaultRateFlag", "UseFormulaSSP", "SSPFormula"),
        *("RestrictUseOfUnreferencedContracts", "Updated", "UpdatedUserId"),
    ),
    "PACKAGE": ("Id", "Name", "PackageStatus", "Updated", "UpdatedUserId"),
    "PACKAGE_PRODUCT": (
        *("Id", "PackageId", "ProductId", "ParentPackageProductId", "Name", "MinQty"),
        *("MaxQty", "Rate", "RateOverride", "RatingMethodId", "AllowPriceOverride"),
        *("ParentComponentLabel", "LinkPackageId", "LinkPackageProductId"),
        *("Updated", "UpdatedUserId"),
    ),
}


def sql_literal(value: str) -> str:
    """`value` as a BP SQL string literal: single quotes, embedded quotes doubled.

    Everything else (`--`, `;`, `%`, `_`, backslashes, newlines, non-ASCII) is inert
    inside a quoted literal, so doubling quotes is the whole escape.
    """
    if "\x00" in value:
        raise ValueError("a NUL character cannot be sent in a BP SQL literal")
    return "'" + value.replace("'", "''") + "'"


def check_name(kind: str, value: str, pattern: re.Pattern[str] = _NAME) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(f"invalid BillingPlatform {kind}: {value!r}")
    return value


def build_select(
    entity: str,
    fields: Sequence[str],
    where: str | None = None,
    order_by: str = "Id",
    page: tuple[int, int] | None = None,
) -> str:
    """`SELECT f1, f2 FROM ENTITY [WHERE …] ORDER BY … [OFFSET n ROWS FETCH NEXT m ROWS ONLY]`.

    `where` is trusted SQL: build its values with `sql_literal` / `sql_in_conditions`.
    """
    if not fields:
        raise ValueError("a query needs at least one field")
    columns = ", ".join(check_name("field", f, _FIELD) for f in fields)
    sql = f"SELECT {columns} FROM {check_name('entity', entity)}"
    if where:
        sql += f" WHERE {where}"
    sql += f" ORDER BY {check_name('ORDER BY', order_by, _ORDER_BY)}"
    if page is not None:
        offset, size = page
        sql += f" OFFSET {offset} ROWS FETCH NEXT {size} ROWS ONLY"
    return sql


def query_params(sql: str) -> dict[str, str]:
    """The query parameters of a query sent by GET (`client._query_answer`)."""
    return {"sql": sql}


def page_sql(entity: str, offset: int) -> str:
    """A page of a whole read of `entity` (`client.Paging` with its defaults, its columns
    `COLUMNS`) from row `offset`."""
    return build_select(entity, COLUMNS[entity], page=(offset, MAX_PAGE_SIZE))


def pages_after_the_first(expected: int, size: int = MAX_PAGE_SIZE) -> range:
    """The offsets of the pages after the first that a read expecting `expected` rows asks
    together once its first page is full (`client.ask_ahead`, `query_rest`): every page
    starting at or below that many rows, the last one proving the end."""
    return range(size, expected + 1, size)


#: The entities a full read reads, the largest first, by the kinds the catalog cache counts
#: (`catalog_cache_keys.counts_hint`).
_READ = (("PACKAGE_PRODUCT", "package_product"), ("PRODUCT", "product"), ("PACKAGE", "package"))
#: The order of their later pages: a product's or a package's records are known for good
#: once its read ends, and a package-product's key waits for its product and package.
_LATER = (("PRODUCT", "product"), ("PACKAGE", "package"), ("PACKAGE_PRODUCT", "package_product"))
#: At most this many reads are sent early, whatever a counts hint says (L: 23).
MOST_EARLY_READS = 64


def _query(sql: str) -> EarlyRead:
    return EarlyRead(f"{API}/query", params=query_params(sql))


def first_reads(counts: Mapping[str, int] | None) -> tuple[EarlyRead, ...]:
    """The first requests of a full read: each entity's first page, then, when the catalog
    cache names how many records of each kind the catalog holds, the pages after it that
    the read asks once its first page is full and the counts known, as it asks them."""
    reads = [_query(page_sql(entity, 0)) for entity, _ in _READ]
    for entity, kind in sorted(_READ, key=_LATER.index):
        expected = (counts or {}).get(kind, 0)
        reads.extend(_query(page_sql(entity, offset)) for offset in pages_after_the_first(expected))
    return tuple(reads[:MOST_EARLY_READS])


#: The first page of each entity: the reads sent early when no count is known.
FIRST_READS = first_reads(None)
