"""Pure text work for comment and issue bodies: markers, the plan-hash record, size limit.

A body the glue posts starts with hidden HTML-comment lines ("header"): the marker
`<!-- catalogsync-KIND:TARGET -->` (`catalogsync.render.markers`, shared with the renderers
that write it) by which the glue finds its own comment or issue again,
and for plans `<!-- catalogsync-plan-hash:HASH -->`, the record the apply-on-merge check
reads. GitHub refuses bodies over 65,536 characters; `fit_body` cuts a longer one at a
line boundary, keeps the header whole, closes a code fence or `<details>` block the cut
left open, and says what was left out.
"""

from __future__ import annotations

import re

from catalogsync.errors import UsageError
from catalogsync.render.markers import comment_marker

__all__ = [
    "DEFAULT_LIMIT",
    "GITHUB_BODY_LIMIT",
    "fit_body",
    "header_lines",
    "plan_hash_marker",
    "recorded_plan_hash",
    "with_header",
]

#: GitHub's hard limit for an issue or comment body, in characters.
GITHUB_BODY_LIMIT = 65_536
#: What the glue aims for: the renderers' limit, leaving room under GitHub's.
DEFAULT_LIMIT = 65_000

_HIDDEN_LINE = re.compile(r"<!--.*-->")
_PLAN_HASH = re.compile(r"<!-- catalogsync-plan-hash:((?:sha256:)?[0-9a-f]{64}) -->")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_DETAILS_OPEN = re.compile(r"<details(?=[\s>])", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


def plan_hash_marker(plan_hash: str) -> str:
    if not re.fullmatch(r"(?:sha256:)?[0-9a-f]{64}", plan_hash):
        raise UsageError(f"not a plan hash: {plan_hash!r}")
    return f"<!-- catalogsync-plan-hash:{plan_hash} -->"


def header_lines(body: str) -> list[str]:
    """The leading hidden lines of `body` (markers), in order."""
    lines = []
    for line in body.splitlines():
        if not _HIDDEN_LINE.fullmatch(line.strip()):
            break
        lines.append(line.strip())
    return lines


def recorded_plan_hash(body: str) -> str | None:
    """The plan hash recorded in a body's header, or None."""
    for line in header_lines(body):
        found = _PLAN_HASH.fullmatch(line)
        if found:
            return found.group(1)
    return None


def with_header(body: str, kind: str, target: str, extra: list[str] | None = None) -> str:
    """`body` starting with the marker for (kind, target), then `extra` hidden lines.

    A body that already starts with that marker keeps it (the renderers write it); one
    that starts with a catalogsync marker for something else is refused, since posting it
    under this marker would mix up two targets.
    """
    marker = comment_marker(kind, target)
    header = header_lines(body)
    first = header[0] if header else ""
    foreign = first.startswith("<!-- catalogsync-") and not _PLAN_HASH.fullmatch(first)
    if foreign and first != marker:
        raise UsageError(f"the body starts with {first!r}, not {marker!r}")
    # Drop the hidden lines this function owns (the marker, an older hash record).
    others = [line for line in header if line != marker and not _PLAN_HASH.fullmatch(line)]
    rest = body.split("\n")[len(header) :]
    return "\n".join([marker, *(extra or []), *others, *rest])


def fit_body(body: str, limit: int = DEFAULT_LIMIT, where: str = "the workflow run") -> str:
    """`body` if it fits in `limit` characters; else a cut that fits, with a note.

    The header is kept whole; the rest is cut at a line boundary (inside one very long
    line, before any tag or entity the cut would split); an open code fence and open
    `<details>` blocks are closed; the note says how many characters are in `where`.
    """
    if len(body) <= limit:
        return body
    header = header_lines(body)
    head = "".join(line + "\n" for line in header)
    rest = body.split("\n", len(header))[-1] if header else body

    def note(omitted: int) -> str:
        return f"\n\n*… cut to fit a GitHub comment: {omitted:,} more characters are in {where}.*\n"

    room = limit - len(head) - len(note(len(rest)))
    if room <= 0:
        raise UsageError(f"the header alone does not fit in {limit} characters")
    kept = _cut(rest, room)
    while kept:
        closers = _closers(kept)
        if len(kept) + len(closers) <= room:
            break
        kept = _cut(kept, len(kept) - 1)
    else:
        closers = ""
    return head + kept + closers + note(len(rest) - len(kept))


def _cut(text: str, room: int) -> str:
    """The longest prefix of `text` of at most `room` characters ending at a line end."""
    if len(text) <= room:
        return text
    prefix = text[:room]
    newline = prefix.rfind("\n")
    if newline > 0:
        return prefix[: newline + 1]
    # One line longer than the room: do not leave half a tag (`<code`) or entity (`&lt`),
    # nor an inline `<code>` without its `</code>` (the rest would render as code).
    for opener, closer in (("<", ">"), ("&", ";"), ("<code>", "</code>")):
        start = prefix.rfind(opener)
        if start > prefix.rfind(closer):
            prefix = prefix[:start]
    return prefix


def _closers(text: str) -> str:
    """What closes the code fence and `<details>` blocks `text` leaves open."""
    fence: str | None = None
    depth = 0
    for line in text.splitlines():
        match = _FENCE.fullmatch(line)
        if fence is None and match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
            fence = match.group(1)
            continue
        if fence is not None:
            closing = match and match.group(1)[0] == fence[0] and not match.group(2).strip()
            if closing and match and len(match.group(1)) >= len(fence):
                fence = None
            continue
        depth += len(_DETAILS_OPEN.findall(line)) - len(_DETAILS_CLOSE.findall(line))
        depth = max(depth, 0)
    out = "" if text.endswith("\n") else "\n"
    if fence is not None:
        out += fence + "\n"
    if depth:
        out += "\n" + "</details>\n" * depth
    return out if out.strip() else ""
