"""The SVG of a laid-out structure, written element by element from Graphviz's coordinates.

Every element and attribute is our own and every text is escaped here, so the drawing needs
no sanitising: it can hold nothing but shapes and text. It is all ASCII: other characters
are written as character references. What changes between frames (state
classes and number lines) is left as gaps, `Slot`s, between static parts; a frame is the
parts joined with its texts (see `layouts.Layout`). The look is in the style sheet the caller
passes (`theme.FRAME_CSS`), keyed by the classes written here.

Coordinates are those of Graphviz's own SVG (y grows downward, the viewBox is its padded
bounding box), so edge routes and arrowheads are copied through as text; each node is drawn
once per kind of node, relative to its corner, and moved into place with a translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..format import STANDARD, NumberForm
from ..model import KIND_INPUT
from .dot import NodeSpec, Structure
from .geometry import (
    ARROW_LENGTH,
    BASELINE,
    CUE_DROP,
    LINE_HEIGHT,
    LOCAL_HEIGHT,
    LOCAL_WIDTH,
    PAD,
    SHAPE_GAP,
    Box,
    Docked,
    Point,
    arrow,
    bare_box,
    label_width,
    shorten,
    toward,
    widened,
)
from .placement import Route

Slot = tuple[str, int, int]
"""What fills one gap of the template: (what it shows: `node` for the state classes, `val`,
`grad`, ...; node or edge index; line)."""
NodeSlot = tuple[str, int]
"""A slot of a node template, before the node's index is known: (what it shows, line)."""

SVG_NS = "http://www.w3.org/2000/svg"
CUES = {"val": "=", "grad": "&#8711;"}
"""The glyph before each row (`=`, `∇`), so value and gradient differ without colour."""
SLOT_PREFIX = {"val": "v", "grad": "g"}
"""Number line ids: nK-v0, nK-g0, ..."""
CORNER = 10
"""Corner radius of an input's rounded box."""
LOCAL_DROP = 4
"""From an edge label's middle to its text's baseline."""
ID = "\x00"
"""Stands for the node's id in a node template (never in escaped text)."""
AT = "\x01"
"""Stands for the node's position in a node template."""

ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def escape(text: str) -> str:
    """Text for SVG content or an attribute: markup escaped, unprintable characters dropped."""
    if not text.isprintable():
        text = "".join(ch for ch in text if ch.isprintable())
    text = text.translate(ESCAPES)
    # Other characters as references: all-ASCII text joins and encodes faster.
    return text if text.isascii() else text.encode("ascii", "xmlcharrefreplace").decode()


def num(x: float) -> str:
    """A coordinate inside a node: at most a few decimals, none when whole."""
    return f"{x:g}"


def points(pts: list[Point]) -> str:
    """An SVG `points` list, to a hundredth of a point."""
    return " ".join(f"{x:.2f},{y:.2f}" for x, y in pts)


@dataclass(frozen=True)
class Template:
    """The drawing as static parts with `slots[i]` between `parts[i]` and `parts[i + 1]`."""

    parts: tuple[str, ...]
    slots: tuple[Slot, ...]


class _Writer:
    """Collects static text and slots into a Template."""

    def __init__(self, start: str):
        self.parts: list[str] = []
        self.slots: list[Slot] = []
        self.carry = start

    def add(self, parts: list[str], slots: list[Slot]) -> None:
        """Static parts with `slots` between them; the first joins what came before."""
        if not slots:
            self.carry += "".join(parts)
            return
        self.parts.append(self.carry + parts[0])
        self.parts += parts[1:-1]
        self.carry = parts[-1]
        self.slots += slots

    def close(self, end: str) -> Template:
        """The template, `end` written last."""
        return Template((*self.parts, self.carry + end), tuple(self.slots))


@dataclass(frozen=True)
class Pieces:
    """What of the drawing needs no coordinates, made while Graphviz runs (`prepare`)."""

    nodes: tuple[tuple[list[str], list[Slot]], ...]
    """Per node, its template parts with ids in and its slots; the corner goes between the
    first two parts' halves (see `Drawer.node`)."""
    titles: tuple[str, ...]
    """Per edge, `src → dst` escaped."""


def prepare(s: Structure) -> Pieces:
    """The coordinate-free pieces of a structure's drawing."""
    nodes = []
    for index, spec in enumerate(s.nodes):
        parts, slots = node_template(spec, index == s.output)
        nid = f"n{index}"
        nodes.append(([part.replace(ID, nid) for part in parts],
                      [(shows, index, line) for shows, line in slots]))
    titles = tuple(escape(f"{s.nodes[src].label} → {s.nodes[dst].label}")
                   for src, dst, _ in s.edges)
    return Pieces(tuple(nodes), titles)


class Drawer:
    """Draws each node and edge the moment it is placed (while Graphviz still writes where
    the others go), then joins them in order into the frame template."""

    def __init__(self, s: Structure, pieces: Pieces):
        self.s, self.pieces = s, pieces
        self.nodes: dict[int, list[str]] = {}
        self.edges: dict[int, tuple[list[str], list[Slot]]] = {}
        self.copies: dict[int, str] = {}

    def node(self, index: int, corner: Point) -> None:
        """Node `index`, the top-left corner of the box dot placed at `corner` (with the
        copies docked on it, and their edges, when it has some)."""
        if index in self.s.docks:
            corner = self.dock(index, corner)
        parts, (x, y) = self.pieces.nodes[index][0], corner
        self.nodes[index] = [parts[0], parts[1].replace(AT, f"{x:.2f},{y:.2f}"), *parts[2:]]

    def dock(self, index: int, corner: Point) -> Point:
        """The copies docked on node `index` and their edges, the dock's corner at `corner`;
        the node's own corner."""
        dock, (x, y) = self.s.dock(index), corner
        for edge, copy in zip(self.s.docks[index], dock.copies):
            leaf = self.s.nodes[self.s.edges[edge][0]]
            self.copies[edge] = copy_group(edge, leaf, copy, corner)
            self.edge(edge, docked_route(copy, corner, self.s.edge_labels))
        return x + dock.node[0], y + dock.node[1]

    def edge(self, index: int, way: Route) -> None:
        """Edge `index` along `way`."""
        labels, (_, _, arg) = self.s.edge_labels, self.s.edges[index]
        self.edges[index] = edge(index, arg, self.pieces.titles[index], way, labels)

    def template(self, box: tuple[float, float, float, float], css: str) -> Template:
        """The drawing of every node and edge (KeyError if one was not placed), in `box`."""
        out = _Writer(root_open(box, css))
        for index, (_, slots) in enumerate(self.pieces.nodes):
            out.add(self.nodes[index], slots)
        for edge in sorted(self.s.copied):
            out.add([self.copies[edge]], [])
        for index in range(len(self.s.edges)):
            out.add(*self.edges[index])
        return out.close("</svg>\n")


def root_open(box: tuple[float, float, float, float], css: str) -> str:
    """The <svg> element, its style sheet and a white background."""
    left, top, width, height = (f"{v:.2f}" for v in box)
    return (
        f'<svg xmlns="{SVG_NS}" class="adgraph" role="img" width="{width}pt" '
        f'height="{height}pt" viewBox="{left} {top} {width} {height}"><style>{css}</style>\n'
        f'<rect class="background" x="{left}" y="{top}" width="{width}" height="{height}" '
        'fill="white"/>\n'
    )


# --- nodes -----------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def node_template(spec: NodeSpec, output: bool) -> tuple[tuple[str, ...], tuple[NodeSlot, ...]]:
    """A node's parts (its id as ID, its corner as AT) and the slots between them."""
    box = spec.box
    y = num(box.inset + BASELINE)
    label = (
        f'" transform="translate({AT})">\n<title>{escape(spec.label)}</title>\n'
        f"{outline(spec.kind, box.width, box.height)}"
        f'<text id="{ID}-label" class="label" x="{num(box.inset + PAD)}" y="{y}">'
        f"{escape(shorten(spec.label))}</text>\n"
    )
    if spec.shape:
        x = box.inset + PAD + label_width(spec.kind, spec.label) + SHAPE_GAP
        shape = "⟨" + "×".join(str(n) for n in spec.shape) + "⟩"
        label += f'<text id="{ID}-shape" class="shape" x="{num(x)}" y="{y}">{escape(shape)}'
        label += "</text>\n"
    parts, slots = node_body(spec.kind, spec.shape, spec.symbol, box.width, output, spec.form)
    return (parts[0], label + parts[1], *parts[2:]), slots


@lru_cache(maxsize=4096)
def node_body(
    kind: str, shape: tuple[int, ...], symbol: str, width: int, output: bool,
    form: NumberForm = STANDARD,
) -> tuple[tuple[str, ...], tuple[NodeSlot, ...]]:
    """All of a node's template but its label, shared by nodes of the same kind and size."""
    box = widened(bare_box(kind, shape, symbol, form), width)
    pending = "".join(
        [
            *header(symbol, box),
            *(background(row.slot, box, row.top, row.height) for row in box.rows),
            *(rule(box, row.top) for row in box.rows),
        ]
    )
    classes = f"node kind-{kind}" + (" output" if output else "")
    parts: list[str] = [f'<g id="{ID}" class="{classes}']
    slots: list[NodeSlot] = [("node", 0)]
    for row in box.rows:
        pending += cue(row.slot, box, row.top + row.height / 2 + CUE_DROP)
        for line in range(box.lines):
            y = row.top + BASELINE + line * LINE_HEIGHT
            parts.append(
                f'{pending}<text id="{ID}-{SLOT_PREFIX[row.slot]}{line}" class="{row.slot}" '
                f'x="{num(box.right - PAD)}" y="{num(y)}" text-anchor="end" xml:space="preserve">'
            )
            slots.append((row.slot, line))
            pending = "</text>\n"
    parts.append(pending + "</g>\n")
    return tuple(parts), tuple(slots)


def copy_group(edge: int, leaf: NodeSpec, copy: Docked, at: Point) -> str:
    """A shared leaf's copy docked beside one use, the dock's corner `at`: its label, no
    numbers (those are drawn once, on the leaf)."""
    x, y = at[0] + copy.corner[0], at[1] + copy.corner[1]
    box = copy.box
    return (
        f'<g id="e{edge}-copy" class="copy kind-{leaf.kind}" transform="translate({x:.2f},{y:.2f})">\n'
        f"<title>{escape(leaf.label)}: a copy; the value and its gradient are drawn once</title>\n"
        f"{outline(leaf.kind, box.width, box.height)}"
        f'<text class="label" x="{num(box.inset + PAD)}" y="{num(box.inset + BASELINE)}">'
        f"{escape(copy.text)}</text>\n</g>\n"
    )


@lru_cache(maxsize=1024)
def outline(kind: str, width: int, height: int) -> str:
    """The node's border: a rounded box for inputs, a plain (or dashed) one otherwise."""
    if kind == KIND_INPUT:
        return f'<path class="outline" d="{rounded(width, height, CORNER)}"/>\n'
    return f'<polygon class="outline" points="0,0 {width},0 {width},{height} 0,{height}"/>\n'


def rounded(w: float, h: float, r: float) -> str:
    """Path data of a w × h box with corners rounded to radius r."""
    arc = f"A{r},{r} 0 0 1"
    return (
        f"M{r},0H{w - r}{arc} {w},{r}V{h - r}{arc} {w - r},{h}H{r}{arc} 0,{h - r}V{r}{arc} {r},0Z"
    )


def header(symbol: str, box: Box) -> list[str]:
    """The op's symbol at the header's right (ops only)."""
    if not symbol:
        return []
    return [
        f'<text id="{ID}-op" class="op" x="{num(box.right - PAD)}" y="{num(box.inset + BASELINE)}" '
        f'text-anchor="end">{escape(symbol)}</text>\n'
    ]


def background(slot: str, box: Box, top: float, height: float) -> str:
    """A number row's background, across the cue and the numbers."""
    left, right, bottom = num(box.inset), num(box.right), num(top + height)
    corners = f"{left},{num(top)} {right},{num(top)} {right},{bottom} {left},{bottom}"
    return f'<polygon class="slot-{slot}" points="{corners}"/>\n'


def rule(box: Box, y: float) -> str:
    """A separator line above a number row."""
    return f'<polygon class="rule" points="{num(box.inset)},{num(y)} {num(box.right)},{num(y)}"/>\n'


def cue(slot: str, box: Box, y: float) -> str:
    """The row's `=` or `∇`."""
    return f'<text class="cue-{slot}" x="{num(box.inset + PAD)}" y="{num(y)}">{CUES[slot]}</text>\n'


# --- edges -----------------------------------------------------------------------------------


def edge(
    index: int, arg: int, title: str, way: Route, labels: bool
) -> tuple[list[str], list[Slot]]:
    """An edge's group: the curve, its arrowhead, the hidden back arrowhead, the label
    (`title` is escaped already)."""
    eid = f"e{index}"
    body = (
        f'">\n<title>{title}</title>\n<path d="{way.d}"/>\n'
        f'<polygon class="head" points="{way.head}"/>\n'
        f'<polygon class="back-head" '
        f'points="{arrow(toward(way.start, way.leaving, ARROW_LENGTH), way.start)}"/>\n'
    )
    parts, slots = [f'<g id="{eid}" class="edge arg{arg}', body], [("edge", index, 0)]
    if labels:
        parts[1] += local(eid, way.label or midpoint(way))
        parts.append("</text>\n")
        slots.append(("local", index, 0))
    parts[-1] += "</g>\n"
    return parts, slots


def docked_route(copy: Docked, at: Point, labels: bool) -> Route:
    """The straight arrow from a docked copy to its use, the dock's corner `at` (with edge
    `labels`, its label's centre)."""
    start = (at[0] + copy.start[0], at[1] + copy.start[1])
    end = (at[0] + copy.end[0], at[1] + copy.end[1])
    base = toward(end, start, ARROW_LENGTH)
    ends = f"{start[0]:.2f},{start[1]:.2f}", f"{base[0]:.2f},{base[1]:.2f}"
    label = (at[0] + copy.label[0], at[1] + copy.label[1]) if labels and copy.label else None
    return Route(f"M{ends[0]}C{ends[0]} {ends[1]} {ends[1]}", start, base, end,
                 arrow(base, end), label)


def midpoint(way: Route) -> Point:
    """Where to put a label Graphviz did not place: between the route's ends."""
    return (way.start[0] + way.end[0]) / 2, (way.start[1] + way.end[1]) / 2


def local(eid: str, centre: Point) -> str:
    """The edge label up to its text: a background box, then the text element, centred."""
    x, y = centre
    left, top = x - LOCAL_WIDTH / 2, y - LOCAL_HEIGHT / 2
    right, bottom = left + LOCAL_WIDTH, top + LOCAL_HEIGHT
    box = points([(left, top), (right, top), (right, bottom), (left, bottom)])
    return (
        f'<polygon class="local-bg" points="{box}"/>\n'
        f'<text id="{eid}-local" class="local" x="{x:.2f}" y="{y + LOCAL_DROP:.2f}" '
        'text-anchor="middle" xml:space="preserve">'
    )


__all__ = [
    "Drawer",
    "Pieces",
    "Slot",
    "Template",
    "escape",
    "prepare",
]
