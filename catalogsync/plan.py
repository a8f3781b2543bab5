"""The plan: the single intermediate representation between planning and everything else.

Renderers, guards, the plan file and the applier all consume a `Plan`; none of them calls
the planner. A plan is plain immutable data and serialises to a versioned JSON document
whose bytes (and hash) depend only on its inputs: no timestamps, sorted keys.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from catalogsync import __version__
from catalogsync.catalog import Kind, Ref, Value
from catalogsync.errors import PlanError
from catalogsync.review import PlanReview

# 2 adds `review` (risk grades, price moves, reach, policy overrides). Version 1 files still
# load, verify and apply: their body is hashed as it was written, without `review`.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

# The fingerprint a create records: the object must not exist when the plan is applied.
MUST_NOT_EXIST = "must-not-exist"


class Action(StrEnum):
    """What a change does to one object."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value before and after (None before a create, None after a delete)."""

    field: str
    before: Value
    after: Value


@dataclass(frozen=True, slots=True)
class Change:
    """One planned change to one object.

    `values` holds what the backend writes: the declared fields for a create or update
    (an update writes only `fields`' afters, but a backend may need the rest to build a
    record), empty for a delete. `depends_on` lists the changes in this plan that must
    succeed first; `wave` is the execution step (all of wave 0, then wave 1, ...).
    """

    action: Action
    ref: Ref
    fields: tuple[FieldChange, ...] = ()
    values: Mapping[str, Value] = field(default_factory=dict)
    remote_id: str | None = None
    live_fingerprint: str = MUST_NOT_EXIST
    depends_on: tuple[Ref, ...] = ()
    wave: int = 0
    renamed_from: str | None = None
    reason: str = ""
    # A delete of an object the YAML marks `protect: true`: the guards refuse it, for a
    # saved plan too (the plan file carries the mark, not just the YAML).
    protected: bool = False

    def __post_init__(self) -> None:
        # A read-only view is kept as given: the planner's (a resource's fields, or one
        # shared by creates of alike values) and this change's own through `replace`, which
        # copied every change's values again when the planner set its wave. Any other
        # mapping is copied, so that no caller's dict can change a planned change.
        if type(self.values) is not MappingProxyType:
            object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @property
    def live_ref(self) -> Ref:
        """The object's identity as it is live now (the old name of a rename)."""
        if self.renamed_from is None:
            return self.ref
        return Ref(self.ref.kind, (*self.ref.key[:-1], self.renamed_from))

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "ref": self.ref.to_json(),
            "fields": [
                {"field": f.field, "before": dump_value(f.before), "after": dump_value(f.after)}
                for f in self.fields
            ],
            "values": {key: dump_value(value) for key, value in sorted(self.values.items())},
            "remote_id": self.remote_id,
            "live_fingerprint": self.live_fingerprint,
            "depends_on": [ref.to_json() for ref in self.depends_on],
            "wave": self.wave,
            "renamed_from": self.renamed_from,
            "reason": self.reason,
            "protected": self.protected,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            action=Action(data["action"]),
            ref=Ref.from_json(data["ref"]),
            fields=tuple(
                FieldChange(f["field"], load_value(f["before"]), load_value(f["after"]))
                for f in data["fields"]
            ),
            values={key: load_value(value) for key, value in data["values"].items()},
            remote_id=data["remote_id"],
            live_fingerprint=data["live_fingerprint"],
            depends_on=tuple(Ref.from_json(ref) for ref in data["depends_on"]),
            wave=int(data["wave"]),
            renamed_from=data["renamed_from"],
            reason=data.get("reason", ""),
            protected=bool(data.get("protected", False)),
        )


def dump_value(value: Value) -> Any:
    """JSON form of a value: Decimals as {"decimal": "10.5"} so they load back as Decimals;
    a tuple of names as a JSON list (the only value that is a list)."""
    if isinstance(value, Decimal):
        return {"decimal": format(value, "f")}
    if isinstance(value, tuple):
        return list(value)
    return value


def load_value(value: Any) -> Value:
    """A value as `dump_value` wrote it."""
    if isinstance(value, dict) and set(value) == {"decimal"}:
        return Decimal(value["decimal"])
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PlanError(f"unexpected value in plan file: {value!r}")


@dataclass(frozen=True)
class Summary:
    """Counts of a plan's changes."""

    create: int = 0
    update: int = 0
    delete: int = 0
    unmanaged: int = 0

    @property
    def total(self) -> int:
        return self.create + self.update + self.delete

    def to_json(self) -> dict[str, int]:
        return {
            "create": self.create,
            "update": self.update,
            "delete": self.delete,
            "unmanaged": self.unmanaged,
        }


@dataclass(frozen=True)
class ShareExcess:
    """A kind over the share guard: `touched` of `live` objects updated or deleted."""

    kind: Kind
    touched: int
    live: int
    limit: float  # the guard's max_change_share

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "touched": self.touched,
            "live": self.live,
            "limit": self.limit,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShareExcess:
        return cls(
            Kind(data["kind"]), int(data["touched"]), int(data["live"]), float(data["limit"])
        )


@dataclass(frozen=True)
class ApplyNeeds:
    """What applying the plan will need, said before anyone applies it (the review sees it).

    `allow_delete`: the deletes that need `--allow-delete` (none when the project sets
    `allow_delete: true`); `force`: the kinds over the share guard, which need `--force`;
    `refused`: why apply will refuse whatever the flags (protected, outside the prune scope).
    """

    allow_delete: tuple[Ref, ...] = ()
    force: tuple[ShareExcess, ...] = ()
    refused: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.allow_delete or self.force or self.refused)

    def to_json(self) -> dict[str, Any]:
        return {
            "allow_delete": [ref.to_json() for ref in self.allow_delete],
            "force": [excess.to_json() for excess in self.force],
            "refused": list(self.refused),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApplyNeeds:
        return cls(
            allow_delete=tuple(Ref.from_json(ref) for ref in data["allow_delete"]),
            force=tuple(ShareExcess.from_json(excess) for excess in data["force"]),
            refused=tuple(str(reason) for reason in data["refused"]),
        )


@dataclass(frozen=True)
class Plan:
    """An ordered set of changes for one target, with what is needed to trust it later."""

    backend: str
    target: str
    target_url: str
    catalog_digest: str
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[Ref, ...] = ()
    live_counts: Mapping[Kind, int] = field(default_factory=dict)
    tool_version: str = __version__
    review: PlanReview | None = None
    format_version: int = FORMAT_VERSION
    needs: ApplyNeeds = ApplyNeeds()
    # `--only`/`--exclude` of a partial plan (catalogsync.partial); () for a whole plan.
    selection: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "live_counts", MappingProxyType(dict(self.live_counts)))

    @property
    def summary(self) -> Summary:
        counts = {action: 0 for action in Action}
        for change in self.changes:
            counts[change.action] += 1
        return Summary(
            create=counts[Action.CREATE],
            update=counts[Action.UPDATE],
            delete=counts[Action.DELETE],
            unmanaged=len(self.unmanaged),
        )

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def waves(self) -> Iterator[tuple[int, tuple[Change, ...]]]:
        """The changes grouped by wave, in execution order."""
        for wave in sorted({change.wave for change in self.changes}):
            yield wave, tuple(c for c in self.changes if c.wave == wave)

    def of_action(self, action: Action) -> Iterable[Change]:
        return (c for c in self.changes if c.action is action)

    # --- the plan file -----------------------------------------------------------------

    def _body_without_changes(self, *, review_changes: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "format_version": self.format_version,
            "tool_version": self.tool_version,
            "backend": self.backend,
            "target": {"name": self.target, "url": self.target_url},
            "catalog_digest": self.catalog_digest,
            "summary": self.summary.to_json(),
            "live_counts": {kind.value: n for kind, n in sorted(self.live_counts.items())},
            "unmanaged": [ref.to_json() for ref in self.unmanaged],
        }
        if self.format_version >= 2:
            review = self.review
            body["review"] = None if review is None else review.to_json(review_changes)
        # Only when there is something to say, so a plan without needs keeps the bytes
        # (and hash) it had before `apply_needs` existed.
        if self.needs:
            body["apply_needs"] = self.needs.to_json()
        if self.selection:  # a whole plan has no `selection` key: its file is as before
            body["selection"] = list(self.selection)
        return body

    def _body(self) -> dict[str, Any]:
        return {
            **self._body_without_changes(),
            "changes": [change.to_json() for change in self.changes],
        }

    @functools.cached_property
    def plan_hash(self) -> str:
        """sha256 over the whole plan body: what was reviewed is what gets applied.

        The canonical JSON of the body is hashed piece by piece (the same bytes as
        `canonical_json(self._body())`), so a plan of 200,000 changes never exists as one
        JSON string; it is computed once per plan.
        """
        sha = hashlib.sha256()
        for chunk in self._canonical_chunks():
            sha.update(chunk.encode())
        return "sha256:" + sha.hexdigest()

    def hash_known(self, plan_hash: str) -> None:
        """Take `plan_hash` as this plan's `plan_hash`: worked out from this very plan by a
        forked copy of this process (`cli.first_wave`), so not computed here again."""
        self.__dict__["plan_hash"] = plan_hash

    def _canonical_chunks(self) -> Iterator[str]:
        head = self._body_without_changes(review_changes=False)
        keys = sorted([*head, "changes"])
        yield "{"
        for index, key in enumerate(keys):
            yield ("," if index else "") + canonical_json(key) + ":"
            if key == "changes":
                yield from _canonical_list(change.to_json() for change in self.changes)
            elif key == "review" and self.review is not None:
                # As long as the changes, so streamed the same way. "changes" sorts first
                # among the review's keys, and the others are always there.
                rest = canonical_json(self.review.to_json(with_changes=False))
                yield '{"changes":'
                yield from _canonical_list(c.to_json() for c in self.review.changes)
                yield "," + rest[1:]
            else:
                yield canonical_json(head[key])
        yield "}"

    def to_json(self) -> dict[str, Any]:
        return {**self._body(), "plan_hash": self.plan_hash}

    def dumps(self) -> str:
        """The plan file's text: stable key order, so equal plans are equal bytes.

        `json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\\n"`,
        made by `json_chunks` (write those instead where the text goes to a file or stdout).
        """
        return "".join(self.json_chunks())

    def json_chunks(self) -> Iterator[str]:
        """`dumps()` piece by piece, one change at a time.

        With `indent` the standard library encodes in pure Python and joins a list of every
        token: a cold plan at L (205,000 changes, 261 MB of JSON) took 65 s of CPU and
        2.7 GB. Here the changes (and their reviews, and the unmanaged refs) are never
        built as one tree nor one string, and each is encoded by C (`_pretty`).
        """
        body = self._body_without_changes(review_changes=False)
        body["changes"] = _Streamed(change.to_json() for change in self.changes)
        if "review" in body and self.review is not None:
            body["review"] = {
                **body["review"],
                "changes": _Streamed(review.to_json() for review in self.review.changes),
            }
        body["unmanaged"] = _Streamed(ref.to_json() for ref in self.unmanaged)
        body["plan_hash"] = self.plan_hash
        yield from _pretty_chunks(body, 0)
        yield "\n"

    def write(self, path: Path) -> None:
        """Save the plan file (`dumps()`'s text) at `path`, written as it is made.

        Into `NAME.partial` beside it, then renamed over `path`: a plan file that failed
        half-way (a full disk, an interrupt) is never left where `apply` would look for it,
        and a plan saved there before stays whole. A path that is not a regular file (a
        pipe, /dev/stdout) is written directly."""
        if path.exists() and not path.is_file():
            with path.open("w", encoding="utf-8") as file:
                file.writelines(self.json_chunks())
            return
        if path.is_symlink():  # the file it points to is the plan, as before
            path = path.resolve()
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as file:
                file.writelines(self.json_chunks())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    @classmethod
    def read(cls, path: Path) -> Plan:
        """Read the plan file at `path` (see `loads`); a file that is not text is a `PlanError`."""
        from catalogsync.plan_file import decoded

        plan = decoded(path.read_bytes())
        if plan is not None:
            return plan
        try:
            return cls._loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise PlanError(f"{path} is not a plan file (not UTF-8 text)") from exc

    @classmethod
    def loads(cls, text: str) -> Plan:
        """Read a plan file, checking its version and its hash.

        Raises:
            PlanError: not a plan, an unsupported version, or edited since it was written.
        """
        from catalogsync.plan_file import decoded

        plan = decoded(text)
        return cls._loads(text) if plan is None else plan

    @classmethod
    def _loads(cls, text: str) -> Plan:
        """`loads` by the standard library: what every file's reading must agree with, and
        how a file the fast reading (`catalogsync.plan_file`) does not vouch for is read."""
        try:
            data = json.loads(text)
            plan = cls._from_data(data)
        except json.JSONDecodeError as exc:
            raise PlanError(f"plan file is not valid JSON: {exc}") from exc
        except RecursionError:
            raise PlanError(
                "plan file is nested too deeply to be a plan (a plan needs a few levels)"
            ) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"plan file is malformed: {type(exc).__name__}: {exc}") from exc
        if plan.plan_hash != data.get("plan_hash"):
            raise PlanError("plan file was modified after it was written (plan_hash mismatch)")
        return plan

    @classmethod
    def _from_data(cls, data: Any) -> Plan:
        """The plan in `json.loads`' reading of a plan file (its hash not checked)."""
        if not isinstance(data, dict) or "format_version" not in data:
            raise PlanError("not a catalogsync plan file (no format_version)")
        version = data["format_version"]
        if version not in READABLE_VERSIONS:
            readable = ", ".join(map(str, READABLE_VERSIONS))
            raise PlanError(
                f"plan file format_version {version} is not supported "
                f"(this catalogsync reads {readable})"
            )
        review = data.get("review") if version >= 2 else None
        return cls(
            backend=data["backend"],
            target=data["target"]["name"],
            target_url=data["target"]["url"],
            catalog_digest=data["catalog_digest"],
            changes=tuple(Change.from_json(c) for c in data["changes"]),
            unmanaged=tuple(Ref.from_json(r) for r in data["unmanaged"]),
            live_counts={Kind(k): int(v) for k, v in data["live_counts"].items()},
            tool_version=data["tool_version"],
            review=None if review is None else PlanReview.from_json(review),
            format_version=version,
            needs=ApplyNeeds.from_json(data["apply_needs"])
            if "apply_needs" in data
            else ApplyNeeds(),
            selection=tuple(str(s) for s in data.get("selection", ())),
        )


_INDENT = "  "


@dataclass(frozen=True, slots=True)
class _Streamed:
    """A list in `json_chunks`' body written item by item, as it is made."""

    items: Iterable[Any]


def _pretty_chunks(data: Any, level: int) -> Iterator[str]:
    """`json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)` nested `level` deep,
    piece by piece: a `_Streamed` is a list written a batch of items at a time, and a dict
    that holds one is written key by key, in the standard library's layout (each item on a
    line of its own, `,` ending all but the last, the closing bracket on the parent's
    indent; `[]` or `{}` when empty)."""
    if isinstance(data, _Streamed):
        yield from _pretty_list_chunks(data.items, level)
    elif isinstance(data, dict) and any(isinstance(v, _Streamed) for v in data.values()):
        newline = "\n" + _INDENT * (level + 1)
        separator = "{"
        for key, value in sorted(data.items()):
            yield separator + newline + json.dumps(key, ensure_ascii=False) + ": "
            yield from _pretty_chunks(value, level + 1)
            separator = ","
        yield "{}" if separator == "{" else "\n" + _INDENT * level + "}"
    else:
        yield _pretty(data, level)


def _pretty_list_chunks(items: Iterable[Any], level: int, batch: int = 500) -> Iterator[str]:
    """`_pretty(list(items), level)` a batch at a time: each batch is encoded as a list of
    its own and given without its brackets (one call of the encoders per change costs
    more than encoding it)."""
    closing = "\n" + _INDENT * level + "]"
    separator = "["
    iterator = iter(items)
    while some := list(itertools.islice(iterator, batch)):
        text = _pretty(some, level)
        yield separator + text[1 : -len(closing)]
        separator = ","
    yield "[]" if separator == "[" else closing


# The C encoder (the standard library's, used without `indent`) in `canonical_json`'s form
# but without its `default=str`: what `json.dumps` cannot encode stays an error.
_COMPACT = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _pretty(data: Any, level: int) -> str:
    """`json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)` nested `level` deep
    (every line but the first indented `level` steps more).

    The C encoder writes the compact form and msgspec's C formatter lays it out as the
    standard library would: it only adds whitespace, every token keeps the standard
    library's spelling (floats, escapes). Newlines in strings are escaped, so each newline
    is layout. What the compact form cannot carry (NaN, a lone surrogate, an object JSON
    cannot encode) goes to the standard library's own indenting encoder, to be written or
    to fail exactly as it always did.
    """
    import msgspec.json  # ~70 ms to import: not before a plan is written

    try:
        text = msgspec.json.format(_COMPACT.encode(data).encode(), indent=2).decode()
    except (TypeError, ValueError):  # msgspec.DecodeError and UnicodeEncodeError are too
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return text.replace("\n", "\n" + _INDENT * level) if level else text


#: Items `_canonical_list` encodes per call (as `catalog_digest.CHUNK`): a call per change
#: spent a third of a plan hash's CPU in the call rather than the encoding (41,000 changes
#: and 41,000 reviews in a cold M plan).
CANONICAL_BATCH = 1000


def _canonical_list(items: Iterable[Any], batch: int | None = None) -> Iterator[str]:
    """`canonical_json(list(items))`, piece by piece: `batch` items a piece (default
    `CANONICAL_BATCH`), the list's text without its brackets (the compact form puts exactly
    "," between items)."""
    separator = "["
    iterator = iter(items)
    while some := list(itertools.islice(iterator, batch or CANONICAL_BATCH)):
        yield separator + _CANONICAL.encode(some)[1:-1]
        separator = ","
    yield "[]" if separator == "[" else "]"


# `json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)`
# made once: `json.dumps` makes this encoder anew on each call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
)


def canonical_json(data: Any) -> str:
    """Compact, key-sorted JSON, the input of every hash."""
    return _CANONICAL.encode(data)


def digest(data: Any) -> str:
    """sha256 of the canonical JSON of `data`."""
    return "sha256:" + hashlib.sha256(canonical_json(data).encode()).hexdigest()
