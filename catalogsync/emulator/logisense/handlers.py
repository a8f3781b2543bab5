"""What each (method, resource view) does, run in a worker thread under the database lock.

Each handler returns (status, payload); the route adds the `trackingId`. Lookups are
read-only through the API ([INFERRED]: the emulator seeds them; `LogiSenseEmulator.
seed_lookup` adds more).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from catalogsync.emulator.logisense import pages
from catalogsync.emulator.logisense.auth import iso_utc
from catalogsync.emulator.logisense.schema import Resource
from catalogsync.emulator.logisense.search import (
    SEARCH_HEADER,
    Pagination,
    compile_search,
    parse_json_header,
    parse_pagination,
    search_body,
)
from catalogsync.emulator.logisense.store import Query
from catalogsync.emulator.logisense.validation import BAD_REQUEST, ApiError, Validator
from catalogsync.emulator.logisense.writes import (
    Change,
    Writer,
    count_patch_items,
    nested_collections,
)

if TYPE_CHECKING:
    from catalogsync.emulator.logisense.app import Target
    from catalogsync.emulator.logisense.emulator import LogiSenseEmulator

__all__ = ["Handler", "Handlers"]

#: (target, request headers, parsed JSON body or None) -> (status, payload).
Handler = Callable[["Target", Mapping[str, str], Any], tuple[int, dict[str, Any]]]

#: The samples show 200 for every verb. The v8 POST status is [GAP] (v10 lists 201 for
#: one POST): the `create-201` profile tests a client against that.
OK = 200


class Handlers:
    """The handlers bound to one emulator."""

    def __init__(self, emulator: LogiSenseEmulator) -> None:
        self.emulator = emulator
        self.db = emulator.db
        self.views = emulator.views

    def find(self, method: str, target: Target) -> Handler | None:
        one = target.identity is not None
        view = target.view
        writable = not target.resource.lookup
        table: dict[tuple[str, bool, str], Handler] = {
            ("GET", False, ""): self.get_all,
            ("GET", False, "Paged"): self.get_paged,
            ("GET", False, "Paged/Detail"): self.get_paged,
            ("GET", True, ""): self.get_one,
            ("GET", True, "Detail"): self.get_one,
            ("POST", False, "Search"): self.search,
        }
        if writable:
            table |= {
                ("POST", False, ""): self.post,
                ("PUT", True, ""): self.put,
                ("PATCH", True, ""): self.patch,
                ("DELETE", True, ""): self.delete,
            }
        return table.get((method, one, view))

    # -- reads ---------------------------------------------------------------------------

    def _header_query(self, resource: Resource, headers: Mapping[str, str]) -> Query:
        search = parse_json_header(headers.get(SEARCH_HEADER), SEARCH_HEADER)
        if search is None:
            return Query()
        if not isinstance(search, Mapping):
            raise ApiError(400, f"The '{SEARCH_HEADER}' header must be a JSON object.")
        return compile_search(resource, search.get("filters"), search.get("orderBy"))

    def _render(self, resource: Resource, rows: list[Any], detail: bool) -> list[Any]:
        if detail:
            return self.views.render_detailed(resource, rows)
        return self.views.render(resource, rows)

    def get_all(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`GET X`: every record (reference: "the sample has no pagination envelope")."""
        resource = target.resource
        with self.db.lock:
            rows = self.db.select(resource, self._header_query(resource, headers))
            items = self._render(resource, rows, False)
        return OK, {"totalCount": len(items), "items": items}

    def get_paged(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`GET X/Paged` and `GET X/Paged/Detail` with the `Pagination` header."""
        resource = target.resource
        raw = parse_json_header(headers.get("Pagination"), "Pagination")
        page = parse_pagination(raw, self.emulator.faults.max_page_size)
        query = self._header_query(resource, headers)
        detail = target.view.endswith("Detail")
        return OK, self._page(resource, query, page, detail, text=True)

    def _page(
        self, resource: Resource, query: Query, page: Pagination, detail: bool, *, text: bool
    ) -> dict[str, Any]:
        """One page; `text`: its items as JSON text SQLite builds (`pages`: the same bytes
        once encoded, in a fraction of the CPU), for an answer `encode_json` writes."""
        items: list[dict[str, Any]] | msgspec.Raw
        # [INFERRED] excludeTotalCount skips the count and answers null.
        counted = not page.exclude_total_count
        size, offset = page.page_size, page.offset
        if text:
            # Not under the database lock (`reading`): a small lookup asked meanwhile is
            # answered rather than held until a whole page of package details is built.
            with self.db.reading() as conn:
                total = pages.count(conn, resource, query) if counted else None
                json = pages.page_items_json(
                    conn,
                    resource,
                    query,
                    limit=size,
                    offset=offset,
                    detail=detail,
                    odd_columns=lambda: self.db.odd_columns,
                )
            items = msgspec.Raw(json)  # UTF-8 already
        else:
            with self.db.lock:
                total = self.db.count(resource, query) if counted else None
                rows = self.db.select(resource, query, limit=size, offset=offset)
                read = self.views.read(resource, rows, detail=detail)
            items = read.build()  # built outside the lock, as above
        return {
            "pagination": page.to_wire(),
            "pagedResults": {"totalCount": total, "items": items},
        }

    def get_one(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`GET X/{id}` and `GET X/{id}/Detail` -> `{"instance": {...}}`."""
        resource, identity = target.resource, _identity(target)
        with self.db.lock:
            row = self.db.get(resource, identity)
            if row is None:
                raise ApiError(404, f"{resource.key} {identity} was not found.", 10500000)
            (item,) = self._render(resource, [row], target.view == "Detail")
        return OK, {"instance": item}

    def search(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`POST X/Search` (v4+): `query.search`, `orderBy`, `top`, `pagination`."""
        resource = target.resource
        query_body, top = search_body(body)
        query = compile_search(resource, query_body.get("search"), query_body.get("orderBy"))
        if query_body.get("pagination") is not None:
            page = parse_pagination(query_body["pagination"], self.emulator.faults.max_page_size)
            # a POST's answer is written by `JSONResponse`: the items as Python data
            return OK, self._page(resource, query, page, False, text=False)
        with self.db.lock:
            rows = self.db.select(resource, query, limit=top)
            items = self.views.render(resource, rows)
        return OK, {"totalCount": len(items), "items": items}

    # -- writes --------------------------------------------------------------------------

    def write(
        self, kind: str, body: Any, work: Callable[[Writer], None], *, api: bool = True
    ) -> dict[str, Any]:
        """Run `work` in one transaction; any problem rolls everything back (400).

        `api=False` is an edit made "in the UI" (the emulator's Python helpers): no batch
        cap and no injected name failures.
        """
        emulator = self.emulator
        faults = emulator.faults
        if body is not None and not isinstance(body, Mapping):
            raise ApiError(400, "The body must be a JSON object.")
        cap = faults.max_batch_size if api else None
        if cap is not None and body is not None and max(1, count_patch_items(body)) > cap:
            raise ApiError(400, f"The request holds more than {cap} patch items.", BAD_REQUEST)
        validator = Validator(
            self.db,
            unique_names=emulator.unique_names,
            fail_names=faults.name_pattern() if api else None,
        )
        now = iso_utc(emulator.tokens.now())
        writer = Writer(
            self.db, validator, now, children_at_top=emulator.profile.top_level_children
        )

        try:
            with self.db.transaction():
                work(writer)
                if writer.problems:
                    raise _Rollback
                items = [self._result(change) for change in writer.changes]
        except _Rollback:
            raise ApiError(400, writer.problems) from None
        return {"type": kind, "results": {"totalCount": len(items), "items": items}}

    def _result(self, change: Change) -> dict[str, Any]:
        dto = change.resource.dto
        if change.action == "deleted":
            key = "foreignKeyIdentity" if change.foreign_key else "identity"
            item: dict[str, Any] = {key: change.identity, "action": "deleted", "dtoTypeKey": dto}
        else:
            row = self.db.get(change.resource, change.identity)
            assert row is not None
            (instance,) = self.views.render(change.resource, [row])
            item = {"identity": change.identity, "action": change.action, "dtoTypeKey": dto}
            item["instance"] = instance
        if change.patch_client_id is not None and self.emulator.profile.echo_patch_client_id:
            item["patchClientId"] = change.patch_client_id
        return item

    def post(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`POST X`: create one object."""
        _no_nested(target, body)
        payload = self.write("create", body, lambda w: _create(w, target.resource, body))
        return self.emulator.profile.create_status, self._post_put_items(payload)

    def put(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`PUT X/{id}`: update only the supplied properties (reference §7, [D])."""
        resource, identity = target.resource, _identity(target)
        self._require(resource, identity)
        _no_nested(target, body)
        payload = self.write("update", body, lambda w: _update(w, resource, identity, body))
        return OK, self._post_put_items(payload)

    def patch(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`PATCH X/{id}`: the object and its child collections, all or nothing."""
        resource, identity = target.resource, _identity(target)
        payload = self.write("patch", body, lambda w: w.patch(resource, identity, body))
        return OK, payload

    def delete(self, target: Target, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        """`DELETE X/{id}`: the object and its cascade, every affected object reported."""
        resource, identity = target.resource, _identity(target)
        self._require(resource, identity)
        payload = self.write("delete", None, lambda w: _delete(w, resource, identity))
        return OK, payload

    def _post_put_items(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST/PUT result items: the seed's samples show each item as the bare object;
        the v10 guide ([S11]) wraps it as `{identity, action, dtoTypeKey, instance}`
        (profile `wrapped-write-items`)."""
        if self.emulator.profile.wrapped_write_items:
            return payload
        results = payload["results"]
        results["items"] = [i.get("instance", i) for i in results["items"]]
        return payload

    def _require(self, resource: Resource, identity: int) -> None:
        if not self.db.exists(resource, identity):
            raise ApiError(404, f"{resource.key} {identity} was not found.", 10500000)


class _Rollback(Exception):
    """Raised inside the transaction to undo a request that had a problem."""


def _create(writer: Writer, resource: Resource, body: Any) -> None:
    writer.create(resource, body)


def _update(writer: Writer, resource: Resource, identity: int, body: Any) -> None:
    writer.update(resource, identity, body)


def _delete(writer: Writer, resource: Resource, identity: int) -> None:
    writer.delete(resource, identity)


def _no_nested(target: Target, body: Any) -> None:
    nested = nested_collections(target.resource, body)
    if nested:
        raise ApiError(
            400,
            f"Child objects ({', '.join(nested)}) cannot be written with POST or PUT; use "
            f"PATCH {target.resource.path}/{{id}}.",
        )


def _identity(target: Target) -> int:
    assert target.identity is not None
    return target.identity
