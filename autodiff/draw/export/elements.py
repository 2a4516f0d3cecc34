"""Frames cut into their elements, each distinct element kept once: what a PDF draws.

One step changes a few nodes and edges, so the frames of an export hold far fewer distinct
elements (a node in one state, an edge in one state, a caption) than elements in all: each
is drawn once and placed on every page that shows it (`pdfpages`). A frame's elements are
its background, its groups (every node, copy and edge is one `<g id=...>` at the top level,
never nested: `svg.Drawer`) and its caption, painted in that order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ...model import Graph
from ..layouts import Layout
from ..states import timeline

OPENING_END = "</style>\n"
"""Where a frame's opening (its `<svg>` element and style sheet) ends."""
GROUP_START, GROUP_END = '<g id="', "</g>\n"
CLOSING = "</svg>"
TITLE = re.compile(r"<title>[^<]*</title>\n")
"""A node's or edge's tooltip: nothing a PDF draws, and a fifth of librsvg's time."""
EDGE_SLOTS = ("edge", "local")
"""Slots that belong to an edge (the others to a node)."""


def cut(svg: str) -> tuple[str, list[str]]:
    """A frame's opening and its elements in painting order (`opening + "".join(elements)
    + "</svg>"` is the frame)."""
    body = svg.index(OPENING_END) + len(OPENING_END)
    first = svg.index(GROUP_START, body)
    last = svg.rindex(GROUP_END) + len(GROUP_END)
    groups = [GROUP_START + group for group in svg[first:last].split(GROUP_START)[1:]]
    elements = [svg[body:first], *groups, svg[last:svg.rindex(CLOSING)]]
    return svg[:body], [element for element in elements if element.strip()]


@dataclass
class Stacks:
    """Frames as stacks of drawings: each drawing an SVG document made once (an element on
    its frame's canvas, or a whole sheet), each frame the drawings it paints, in order."""

    drawings: list[str] = field(default_factory=list)
    frames: list[tuple[int, ...]] = field(default_factory=list)
    _known: dict[tuple[str, str], int] = field(default_factory=dict)

    def add_frame(self, svg: str) -> None:
        """Cut a frame and keep the elements not seen before."""
        opening, elements = cut(svg)
        self.frames.append(tuple(self._drawing(opening, element) for element in elements))

    def add_sheet(self, svg: str) -> int:
        """A whole SVG document drawn as it is (a handout page's text); its drawing number."""
        self.drawings.append(svg)
        return len(self.drawings) - 1

    def _drawing(self, opening: str, element: str) -> int:
        found = self._known.get((opening, element))
        if found is None:
            found = self.add_sheet(f"{opening}{TITLE.sub('', element)}{CLOSING}\n")
            self._known[opening, element] = found
        return found


def stack(svgs: Iterable[str]) -> Stacks:
    """The stacks of these frames."""
    stacks = Stacks()
    for svg in svgs:
        stacks.add_frame(svg)
    return stacks


def drawings_needed(graph: Graph, layout: Layout, steps: range) -> int:
    """The most drawings the frames of `steps` need, counted from the timeline before any
    frame is made: each element of the first frame, each element a step changes, and a
    caption a frame."""
    line = timeline(graph, layout.edge_labels, layout.numbers)
    changed = sum(len({_element(line.slots[at]) for at, _ in line.changes[k]})
                  for k in steps[1:])
    return layout.nodes + layout.edges + 1 + changed + len(steps)


def _element(slot: tuple[str, int, int]) -> tuple[bool, int]:
    """Which node or edge a slot belongs to."""
    return slot[0] in EDGE_SLOTS, slot[1]
