"""What a review saw, recorded in the plan comment: one short digest per change.

The plan job writes, among the comment's hidden header lines,

    <!-- catalogsync-reviewed:v1 force=product changes=BASE64 -->

`changes` is the concatenation of one 12-byte digest per change of the plan shown in the
comment; a digest covers what makes a change the same change: the object (kind, key,
live id, old name of a rename), the action, every value it writes (the after-values), and
the live fingerprint the plan saw (so an edit in the billing UI since the review makes it
another change). `force` lists the kinds the plan showed over the share guard, which the
review thereby authorises `--force` for. Deletes need no field of their own: a delete's
digest is in the record only if the review showed that delete.

After an apply that leaves none of a review's changes failed, the apply job adds
`<!-- catalogsync-applied:SHA -->`: that review has been spent and authorises nothing again
(else a UI edit that puts an object back as it was would be "reviewed" forever).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from catalogsync.catalog import Kind
from catalogsync.ci.body import header_lines
from catalogsync.plan import Change, Plan, canonical_json, dump_value

__all__ = [
    "DIGEST_BYTES",
    "ReviewRecord",
    "applied_marker",
    "applied_sha",
    "change_digest",
    "mark_applied",
]

#: 96 bits: no accidental collision in any catalog, and no practical forgery.
DIGEST_BYTES = 12

_RECORD = re.compile(r"<!-- catalogsync-reviewed:v1 force=([a-z_,]*) changes=([A-Za-z0-9+/=]*) -->")
_APPLIED = re.compile(r"<!-- catalogsync-applied:([0-9a-fA-F]{7,64}) -->")


def change_digest(change: Change) -> bytes:
    """The identity of a change as a review sees it (see the module docstring)."""
    identity = {
        "action": change.action.value,
        "ref": change.ref.to_json(),
        "remote_id": change.remote_id,
        "renamed_from": change.renamed_from,
        "live_fingerprint": change.live_fingerprint,
        "values": {key: dump_value(value) for key, value in sorted(change.values.items())},
        "after": {f.field: dump_value(f.after) for f in change.fields},
    }
    return hashlib.sha256(canonical_json(identity).encode()).digest()[:DIGEST_BYTES]


@dataclass(frozen=True)
class ReviewRecord:
    """The changes a review showed, and the kinds it showed needing `--force`."""

    digests: frozenset[bytes]
    force: frozenset[Kind]

    @classmethod
    def of_plan(cls, plan: Plan) -> ReviewRecord:
        return cls(
            frozenset(change_digest(change) for change in plan.changes),
            frozenset(excess.kind for excess in plan.needs.force),
        )

    def marker(self) -> str:
        """The hidden header line (digests sorted: the same plan gives the same line)."""
        force = ",".join(sorted(kind.value for kind in self.force))
        changes = base64.b64encode(b"".join(sorted(self.digests))).decode()
        return f"<!-- catalogsync-reviewed:v1 force={force} changes={changes} -->"

    @classmethod
    def marker_size(cls, plan: Plan) -> int:
        """At most how long `of_plan(plan).marker()` is, without building it."""
        return 64 + 4 * ((DIGEST_BYTES * len(plan.changes) + 2) // 3)

    @classmethod
    def parse(cls, body: str) -> ReviewRecord | None:
        """The record in a body's header, or None (no record, or not one we can read)."""
        for line in header_lines(body):
            found = _RECORD.fullmatch(line)
            if found is None:
                continue
            try:
                raw = base64.b64decode(found.group(2), validate=True)
                force = frozenset(Kind(kind) for kind in found.group(1).split(",") if kind)
            except (binascii.Error, ValueError):
                return None
            if len(raw) % DIGEST_BYTES:
                return None
            digests = frozenset(raw[i : i + DIGEST_BYTES] for i in range(0, len(raw), DIGEST_BYTES))
            return cls(digests, force)
        return None


def applied_marker(sha: str) -> str:
    return f"<!-- catalogsync-applied:{sha} -->"


def applied_sha(body: str) -> str | None:
    """The commit whose apply spent this review, or None while it is unspent."""
    for line in header_lines(body):
        found = _APPLIED.fullmatch(line)
        if found:
            return found.group(1)
    return None


def mark_applied(body: str, sha: str) -> str:
    """`body` with the applied line added after its first (marker) line."""
    first, _, rest = body.partition("\n")
    return f"{first}\n{applied_marker(sha)}\n{rest}"
