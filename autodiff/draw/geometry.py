"""Sizes in points of everything a node draws, from its kind, label and shape alone.

Graphviz only places fixed-size boxes; the SVG is drawn from the same numbers, so the DOT
and the drawing agree without Graphviz ever measuring a text. Coordinates inside a node are
relative to its box's top-left corner, y pointing down.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

from ..format import FIXED_WIDTH, STANDARD, NumberForm, display_height, display_width, shape_text
from ..model import KIND_CONST, KIND_INPUT, KIND_OP

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
"""Cell padding in points; numbers end this far inside their cell's right edge."""

HEADER_HEIGHT = 22
"""The row with the label, the shape and the op symbol."""
BASELINE = 16
"""From the top of the header, or of a number cell's first line, to the text's baseline."""
CUE_WIDTH = 20
"""The column holding `=` or `∇` before the numbers."""
CUE_DROP = 5
"""From a row's middle to its cue's baseline (about half the cue's height)."""
SHAPE_GAP = 5
"""Between the label and the array's shape."""
OP_GAP = 12
"""At least this between the label (or shape) and the op symbol."""
INSETS = {KIND_INPUT: 7, KIND_CONST: 4, KIND_OP: 4}
"""From the outline to the cells, by kind: inputs show more of their colour."""
BOLD = {KIND_INPUT: True, KIND_CONST: False, KIND_OP: True}
"""Whether the label is bold, by kind."""

LOCAL_WIDTH = math.ceil(FIXED_WIDTH * LOCAL_CHAR_WIDTH) + 2 * PAD
LOCAL_HEIGHT = LINE_HEIGHT + 2 * PAD
"""The box an edge label's local derivative is drawn in."""

# Advance widths of ' ' .. '~' in DejaVu Sans (Book and Bold), in thousandths of an em.
SANS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip
SANS_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365,
    696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580,
    1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850,
    733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500,
    500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
    716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
)  # fmt: skip
SYMBOLS = {
    "·": (318, 380), "×": (838, 838), "÷": (838, 838), "−": (838, 838), "π": (602, 791),
    "ᵀ": (385, 430), "…": (1000, 1000), "′": (227, 264), "⟨": (390, 457), "⟩": (390, 457),
}  # fmt: skip
"""(Book, Bold) widths of the other characters labels, shapes and op symbols use."""
OTHER = 800
"""Any other character: generous, so a label is never cut by its box."""
WIDE = 1000
"""East Asian wide characters."""


def char_width(ch: str, bold: bool) -> int:
    """Advance width of one character in thousandths of an em."""
    code = ord(ch)
    if 32 <= code < 127:
        return (SANS_BOLD if bold else SANS)[code - 32]
    if ch in SYMBOLS:
        return SYMBOLS[ch][bold]
    return WIDE if unicodedata.east_asian_width(ch) in "WF" else OTHER


WIDTHS = tuple(
    {chr(32 + i): w for i, w in enumerate(table)} | {ch: both[bold] for ch, both in SYMBOLS.items()}
    for bold, table in enumerate((SANS, SANS_BOLD))
)
"""`char_width` of the characters in the tables, Book then Bold."""


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of `text` in DejaVu Sans at `size` points."""
    try:
        return size * sum(map(WIDTHS[bold].__getitem__, text)) / 1000
    except KeyError:
        return size * sum(char_width(ch, bold) for ch in text) / 1000


def cell_size(shape: tuple[int, ...], form: NumberForm = STANDARD) -> tuple[int, int]:
    """Width and height in points of a value or gradient cell: from the shape (and the
    number form) alone."""
    width = math.ceil(display_width(shape, form) * CHAR_WIDTH) + 2 * PAD
    return width, display_height(shape, form) * LINE_HEIGHT + 2 * PAD


@dataclass(frozen=True)
class Row:
    """One number row of a node: `val` or `grad`."""

    slot: str
    top: float
    height: float


@dataclass(frozen=True)
class Box:
    """Where everything of a node goes, relative to its box's top-left corner."""

    width: int
    height: int
    inset: int
    rows: tuple[Row, ...]
    lines: int
    """Number lines per row."""
    header: float
    """The header's width besides the label: paddings, the shape and the op symbol."""

    @property
    def right(self) -> float:
        """The cells' right edge."""
        return self.width - self.inset


LABEL_MAX = 20
"""Characters of a label shown before it is cut with `…`."""


def shorten(label: str, limit: int = LABEL_MAX) -> str:
    """A label cut to `limit` characters, the last being `…` when it was longer."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def label_width(kind: str, label: str) -> float:
    """Width of a node's label as drawn: cut to LABEL_MAX, bold unless a constant."""
    return text_width(shorten(label), FONT_SIZE, BOLD[kind])


@lru_cache(maxsize=16384)
def node_box(kind: str, label: str, shape: tuple[int, ...], symbol: str,
             form: NumberForm = STANDARD) -> Box:
    """The box of a node: wide enough for its header and its widest number row."""
    box = bare_box(kind, shape, symbol, form)
    width = math.ceil(2 * box.inset + label_width(kind, label) + box.header)
    return box if width <= box.width else widened(box, width)


@lru_cache(maxsize=1024)
def bare_box(kind: str, shape: tuple[int, ...], symbol: str, form: NumberForm = STANDARD) -> Box:
    """The box of a node with an empty label: all nodes of a kind and shape share it."""
    inset = INSETS[kind]
    header = 2 * PAD
    if shape:
        header += SHAPE_GAP + text_width(f"⟨{shape_text(shape)}⟩", SMALL_SIZE)
    if symbol:
        header += OP_GAP + text_width(symbol, SMALL_SIZE)
    cell_width, row_height = cell_size(shape, form)
    slots = ("val",) if kind == KIND_CONST else ("val", "grad")
    top = inset + HEADER_HEIGHT
    rows = tuple(Row(slot, top + i * row_height, row_height) for i, slot in enumerate(slots))
    return Box(
        math.ceil(2 * inset + max(header, CUE_WIDTH + cell_width)),
        math.ceil(2 * inset + HEADER_HEIGHT + len(slots) * row_height),
        inset,
        rows,
        display_height(shape, form),
        header,
    )


@lru_cache(maxsize=4096)
def widened(box: Box, width: int) -> Box:
    """The same box, wider (for a long label)."""
    return replace(box, width=width)


Point = tuple[float, float]
ARROW_LENGTH = 9.0
"""Graphviz's arrowhead (10 points) at the edges' arrowsize 0.9."""
ARROW_HALF_WIDTH = 0.35 * ARROW_LENGTH
TRIANGLE = "%.2f,%.2f %.2f,%.2f %.2f,%.2f"

def toward(start: Point, target: Point, length: float) -> Point:
    """The point `length` from `start` in the direction of `target`."""
    dx, dy = target[0] - start[0], target[1] - start[1]
    scale = length / (math.hypot(dx, dy) or 1.0)
    return start[0] + dx * scale, start[1] + dy * scale


def arrow(base: Point, tip: Point) -> str:
    """An arrowhead's triangle: base corner, tip, other base corner."""
    (bx, by), (tx, ty) = base, tip
    dx, dy = tx - bx, ty - by
    scale = ARROW_HALF_WIDTH / (math.hypot(dx, dy) or 1.0)
    px, py = -dy * scale, dx * scale
    return TRIANGLE % (bx + px, by + py, tx, ty, bx - px, by - py)


COPY_MARK = " ↗"
"""After a copy's label: the value itself is drawn once, elsewhere."""
DOCK_GAP = 15
"""Between a docked copy and its use: room for the arrow joining them."""
LABEL_SPACE = 3
"""Between a docked copy's arrow and its edge label."""


def copy_text(kind: str, label: str, room: float | None = None) -> str:
    """A copy's text: the leaf's label and the mark, the label cut so the copy's box is at
    most `room` points wide."""
    for limit in range(LABEL_MAX, 1, -1):
        text = shorten(label, limit) + COPY_MARK
        if room is None or copy_box(kind, text).width <= room:
            return text
    return shorten(label, 1) + COPY_MARK


@lru_cache(maxsize=1024)
def copy_box(kind: str, text: str) -> Box:
    """The box of a shared leaf's copy showing `text` (see `copy_text`): a label alone."""
    inset = INSETS[kind]
    width = math.ceil(2 * inset + 2 * PAD + text_width(text, FONT_SIZE, BOLD[kind]))
    return Box(width, 2 * inset + HEADER_HEIGHT, inset, (), 0, 2 * PAD)


class Docked(NamedTuple):
    """One copy in a dock: what it shows, where it stands and its arrow to the use
    (relative to the dock's corner)."""

    text: str
    box: Box
    corner: Point
    start: Point
    end: Point
    label: Point | None
    """The centre of the edge's label, beside the arrow (with edge labels)."""


class Dock(NamedTuple):
    """A use of shared leaves with a copy of each docked beside it, across the flow (above
    and below it left to right, left and right of it top to bottom): one box for dot, so
    the copies cost dot nothing, and edges still meet the use in the middle of its sides."""

    width: int
    height: int
    node: Point
    """The use's own corner in the dock."""
    copies: tuple[Docked, ...]


@lru_cache(maxsize=4096)
def dock(use: Box, copies: tuple[tuple[str, str], ...], direction: str, labels: bool) -> Dock:
    """The dock of a use of box `use` with copies of the leaves `copies` ((kind, label) in
    argument order: the first before the use across the flow, the second after it), for
    the graph's `direction`; with edge `labels`, each arrow is long enough to hold one."""
    flip = direction == "tb"  # work in (along the flow, across it), then map back

    def xy(along: float, across: float) -> Point:
        return (across, along) if flip else (along, across)

    use_along, use_across = xy(use.width, use.height)
    room = None if flip else use.width  # left to right, a copy is no wider than its use
    texts = [copy_text(kind, label, room) for kind, label in copies]
    boxes = [copy_box(kind, text) for (kind, _), text in zip(copies, texts)]
    gap = DOCK_GAP + (math.ceil(ARROW_LENGTH) + (LOCAL_WIDTH if flip else LOCAL_HEIGHT)
                      if labels else 0)
    depth = max(xy(box.width, box.height)[1] for box in boxes) + gap
    middle = use_along / 2
    if labels and not flip:  # the label stands right of the arrow, inside the dock
        middle = min(middle, use_along - LOCAL_WIDTH - LABEL_SPACE)
    docked = []
    for side, (text, box) in enumerate(zip(texts, boxes)):
        along, across = xy(box.width, box.height)
        if side == 0:
            top, start, end = depth - gap - across, depth - gap, depth
        else:
            top, start, end = depth + use_across + gap, depth + use_across + gap, depth + use_across
        left = max(0.0, min(middle - along / 2, use_along - along))
        label = None
        if labels:
            centre = (start + end) / 2
            label = ((centre, middle - LOCAL_HEIGHT / 2 - LABEL_SPACE) if flip
                     else (middle + LABEL_SPACE + LOCAL_WIDTH / 2, centre))
        docked.append(Docked(text, box, xy(left, top), xy(middle, start), xy(middle, end),
                             label))
    width, height = xy(use_along, use_across + 2 * depth)
    return Dock(int(width), int(height), xy(0, depth), tuple(docked))
