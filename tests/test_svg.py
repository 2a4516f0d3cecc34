"""autodiff.draw.svg: our own SVG, only our elements and attributes, every text escaped."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from drawing_support import (
    PROGRAMS,
    REUSE,
    REUSE_LINES,
    build,
    by_id,
    classes,
    frame,
    relabel,
    svg_root,
)

import autodiff
from autodiff.draw import get_layout, render_frame, svg
from autodiff.examples import by_slug
from autodiff.format import display_height

ELEMENTS = {"svg", "style", "rect", "g", "title", "path", "polygon", "text"}


ATTRIBUTES = {
    "xmlns", "class", "role", "width", "height", "viewBox", "x", "y", "fill", "id",
    "transform", "d", "points", "text-anchor", "{http://www.w3.org/XML/1998/namespace}space",
}  # fmt: skip


def tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


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


def near_box(point, box, slack: float = 3.0) -> bool:
    """Whether a point lies on a box's border, give or take `slack` points."""
    (x, y), (x0, y0, x1, y1) = point, box
    inside = x0 - slack <= x <= x1 + slack and y0 - slack <= y <= y1 + slack
    return inside and min(abs(x - x0), abs(x - x1), abs(y - y0), abs(y - y1)) <= slack


def test_escape_makes_markup_inert():
    assert svg.escape('a<b&c>"d') == "a&lt;b&amp;c&gt;&quot;d"
    assert svg.escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert svg.escape("a\nb\x00\ud800") == "ab"
    assert svg.escape("\\N λ ⟨2⟩") == "\\N &#955; &#10216;2&#10217;"


@pytest.mark.parametrize("slug", ["reuse", "gates", "matvec", "dense"])
def test_svg_ids_classes_and_no_active_content(slug):
    graph = build(by_slug(slug).source)
    svg = render_frame(get_layout(graph, edge_labels=True), graph, None)
    assert not svg.startswith("<?xml") and "<!DOCTYPE" not in svg and "<!--" not in svg
    root = svg_root(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("class") == "adgraph" and root.get("viewBox")
    assert root[0].tag.endswith("style") and ".adgraph" in root[0].text
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        assert tag not in ("script", "foreignObject", "a", "image", "use", "iframe")
        for name in el.attrib:
            assert not name.lower().startswith("on")
            assert "href" not in name
    for n in graph.nodes:
        group = by_id(root, n.id)
        assert {"node", f"kind-{n.kind}"} <= classes(root, n.id)
        assert group.find("{*}title").text == n.label
        assert len(group.findall("{*}*[@class='outline']")) == 1
        assert by_id(root, f"{n.id}-label").get("class") == "label"
        assert (group.find(f"{{*}}text[@id='{n.id}-op']") is not None) == (n.kind == "op")
        lines = display_height(n.shape)
        for i in range(lines):
            v = by_id(root, f"{n.id}-v{i}")
            assert v.get("class") == "val" and v.get("text-anchor") == "end"
            assert v.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
        assert group.findall("{*}text[@class='cue-val']")
        assert group.findall("{*}polygon[@class='slot-val']")
        has_grad = n.kind != "const"
        assert bool(group.findall("{*}text[@class='grad']")) == has_grad
        assert len(group.findall("{*}text[@class='grad']")) == (lines if has_grad else 0)
        assert bool(group.findall("{*}polygon[@class='slot-grad']")) == has_grad
    for e in graph.edges:
        group = by_id(root, e.id)
        assert "edge" in classes(root, e.id)
        assert group.find("{*}path") is not None
        assert len(group.findall("{*}polygon[@class='head']")) == 1
        assert len(group.findall("{*}polygon[@class='back-head']")) == 1
        assert by_id(root, f"{e.id}-local").get("class") == "local"


def test_back_head_points_at_the_source():
    graph = build(REUSE)
    root = frame(graph, None)
    for e in graph.edges:
        group = by_id(root, e.id)
        d = group.find("{*}path").get("d")
        x0, y0 = (float(v) for v in re.findall(r"-?[\d.]+", d)[:2])
        pts = [
            float(v)
            for v in re.findall(
                r"-?[\d.]+", group.find("{*}polygon[@class='back-head']").get("points")
            )
        ]
        tip = (pts[2], pts[3])
        assert tip == pytest.approx((x0, y0), abs=0.01)
        head = [
            float(v)
            for v in re.findall(r"-?[\d.]+", group.find("{*}polygon[@class='head']").get("points"))
        ]
        assert np.hypot(head[0] - pts[0], head[1] - pts[1]) > 5


def test_number_cells_are_right_aligned_inside_their_cell():
    graph = build(by_slug("matvec").source)
    root = frame(graph, None)
    a = graph.input_node("A")
    xs = {float(by_id(root, f"{a.id}-{k}{i}").get("x")) for k in "vg" for i in range(2)}
    assert len(xs) == 1


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
    graph = relabel(autodiff.build(REUSE_LINES), hostile)
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
