"""Graph to Graphviz DOT: one HTML-like table per value, sized from shapes only.

The DOT never holds a number computed by the program: every value, gradient and local
derivative is a `·` placeholder in a cell of fixed width and height, so two graphs of the
same structure give the same DOT text, the same layout and the same SVG, whatever their
values. `Structure` is everything the DOT is made from; its `key` names the layout.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cached_property

import graphviz

from .format import FIXED_WIDTH, display_height, display_width, shape_text
from .model import KIND_CONST, KIND_INPUT, KIND_OP, Graph
from .ops import OPS

FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
FONT_SIZE = 14
SMALL_SIZE = 11
LOCAL_SIZE = 12

CHAR_WIDTH = 8.5
"""Points per character of DejaVu Sans Mono at FONT_SIZE (0.602 em, rounded up)."""
LOCAL_CHAR_WIDTH = 7.3
"""The same at LOCAL_SIZE."""
LINE_HEIGHT = 17
"""Points per line of numbers at FONT_SIZE."""
PAD = 3
"""Cell padding in points; text is right-aligned this far inside a value cell."""

LABEL_MAX = 20
"""Characters of a label shown before it is cut with `…`."""

PLACEHOLDER = "·"
"""What a number cell holds before its number is known."""

CUES = {"val": "=", "grad": "∇"}
"""The glyph before each row, so value and gradient differ without colour."""

SLOT_FILLS = {"val": "#fbfefb", "grad": "#fefbfb", "local": "#fffffe"}
"""Cell backgrounds, distinct so the SVG post-processing can find each slot's cell."""

KIND_STYLES: dict[str, dict[str, str]] = {
    KIND_INPUT: {
        "style": "rounded,filled",
        "fillcolor": "#dbeafe",
        "penwidth": "2.5",
        "margin": "0.09,0.08",
    },
    KIND_CONST: {"style": "filled,dashed", "fillcolor": "#e8e8e8", "penwidth": "1.5"},
    KIND_OP: {"style": "filled", "fillcolor": "#ffffff", "penwidth": "1.5"},
}
"""Node look by kind; shape and border style keep the kinds apart in grayscale too."""

KIND_BOLD = {KIND_INPUT: True, KIND_CONST: False, KIND_OP: True}

GRAPH_ATTRS = {
    "rankdir": "LR",
    "bgcolor": "white",
    "pad": "0.15",
    "nodesep": "0.3",
    "ranksep": "0.55",
    "fontname": FONT,
    "fontsize": str(FONT_SIZE),
}
NODE_ATTRS = {
    "shape": "box",
    "margin": "0.05,0.04",
    "fontname": FONT,
    "fontsize": str(FONT_SIZE),
    "color": "#24292f",
}
EDGE_ATTRS = {"penwidth": "1.6", "arrowsize": "0.9", "color": "#57606a"}

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


@dataclass(frozen=True)
class NodeSpec:
    """What of a node the drawing depends on."""

    kind: str
    op: str
    label: str
    shape: tuple[int, ...]

    @property
    def symbol(self) -> str:
        """The op's mark (`×`, `cos`, `@`); empty for inputs and constants."""
        return OPS[self.op].symbol if self.kind == KIND_OP else ""

    @property
    def slots(self) -> tuple[str, ...]:
        """The number rows the node has: `val`, and `grad` unless it is a constant."""
        return ("val",) if self.kind == KIND_CONST else ("val", "grad")


@dataclass(frozen=True)
class Structure:
    """Everything the DOT is made from: no values, so sliders keep the same layout."""

    nodes: tuple[NodeSpec, ...]
    edges: tuple[tuple[int, int, int], ...]
    """(src, dst, arg) per edge, in edge order."""
    output: int
    edge_labels: bool

    @cached_property
    def key(self) -> str:
        """A digest naming this structure (and so its layout), the same in every process."""
        return hashlib.sha256(repr(self).encode()).hexdigest()


def structure(graph: Graph, edge_labels: bool = False) -> Structure:
    """The part of a graph its drawing depends on."""
    return Structure(
        tuple(NodeSpec(n.kind, n.op, n.label, tuple(n.shape)) for n in graph.nodes),
        tuple((e.src, e.dst, e.arg) for e in graph.edges),
        graph.output,
        bool(edge_labels),
    )


def layout_size(s: Structure) -> int:
    """Nodes plus the virtual nodes dot adds along edges that span ranks (an estimate)."""
    rank = [0] * len(s.nodes)
    first_use: dict[int, int] = {}
    for src, dst, _ in s.edges:  # sources come before their uses, in evaluation order
        rank[dst] = max(rank[dst], rank[src] + 1)
    for src, dst, _ in s.edges:
        first_use[src] = min(first_use.get(src, rank[dst]), rank[dst])
    for index, spec in enumerate(s.nodes):
        if spec.kind != KIND_OP and index in first_use:
            rank[index] = first_use[index] - 1  # dot pulls a source next to its first use
    stretch = 2 if s.edge_labels else 1  # a labelled edge spans twice the ranks
    return len(s.nodes) + sum(stretch * (rank[dst] - rank[src]) - 1 for src, dst, _ in s.edges)


def dot_source(graph: Graph, edge_labels: bool = False) -> str:
    """DOT text for a graph; equal for graphs that differ only in their numbers."""
    return structure_dot(structure(graph, edge_labels))


def structure_dot(s: Structure) -> str:
    """DOT text for a structure."""
    dot = graphviz.Digraph(
        "autodiff",
        graph_attr=GRAPH_ATTRS | effort(layout_size(s)),
        node_attr=NODE_ATTRS,
        edge_attr=EDGE_ATTRS,
    )
    for index, spec in enumerate(s.nodes):
        classes = f"kind-{spec.kind}" + (" output" if index == s.output else "")
        dot.node(
            f"n{index}",
            label=node_label(spec),
            id=f"n{index}",
            **{"class": classes},
            **KIND_STYLES[spec.kind],
        )
    for index, (src, dst, arg) in enumerate(s.edges):
        extra = {"label": local_label()} if s.edge_labels else {}
        dot.edge(f"n{src}", f"n{dst}", id=f"e{index}", **{"class": f"arg{arg}"}, **extra)
    return dot.source


def effort(size: int) -> dict[str, str]:
    """Graph attributes that bound Graphviz's work for a graph of `layout_size` `size`."""
    return next(attrs for least, attrs in reversed(EFFORT) if size >= least)


def escape(text: str) -> str:
    """User text for an HTML-like label: markup escaped, Graphviz's `\\N`-style escapes inert."""
    text = "".join(ch for ch in text if ch.isprintable())
    for raw, safe in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&quot;"),
        ("\\", "\\\\"),
    ):
        text = text.replace(raw, safe)
    return text


def shorten(label: str, limit: int = LABEL_MAX) -> str:
    """A label cut to `limit` characters, the last being `…` when it was longer."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def cell_size(shape: tuple[int, ...]) -> tuple[int, int]:
    """Width and height in points of a value or gradient cell: from the shape alone."""
    width = math.ceil(display_width(shape) * CHAR_WIDTH) + 2 * PAD
    return width, display_height(shape) * LINE_HEIGHT + 2 * PAD


def node_label(spec: NodeSpec) -> str:
    """The HTML-like table of one node: header, then a value row and a gradient row."""
    rows = [header_row(spec)] + [slot_row(slot, spec.shape) for slot in spec.slots]
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" '
        f'CELLPADDING="{PAD}">' + "<HR/>".join(rows) + "</TABLE>>"
    )


def header_row(spec: NodeSpec) -> str:
    """Label (bold unless a constant), shape for arrays, and the op symbol, small."""
    label = escape(shorten(spec.label))
    if KIND_BOLD[spec.kind]:
        label = f"<B>{label}</B>"
    if spec.shape:
        label += small(f"&#160;&#160;⟨{shape_text(spec.shape)}⟩")
    symbol = small(escape(spec.symbol)) if spec.symbol else ""
    return f'<TR><TD ALIGN="LEFT">{label}</TD><TD ALIGN="RIGHT">{symbol}</TD></TR>'


def small(markup: str) -> str:
    """Markup in the small size of the shape and the op symbol."""
    return f'<FONT POINT-SIZE="{SMALL_SIZE}">{markup}</FONT>'


def slot_row(slot: str, shape: tuple[int, ...]) -> str:
    """A cue cell and a fixed-size cell of placeholder lines, one per display row."""
    width, height = cell_size(shape)
    fill = SLOT_FILLS[slot]
    lines = "<BR/>".join([PLACEHOLDER] * display_height(shape))
    return (
        f'<TR><TD ALIGN="LEFT" BGCOLOR="{fill}">{CUES[slot]}</TD>'
        f'<TD ALIGN="RIGHT" BALIGN="RIGHT" BGCOLOR="{fill}" WIDTH="{width}" '
        f'HEIGHT="{height}"><FONT FACE="{MONO}">{lines}</FONT></TD></TR>'
    )


def local_label() -> str:
    """An edge label reserving FIXED_WIDTH characters for the local derivative."""
    width = math.ceil(FIXED_WIDTH * LOCAL_CHAR_WIDTH) + 2 * PAD
    return (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{PAD}"><TR>'
        f'<TD BGCOLOR="{SLOT_FILLS["local"]}" WIDTH="{width}" '
        f'HEIGHT="{LINE_HEIGHT + 2 * PAD}"><FONT FACE="{MONO}" POINT-SIZE="{LOCAL_SIZE}">'
        f"{PLACEHOLDER}</FONT></TD></TR></TABLE>>"
    )
