"""Graph to Graphviz DOT: one fixed-size box per value, sized from kinds, labels and shapes.

Graphviz only places the boxes and routes the edges; `svg.py` draws everything. So the DOT
holds no text of the program at all (names are our own `nK` and `eK`) and never a number it
computed: two graphs of the same structure give the same DOT text and the same layout,
whatever their values. `Structure` is everything the DOT is made from; its `key` names the
layout.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from ..evaluate import Trace
from ..format import FORMS, STANDARD, NumberForm
from ..graph import trace_labels
from ..model import KIND_CONST, KIND_OP, Graph
from ..ops import OPS
from .geometry import LOCAL_HEIGHT, LOCAL_WIDTH, Box, Dock, cell_size, dock, node_box, shorten

PLACEHOLDER = "·"
"""What a number line holds before its number is known."""

GRAPH_ATTRS = {"pad": "0.15", "nodesep": "0.3", "ranksep": "0.55"}
DIRECTIONS = {"lr": "LR", "tb": "TB"}
"""Graphviz's `rankdir` by the URL's `direction`: left to right (the default) or top to bottom."""
PORTS = {"lr": ("w", "e"), "tb": ("n", "s")}
"""By direction, the sides (Graphviz compass points) edges enter and leave a dock by: the
middle of its use's own sides."""
MAIN_LINE_WEIGHT = 2
"""The weight of the edge from an op's argument with the longer history (see
`Structure.main_line`)."""
NODE_ATTRS = {"shape": "box", "fixedsize": "true", "label": '""'}
EDGE_ATTRS = {"arrowsize": "0.9"}
EDGE_LABEL = (
    '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
    f'<TD FIXEDSIZE="TRUE" WIDTH="{LOCAL_WIDTH}" HEIGHT="{LOCAL_HEIGHT}" BGCOLOR="white"></TD>'
    "</TR></TABLE>>"
)
"""With edge labels: an empty box of the label's size, so Graphviz keeps room for it (filled,
so its SVG says where it put it)."""
POINTS_PER_INCH = 72

EFFORT: tuple[tuple[int, dict[str, str]], ...] = (
    (0, {}),
    (
        1_000,
        {
            "nslimit": "0.5",
            "nslimit1": "0.5",
            "mclimit": "0.3",
            "searchsize": "10",
            "splines": "polyline",
        },
    ),
    (
        3_000,
        {
            "nslimit": "0.05",
            "nslimit1": "0.05",
            "mclimit": "0.01",
            "searchsize": "1",
            "remincross": "false",
            "splines": "line",
        },
    ),
)
"""Layout effort by `layout_size` (the largest threshold not above it applies). Below 1,000
dot's defaults take well under a second; above 3,000, a graph with an input used all along
it, straight edges and a few iterations keep dot within seconds where it would take minutes."""

__all__ = [
    "PLACEHOLDER",
    "NodeSpec",
    "Structure",
    "cell_size",
    "dot_source",
    "effort",
    "layout_size",
    "shorten",
    "structure",
    "structure_dot",
    "trace_structure",
]


SHARED_USES = 4
"""A leaf (input or constant) used more often than this is drawn once where it is defined,
with a small copy docked beside each use (`geometry.dock`): edges from one box to every line
of an unrolled network are what makes Graphviz slow, and they cross everything on the way."""


class NodeSpec(NamedTuple):
    """What of a node the drawing depends on (a NamedTuple: one is made per node of every
    answer, and a frozen dataclass is slower to build)."""

    kind: str
    op: str
    label: str
    shape: tuple[int, ...]
    form: NumberForm = STANDARD
    """How its numbers are written (their width and how much of an array shows)."""

    @property
    def symbol(self) -> str:
        """The op's mark (`×`, `cos`, `@`); empty for inputs and constants."""
        if self.kind != KIND_OP:
            return ""
        return OPS[self.op].symbol if self.op in OPS else self.op  # a def's gate: its name

    @property
    def slots(self) -> tuple[str, ...]:
        """The number rows the node has: `val`, and `grad` unless it is a constant."""
        return ("val",) if self.kind == KIND_CONST else ("val", "grad")

    @property
    def box(self) -> Box:
        """Where everything of the node is drawn."""
        return node_box(self.kind, self.label, self.shape, self.symbol, self.form)


@dataclass(frozen=True)
class Structure:
    """Everything the DOT is made from: no values, so sliders keep the same layout."""

    nodes: tuple[NodeSpec, ...]
    edges: tuple[tuple[int, int, int], ...]
    """(src, dst, arg) per edge, in edge order."""
    output: int
    edge_labels: bool
    direction: str = "lr"
    """A key of `DIRECTIONS`."""
    numbers: str = "standard"
    """A key of `format.FORMS`: how the nodes' numbers are written (so how wide boxes are)."""

    @cached_property
    def key(self) -> str:
        """A digest naming this structure (and so its layout), the same in every process.

        Made from a compact spelling of every field (labels quoted by `repr`, so no label
        can imitate a separator), far shorter than the dataclass's own `repr`.
        """
        nodes = "\n".join(
            f"{n.kind} {n.op} {n.label!r} {','.join(map(str, n.shape))}" for n in self.nodes
        )
        edges = " ".join(f"{src},{dst},{arg}" for src, dst, arg in self.edges)
        text = f"{nodes}\n{edges}\n{self.output} {self.edge_labels} {self.direction}"
        if self.copied:  # a layout of shared leaves drawn once, with copies docked on uses
            text += f"\ncopies {SHARED_USES} docked"
        if self.numbers != "standard":  # other boxes: another layout
            text += f"\nnumbers {self.numbers}"
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    @cached_property
    def size(self) -> int:
        """`layout_size`: what dot's work grows with."""
        return layout_size(self)

    @cached_property
    def copied(self) -> frozenset[int]:
        """The edges that leave from a copy of a shared leaf rather than from the leaf."""
        uses = Counter(src for src, _, _ in self.edges)
        shared = {i for i, n in uses.items() if n > SHARED_USES and self.nodes[i].kind != KIND_OP}
        return frozenset(k for k, (src, _, _) in enumerate(self.edges) if src in shared)

    @cached_property
    def docks(self) -> dict[int, tuple[int, ...]]:
        """Per use of a shared leaf, the copied edges docked on it, in argument order."""
        found: dict[int, list[int]] = {}
        for k in sorted(self.copied, key=lambda k: self.edges[k][2]):
            found.setdefault(self.edges[k][1], []).append(k)
        return {dst: tuple(edges) for dst, edges in found.items()}

    def dock(self, index: int) -> Dock:
        """Where node `index` (a key of `docks`) and its docked copies stand in its box."""
        leaves = tuple((self.nodes[src].kind, self.nodes[src].label)
                       for src, _, _ in (self.edges[k] for k in self.docks[index]))
        return dock(self.nodes[index].box, leaves, self.direction, self.edge_labels)

    @cached_property
    def main_line(self) -> frozenset[int]:
        """Of each op's two drawn arguments, the edge from the one with the longer history
        (when one is longer): weighted, it stays straight, so a long chain with inputs
        hanging off it is drawn level instead of drifting aside at every op."""
        depth = [0] * len(self.nodes)
        args: dict[int, list[int]] = {}
        for k, (src, dst, _) in enumerate(self.edges):  # uses come after their arguments
            depth[dst] = max(depth[dst], depth[src] + 1)
            if k not in self.copied:
                args.setdefault(dst, []).append(k)
        main = []
        for first, *rest in args.values():
            if len(rest) == 1:
                a, b = depth[self.edges[first][0]], depth[self.edges[rest[0]][0]]
                if a != b:
                    main.append(first if a > b else rest[0])
        return frozenset(main)


def structure(graph: Graph, edge_labels: bool = False, direction: str = "lr",
              numbers: str = "standard") -> Structure:
    """The part of a graph its drawing depends on."""
    form = FORMS[numbers]
    return Structure(
        tuple(NodeSpec(n.kind, n.op, n.label, tuple(n.shape), form) for n in graph.nodes),
        tuple((e.src, e.dst, e.arg) for e in graph.edges),
        graph.output,
        bool(edge_labels),
        direction,
        numbers,
    )


def trace_structure(trace: Trace, edge_labels: bool = False, direction: str = "lr",
                    numbers: str = "standard") -> Structure:
    """`structure` of the graph a trace will become, known before reverse mode runs: the
    layout can start while the gradients and step texts are worked out."""
    labels, parents, form = trace_labels(trace), trace.parents, FORMS[numbers]
    return Structure(
        tuple(
            NodeSpec(t.kind, t.var.op.name if t.var.op else t.kind, label, tuple(t.var.shape),
                     form)
            for t, label in zip(trace.entries, labels)
        ),
        tuple(
            (src, dst, arg)
            for dst, srcs in enumerate(parents)
            for arg, src in enumerate(srcs)
        ),
        trace.output,
        bool(edge_labels),
        direction,
        numbers,
    )


def layout_size(s: Structure) -> int:
    """Nodes plus the virtual nodes dot adds along edges that span ranks (an estimate).

    Ranks as early as the edges allow; then, from the last node back, every node whose
    arguments are all free to move with it (inputs, constants, copies) is pulled next to its
    first use, as dot does to shorten the edges."""
    drawn = [(src, dst) for k, (src, dst, _) in enumerate(s.edges) if k not in s.copied]
    rank = [0] * len(s.nodes)
    uses: list[list[int]] = [[] for _ in s.nodes]
    pinned = [False] * len(s.nodes)  # fed by another op: stays where its arguments put it
    for src, dst in drawn:  # sources come before their uses, in evaluation order
        rank[dst] = max(rank[dst], rank[src] + 1)
        uses[src].append(dst)
        pinned[dst] = pinned[dst] or s.nodes[src].kind == KIND_OP
    for index in range(len(s.nodes) - 1, -1, -1):
        if uses[index] and not pinned[index]:
            rank[index] = max(rank[index], min(rank[d] for d in uses[index]) - 1)
    stretch = 2 if s.edge_labels else 1  # a labelled edge spans twice the ranks
    spans = sum(stretch * (rank[dst] - rank[src]) - 1 for src, dst in drawn)
    return len(s.nodes) + spans  # a copy is docked in its use's box


def dot_source(graph: Graph, edge_labels: bool = False, direction: str = "lr") -> str:
    """DOT text for a graph; equal for graphs that differ only in their numbers."""
    return structure_dot(structure(graph, edge_labels, direction))


def structure_dot(s: Structure) -> str:
    """DOT text for a structure: boxes of fixed size, edges with their ids, no text."""
    edge_attrs = EDGE_ATTRS | ({"label": EDGE_LABEL} if s.edge_labels else {})
    lines = [
        "digraph autodiff {",
        f"graph [{attributes(graph_attrs(s))}]",
        f"node [{attributes(NODE_ATTRS)}]",
        f"edge [{attributes(edge_attrs)}]",
    ]
    lines += [node_line(index, s.dock(index) if index in s.docks else spec.box)
              for index, spec in enumerate(s.nodes)]
    lines += [edge_line(s, k) for k in range(len(s.edges)) if k not in s.copied]
    lines.append("}\n")
    return "\n".join(lines)


def edge_line(s: Structure, k: int) -> str:
    """Edge `k`: its id, its weight on the main line, and the sides it meets a dock by."""
    src, dst, _ = s.edges[k]
    attrs = f"id=e{k}"
    if k in s.main_line:
        attrs += f" weight={MAIN_LINE_WEIGHT}"
    head, tail = PORTS[s.direction]
    if src in s.docks:
        attrs += f" tailport={tail}"
    if dst in s.docks:
        attrs += f" headport={head}"
    return f"n{src} -> n{dst} [{attrs}]"


def graph_attrs(s: Structure) -> dict[str, str]:
    """The graph's attributes: its direction, spacing and the effort its size allows."""
    return {"rankdir": DIRECTIONS[s.direction]} | GRAPH_ATTRS | effort(s.size, s.edge_labels)


def attributes(attrs: dict[str, str]) -> str:
    """`name=value` pairs; every value here is our own constant, never user text."""
    return " ".join(f"{name}={value}" for name, value in attrs.items())


def node_line(index: int, box: Box | Dock) -> str:
    """One node (or a dock: the node with its copies): its size in inches, exact to a point
    (Graphviz rounds sizes to points)."""
    return f"n{index} [{_size(box.width, box.height)}]"


def _size(width: float, height: float) -> str:
    return f"width={width / POINTS_PER_INCH:.4f} height={height / POINTS_PER_INCH:.4f}"


def effort(size: int, edge_labels: bool = False) -> dict[str, str]:
    """Graph attributes that bound Graphviz's work for a graph of `layout_size` `size`."""
    attrs = next(attrs for least, attrs in reversed(EFFORT) if size >= least)
    if edge_labels and "splines" in attrs:
        # A label is a node of its own in the middle of its edge: with the bounded network
        # simplex, routing around them can take seconds where straight edges take a fraction.
        return attrs | {"splines": "line"}
    return attrs
