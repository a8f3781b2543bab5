"""A page of records as JSON text built by SQLite: what `Views` renders, without a dict.

`GET X/Paged[/Detail]` answers up to 10,000 records; a page of package details is 5,000
packages and ~160,000 children at L (63 MB of JSON). Read as Python dicts, rendered and
encoded it cost ~1.9 s of CPU. Here each record's item is one `json_object(...)` SQLite
builds in C, each `xxxName` companion a LEFT JOIN by primary key (a package's `details`:
its text as the database keeps it, `details.py`, built so only when it has none that is
current), and Python only joins the texts: the same bytes `encode_json` writes of
`Views.render[_detailed]`, key order included (tests/emulator/logisense/test_pages.py pins
it for every resource, with details and without, over awkward values). Each item comes out
as its UTF-8 bytes (`CAST … AS BLOB`: SQLite's own text, as stored), so the page is never
decoded into a `str` to be encoded again (the L page: 63 MB each way).

Why the same bytes: `json_object` escapes strings as msgspec and `json.dumps(ensure_ascii=
False)` do for every code point (checked one by one), and writes integers and NULL alike.
It would spell only floats and blobs otherwise, which no field of these resources holds
(`validation` refuses them); should one be stored anyway, the SQL function `ls_json`
(`store.Database.prepare`: Python, called only for such a value) writes it as
`encode_json` does. Booleans are stored as 0/1 and shown as `bool(value)`, as
`Database._record` does. The check per value (`store.odd_value`) is made only in the
columns that may hold such a value (`Database.odd_columns`: every column in memory).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection
from itertools import groupby
from operator import itemgetter

from catalogsync.emulator.logisense.schema import RESOURCES, Kind, Resource, companion_name
from catalogsync.emulator.logisense.store import Query, odd_value
from catalogsync.emulator.logisense.views import OWNED, OWNER_ID, OWNER_NAME
from catalogsync.emulator.sqlite import sql_literal
from catalogsync.http.tables import encode_json

__all__ = [
    "DETAILS_TABLE",
    "NOTED_TABLE",
    "STORED_PARENT",
    "children_of",
    "count",
    "details_texts",
    "items_sql",
    "page_items_json",
    "read_columns",
]

#: `Database.odd_columns`: the (table, column) pairs to guard; None: every one.
Odd = Collection[tuple[str, str]] | None


def count(conn: sqlite3.Connection, resource: Resource, query: Query) -> int:
    """How many records match `query` (as `Database.count`, on `conn`)."""
    sql = f'SELECT COUNT(*) FROM "{resource.table}"'
    if query.where:
        sql += f" WHERE {query.where}"
    return int(conn.execute(sql, query.params).fetchone()[0])


def page_items_json(
    conn: sqlite3.Connection,
    resource: Resource,
    query: Query,
    *,
    limit: int,
    offset: int,
    detail: bool,
    odd_columns: Callable[[], Odd],
) -> bytes:
    """The JSON array of one page's items, as `encode_json(Views.read(...).build())`, read
    on `conn` (`Database.reading()`: the page and its children in one transaction);
    `odd_columns`: `Database.odd_columns`' value."""
    select = f'SELECT "identity" FROM "{resource.table}"'
    if query.where:
        select += f" WHERE {query.where}"
    select += f" ORDER BY {query.order} LIMIT ? OFFSET ?"
    ids = [row[0] for row in conn.execute(select, [*query.params, limit, offset])]
    # Asked once the transaction reads (its snapshot is then fixed): a write committed
    # before it had reported its odd values before its commit.
    odd = odd_columns()
    # The page's order is the query's; the items are then read by identity (the SQL below
    # joins other tables, whose columns the query's unqualified names would clash with).
    sql = items_sql(resource, "identity", odd, in_detail=False)
    by_id = dict(conn.execute(sql, [_ids(ids)]).fetchall())
    if not detail:
        return b"".join([b"[", b",".join([by_id[i] for i in ids]), b"]"])
    details = _details(conn, resource, ids, odd)
    # The page's pieces in order, joined once: each item's text but its closing brace, then
    # `details` (`Rendering.build` adds it last). Joined item by item, then the items, then
    # bracketed, the L page (63 MB) was copied whole four times over: 0.23 s of CPU, 0.09 so.
    pieces = [b"["]
    append = pieces.append
    for identity in ids:
        append(by_id[identity][:-1])
        append(b',"details":{')
        append(details[identity])
        append(b"}},")
    if ids:
        pieces[-1] = b"}}"
    append(b"]")
    return b"".join(pieces)


#: The resource whose `details` the database keeps as text (`details.py`), the table
#: holding each record's text, and the table noting the records a write may have changed
#: since (their text not written yet: only a write outside `transaction()`, or an older
#: emulator's, leaves one noted).
STORED_PARENT, DETAILS_TABLE, NOTED_TABLE = "Package", "ls_details", "ls_details_noted"


def _details(
    conn: sqlite3.Connection, resource: Resource, ids: list[int], odd: Odd
) -> dict[int, bytes]:
    """Each record's `details` members as JSON text: the stored text where the database
    keeps it and it is current, else built now (`details_texts`)."""
    if resource.key != STORED_PARENT:
        return details_texts(conn, resource, ids, odd)
    wanted = [_ids(ids)]
    found = dict(
        conn.execute(
            f'SELECT "packageId", "details" FROM "{DETAILS_TABLE}" '
            'WHERE "packageId" IN (SELECT value FROM json_each(?))',
            wanted,
        ).fetchall()
    )
    noted = conn.execute(
        f'SELECT "packageId" FROM "{NOTED_TABLE}" '
        'WHERE "packageId" IN (SELECT value FROM json_each(?))',
        wanted,
    ).fetchall()
    for (identity,) in noted:
        found.pop(identity, None)
    missing = [identity for identity in ids if identity not in found]
    if missing:
        found |= details_texts(conn, resource, missing, odd)
    return found


def details_texts(
    conn: sqlite3.Connection, resource: Resource, ids: list[int], odd: Odd
) -> dict[int, bytes]:
    """Each record's `details` members as JSON text, built now from its children: one list
    per child collection, in order (`Rendering.build`); empty for a resource without."""
    children = [
        (f"{',' if n else ''}{_key(child.collection or '')}:[".encode(), found)
        for n, child in enumerate(children_of(resource))
        for found in (_children(conn, child, ids, odd),)
    ]
    return {
        identity: b"".join(
            [part for head, found in children for part in (head, found.get(identity, b""), b"]")]
        )
        for identity in ids
    }


def children_of(resource: Resource) -> list[Resource]:
    """The resources listed in `resource`'s `details`, in order."""
    return [r for r in RESOURCES.values() if r.parent == resource.key and r.collection is not None]


def read_columns(resource: Resource, *, in_detail: bool) -> dict[str, set[str]]:
    """The columns of each table an item of `resource` shows (`_item`): what a write must
    change for the item's text to change."""
    return _item(resource, None, in_detail=in_detail)[2]


def _children(
    conn: sqlite3.Connection, child: Resource, parents: list[int], odd: Odd
) -> dict[int, bytes]:
    """Each parent's children's items, in identity order (as `Database.where_in`), joined
    by commas. The rows come ordered by parent, so each parent's are one run (`groupby`,
    in C: a list per parent filled row by row was ~0.1 s of the L page's 150,000)."""
    sql = items_sql(child, "packageId", odd, in_detail=True)
    rows = conn.execute(sql, [_ids(parents)])
    return {parent: b",".join(map(_TEXT, run)) for parent, run in groupby(rows, _PARENT)}


_PARENT, _TEXT = itemgetter(0), itemgetter(1)


def items_sql(resource: Resource, key: str, odd: Odd, *, in_detail: bool) -> str:
    """(`key`, item JSON as UTF-8 bytes) of each record whose `key` is in a JSON array of
    ids (the one parameter), ordered by `key` then identity: `key`'s index order, so
    nothing is sorted."""
    shown, joins, _ = _item(resource, odd, in_detail=in_detail)
    pairs = ", ".join(f"{sql_literal(name)}, {value}" for name, value in shown.items())
    return (
        f'SELECT t."{key}", CAST(json_object({pairs}) AS BLOB) FROM "{resource.table}" AS t '
        f"{joins} "
        f'WHERE t."{key}" IN (SELECT value FROM json_each(?)) ORDER BY t."{key}", t."identity"'
    )


def _item(
    resource: Resource, odd: Odd, *, in_detail: bool
) -> tuple[dict[str, str], str, dict[str, set[str]]]:
    """What `views._one` shows of a record (alias `t`): key -> SQL value, in its order (a
    key set twice keeps its first place, as in a dict), the LEFT JOINs of the records it
    names (by primary key: at most one row each; a join costs a fraction of a correlated
    subquery per row), and the columns it reads of each table."""
    joins: list[str] = []
    tables = {"t": resource.table}
    reads: dict[str, set[str]] = {resource.table: {"identity"}}

    def join(table: str, on: str) -> str:
        alias = f"r{len(joins)}"
        joins.append(f'LEFT JOIN "{table}" AS {alias} ON {on.format(alias)}')
        tables[alias] = table
        return alias

    def value(kind: Kind, alias: str, name: str) -> str:
        reads.setdefault(tables[alias], {"identity"}).add(name)
        guarded = odd is None or (tables[alias], name) in odd
        return _value(kind, f'{alias}."{name}"', guarded=guarded)

    shown: dict[str, str] = {"identity": 't."identity"'}
    for field in resource.fields:
        column = f't."{field.name}"'
        shown[field.name] = value(field.kind, "t", field.name)
        if field.name.endswith("Id"):
            name = "NULL"
            if field.ref is not None:
                ref = join(RESOURCES[field.ref].table, '{}."identity" = ' + column)
                name = value(Kind.STRING, ref, "name")
            shown[companion_name(field.name)] = name
    if resource.key == "Service":
        # `_one`: the base type comes from the service type; no name unless the type
        # names a base type (a non-zero id) that exists
        kind = join("ServiceType", '{}."identity" = t."serviceTypeId"')
        base = join(
            "ServiceBaseType",
            f'{{0}}."identity" = {kind}."serviceBaseTypeId" AND {kind}."serviceBaseTypeId"',
        )
        shown["serviceBaseTypeId"] = value(Kind.INT, kind, "serviceBaseTypeId")
        shown["serviceBaseTypeName"] = value(Kind.STRING, base, "name")
        shown["taxCodeId"] = "NULL"
    if resource.key == "PackageCurrency" and in_detail:
        currency = join("Currency", '{}."identity" = t."currencyId"')
        shown["currencyCode"] = value(Kind.STRING, currency, "code")
    if resource.key in OWNED:
        shown["ownerId"] = str(int(OWNER_ID))
        shown["ownerName"] = sql_literal(OWNER_NAME)
    if resource.shows_created:
        shown["created"] = value(Kind.STRING, "t", "created")
    if resource.has_updated:
        shown["updated"] = value(Kind.STRING, "t", "updated")
    if resource.key == "Package":
        shown["id"] = 't."identity"'
    return shown, " ".join(joins), reads


def _value(kind: Kind, column: str, *, guarded: bool) -> str:
    """A column's value as `json_object` should write it (see the module's docstring);
    `guarded`: the column may hold an odd value (`odd_value`), spelled by `ls_json`."""
    if kind is Kind.BOOL:
        flag = f"WHEN {column} IS NULL THEN NULL WHEN {column} THEN json('true') ELSE json('false')"
        if not guarded:
            return f"CASE {flag} END"
        return f"CASE WHEN {odd_value(kind, column)} THEN json(ls_json({column}, 1)) {flag} END"
    if not guarded:
        return column
    return f"CASE WHEN {odd_value(kind, column)} THEN json(ls_json({column}, 0)) ELSE {column} END"


def _ids(ids: list[int]) -> str:
    """Ids as the JSON array `json_each` reads (one parameter, however many)."""
    return encode_json(ids).decode("ascii")


def _key(text: str) -> str:
    return encode_json(text).decode("utf-8")
