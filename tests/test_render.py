"""Drawing: DOT text, the sandboxed Graphviz run, the SVG drawn from its layout, frames, PNG."""

import dataclasses
import io
import os
import re
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import orjson
import pytest

import autodiff
from autodiff import draw
from autodiff.display import local_display
from autodiff.draw import (
    GraphvizUnavailable,
    LayoutError,
    dot,
    get_layout,
    graphviz,
    layout,
    layouts,
    render_frame,
    render_png,
    states,
    structure_key,
    svg,
)
from autodiff.draw.states import frame_state
from autodiff.examples import GALLERY, by_slug
from autodiff.format import display_height, display_rows
from web.encode import graph_json

REUSE = "w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)"
PRODUCT_600 = "x = 1.001\nf = " + "*".join(["x"] * 600)

SLOW = "x = 1\ny = 2\n" + "\n".join(f"x = x * y + sin(x) + {k}" for k in range(60))
"""A graph dot takes tens of milliseconds for: never done within a 0.1 ms deadline."""


def build(source: str, **kw) -> autodiff.Graph:
    return autodiff.build(source, **kw)


def svg_root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_id(root: ET.Element, ident: str) -> ET.Element:
    found = [el for el in root.iter() if el.get("id") == ident]
    assert len(found) == 1, f"{ident}: {len(found)} elements"
    return found[0]


def classes(root: ET.Element, ident: str) -> set[str]:
    return set(by_id(root, ident).get("class", "").split())


def text(root: ET.Element, ident: str) -> str:
    return by_id(root, ident).text or ""


def value_lines(root: ET.Element, node) -> list[str]:
    return [text(root, f"{node.id}-v{i}") for i in range(display_height(node.shape))]


def grad_lines(root: ET.Element, node) -> list[str]:
    return [text(root, f"{node.id}-g{i}") for i in range(display_height(node.shape))]


def frame(graph, step, **kw) -> ET.Element:
    return svg_root(render_frame(get_layout(graph, **kw), graph, step))


def relabel(graph, labels: dict[int, str]):
    nodes = tuple(dataclasses.replace(n, label=labels.get(n.index, n.label)) for n in graph.nodes)
    return dataclasses.replace(graph, nodes=nodes)


# --- DOT --------------------------------------------------------------------------------------


def test_dot_is_deterministic_and_left_to_right():
    first, second = build(REUSE), build(REUSE)
    text_ = dot.dot_source(first)
    assert text_ == dot.dot_source(first) == dot.dot_source(second)
    assert "rankdir=LR" in text_
    for n in first.nodes:
        assert f"{n.id} [width=" in text_
    for e in first.edges:
        assert f"n{e.src} -> n{e.dst} [id={e.id}]" in text_


def test_square_gives_two_edges_drawn_apart():
    graph = build("a = 3\nf = a*a")
    assert len(graph.edges) == 2
    assert len(re.findall(r"\bn0 -> n1\b", dot.dot_source(graph))) == 2
    root = frame(graph, None)
    paths = [by_id(root, e.id).find("{*}path").get("d") for e in graph.edges]
    assert len(set(paths)) == 2


def test_values_do_not_change_the_dot_or_the_layout():
    small, large = build("x = 2\nf = x*x + 1"), build("x = 123456.75\nf = x*x + 1")
    assert dot.dot_source(small) == dot.dot_source(large)
    assert structure_key(small) == structure_key(large)
    assert get_layout(small) is get_layout(large)
    a, b = render_frame(get_layout(small), small, 0), render_frame(get_layout(large), large, 0)
    assert a != b
    assert re.sub(r">[^<]*<", "><", a) == re.sub(r">[^<]*<", "><", b)


def test_structure_keys_tell_every_difference_apart():
    sources = [
        "x = 2\nf = x*x + 1", "y = 2\nf = y*y + 1", "x = 2\nf = x*x - 1",
        "x = [2, 3]\nf = sum(x*x + 1)", "x = [[2, 3]]\nf = sum(x*x + 1)",
        "x = 2\nf = 1 + x*x", "x = 2\ny = 3\nf = x*y", "x = 2\ny = 3\nf = y*x",
        "x = 2\nf = sum(x*x + [1, 2])", "x = 2\nf = sum(x*x + [1, 3])",
    ]
    keys = {structure_key(build(src)) for src in sources}
    keys.add(structure_key(build(sources[0]), edge_labels=True))
    assert len(keys) == len(sources) + 1


def test_cells_are_sized_from_the_shape():
    graph = build("A = [[1, 2, 3], [4, 5, 6]]\nf = sum(A)")
    width, height = dot.cell_size((2, 3))
    box = dot.structure(graph).nodes[0].box
    assert box.width >= width and box.height >= 2 * height
    assert f"n0 [width={box.width / 72:.4f} height={box.height / 72:.4f}]" in dot.dot_source(graph)
    assert dot.cell_size(()) == dot.cell_size(())
    assert dot.cell_size((2, 3))[0] > dot.cell_size((2,))[0] > dot.cell_size(())[0] - 1
    root = frame(graph, None)
    assert text(root, "n0-shape") == "⟨2×3⟩"
    rows = by_id(root, "n0").findall("{*}polygon[@class='slot-val']")
    ys = [float(v) for v in re.findall(r"[\d.]+", rows[0].get("points"))[1::2]]
    assert max(ys) - min(ys) == height


def test_boxes_fit_their_labels():
    narrow, wide = (build(f"{name} = 1\nf = {name} * 2") for name in ("a", "W" * 25))
    assert dot.structure(wide).nodes[0].box.width > dot.structure(narrow).nodes[0].box.width
    assert text(frame(wide, None), "n0-label") == "W" * 19 + "…"


def test_escape_makes_markup_inert():
    assert svg.escape('a<b&c>"d') == "a&lt;b&amp;c&gt;&quot;d"
    assert svg.escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    assert svg.escape("a\nb\x00\ud800") == "ab"
    assert svg.escape("\\N λ ⟨2⟩") == "\\N &#955; &#10216;2&#10217;"


def test_hostile_labels_reach_the_svg_as_plain_text():
    hostile = {0: 'w<1>&"x"', 1: "\\N\\G\\L", 6: "<script>alert(1)</script>"}
    graph = relabel(build(REUSE), hostile)
    source = dot.dot_source(graph)
    assert "w<1>" not in source and "w&lt;1" not in source and "script" not in source
    own = r"n\d+ \[width=[\d.]+ height=[\d.]+\]|n\d+ -> n\d+ \[id=e\d+\]|(graph|node|edge) \[.*\]"
    for line in source.splitlines()[1:-1]:
        assert re.fullmatch(own, line), line
    drawn = render_frame(get_layout(graph), graph, None)
    assert "w&lt;1&gt;&amp;&quot;x&quot;" in drawn and "<script>" not in drawn
    root = frame(graph, None)
    assert text(root, "n0-label") == 'w<1>&"x"'
    assert text(root, "n1-label") == "\\N\\G\\L"
    assert text(root, "n6-label") == "<script>alert(1)</s…"
    assert root.find(".//script") is None


def test_unicode_and_long_labels():
    name = "a" * 30
    graph = build(f"λ = 2\n{name} = λ * λ")
    root = frame(graph, None)
    assert text(root, "n0-label") == "λ"
    assert text(root, "n1-label") == "a" * 19 + "…"


def test_effort_grows_with_size():
    assert dot.effort(10) == {}
    big = dot.effort(10**6)
    assert {"nslimit", "nslimit1", "mclimit", "searchsize"} <= set(big)


def test_bounded_effort_with_edge_labels_draws_straight_edges():
    """Routing around label nodes after the bounded network simplex took dot 5 s for this
    120-node chain; straight edges take a fraction of a second."""
    chain = "x = 0.5\ny = 1.5\n" + "\n".join(
        f"z{i} = tanh(z{i - 1}) * y + 0.1" if i else "z0 = x * y" for i in range(30))
    graph = build(chain + "\nf = z29 * x")
    assert "splines=polyline" in dot.dot_source(graph, edge_labels=False)
    assert "splines=line" in dot.dot_source(graph, edge_labels=True)
    assert dot.effort(10, edge_labels=True) == {}


def test_layout_size_counts_the_ranks_edges_cross():
    deep = build("x = 1\nf = sin(sin(sin(x)))")
    assert dot.layout_size(dot.structure(deep)) == len(deep.nodes)
    fan = build("x = 1\nf = " + " + ".join(["sin(x)"] * 20))
    assert dot.layout_size(dot.structure(fan)) > 4 * len(fan.nodes)


# --- running dot ------------------------------------------------------------------------------


def test_layout_returns_svg():
    svg = layout("digraph { a -> b }")
    assert "<svg" in svg and "</svg>" in svg


def test_layout_timeout_is_a_layout_error():
    with pytest.raises(LayoutError, match="too large for Graphviz to lay out in 0.0001 s"):
        layout(dot.dot_source(build(SLOW)), timeout=1e-4)


def test_waiting_for_dot_works_without_pidfds(monkeypatch):
    """Where `os.pidfd_open` is missing (not Linux) dot is waited for by polling."""
    monkeypatch.delattr(os, "pidfd_open", raising=False)
    assert "<svg" in layout("digraph { a -> b }")
    with pytest.raises(LayoutError, match="too large for Graphviz to lay out in 0.0001 s"):
        layout(dot.dot_source(build(SLOW)), timeout=1e-4)


def test_a_layout_drawn_partly_while_dot_runs_is_the_same_layout():
    graph = build(by_slug("reuse").source)
    draw.clear_caches()
    pending = layouts.start_layout(graph, edge_labels=True)
    pending.prepare()
    early = pending.result()
    draw.clear_caches()
    late = layouts.get_layout(graph, edge_labels=True)
    assert early is not late
    assert (early.parts, early.slots, early.key) == (late.parts, late.slots, late.key)


def test_layout_failure_names_graphviz_error():
    with pytest.raises(LayoutError, match="^Graphviz failed: .*syntax error"):
        layout("digraph { a -> }")


def test_layout_cannot_read_files():
    svg = layout('digraph { a [image="/etc/passwd" label="x"] b [shapefile="/etc/hosts"] }')
    assert "<image" not in svg


def stand_in_dot(monkeypatch, tmp_path, script: str) -> None:
    """Lay out with a shell script in dot's place (and no spare, which is the real dot)."""
    path = tmp_path / "dot"
    path.write_text("#!/bin/sh\ncat > /dev/null\n" + script + "\n")
    path.chmod(0o755)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(path))
    monkeypatch.setattr(graphviz, "plugin_dir", lambda: None)  # not found by asking the script
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    draw.clear_caches()


START = """printf '<svg><g id="graph0" class="graph"><title>G</title>'; """
"""A stand-in dot's first words: an SVG begun, read piece by piece before dot is done."""


def stand_in_dot_failing_on(monkeypatch, tmp_path, word: str, script: str) -> None:
    """A stand-in dot that is the real one, but runs `script` when its input holds `word`."""
    path = tmp_path / "dot"
    path.write_text(
        f'#!/bin/sh\nin=$(cat)\ncase "$in" in *{word}*) {script};; esac\n'
        f'printf "%s" "$in" | exec {graphviz.dot_binary()} "$@"\n'
    )
    path.chmod(0o755)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(path))
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    draw.clear_caches()


def test_a_crash_on_this_graph_alone_is_the_graphs_layout_error(monkeypatch, tmp_path):
    stand_in_dot_failing_on(monkeypatch, tmp_path, "n1", START + "kill -SEGV $$")
    with pytest.raises(LayoutError, match=r"^Graphviz crashed \(SIGSEGV\) laying out") as err:
        get_layout(build("x = 1\nf = x * 2"))
    assert not isinstance(err.value, GraphvizUnavailable)


def test_a_crash_on_every_graph_is_graphviz_unavailable(monkeypatch, tmp_path):
    stand_in_dot(monkeypatch, tmp_path, START + "kill -SEGV $$")
    with pytest.raises(GraphvizUnavailable, match=r"Graphviz crashed \(SIGSEGV\) laying out"):
        get_layout(build("x = 1\nf = x * 2"))


def test_a_missing_dot_is_graphviz_unavailable(monkeypatch, tmp_path):
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(tmp_path / "no-dot"))
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    draw.clear_caches()
    with pytest.raises(GraphvizUnavailable, match="could not be started"):
        get_layout(build("x = 1\nf = x * 2"))
    assert not graphviz.dot_works()


def test_a_small_graph_timed_out_is_never_too_large(monkeypatch, tmp_path):
    """A dot that hangs on this graph alone: a 3-node graph is not too large, the server is
    in trouble."""
    stand_in_dot_failing_on(monkeypatch, tmp_path, "n1", "exec sleep 30")
    with pytest.raises(GraphvizUnavailable, match="too busy") as err:
        get_layout(build("x = 1\nf = x * 2"), timeout=0.5)
    assert "too large" not in err.value.message


def test_dot_that_stops_writing_midway_is_timed_out_and_killed(monkeypatch, tmp_path):
    stand_in_dot(monkeypatch, tmp_path, START + "echo $$ > pid; exec sleep 30")
    monkeypatch.setattr(graphviz, "empty_dir", lambda: str(tmp_path))
    started = time.monotonic()
    with pytest.raises(GraphvizUnavailable, match="it did not finish, on a two-node graph too"):
        get_layout(build("x = 1\nf = x * 2"), timeout=0.5)
    assert time.monotonic() - started < 3
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_dot_whose_output_cannot_be_read_is_stopped_at_once(monkeypatch, tmp_path):
    bad_edge = """<g id="e0" class="edge"><title>x</title><path d="M1,1C1,1 1,1 1,1e"/></g>"""
    script = START + f"printf '{bad_edge}<g id=\"n0\"'; echo $$ > pid; exec sleep 30"
    stand_in_dot(monkeypatch, tmp_path, script)
    monkeypatch.setattr(graphviz, "empty_dir", lambda: str(tmp_path))
    started = time.monotonic()
    with pytest.raises(LayoutError, match="^Graphviz produced an unreadable layout"):
        get_layout(build("x = 1\nf = x * 2"))
    assert time.monotonic() - started < 3
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_dot_that_writes_nothing_is_a_layout_error(monkeypatch, tmp_path):
    stand_in_dot(monkeypatch, tmp_path, "printf '  \\n'")
    with pytest.raises(GraphvizUnavailable, match="Graphviz produced no drawing"):
        get_layout(build("x = 1\nf = x * 2"))


def test_layout_error_is_an_autodiff_error():
    assert issubclass(LayoutError, autodiff.AutodiffError)


def test_600_factor_product_is_refused_or_drawn_never_anything_else():
    graph = build(PRODUCT_600)
    started = time.monotonic()
    try:
        result = get_layout(graph, timeout=3)
    except LayoutError as err:
        assert "Graphviz" in err.message
    else:
        assert result.nodes == 600
    assert time.monotonic() - started < 10


def test_600_factor_product_through_dot_itself():
    # Plain DOT of this graph crashes Graphviz 2.43 (SIGSEGV); other versions may be slow.
    edges = "\n".join(f"n{e.src} -> n{e.dst}" for e in build(PRODUCT_600).edges)
    started = time.monotonic()
    try:
        layout("digraph {\n" + edges + "\n}", timeout=5)
    except LayoutError as err:
        assert re.match(r"Graphviz crashed|the graph is too large|Graphviz failed", err.message)
    assert time.monotonic() - started < 15


def test_too_large_graphs_are_refused_without_running_dot(monkeypatch):
    def no_dot(*args, **kw):
        raise AssertionError("dot was run")

    monkeypatch.setattr(layouts, "DotRun", no_dot)
    graph = build("x = 1\nf = " + " + ".join(["sin(x)"] * 400))
    with pytest.raises(LayoutError, match="too large"):
        layouts.build_layout(dot.structure(graph))


# --- the cache --------------------------------------------------------------------------------


def test_cache_is_keyed_by_structure_and_bounded(monkeypatch):
    draw.clear_caches()
    calls = []
    real = layouts.start_build
    monkeypatch.setattr(layouts, "start_build", lambda s, t: calls.append(s) or real(s, t))
    monkeypatch.setattr(layouts, "CACHE_SIZE", 2)
    a = build("x = 2\nf = x + 1")
    assert get_layout(a) is get_layout(build("x = 2.5\nf = x + 1"))
    assert get_layout(a, edge_labels=True) is not get_layout(a)
    assert len(calls) == 2
    get_layout(build("x = 2\nf = x * 1"))  # drops the least recently used: a with labels
    get_layout(a)
    assert len(calls) == 3
    get_layout(a, edge_labels=True)
    assert len(calls) == 4


def test_cache_is_safe_across_threads():
    draw.clear_caches()
    graph = build(by_slug("gates").source)
    with ThreadPoolExecutor(4) as pool:
        layouts = list(pool.map(lambda _: get_layout(graph), range(8)))
    assert len({layout_.key for layout_ in layouts}) == 1
    assert get_layout(graph) in layouts


def test_a_timeout_is_cached_for_a_while_then_tried_again(monkeypatch):
    draw.clear_caches()
    graph = build(SLOW)
    with pytest.raises(LayoutError, match="lay out in 0.0001 s"):
        layouts.start_layout(graph, timeout=1e-4).result()
    with pytest.raises(LayoutError, match="lay out in 0.0001 s"):
        get_layout(graph)  # from the cache: with its 10 s dot would have succeeded
    monkeypatch.setattr(layouts, "RETRY_FAILURE_AFTER", 0.0)
    assert get_layout(graph).nodes == len(graph.nodes)
    draw.clear_caches()


def test_failures_are_cached(monkeypatch):
    draw.clear_caches()
    calls = []

    def fail() -> None:
        raise LayoutError("Graphviz failed: no")

    def failing(s, timeout):
        calls.append(s)
        return fail

    monkeypatch.setattr(layouts, "start_build", failing)
    graph = build(REUSE)
    for _ in range(2):
        with pytest.raises(LayoutError, match="no"):
            get_layout(graph)
    assert len(calls) == 1
    draw.clear_caches()


# --- the post-processed SVG -------------------------------------------------------------------


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


# --- frames -----------------------------------------------------------------------------------


def test_step_zero_shows_only_inputs_and_constants():
    graph = build(REUSE)
    root = frame(graph, 0)
    for n in graph.nodes:
        if n.kind == "op":
            assert value_lines(root, n) == ["·"]
            assert "pending" in classes(root, n.id)
        else:
            assert value_lines(root, n) == display_rows(n.value)
            assert "pending" not in classes(root, n.id)
        if n.kind != "const":
            assert grad_lines(root, n) == [""]


def test_forward_steps_fill_values_in_order():
    graph = build(REUSE)
    for k in range(1, graph.forward_steps + 1):
        root = frame(graph, k)
        step = graph.steps[k - 1]
        assert "current" in classes(root, graph.nodes[step.node].id)
        assert value_lines(root, graph.nodes[step.node]) == display_rows(
            graph.nodes[step.node].value
        )
        for e in step.edges:
            assert {"active", "forward"} <= classes(root, f"e{e}")
        later = [s.node for s in graph.steps[k : graph.forward_steps]]
        for i in later:
            assert "pending" in classes(root, f"n{i}")
    root = frame(graph, graph.forward_steps)
    assert value_lines(root, graph.output_node) == display_rows(graph.value)


def test_seed_step_gives_the_output_gradient_one():
    graph = build(REUSE)
    seed = graph.forward_steps + 1
    assert graph.steps[seed - 1].kind == "seed"
    root = frame(graph, seed)
    out = graph.output_node
    assert grad_lines(root, out) == ["1"]
    assert {"current", "grad-final"} <= classes(root, out.id)
    assert all(
        grad_lines(root, n) == [""] for n in graph.nodes if n is not out and n.kind != "const"
    )


@pytest.mark.parametrize("slug", ["reuse", "gates", "matvec", "dense", "circuit", "routes"])
def test_last_frame_shows_every_gradient(slug):
    graph = build(by_slug(slug).source)
    root = frame(graph, None)
    assert ET.tostring(root) == ET.tostring(frame(graph, len(graph.steps)))
    for name, grad in graph.gradients.items():
        node = graph.input_node(name)
        assert grad_lines(root, node) == display_rows(grad)
        assert "grad-final" in classes(root, node.id)
    for n in graph.nodes:
        assert value_lines(root, n) == display_rows(n.value)
        if n.kind == "const":
            assert not {"grad-partial", "grad-final"} & classes(root, n.id)


def test_reused_input_is_partial_then_final():
    graph = build(REUSE)
    w1 = graph.input_node("w1")
    arrivals = [
        k
        for k, s in enumerate(graph.steps, start=1)
        for c in s.contributions
        if c.target == w1.index
    ]
    assert len(arrivals) == 2
    first, second = arrivals
    assert "grad-partial" not in classes(frame(graph, first - 1), w1.id)
    root = frame(graph, first)
    assert "grad-partial" in classes(root, w1.id) and "grad-final" not in classes(root, w1.id)
    partial = graph.steps[first - 1].contributions
    assert grad_lines(root, w1) == display_rows(
        next(c.total for c in partial if c.target == w1.index)
    )
    root = frame(graph, second)
    assert "grad-final" in classes(root, w1.id) and "grad-partial" not in classes(root, w1.id)
    assert grad_lines(root, w1) == display_rows(graph.gradients["w1"])


def test_backward_edges_are_active_backward():
    graph = build(REUSE)
    k = graph.forward_steps + 2
    step = graph.steps[k - 1]
    assert step.phase == "backward" and step.edges
    root = frame(graph, k)
    for e in graph.edges:
        expected = {"active", "backward"} if e.index in step.edges else set()
        assert classes(root, e.id) - {"edge", f"arg{e.arg}"} == expected


def test_steps_are_clamped():
    graph = build(REUSE)
    assert frame_state(graph, -3) == frame_state(graph, 0)
    assert frame_state(graph, 10**6) == frame_state(graph, None)
    assert frame_state(graph, None).step == len(graph.steps)


def test_dead_and_nonfinite_classes():
    graph = build("x = 1\ny = 2\nu = y * 3\nf = x * 2")
    u = next(n for n in graph.nodes if n.label == "u")
    root = frame(graph, None)
    assert "dead" in classes(root, u.id)
    assert "grad-partial" not in classes(root, u.id)
    into_u = [e for e in graph.edges if e.dst == u.index]
    assert all("dead" in classes(root, e.id) for e in into_u)

    bad = build(by_slug("instability").source, dtype="float32")
    root = frame(bad, None)
    assert any("nonfinite" in classes(root, n.id) for n in bad.nodes)
    assert any("nonfinite-grad" in classes(root, n.id) for n in bad.nodes)
    assert not any("nonfinite" in classes(frame(bad, 0), n.id) for n in bad.nodes if n.kind == "op")


UNUSED = "x = 2.0\nunused = 3.0\nw = unused * 2\nv = [1.0, 2.0]\nu = v * 3\ny = x * x"
"""An unused scalar input and intermediate, an unused vector input and intermediate."""


def test_unused_values_show_gradient_zero_from_the_seed_on():
    # Regression: nothing ever flows into a value the output does not depend on, so its
    # gradient row stayed empty in every frame although its gradient (in the JSON) is 0.
    graph = build(UNUSED)
    body = graph_json(graph, check=False)
    seed = graph.forward_steps + 1
    unused = [n for n in graph.nodes if n.label in ("unused", "w", "v", "u")]
    assert [n.index for n in unused] == list(graph.unused)
    assert graph.gradients["unused"] == 0 and graph.gradients["v"].tolist() == [0, 0]
    for k in range(len(graph.steps) + 1):
        root = frame(graph, k)
        for n in unused:
            json_node = body["nodes"][n.index]
            assert not np.any(json_node["grad"])
            if k < seed:
                assert grad_lines(root, n) == [""]
                assert not {"grad-partial", "grad-final"} & classes(root, n.id)
            else:
                assert grad_lines(root, n) == json_node["display"]["grad"] == display_rows(
                    np.zeros(n.shape)
                )
                assert {"dead", "grad-final"} <= classes(root, n.id)
        for n in graph.nodes:
            if n.kind == "const":
                assert not {"grad-partial", "grad-final"} & classes(root, n.id)
    assert states.final_state(graph) == frame_state(graph, len(graph.steps))


def test_edge_labels_show_the_local_derivative_once_computed():
    graph = build(REUSE)
    body = graph_json(graph, check=False)
    root = frame(graph, 0, edge_labels=True)
    assert all(text(root, f"{e.id}-local") == "·" for e in graph.edges)
    root = frame(graph, None, edge_labels=True)
    for e, json_edge in zip(graph.edges, body["edges"]):
        assert text(root, f"{e.id}-local") == json_edge["local_display"]


@pytest.mark.parametrize("source", [e.source for e in GALLERY] + [
    "x = 1\ny = 2\nf = y * 3", "x = 0\nf = log(x) * x", "x = 1e308\nf = x * x * 0 + 1",
    "x = 2\nf = x", "1", "x = 2\nf = 3", "A = [[1, 2]]\nf = sum(A * 0) + 3", "pi", UNUSED,
])
def test_the_last_frame_worked_out_directly_is_the_last_frame(source):
    graph = build(source)
    assert states.final_state(graph) == frame_state(graph, None)


def test_frame_state_matches_the_rendered_frame():
    graph = build(by_slug("dense").source)
    layout_ = get_layout(graph)
    for k in range(len(graph.steps) + 1):
        state = frame_state(graph, k)
        root = svg_root(render_frame(layout_, graph, k))
        for n, ns in zip(graph.nodes, state.nodes):
            assert classes(root, n.id) == {"node", f"kind-{n.kind}", *ns.classes} | (
                {"output"} if n.index == graph.output else set()
            )
            assert value_lines(root, n) == list(ns.value)


def test_render_frame_refuses_a_layout_of_another_graph():
    with pytest.raises(ValueError):
        render_frame(get_layout(build(REUSE)), build("x = 1\nf = x + 1"), 0)


def test_frames_are_fast():
    source = "x = 0.5\ny = 1.5\n" + "\n".join(
        f"z{i} = sin(z{i - 1}) + 0.5" if i else "z0 = x * y" for i in range(33)
    )
    graph = build(source)
    assert 95 <= len(graph.nodes) <= 110
    layout_ = get_layout(graph)
    render_frame(layout_, graph, 1)
    started = time.perf_counter()
    for k in range(len(graph.steps) + 1):
        render_frame(layout_, graph, k)
    per_frame = (time.perf_counter() - started) / (len(graph.steps) + 1)
    assert per_frame < 0.005


# --- PNG --------------------------------------------------------------------------------------


def test_png_is_a_png_and_honours_the_frame_css():
    from PIL import Image

    graph = build(REUSE)
    png = render_png(get_layout(graph), graph, graph.forward_steps + 1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    layout_ = get_layout(graph)
    assert image.width == pytest.approx(
        layout_.width * 2 * 4 / 3, rel=0.02
    ) or image.width == pytest.approx(layout_.width * 2, rel=0.02)
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    amber = np.all(np.abs(pixels - [0xD9, 0x77, 0x06]) < 30, axis=1).sum()
    assert amber > 100  # the current node's outline comes from the embedded CSS


@pytest.mark.parametrize("source", [e.source for e in GALLERY] + [
    "x = 2.0\nunused = [1, 2]\nz = unused * 3\ny = x * x",
    "W = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 1], [2, 3]]\nv = [1, 2]\nf = sum(tanh(W @ v))",
])
def test_json_display_texts_are_their_numbers_formatted(source):
    """The display lines the JSON and the frames share (worked out once per graph) belong to
    the right node, edge and contribution."""
    graph = autodiff.build(source)
    body = graph_json(graph, check=False)
    for node, json_node in zip(graph.nodes, body["nodes"]):
        assert json_node["display"]["value"] == display_rows(node.value)
        assert json_node["display"]["grad"] == (
            None if node.grad is None else display_rows(node.grad))
    totals = [c for step in body["steps"] for c in step["contributions"]]
    assert len(totals) == len(graph.contributions)
    for json_c, c in zip(totals, graph.contributions):
        assert json_c["total_display"] == display_rows(c.total)
        assert json_c["target"] == graph.nodes[c.target].id
    for edge, json_edge in zip(graph.edges, body["edges"]):
        assert json_edge["local_display"] == local_display(edge.local)


def test_dot_runs_in_one_empty_directory_made_again_if_removed():
    first = graphviz.empty_dir()
    draw.clear_caches()
    layouts.get_layout(build("a = 1\nb = 2\nf = a * b + sin(a)"))
    assert graphviz.empty_dir() == first and os.listdir(first) == []
    os.rmdir(first)
    again = graphviz.empty_dir()
    assert os.path.isdir(again) and again != first
    draw.clear_caches()
    assert layouts.get_layout(build("a = 2\nf = a * a")).nodes == 2


def counted_builds(monkeypatch) -> list[str]:
    """The keys of every dot run started from now on."""
    runs: list[str] = []
    real = layouts.start_build

    def start_build(s, timeout=graphviz.LAYOUT_TIMEOUT):
        runs.append(s.key)
        return real(s, timeout)

    monkeypatch.setattr(layouts, "start_build", start_build)
    return runs


def test_one_dot_run_for_a_structure_asked_for_while_it_runs(monkeypatch):
    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    graph = autodiff.build(by_slug("gates").source)
    first, second = layouts.start_layout(graph), layouts.start_layout(graph)
    assert first is second
    with ThreadPoolExecutor(4) as pool:  # several requests waiting for the same run
        made = list(pool.map(lambda pending: pending.result(), [first] * 4 + [second] * 4))
    assert all(layout is made[0] for layout in made)
    assert layouts.start_layout(graph).result() is made[0]  # then from the cache
    assert len(runs) == 1


def test_a_run_no_request_waits_for_is_forgotten(monkeypatch):
    import gc

    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    graph = autodiff.build(by_slug("reuse").source)
    pending = layouts.start_layout(graph)
    dot_process = pending._finish.run.dot.proc
    del pending
    gc.collect()
    assert len(layouts._RUNNING) == 0
    assert dot_process.wait(timeout=5) is not None  # stopped, not left running
    assert layouts.get_layout(graph).key == layouts.structure_key(graph)
    assert len(runs) == 2


def test_requests_for_one_new_program_at_once_share_one_analysis(monkeypatch):
    """A lecture hall opening one link: the first request works the program out and lays it
    out; the others wait for it and answer the same."""
    import threading

    from autodiff import parser
    from autodiff.evaluate import clear_known_traces
    from web import service

    service._analyses.clear()
    clear_known_traces()
    parser.clear_known_statements()
    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    traces = []
    real_trace = service.trace
    monkeypatch.setattr(service, "trace", lambda *a: traces.append(a) or real_trace(*a))
    source = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)\nlecture = y * 1"
    start = threading.Barrier(8)

    def open_link(_):
        start.wait()
        return service.graph_answer(source, service.Options())

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(open_link, range(8)))
    assert len(traces) == 1 and len(runs) == 1
    assert all(body == bodies[0] for body in bodies)
    answer = orjson.loads(bodies[0])
    u = 3 * 2.0 + 1.5  # d/dw1 w1 cos(u) = cos(u) - 3 w1 sin(u), d/dw2 = -w1 sin(u)
    assert answer["gradients"]["w1"] == pytest.approx(np.cos(u) - 6 * np.sin(u), rel=1e-14)
    assert answer["gradients"]["w2"] == pytest.approx(-2 * np.sin(u), rel=1e-14)
    assert answer["layout"]["svg"].startswith("<svg")


def test_requests_waiting_for_a_program_that_fails_get_its_error():
    from autodiff.errors import AutodiffError
    from web import service

    service._analyses.clear()
    source = "x = 2\ny = x * nope"

    def open_link(_):
        try:
            service.graph_answer(source, service.Options())
        except AutodiffError as err:
            return err.message, err.line, err.col
        return None

    with ThreadPoolExecutor(6) as pool:
        errors = list(pool.map(open_link, range(6)))
    assert errors == [("name 'nope' has no value; add a line such as 'nope = 1.0'", 2, 9)] * 6
    assert service._WORKING == {}


def test_frames_of_one_new_program_asked_for_at_once_share_one_analysis(monkeypatch):
    """Slides showing one `/svg` frame, opened by many at once: one build, one dot run."""
    import threading

    from web import service

    service._analyses.clear()
    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    builds = []
    real_build = service._build
    monkeypatch.setattr(service, "_build", lambda key: builds.append(key) or real_build(key))
    # Long enough that building it outlasts a thread's turn with the interpreter.
    source = "t0 = 0.5\nt1 = 1.5\n" + "".join(
        f"t{k} = tanh(t{k - 1}) * t{k - 2} + 0.1\n" for k in range(2, 60))
    start = threading.Barrier(8)

    def open_slide(_):
        start.wait()
        return service.frame_svg(source, service.Options(), 3)

    with ThreadPoolExecutor(8) as pool:
        frames_ = list(pool.map(open_slide, range(8)))
    assert len(builds) == 1 and len(runs) == 1
    assert all(frame == frames_[0] for frame in frames_) and frames_[0].startswith("<svg")


def test_a_server_fault_is_never_cached(monkeypatch, tmp_path):
    """dot missing, then back: the next request lays the graph out."""
    real = graphviz.dot_binary()
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(tmp_path / "no-dot"))
    draw.clear_caches()
    graph = build(REUSE)
    with pytest.raises(GraphvizUnavailable):
        get_layout(graph)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: real)
    assert get_layout(graph).nodes == len(graph.nodes)


def test_a_graphs_own_failure_expires(monkeypatch):
    draw.clear_caches()
    runs = []

    def failing(s, timeout):
        runs.append(s)
        raise LayoutError("Graphviz failed: no")

    monkeypatch.setattr(layouts, "start_build", failing)
    graph = build(REUSE)
    for _ in range(2):
        with pytest.raises(LayoutError):
            get_layout(graph)
    assert len(runs) == 1
    monkeypatch.setattr(layouts, "RETRY_FAILURE_AFTER", 0.0)
    with pytest.raises(LayoutError):
        get_layout(graph)
    assert len(runs) == 2
    draw.clear_caches()
