"""Decoding a large JSON answer straight into columns of text, in C (msgspec); and
writing one (the emulators' pages).

A read of a large catalog is tens of thousands of records of a dozen string cells each.
Decoding that with `json` into a dict per record, then checking every cell in Python, was
most of the CPU of a read (and the dicts most of its memory). Here the body is decoded in
one pass into typed rows (every cell a string, the required ones present) and turned into
one list per column; a body of any other shape gives None, and the caller reads it the
slow way, which says exactly what is wrong with it.

The one place msgspec is used: its types never leave this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import Any

import msgspec

__all__ = ["Table", "decode_page", "decode_records", "decode_table", "encode_json", "record_type"]

#: `{column: [text of each row]}`, columns in the order asked for.
Table = dict[str, list[str]]


class _Shape:
    """An answer `{envelope: [{column: "text", …}, …]}`: the columns read, the required
    ones (a row without one is not this shape), and where the rows are."""

    __slots__ = ("_decode", "_getters", "columns")

    def __init__(self, envelope: str, columns: Sequence[str], required: Sequence[str]) -> None:
        self.columns = tuple(dict.fromkeys([*columns, *required]))
        # Field names are c0, c1, …: wire columns may be dotted (`Product.Name`).
        fields: list[Any] = [
            (f"c{i}", str) if column in required else (f"c{i}", str, "")
            for i, column in enumerate(self.columns)
        ]
        rename = {f"c{i}": column for i, column in enumerate(self.columns)}
        row = msgspec.defstruct("Row", fields, rename=rename, frozen=True, gc=False)
        answer = msgspec.defstruct("Answer", [("rows", list[row])], rename={"rows": envelope})  # type: ignore[valid-type]
        self._decode: Callable[[bytes], Any] = msgspec.json.Decoder(answer).decode
        self._getters = [attrgetter(f"c{i}") for i in range(len(self.columns))]

    def decode(self, body: bytes) -> Table | None:
        try:
            rows = self._decode(body).rows
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        return {
            column: list(map(getter, rows))
            for column, getter in zip(self.columns, self._getters, strict=True)
        }


@lru_cache(maxsize=64)
def _shape(envelope: str, columns: tuple[str, ...], required: tuple[str, ...]) -> _Shape:
    return _Shape(envelope, columns, required)


def decode_table(
    body: bytes, envelope: str, columns: Sequence[str], required: Sequence[str] = ()
) -> Table | None:
    """The columns of `body` (a row without a column has "" in it), or None when `body` is
    not UTF-8 JSON of exactly that shape: a cell that is not a string, a required column
    missing, no `envelope` list."""
    return _shape(envelope, tuple(columns), tuple(required)).decode(body)


class _Page(msgspec.Struct, frozen=True, gc=False, rename={"total_count": "totalCount"}):
    items: list[dict[str, Any]]
    total_count: int | None = None


@lru_cache(maxsize=8)
def _page_decoder(envelope: str) -> Callable[[bytes], Any]:
    answer = msgspec.defstruct("Answer", [("page", _Page)], rename={"page": envelope})
    return msgspec.json.Decoder(answer).decode


def decode_page(body: bytes, envelope: str) -> tuple[list[dict[str, Any]], int | None] | None:
    """The records and count of an answer `{envelope: {"items": [{…}, …], "totalCount": n}}`
    (records as `json` would give them; no count is None), or None when `body` is not UTF-8
    JSON of that shape (a count that is not an integer, records that are not objects, …)."""
    try:
        page = _page_decoder(envelope)(body).page
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return page.items, page.total_count


def record_type(name: str, fields: Sequence[tuple[str, Any] | tuple[str, Any, Any]]) -> type:
    """A class of records `decode_records` reads JSON objects into: one attribute per field,
    named as on the wire; `(field, type)` must be there, `(field, type, default)` may be
    missing. A value must already be of its `type` (`int | None`, `str`, `bool | None`,
    `list[another record type] | None`, …: no `true` for an `int`, no `1` for a `str`);
    keys not listed are skipped. A record holds only those values, read and compared like
    attributes (it is made here; callers do not name its class)."""
    return msgspec.defstruct(name, list(fields), frozen=True, gc=False)


@lru_cache(maxsize=8)
def _records_decoder(envelope: str, record: type) -> Callable[[bytes], Any]:
    page = msgspec.defstruct(
        "Page",
        [("items", list[record]), ("total_count", int | None, None)],  # type: ignore[valid-type]
        rename={"total_count": "totalCount"},
        frozen=True,
        gc=False,
    )
    answer = msgspec.defstruct("Answer", [("page", page)], rename={"page": envelope})
    return msgspec.json.Decoder(answer).decode


def decode_records(body: bytes, envelope: str, record: type) -> tuple[list[Any], int | None] | None:
    """`decode_page` with each record read into `record` (a `record_type`), or None when a
    record does not fit it (or `body` is not that page at all): then `decode_page` reads
    the page as it always does. Records that fit are read without a dict each (at L, the
    63 MB page of package details in one benchmark: 0.16 s of CPU, as dicts 0.39 s)."""
    try:
        page = _records_decoder(envelope, record)(body).page
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return page.items, page.total_count


_ENCODE = msgspec.json.Encoder().encode


def encode_json(content: object) -> bytes:
    """`content` as JSON: byte for byte what `json.dumps(…, ensure_ascii=False,
    separators=(",", ":"))` (Starlette's `JSONResponse`) writes, in C, for plain data
    without floats (strings, integers, booleans, None, lists, dicts with string keys):
    msgspec spells some floats otherwise (`1e16` for `1e+16`). A 10,000-row page took
    `json` 0.1 s, this a tenth of it (each emulator's read tests pin the bytes)."""
    return _ENCODE(content)
