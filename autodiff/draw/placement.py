"""Reading Graphviz's SVG: where each node's box and each edge's route ended up.

Only coordinates are read, with patterns whose captures can hold nothing but numbers, so
what is copied into our own SVG can never be markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .dot import Structure
from .geometry import ARROW_LENGTH, Point, arrow, toward
from .graphviz import LayoutError

if TYPE_CHECKING:
    from .svg import Drawer

PATH_DATA = re.compile(r"M[0-9.,eE+\- ]+C[0-9.,eE+\- ]+")
"""What a Graphviz edge's path data can hold: one move, then cubic Bézier points."""
POINTS = re.compile(r"[0-9.,eE+\- ]+")
"""What a Graphviz polygon's points can hold."""

class Route(NamedTuple):
    """One edge as Graphviz routed it, in SVG coordinates (a tuple: thousands are made per
    layout)."""

    d: str
    """Path data of the edge's cubic Bézier pieces."""
    start: Point
    leaving: Point
    """A point the route heads for from its start (for the back arrowhead)."""
    end: Point
    head: str
    """The arrowhead's `points` at the end (Graphviz's own, or made when it drew none)."""
    label: Point | None
    """The centre of the edge label's box (with edge labels)."""


@dataclass(frozen=True)
class Placement:
    """Where Graphviz put everything, in SVG coordinates (Graphviz's SVG: y grows downward)."""

    box: tuple[float, float, float, float]
    """The viewBox: left, top, width, height."""
    corners: tuple[Point, ...]
    """Per node, the top-left corner of the box dot placed (a dock's, for a use with docked
    copies: see `geometry.dock`)."""
    routes: tuple[Route, ...]
    """Per edge dot routed, in edge order (not those from docked copies: `svg` draws them)."""


def point(text: str) -> Point:
    """An `x,y` of Graphviz's SVG as a point."""
    x, _, y = text.partition(",")
    return float(x), float(y)


def bounds(polygon: str) -> tuple[float, float, float, float]:
    """Left, top, right and bottom of a polygon's `points`."""
    xs, ys = zip(*map(point, checked(polygon, POINTS).split()))
    return min(xs), min(ys), max(xs), max(ys)


def centre(polygon: str) -> Point:
    """The middle of a box from its polygon's `points`."""
    left, top, right, bottom = bounds(polygon)
    return (left + right) / 2, (top + bottom) / 2


def route(d: str, head: str | None, label: str | None = None) -> Route:
    """An edge from Graphviz's SVG: its path data `M x,y C x,y …`, the `points` of its
    arrowhead (None when Graphviz drew none) and of its label's box (with edge labels)."""
    if head is not None:
        checked(head, POINTS)
    first, _, spline = checked(d, PATH_DATA)[1:].partition("C")
    second, _, rest = spline.partition(" ")
    start, leaving = point(first), point(second)
    end = point(rest[rest.rfind(" ") + 1 :])
    if leaving == start or head is None:  # repeated points: look further along
        others = [point(token) for token in spline.split()]
        leaving = next((p for p in others if p != start), (start[0] + 1, start[1]))
        if head is None:
            before = next((p for p in reversed(others) if p != end), (end[0] - 1, end[1]))
            head = arrow(toward(end, before, ARROW_LENGTH), end)
    return Route(d, start, leaving, end, head, centre(label) if label else None)


def checked(text: str, form: re.Pattern) -> str:
    """Numbers copied from Graphviz, once they are sure to be only numbers (and commands)."""
    if not form.fullmatch(text):
        raise ValueError(f"unexpected drawing data {text[:40]!r}")
    return text


NUMBER = r"([-+.0-9eE]+)"
"""One coordinate in Graphviz's SVG (float() checks it)."""
NUMBERS = r"[-+.0-9eE, ]*"
"""Coordinates; captured text holds nothing else, so it may be copied into our SVG."""
GRAPHVIZ_BOX = re.compile(
    rf'<g id="graph0" class="graph"[^>]*>\s*<title>[^<]*</title>\s*<polygon[^>]* points="({NUMBERS})"'
)
"""The background of Graphviz's SVG: its padded bounding box."""
GRAPHVIZ_NODE = re.compile(
    rf'<g id="[^"]*" class="node">\s*<title>n(\d+)</title>\s*'
    rf'<polygon[^>]* points="{NUMBER},{NUMBER} [^ "]+ {NUMBER},{NUMBER}{NUMBERS}"'
)
"""A node's id and two opposite corners of its box."""
GRAPHVIZ_EDGE = re.compile(
    rf'<g id="e(\d+)" class="edge">\s*<title>[^<]*</title>\s*'
    rf'<path[^>]* d="(M{NUMBER},{NUMBER}C{NUMBER},{NUMBER}{NUMBERS} {NUMBER},{NUMBER})"[^>]*/>\s*'
    rf'(?:<polygon fill="black"[^>]* points="({NUMBERS})"[^>]*/>\s*)?'  # the arrowhead
    rf'(?:<polygon fill="white"[^>]* points="({NUMBERS})"[^>]*/>\s*)?'  # the label's box
    r"</g>"
)
"""An edge's id, its path data with its first two and last points, then the arrowhead and
the label's box when it has them."""


def placement(pieces: Iterable[str], s: Structure, drawer: Drawer | None = None) -> Placement:
    """Node corners and edge routes from Graphviz's own SVG (`dot -Tsvg`: its coordinates
    keep two decimals everywhere, where `-Tjson0` rounds positions to five digits, a few
    points off beyond 100,000), read piece by piece as dot writes it (see
    `DotRun.as_written`: no node or edge is cut between two pieces); `drawer` draws each
    node and edge as soon as it is read."""
    box: tuple[float, float, float, float] | None = None
    corners: dict[str, tuple[float, float]] = {}
    routes: dict[str, Route] = {}
    try:
        for text in pieces:
            if box is None and (found := GRAPHVIZ_BOX.search(text)):
                box = bounds(found[1])
            for k, *xy in GRAPHVIZ_NODE.findall(text):
                corners[k] = corner = _corner(*xy)
                if drawer is not None:
                    drawer.node(int(k), corner)
            for k, *found_route in GRAPHVIZ_EDGE.findall(text):
                routes[k] = way = _route(*found_route)
                if drawer is not None:
                    drawer.edge(int(k), way)
        left, top, right, bottom = box  # type: ignore[misc]  (None: TypeError, unreadable)
        return Placement(
            (left, top, right - left, bottom - top),
            tuple(corners[str(k)] for k in range(len(s.nodes))),
            tuple(routes[str(k)] for k in range(len(s.edges)) if k not in s.copied),
        )
    except (ValueError, KeyError, TypeError, IndexError) as err:
        raise LayoutError(f"Graphviz produced an unreadable layout ({err!r})") from None


def _corner(x0: str, y0: str, x1: str, y1: str) -> tuple[float, float]:
    """The top-left corner of a box from two opposite ones."""
    return min(float(x0), float(x1)), min(float(y0), float(y1))


def _route(*found: str) -> Route:
    """An edge from what GRAPHVIZ_EDGE found (thousands per layout: the usual case is made
    here from the numbers found; `svg.route` works through the rest)."""
    d, x0, y0, x1, y1, x2, y2, head, label = found
    start, leaving = (float(x0), float(y0)), (float(x1), float(y1))
    if leaving == start or not head:
        return route(d, head or None, label or None)
    return Route(d, start, leaving, (float(x2), float(y2)), head, centre(label) if label else None)
