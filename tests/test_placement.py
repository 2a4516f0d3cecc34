"""autodiff.draw.placement: reading dot's SVG for coordinates, and nothing else."""

import math
import re

import pytest
from drawing_support import REUSE_LINES

import autodiff
from autodiff.draw import LayoutError, dot, geometry, graphviz, layouts, placement
from autodiff.examples import by_slug


def off_box(p: tuple[float, float], corner: tuple[float, float], w: float, h: float) -> float:
    """How far a point is from the border of a box."""
    (px, py), (x, y) = p, corner
    if x <= px <= x + w and y <= py <= y + h:
        return min(px - x, x + w - px, py - y, y + h - py)
    return math.hypot(max(x - px, 0, px - x - w), max(y - py, 0, py - y - h))


def test_routes_of_every_form():
    head = "10,-8 19,-5 10,-2 10,-8"
    simple = placement.route("M0,-0C3,-1 6,-2 9,-3", head, "4,6 4,8 6,8 6,6 4,6")
    assert simple.d == "M0,-0C3,-1 6,-2 9,-3" and simple.head == head
    assert simple.start == (0.0, 0.0) and simple.leaving == (3.0, -1.0)
    assert simple.end == (9.0, -3.0) and simple.label == (5.0, 7.0)
    assert simple == placement.route("M0,-0C3,-1 6,-2 9,-3", head, "4,6 4,8 6,8 6,6 4,6")
    repeated = placement.route("M0,0C0,0 5,0 5,0", None)
    assert repeated.leaving == (5.0, 0.0) and repeated.label is None
    # No arrowhead from Graphviz: one of ours ends where the route does, pointing along it.
    assert repeated.head == geometry.arrow((-4.0, 0.0), (5.0, 0.0))
    for d, points in [('M0,0C1,1 2,2 3,3"/><script>', None), ("M0,0C1,1 2,2 3,3", "1,1 <a")]:
        with pytest.raises(ValueError):
            placement.route(d, points)


def test_unreadable_graphviz_output_is_a_layout_error():
    s = dot.structure(autodiff.build(REUSE_LINES))
    good = graphviz.layout(dot.structure_dot(s))
    assert placement.placement([good], s).routes
    broken = good.replace('class="edge">', 'class="edge"><script/>', 1)
    for text in ("not svg", "<svg></svg>", good[: len(good) // 2], broken):
        with pytest.raises(LayoutError, match="unreadable layout"):
            placement.placement([text], s)


def test_dot_output_read_in_pieces_places_as_read_whole():
    s = dot.structure(autodiff.build(by_slug("circuit").source))
    whole = graphviz.layout(dot.structure_dot(s))
    pieces = re.split(r'(?=<g id=")', whole)
    assert len(pieces) == len(s.nodes) + len(s.edges) + 2  # the header, the graph, each group
    assert placement.placement(pieces, s) == placement.placement([whole], s)
    streamed = list(layouts.DotRun(dot.structure_dot(s), "svg", 5.0).as_written())
    assert "".join(streamed) == whole
    assert all(p.startswith('<g id="') for p in streamed[1:])


def test_coordinates_keep_their_decimals_far_out():
    """Beyond 100,000 points Graphviz's `pos` attributes lose their last digits: a layout
    read from them put arrowheads up to 5 points off their boxes, or shrank them to a dot."""
    lines = ["x = 0.5", "y = 1.5", "t0 = x * y", "t1 = sin(x) + y"]
    lines += [f"t{k} = tanh(t{k - 1}) * t{k - 2} + 0.1" for k in range(2, 250)]
    s = dot.structure(autodiff.build("\n".join(lines)))
    place = placement.placement([graphviz.layout(dot.structure_dot(s))], s)
    assert place.box[2] > 100_000
    for (_, dst, _), way in zip(s.edges, place.routes):
        tips = {placement.point(p) for p in way.head.split()}
        assert len(tips) == 3  # a triangle, not a point
        box = s.nodes[dst].box
        assert min(off_box(p, place.corners[dst], box.width, box.height) for p in tips) < 0.5


def test_graphviz_points_and_boxes():
    assert placement.point("27.5,-108") == (27.5, -108.0)
    with pytest.raises(ValueError):
        placement.point("27.5")
    box = "117,-157.5 0,-157.5 0,-75.5 117,-75.5 117,-157.5"  # as Graphviz draws a box
    assert placement.centre(box) == (58.5, -116.5)
    with pytest.raises(ValueError):
        placement.centre('0,0 1,1 2,2" onload="x')
