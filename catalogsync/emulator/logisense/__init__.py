"""The LogiSense REST v8 emulator: token login, Package / Service / Package-Service /
Package-Frequency / Package-Currency with the v8 envelopes, nested atomic PATCH, cascade
DELETE, lookups, and the shared fault injection and request log.

Modules: `app` (routes, path parsing, envelopes), `auth` (tokens), `handlers` (what each
verb does), `writes` (create / update / delete / nested PATCH in one transaction),
`validation` (every error at once), `search` (Pagination header, filters, `/Search`),
`views` (records as the API shows them), `store` (SQLite), `schema` (objects, lookups).
Vendor facts come from reference/logisense-api.md; its [I] choices are marked [INFERRED].

Python API (for a LogiSense client/backend and its tests)::

    from catalogsync.emulator.logisense import LogiSenseEmulator
    from catalogsync.emulator import Faults

    emu = LogiSenseEmulator(              # db=None: in memory; a path: a SQLite file
        faults=Faults(session_ttl_seconds=5),  # shared fault settings, mutable at any time
        credentials=("user", "pass"),     # None: any username/password logs in
        client_id=None,                   # None: any non-empty client_id
        unique_names=False,               # True: refuse duplicate Service/Package names
        profile="strict",                 # or a variant: profiles.PROFILES lists them
        lenient_auth=False,               # True: also accept "Authorization: <token>"
    )
    http = httpx.Client(base_url="http://ls", transport=emu.transport())   # sync
    # or httpx.AsyncClient(..., transport=emu.async_transport()); or over a real socket:
    # with ServerThread(emu.app) as server: server.url
    # `catalogsync emulator serve --backend logisense` runs it as a server.

    # Wire: POST /AuthorizationServer/api/v8/Access/Login (form: username, password,
    # grant_type=password, client_id) -> {"access_token", ...}; then every call under
    # /ResourceServer/api/v8/ with "Authorization: Bearer <access_token>".
    token = emu.login()                   # or skip the HTTP login in tests

    # Lookups are seeded (ServiceType, FrequencyType, Currency, PackageCategory,
    # AccountPackageStatusType, ServiceStatusType, ServiceBaseType; served at their
    # documented paths, e.g. Package/Category, Account/Package/StatusType); names <-> ids:
    emu.lookup_id("Currency", "US Dollar"); emu.records("FrequencyType")
    emu.seed_lookup("Currency", "Yen", code="JPY")        # add one; returns its identity

    # Edits "as the UI would" (validated like the API, not counted, never faulted);
    # they raise EmulatorEditError listing every problem:
    svc = emu.create("Service", name="Voice", serviceTypeId=1)
    pkg = emu.create("Package", name="Gold")
    emu.create("Package/Service", packageId=pkg["identity"], serviceId=svc["identity"])
    emu.update("Service", svc["identity"], description="changed in the UI")
    emu.patch("Package", pkg["identity"], {"details": {"currencies": {"items": [
        {"patchType": "create", "patchClientId": 1, "currencyId": 1}]}}})
    emu.delete("Package", pkg["identity"])               # cascade report items

    # Reads as the API shows them (xxxName companions included), identity order:
    emu.records("Package/Service"); emu.records("Package", detail=True)
    emu.record("Service", svc["identity"]); emu.find("Service", name="Voice")

    emu.stats(); emu.request_log; emu.reset_stats()      # shared request log
    emu.close()

Wire summary (all under /ResourceServer/api/v8/, X = Package, Service, Package/Service,
Package/Frequency, Package/Currency; lookups answer the GET routes only, else 405):

- `GET X` -> {trackingId, totalCount, items}; `GET X/{id}` and `GET X/{id}/Detail` ->
  {trackingId, instance}; `GET X/Paged` and `X/Paged/Detail` with the header
  `Pagination: {"pageNumber":1,"pageSize":20,"excludeTotalCount":false}` -> {trackingId,
  pagination, pagedResults: {totalCount, items}}; a pageSize above `Faults.max_page_size`
  (default 10000) is refused with 400; excludeTotalCount=true gives totalCount null.
  Detail items carry `details: {services: [...], frequencies: [...], currencies: [...]}`.
- Filters (to re-read "the Service named X" after an ambiguous POST): header
  `SearchRequest: {"filters":[{"name":"name","operator":"eq","value":"X"}],
  "orderBy":[{"name":"name","direction":"asc"}]}` on `GET X` and `X/Paged`, or
  `POST X/Search {"query":{"search":[...],"top":100,"pagination":{...}}}`. Text
  comparisons ignore case (SQL Server-like): compare names exactly yourself.
- `POST X` -> {trackingId, type:"create", results:{totalCount, items:[item]}}, `PUT X/{id}`
  (partial) -> type "update"; each item is the bare object as the seed shows (profile
  wrapped-write-items: {identity, action, dtoTypeKey, instance}); profile create-201
  answers POST with 201. Child collections in PATCH form are refused by POST/PUT.
- `PATCH X/{id}` -> type "patch"; body: X's own fields, child collections
  `services`/`frequencies`/`currencies` = {"items":[{"patchType":"create"|"update"|
  "delete", "patchClientId":n, "identity":id (update/delete), ...fields}]} in the body's
  `details` (profile top-level-children: also at the top), and for Package a `packages`
  collection (path id ignored) whose created items may nest children in their `details`.
  Any other key is refused (400). One transaction: any problem -> 400, nothing written.
  Result items: {identity, action, dtoTypeKey, instance} (+ patchClientId under the
  echo-patch-client-id profile).
- `DELETE X/{id}` -> type "delete"; a Package takes its children with it
  ({foreignKeyIdentity, action:"deleted", dtoTypeKey}); a Service still used by a package
  is refused (400).
- Errors: {trackingId, type (writes), errors:[{code, message}, ...]} listing every
  problem; 401 (missing/expired token, with WWW-Authenticate), 404, 405, injected 4xx/5xx
  use the same envelope. Login failures use OAuth's {error, error_description} (400).

Faults: session_ttl_seconds / session_max_requests expire tokens; fail_names_matching
fails writes of records whose name (a package service's: its service's) matches;
max_batch_size caps the patch items of one request; max_page_size caps Paged pages; the
rest (latency, 429, 5xx, drops, scripted) is the shared middleware. PATCH is always
atomic, so all_or_nothing has nothing to add; max_sql_length does not apply.

Ids: Service 100000+, Package 200000+, Package/Service 300000+, Package/Frequency
400000+, Package/Currency 500000+; seeded lookups keep small ids, added ones start at 1000.
"""

from catalogsync.emulator.logisense.emulator import (
    DEFAULT_CLIENT_ID,
    EmulatorEditError,
    LogiSenseEmulator,
)

__all__ = ["DEFAULT_CLIENT_ID", "EmulatorEditError", "LogiSenseEmulator"]
