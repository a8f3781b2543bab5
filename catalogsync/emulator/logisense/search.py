"""Paging and filtering: the `Pagination` header, GET filters and `POST X/Search` queries.

Reference §6:
- `Pagination` header JSON `{"pageNumber":1,"pageSize":20}` [D]; `excludeTotalCount` as a
  request field, 1-based pages and the default of 20 are [INFERRED]. The maximum page size
  is [GAP]: the emulator uses `Faults.max_page_size` (default 10,000, `/Search`'s
  documented bound) and refuses a larger page with 400 instead of truncating it silently.
- GET filters: a JSON header `{"filters":[{"name","operator","value","condition"}],
  "orderBy":[{"name","direction"}]}` [D structure]; its name is [GAP], [INFERRED]
  `SearchRequest` (by analogy with `UpdateRequest`).
- `POST X/Search` `{"query":{"top","search":[...],"orderBy":[...],"pagination":{...}}}`
  [D]; `top` is 1..10000, default 100 [D]. Its response shape is [GAP]: [INFERRED] the
  paged envelope when `pagination` is given, else the collection envelope.

Operators [D]: eq, notEq, lt, ltEq, gt, gtEq, contains; [INFERRED] also startsWith,
endsWith and in (comma-separated or a list). [INFERRED] text comparisons ignore case, as
SQL Server's default collation does, so a client re-reading "the Service named X" must
still compare names itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalogsync.emulator.logisense.schema import Kind, Resource
from catalogsync.emulator.logisense.store import Query
from catalogsync.emulator.logisense.validation import ApiError, is_int64

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "SEARCH_HEADER",
    "Pagination",
    "compile_search",
    "parse_json_header",
    "parse_pagination",
]

DEFAULT_PAGE_SIZE = 20
SEARCH_HEADER = "SearchRequest"
MAX_TOP = 10_000
DEFAULT_TOP = 100
#: Keeps (pageNumber - 1) * pageSize inside SQLite's 64-bit integers.
MAX_PAGE_NUMBER = 2**31

_COMPARISONS = {"eq": "=", "noteq": "<>", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">="}


@dataclass(frozen=True)
class Pagination:
    """One page request; `to_wire` is the echo the paged envelope carries."""

    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    exclude_total_count: bool = False

    @property
    def offset(self) -> int:
        return (self.page_number - 1) * self.page_size

    def to_wire(self) -> dict[str, Any]:
        return {
            "pageNumber": self.page_number,
            "pageSize": self.page_size,
            "excludeTotalCount": self.exclude_total_count,
        }


def parse_json_header(raw: str | None, name: str) -> Any:
    """A JSON-valued header, or None when absent."""
    if raw is None or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"The '{name}' header is not valid JSON: {exc.msg}.") from None


def parse_pagination(value: Any, max_page_size: int) -> Pagination:
    """A `Pagination` object (from the header or a search body); defaults when None."""
    if value is None:
        return Pagination(page_size=min(DEFAULT_PAGE_SIZE, max_page_size))
    if not isinstance(value, Mapping):
        raise ApiError(400, "'Pagination' must be a JSON object.")
    number = value.get("pageNumber", 1)
    size = value.get("pageSize", DEFAULT_PAGE_SIZE)
    exclude = value.get("excludeTotalCount", False)
    problems = []
    if not _is_int(number) or not 1 <= number <= MAX_PAGE_NUMBER:
        problems.append(
            f"'PageNumber' MUST be a whole number from 1 to {MAX_PAGE_NUMBER}, not {number!r}."
        )
    if not _is_int(size) or size < 1:
        problems.append(f"'PageSize' MUST be a whole number of at least 1, not {size!r}.")
    elif size > max_page_size:
        problems.append(f"'PageSize' ({size}) MUST NOT exceed {max_page_size}.")
    if not isinstance(exclude, bool):
        problems.append("'ExcludeTotalCount' must be true or false.")
    if problems:
        raise ApiError(400, "; ".join(problems))
    return Pagination(number, size, exclude)


def compile_search(resource: Resource, filters: Any, order_by: Any) -> Query:
    """Filters and ordering as a parameterised SQL WHERE / ORDER BY over known columns."""
    columns = _columns(resource)
    clauses: list[str] = []
    params: list[Any] = []
    for index, item in enumerate(_list(filters, "filters")):
        if not isinstance(item, Mapping):
            raise ApiError(400, f"filters[{index}] must be an object.")
        column, kind = _column(columns, item.get("name"))
        sql, values = _condition(column, kind, str(item.get("operator", "eq")), item.get("value"))
        joiner = str(item.get("condition") or "and").lower()
        if joiner not in ("and", "or"):
            raise ApiError(400, f"filters[{index}]: 'Condition' must be 'and' or 'or'.")
        if clauses:
            clauses.append(joiner.upper())
        clauses.append(f"({sql})")
        params += values
    order: list[str] = []
    for item in _list(order_by, "orderBy"):
        column, _ = _column(columns, item.get("name") if isinstance(item, Mapping) else None)
        direction = str(item.get("direction", "asc")).lower()
        if direction not in ("asc", "desc"):
            raise ApiError(400, "orderBy 'Direction' must be 'asc' or 'desc'.")
        order.append(f'"{column}" {direction.upper()}')
    order.append('"identity"')  # a stable order, so pages never overlap
    return Query(" ".join(clauses), params, ", ".join(order))


def search_body(body: Any) -> tuple[Mapping[str, Any], int]:
    """The `query` object of a `POST X/Search` body and its `top`."""
    query = body.get("query") if isinstance(body, Mapping) else None
    if not isinstance(query, Mapping):
        raise ApiError(400, 'The body must be {"query": {...}}.')
    top = query.get("top", DEFAULT_TOP)
    if not _is_int(top) or not 1 <= top <= MAX_TOP:
        raise ApiError(400, f"'Top' MUST be between 1 and {MAX_TOP}, not {top!r}.")
    return query, top


def _columns(resource: Resource) -> dict[str, tuple[str, Kind]]:
    found = {f.name.lower(): (f.name, f.kind) for f in resource.fields}
    found["identity"] = ("identity", Kind.INT)
    found["id"] = ("identity", Kind.INT)
    found["created"] = ("created", Kind.DATE)
    if resource.has_updated:
        found["updated"] = ("updated", Kind.DATE)
    return found


def _column(columns: Mapping[str, tuple[str, Kind]], name: Any) -> tuple[str, Kind]:
    found = columns.get(str(name).lower()) if isinstance(name, str) else None
    if found is None:
        raise ApiError(400, f"Unknown property to search on: {name!r}.")
    return found


def _condition(column: str, kind: Kind, operator: str, value: Any) -> tuple[str, list[Any]]:
    op = operator.lower()
    quoted = f'"{column}"'
    text = kind in (Kind.STRING, Kind.DATE)
    if value is None and op in ("eq", "noteq"):
        return f"{quoted} IS {'NOT ' if op == 'noteq' else ''}NULL", []
    if op in _COMPARISONS:
        collate = " COLLATE NOCASE" if text else ""
        return f"{quoted}{collate} {_COMPARISONS[op]} ?", [_typed(kind, value)]
    if op in ("contains", "startswith", "endswith"):
        needle = str(value).lower()
        if op == "contains":
            return f"instr(lower({quoted}), ?) > 0", [needle]
        start = "1" if op == "startswith" else "-length(?)"
        params = [needle, needle] if op == "startswith" else [needle, needle, needle]
        return f"substr(lower({quoted}), {start}, length(?)) = ?", params
    if op == "in":
        raw = value if isinstance(value, list) else str(value).split(",")
        values = [_typed(kind, v.strip() if isinstance(v, str) else v) for v in raw]
        if not values:
            return "0", []
        collate = " COLLATE NOCASE" if text else ""
        return f"{quoted}{collate} IN ({', '.join('?' for _ in values)})", values
    raise ApiError(400, f"Unknown search operator: {operator!r}.")


def _typed(kind: Kind, value: Any) -> Any:
    """A filter value (often a string) converted to the column's type."""
    if kind is Kind.BOOL:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
    elif kind in (Kind.INT, Kind.NUMBER):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"{value!r} is not a number.") from None
        if kind is Kind.INT and number.is_integer():
            if not is_int64(int(number)):
                raise ApiError(400, f"{value!r} is out of range.")
            return int(number)
        return number
    else:
        return str(value)
    raise ApiError(400, f"{value!r} is not true or false.")


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, f"'{name}' must be a list.")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
