"""The hidden first line of every comment and issue body catalogsync writes.

`<!-- catalogsync-KIND:TARGET -->` is the contract between the renderers, which start a
Markdown plan, apply report or drift report with it, and the CI glue (`catalogsync.ci`),
which finds its own note or issue again by it and updates that one in place. Both sides
take it from here: the glue never reaches into a renderer for it.
"""

from __future__ import annotations

from catalogsync.render.common import one_line

#: What a body can be: a plan note, an apply report note, a drift issue.
MARKER_KINDS = ("plan", "apply", "drift")

_END = " -->"


def comment_marker(kind: str, target: str) -> str:
    """The hidden first line CI glue looks for to update its own comment in place."""
    # `>` is the only character that could end the HTML comment early (`-->`, `--!>`).
    return f"<!-- catalogsync-{kind}:{one_line(target).replace('>', '&gt;')}{_END}"


def marked_target(line: str, kind: str) -> str | None:
    """The target a `kind` marker line names (as written in it), or None if it is not one."""
    prefix = f"<!-- catalogsync-{kind}:"
    line = line.strip()
    if line.startswith(prefix) and line.endswith(_END):
        return line[len(prefix) : -len(_END)]
    return None
