"""A Mermaid picture of a plan for PR comments: changed packages and their products.

GitHub and GitLab render a ```` ```mermaid ```` block as a graph. Nodes are packages and
products, coloured by what the plan does to them (create green, update amber, delete red,
unchanged grey); an edge is a package-product, coloured the same way, and a product whose
price changes is linked to the packages it reaches (dotted: inherits its price). The
picture is capped to stay readable: the riskiest packages first, at most
`MAX_PACKAGES` of them and `MAX_EDGES` edges, with a note saying what was left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalogsync.catalog import Kind, Ref
from catalogsync.plan import Action, Change, Plan
from catalogsync.render.common import KindWords, kind_words
from catalogsync.render.review import review_of

MAX_PACKAGES = 12
MAX_EDGES = 40

_UNCHANGED = "unchanged"
_STYLE = {
    "create": "fill:#dafbe1,stroke:#1a7f37,color:#0f2e18",
    "update": "fill:#fff8c5,stroke:#9a6700,color:#3b2300",
    "delete": "fill:#ffebe9,stroke:#cf222e,color:#4c0c10",
    _UNCHANGED: "fill:#f6f8fa,stroke:#8c959f,color:#24292f",
}
_EDGE_COLOUR = {
    "create": "#1a7f37",
    "update": "#9a6700",
    "delete": "#cf222e",
    _UNCHANGED: "#8c959f",
}


def legend(words: KindWords) -> str:
    """The key under the picture: the colours, and what a dotted link means."""
    colours = "🟩 create · 🟨 update · 🟥 delete · ⬜ unchanged"
    return f"{colours} · dotted: inherits the {words.label(Kind.PRODUCT)}'s price"


def mermaid_label(text: str) -> str:
    """`text` safe inside a quoted Mermaid label (entity codes; `#` first)."""
    out = text.replace("#", "#35;").replace('"', "#quot;")
    out = out.replace("<", "#lt;").replace(">", "#gt;")
    return " ".join(out.split())  # newlines and tabs would end the statement


@dataclass
class _Graph:
    packages: list[str] = field(default_factory=list)
    # (package, product, action, dotted)
    edges: list[tuple[str, str, str, bool]] = field(default_factory=list)
    actions: dict[Ref, str] = field(default_factory=dict)


def plan_picture(plan: Plan) -> str | None:
    """The Markdown of the picture (a mermaid block, a legend, a note if capped), or None
    when the plan touches no package."""
    graph = _collect(plan)
    if not graph.packages:
        return None
    shown = graph.packages[:MAX_PACKAGES]
    edges = [e for e in graph.edges if e[0] in shown][:MAX_EDGES]
    lines = ["```mermaid", "graph LR"]
    lines += [f"  classDef {name} {style}" for name, style in _STYLE.items()]
    ids: dict[Ref, str] = {}

    def node(ref: Ref) -> str:
        if ref not in ids:
            ids[ref] = f"{'k' if ref.kind is Kind.PACKAGE else 'p'}{len(ids)}"
            shape = ('["', '"]') if ref.kind is Kind.PACKAGE else ('("', '")')
            action = graph.actions.get(ref, _UNCHANGED)
            lines.append(f"  {ids[ref]}{shape[0]}{mermaid_label(ref.name)}{shape[1]}:::{action}")
        return ids[ref]

    for package in shown:
        node(Ref(Kind.PACKAGE, (package,)))
    links = []
    for package, product, _action, dotted in edges:
        left = node(Ref(Kind.PACKAGE, (package,)))
        right = node(Ref(Kind.PRODUCT, (product,)))
        links.append(f"  {left} {'-.->' if dotted else '-->'} {right}")
        lines.append(links[-1])
    lines += [
        f"  linkStyle {n} stroke:{_EDGE_COLOUR[edge[2]]},stroke-width:2px"
        for n, edge in enumerate(edges)
    ]
    lines.append("```")
    parts = ["\n".join(lines), legend(kind_words(plan.backend))]
    left_out = len(graph.packages) - len(shown)
    dropped = len([e for e in graph.edges if e[0] in shown]) - len(edges)
    if left_out or dropped:
        parts.append(
            f"*Picture capped: {len(shown)} of {len(graph.packages)} packages and "
            f"{len(edges)} of {len(edges) + dropped} links shown (riskiest first); "
            "the HTML report lists every change.*"
        )
    return "\n\n".join(parts)


def _collect(plan: Plan) -> _Graph:
    graph = _Graph()
    edge_seen: set[tuple[str, str]] = set()
    order: dict[str, int] = {}

    def add_package(name: str, rank: int) -> None:
        order[name] = max(order.get(name, 0), rank)
        if name not in graph.packages:
            graph.packages.append(name)

    changes = _riskiest_first(plan)
    # Package-products first: their own edge wins over a product's "reaches" edge.
    for change in (c for c in changes if c.ref.kind is not Kind.PRODUCT):
        ref, action = change.ref, change.action.value
        rank = _rank(plan, change)
        if ref.kind is Kind.PACKAGE:
            graph.actions[ref] = action
            add_package(ref.name, rank)
        else:
            add_package(ref.key[0], rank)
            if (ref.key[0], ref.key[-1]) not in edge_seen:
                edge_seen.add((ref.key[0], ref.key[-1]))
                graph.edges.append((ref.key[0], ref.key[-1], action, False))
    for change in (c for c in changes if c.ref.kind is Kind.PRODUCT):
        ref, rank = change.ref, _rank(plan, change)
        graph.actions[ref] = change.action.value
        entry = review_of(plan, change)
        reached = [*entry.inherited_by, *(w for w, _ in entry.overridden_in)] if entry else []
        inherits = set(entry.inherited_by) if entry else set()
        for where in reached:
            package = where.split(" / ")[0]
            add_package(package, rank)
            if (package, ref.name) not in edge_seen:
                edge_seen.add((package, ref.name))
                graph.edges.append((package, ref.name, _UNCHANGED, where in inherits))
    # Riskiest packages first, then in the order the plan first touches them.
    position = {name: n for n, name in enumerate(graph.packages)}
    graph.packages.sort(key=lambda name: (-order[name], position[name]))
    return graph


def _rank(plan: Plan, change: Change) -> int:
    entry = review_of(plan, change)
    return entry.risk.rank if entry else 0


def _riskiest_first(plan: Plan) -> list[Change]:
    return sorted(plan.changes, key=lambda c: (-_rank(plan, c), c.action is not Action.DELETE))
