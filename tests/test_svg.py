"""The SVG we draw from Graphviz's coordinates, frames from timelines, the pending layout."""

import dataclasses
import math
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

import autodiff
from autodiff import draw
from autodiff.draw import (
    LayoutError,
    dot,
    frames,
    geometry,
    get_layout,
    graphviz,
    layouts,
    placement,
    png,
    render_frame,
    render_state,
    states,
    svg,
)
from autodiff.examples import GALLERY, by_slug

REUSE = by_slug("reuse").source
LAYERED = (
    "x = 0.5\ny = 1.5\n"
    + "\n".join(f"z{i} = tanh(z{i - 1}) * y + 0.1" if i else "z0 = x * y" for i in range(30))
    + "\nf = z29 * x"
)
SLOW = "x = 1\ny = 2\n" + "\n".join(f"x = x * y + sin(x) + {k}" for k in range(60))
"""A graph dot takes tens of milliseconds for (yet its DOT fits the spare's pipe)."""
PROGRAMS = [e.source for e in GALLERY] + [
    LAYERED, "a = 3\nf = a*a", "x = 0\nf = x/x",
    "x = 2\nunused = 3\nw = unused * 2\nv = [1, 2]\nu = sum(v)\ny = x * x",
]

ELEMENTS = {"svg", "style", "rect", "g", "title", "path", "polygon", "text"}
ATTRIBUTES = {
    "xmlns", "class", "role", "width", "height", "viewBox", "x", "y", "fill", "id",
    "transform", "d", "points", "text-anchor", "{http://www.w3.org/XML/1998/namespace}space",
}  # fmt: skip


def tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def relabel(graph, labels: dict[int, str]):
    nodes = tuple(dataclasses.replace(n, label=labels.get(n.index, n.label)) for n in graph.nodes)
    return dataclasses.replace(graph, nodes=nodes)


# --- frames: the fast path is the reference -------------------------------------------------


@pytest.mark.parametrize("source", PROGRAMS)
@pytest.mark.parametrize("edge_labels", [False, True])
def test_every_frame_equals_the_reference(source, edge_labels):
    graph = autodiff.build(source, dtype="float32" if "exp" in source else "float64")
    layout = get_layout(graph, edge_labels=edge_labels)
    assert layout.slots == states.slot_order(graph, edge_labels)
    for k in [*range(len(graph.steps) + 1), None, -1, 10**6]:
        expected = render_state(layout, states.frame_state(graph, k))
        assert render_frame(layout, graph, k) == expected
    assert frames.start_frame(graph, None, edge_labels)(layout) == render_frame(layout, graph)


def test_timelines_keep_few_snapshots_and_small_changes():
    graph = autodiff.build(LAYERED)
    line = states.timeline(graph)
    assert len(line.snapshots) <= states.MAX_SNAPSHOTS + 1
    assert line.stride >= states.MIN_STRIDE
    assert all(len(changes) < 20 for changes in line.changes)
    assert states.timeline(graph) is line


def test_a_frame_takes_well_under_a_millisecond():
    graph = autodiff.build(LAYERED)
    layout = get_layout(graph)
    render_frame(layout, graph, 0)
    started = time.perf_counter()
    for k in range(len(graph.steps) + 1):
        render_frame(layout, graph, k)
    assert (time.perf_counter() - started) / (len(graph.steps) + 1) < 0.001


# --- the drawing ---------------------------------------------------------------------------


@pytest.mark.parametrize("source", PROGRAMS)
def test_only_our_elements_and_attributes(source):
    graph = autodiff.build(source)
    for edge_labels in (False, True):
        root = ET.fromstring(render_frame(get_layout(graph, edge_labels=edge_labels), graph))
        for el in root.iter():
            assert tag(el) in ELEMENTS
            assert set(el.attrib) <= ATTRIBUTES, el.attrib


def test_hostile_labels_are_text_and_nothing_else():
    hostile = {
        0: '<img src=x onerror="alert(1)">',
        1: "]]><script>alert(1)</script>",
        3: "a\x00b\x1bc\ud800&amp;",
        6: "<foreignObject><a href='javascript:1'>",
    }
    graph = relabel(autodiff.build(REUSE), hostile)
    drawn = render_frame(get_layout(graph, edge_labels=True), graph)
    root = ET.fromstring(drawn)
    assert [tag(el) for el in root.iter() if tag(el) not in ELEMENTS] == []
    assert "<img" not in drawn and "<script" not in drawn and "<foreignObject" not in drawn
    label = next(el for el in root.iter() if el.get("id") == "n0-label")
    assert label.text == "<img src=x onerror=…"
    assert next(el for el in root.iter() if el.get("id") == "n3-label").text == "abc&amp;"
    titles = [el.text for el in root.iter() if tag(el) == "title"]
    assert {'<img src=x onerror="alert(1)">', "<foreignObject><a href='javascript:1'>"} <= set(
        titles
    )


def test_escape():
    assert svg.escape('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert svg.escape("tab\there\x7f") == "tabhere"
    assert svg.escape("θ′ ⟨2×3⟩ …") == "&#952;&#8242; &#10216;2&#215;3&#10217; &#8230;"


@pytest.mark.parametrize("source", PROGRAMS + ["θ = 2\nα = θ**2\nf = sin(α) + pi"])
def test_the_svg_is_ascii(source):
    graph = autodiff.build(source)
    layout = get_layout(graph, edge_labels=True)
    assert all(render_frame(layout, graph, k).isascii() for k in range(len(graph.steps) + 1))


def boxes(root: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    """Each node's box (left, top, right, bottom) in SVG coordinates."""
    found = {}
    for group in root.iter():
        if tag(group) == "g" and re.fullmatch(r"n\d+", group.get("id", "")):
            x, y = (float(v) for v in re.findall(r"-?[\d.]+", group.get("transform")))
            outline = next(el for el in group if el.get("class") == "outline")
            numbers = [float(v) for v in re.findall(r"-?[\d.]+", outline.get("points") or "")]
            if tag(outline) == "path":
                numbers = [float(v) for v in re.findall(r"-?[\d.]+", outline.get("d"))]
            found[group.get("id")] = (x, y, x + max(numbers[0::2]), y + max(numbers[1::2]))
    return found


@pytest.mark.parametrize("slug", ["reuse", "gates", "matvec", "dense"])
def test_edges_run_from_box_to_box_inside_the_picture(slug):
    graph = autodiff.build(by_slug(slug).source)
    root = ET.fromstring(render_frame(get_layout(graph, edge_labels=True), graph))
    left, top, width, height = (float(v) for v in root.get("viewBox").split())
    placed = boxes(root)
    for x0, y0, x1, y1 in placed.values():
        assert left <= x0 < x1 <= left + width and top <= y0 < y1 <= top + height
    for e in graph.edges:
        group = next(el for el in root.iter() if el.get("id") == e.id)
        d = group.find("{*}path").get("d")
        start = [float(v) for v in re.findall(r"-?[\d.]+", d)[:2]]
        head = group.find("{*}polygon[@class='head']").get("points")
        tip = [float(v) for v in head.replace(",", " ").split()[2:4]]
        assert near_box(start, placed[f"n{e.src}"]) and near_box(tip, placed[f"n{e.dst}"])


def near_box(point, box, slack: float = 3.0) -> bool:
    """Whether a point lies on a box's border, give or take `slack` points."""
    (x, y), (x0, y0, x1, y1) = point, box
    inside = x0 - slack <= x <= x1 + slack and y0 - slack <= y <= y1 + slack
    return inside and min(abs(x - x0), abs(x - x1), abs(y - y0), abs(y - y1)) <= slack


def test_texts_are_drawn_after_their_backgrounds():
    graph = autodiff.build(by_slug("matvec").source)
    root = ET.fromstring(render_frame(get_layout(graph), graph))
    for n in graph.nodes:
        group = next(el for el in root.iter() if el.get("id") == n.id)
        kinds = [el.get("class") for el in group if tag(el) != "title"]
        assert kinds[0] == "outline"
        last_shape = max(i for i, k in enumerate(kinds) if k.startswith(("slot-", "rule")))
        first_number = min(i for i, k in enumerate(kinds) if k in ("val", "grad"))
        assert last_shape < first_number


def test_boxes_hold_their_header_and_numbers():
    for source in PROGRAMS:
        for spec in dot.structure(autodiff.build(source)).nodes:
            box = spec.box
            cell_width, cell_height = geometry.cell_size(spec.shape)
            assert box.width - 2 * box.inset >= geometry.CUE_WIDTH + cell_width
            label = geometry.label_width(spec.kind, spec.label)
            assert box.width - 2 * box.inset >= label + box.header - 1e-9
            assert [row.height for row in box.rows] == [cell_height] * len(spec.slots)


def test_text_width_follows_the_font():
    assert geometry.text_width("iii", 14) < geometry.text_width("WWW", 14)
    assert geometry.text_width("w1", 14, bold=True) > geometry.text_width("w1", 14)
    assert geometry.text_width("θ", 14) > 0 and geometry.text_width("漢", 14) == 14


# --- Graphviz's coordinates -------------------------------------------------------------------


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
    s = dot.structure(autodiff.build(REUSE))
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


def off_box(p: tuple[float, float], corner: tuple[float, float], w: float, h: float) -> float:
    """How far a point is from the border of a box."""
    (px, py), (x, y) = p, corner
    if x <= px <= x + w and y <= py <= y + h:
        return min(px - x, x + w - px, py - y, y + h - py)
    return math.hypot(max(x - px, 0, px - x - w), max(y - py, 0, py - y - h))


# --- starting dot early, the spare, the caches ------------------------------------------------


def test_pending_layout_is_cached_and_shared():
    draw.clear_caches()
    graph = autodiff.build(REUSE)
    pending = layouts.start_layout(graph)
    layout = pending.result()
    assert pending.result() is layout
    assert layouts.start_layout(autodiff.build(REUSE.replace("2.0", "3"))).result() is layout


def test_an_abandoned_pending_layout_stops_its_dot():
    draw.clear_caches()
    pending = layouts.start_layout(autodiff.build(SLOW))
    run = pending._finish.run
    proc, files = run.dot.proc, (run.dot.proc.stdout, *run.dot.files)
    del pending, run
    assert proc.returncode == -signal.SIGKILL and all(f.closed for f in files)


def test_a_dead_spare_is_replaced():
    layouts.get_layout(autodiff.build("p = 1\nf = p + 2"))
    wait_for_spare()
    spare = graphviz._SPARE._dot
    os.killpg(spare.proc.pid, signal.SIGKILL)
    spare.proc.wait()
    draw.clear_caches()
    assert get_layout(autodiff.build("q = 1\nf = q * 2")).nodes == 3
    wait_for_spare()
    assert graphviz._SPARE._dot is not spare and graphviz._SPARE._dot.proc.poll() is None


def test_a_spare_in_a_forked_child_is_let_go():
    layouts.get_layout(autodiff.build("r = 1\nf = r - 2"))
    wait_for_spare()
    pid = os.fork()
    if pid == 0:
        os._exit(0 if graphviz._SPARE._dot is None else 1)
    assert os.waitpid(pid, 0)[1] == 0
    draw.clear_caches()
    assert get_layout(autodiff.build("s = 1\nf = s / 2"), timeout=5).nodes == 3


def test_the_spare_takes_large_dot_texts_and_keeps_itself_for_what_would_not_fit():
    wait_for_spare()
    spare = graphviz._SPARE._dot
    if sys.platform.startswith("linux"):
        assert spare.capacity >= 1 << 20  # a 2,000-node graph's DOT is about 130 KB
    assert graphviz._SPARE.take(spare.capacity + 1) is None
    assert graphviz._SPARE._dot is spare
    assert graphviz._SPARE.take(spare.capacity) is spare and graphviz._SPARE._dot is None
    graphviz._stop(spare)


def wait_for_spare() -> None:
    graphviz.refill_spare()  # as the app does once an answer is sent
    deadline = time.monotonic() + 5
    while graphviz._SPARE._dot is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert graphviz._SPARE._dot is not None


def test_timeouts_and_failures_on_the_spare_too():
    layouts.get_layout(autodiff.build("u = 1\nf = u + 1"))
    wait_for_spare()
    with pytest.raises(LayoutError, match="too large for Graphviz to lay out in 0.0001 s"):
        graphviz.layout(dot.dot_source(autodiff.build(SLOW)), timeout=1e-4)
    wait_for_spare()
    with pytest.raises(LayoutError, match="^Graphviz failed: .*syntax error"):
        graphviz.layout("digraph { a -> }")


def test_the_needed_plugins_alone_lay_out_the_same():
    assert graphviz.plugin_dir() is not None
    for source in PROGRAMS[::3]:
        text = dot.dot_source(autodiff.build(source), edge_labels=True)
        everything = subprocess.run(
            [graphviz.dot_binary(), "-Tsvg"],
            input=text.encode(),
            capture_output=True,
            env={"PATH": "/usr/bin:/bin"},
            check=True,
        )
        assert graphviz.layout(text) == everything.stdout.decode()


def test_png_frames_are_cached(monkeypatch):
    draw.clear_caches()
    graph = autodiff.build(REUSE)
    layout = get_layout(graph)
    calls = []
    real = png._draw_png
    monkeypatch.setattr(png, "_draw_png", lambda *a: calls.append(a) or real(*a))
    first = png.render_png(layout, graph, 3)
    assert png.render_png(layout, graph, 3) == first
    assert png.render_png(layout, graph, 4) != first
    assert len(calls) == 2


def test_graphviz_points_and_boxes():
    assert placement.point("27.5,-108") == (27.5, -108.0)
    with pytest.raises(ValueError):
        placement.point("27.5")
    box = "117,-157.5 0,-157.5 0,-75.5 117,-75.5 117,-157.5"  # as Graphviz draws a box
    assert placement.centre(box) == (58.5, -116.5)
    with pytest.raises(ValueError):
        placement.centre('0,0 1,1 2,2" onload="x')
