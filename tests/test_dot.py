"""autodiff.draw.dot: graph to DOT text, the same for every graph of one structure."""

import re

import pytest
from drawing_support import REUSE, build, by_id, frame, relabel, text

from autodiff.draw import dot, get_layout, render_frame, structure_key


def test_dot_is_deterministic_and_left_to_right():
    first, second = build(REUSE), build(REUSE)
    text_ = dot.dot_source(first)
    assert text_ == dot.dot_source(first) == dot.dot_source(second)
    assert "rankdir=LR" in text_
    for n in first.nodes:
        assert f"{n.id} [width=" in text_
    for e in first.edges:
        assert re.search(rf"\bn{e.src} -> n{e.dst} \[id={e.id}[] ]", text_)


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


def test_hostile_labels_reach_the_svg_as_plain_text():
    hostile = {0: 'w<1>&"x"', 1: "\\N\\G\\L", 6: "<script>alert(1)</script>"}
    graph = relabel(build(REUSE), hostile)
    source = dot.dot_source(graph)
    assert "w<1>" not in source and "w&lt;1" not in source and "script" not in source
    own = (r"n\d+ \[width=[\d.]+ height=[\d.]+\]|(graph|node|edge) \[.*\]"
           r"|n\d+ -> n\d+ \[id=e\d+( weight=\d)?( tailport=[ens])?( headport=[nw])?\]")
    for line in source.splitlines()[1:-1]:
        assert re.fullmatch(own, line), line
    drawn = render_frame(get_layout(graph), graph, None)
    assert "w&lt;1&gt;&amp;&quot;x&quot;" in drawn and "<script>" not in drawn
    root = frame(graph, None)
    assert text(root, "n0-label") == 'w<1>&"x"'
    assert text(root, "n1-label") == "\\N\\G\\L"
    assert text(root, "n6-label") == "<script>alert(1)</s…"
    assert root.find(".//script") is None


def test_effort_grows_with_size():
    assert dot.effort(10) == {}
    big = dot.effort(10**6)
    assert {"nslimit", "nslimit1", "mclimit", "searchsize"} <= set(big)


def test_bounded_effort_with_edge_labels_draws_straight_edges():
    """Routing around label nodes after the bounded network simplex took dot 5 s for this
    120-node chain; straight edges take a fraction of a second."""
    chain = "x = 0.5\ny = 1.5\na = x * y\n" + "\n".join(  # a is used all along the chain
        f"z{i} = tanh(z{i - 1}) * a + 0.1" if i else "z0 = x * a" for i in range(40))
    graph = build(chain + "\nf = z39 * x")
    assert "splines=polyline" in dot.dot_source(graph, edge_labels=False)
    assert "splines=line" in dot.dot_source(graph, edge_labels=True)
    assert dot.effort(10, edge_labels=True) == {}


def test_layout_size_counts_the_ranks_edges_cross():
    deep = build("x = 1\nf = sin(sin(sin(x)))")
    assert dot.layout_size(dot.structure(deep)) == len(deep.nodes)
    fan = build("x = 1\na = 2 * x\nf = " + " + ".join(["sin(a)"] * 20))
    assert dot.layout_size(dot.structure(fan)) > 4 * len(fan.nodes)


def rnn(steps: int, inputs: bool = False) -> str:
    """Backpropagation through time as taught: one weight `w` (and `u`) used on every line."""
    lines = ["w = 0.5", "u = 0.3", "h0 = 0.1"]
    for i in range(1, steps + 1):
        step = f"tanh(h{i - 1} * w + x{i} * u)" if inputs else f"tanh(h{i - 1} * w + 0.1)"
        lines += [f"x{i} = {0.01 * i}"] if inputs else []
        lines.append(f"h{i} = {step}")
    return "\n".join(lines + [f"f = h{steps}" + (" + u" if not inputs else "")])


@pytest.mark.parametrize("inputs", [False, True])
def test_a_leaf_used_on_every_line_is_drawn_once_with_a_copy_beside_each_use(inputs):
    graph = build(rnn(300, inputs))
    s = dot.structure(graph)
    w = graph.input_node("w").index
    uses = [k for k, e in enumerate(graph.edges) if e.src == w]
    assert len(uses) == 300 and set(uses) <= s.copied
    text = dot.structure_dot(s)
    assert f"n{w} -> " not in text and "\nu" not in text  # no edge and no box for a copy
    for k in uses[:5]:
        use = graph.edges[k].dst
        assert s.docks[use] == (k,) and f"e{k}]" not in text and f"id=e{k} " not in text
        docked, own = s.dock(use), s.nodes[use].box
        assert f"n{use} [width={docked.width / 72:.4f} height={docked.height / 72:.4f}]" in text
        assert docked.width == own.width and docked.height > own.height
        assert re.search(rf"-> n{use} \[id=e\d+( weight=2)? headport=w\]", text)
    # Only short edges left: about as much for dot as a plain chain of this size.
    assert s.size < 1.5 * len(s.nodes)


def test_docks_put_copies_across_the_flow_and_edges_through_the_middle():
    """Left to right, a copy stands above its use (a second below); top to bottom, left
    (and right). Either way the use sits in the middle of the box dot places, where the
    ports put the edges."""
    source = "w = 0.5\nu = 0.3\n" + "\n".join(f"a{i} = w * u" for i in range(6))
    source += "\nf = " + " + ".join(f"a{i}" for i in range(6))
    for direction, ports in (("lr", "headport=w"), ("tb", "headport=n")):
        s = dot.structure(build(source), direction=direction)
        use = next(iter(s.docks))
        docked, own = s.dock(use), s.nodes[use].box
        first, second = docked.copies
        x, y = docked.node
        assert (x + own.width / 2, y + own.height / 2) == (docked.width / 2, docked.height / 2)
        if direction == "lr":
            assert first.end == (own.width / 2, y) and second.end == (own.width / 2, y + own.height)
            assert first.corner[1] + first.box.height < y < y + own.height < second.corner[1]
        else:
            assert first.end == (x, own.height / 2) and second.end == (x + own.width, own.height / 2)
            assert first.corner[0] + first.box.width < x < x + own.width < second.corner[0]
        assert "w ↗" == first.text and "u ↗" == second.text
        assert ports not in dot.structure_dot(s)  # both arguments docked: no edge comes in


def test_a_copy_is_never_wider_than_its_use_left_to_right():
    long = "a_rather_long_weight"
    source = f"{long} = 0.5\nf = " + " + ".join(f"sin({long} * {i + 1})" for i in range(6))
    s = dot.structure(build(source))
    for use in s.docks:
        (copy,) = s.dock(use).copies
        assert copy.box.width <= s.nodes[use].box.width and copy.text.endswith("… ↗")


def test_a_leaf_used_a_few_times_keeps_its_edges():
    """The tutorials' reused input (w1 used twice) is drawn with both its edges."""
    graph = build("w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)")
    s = dot.structure(graph)
    assert not s.copied and " u" not in dot.structure_dot(s)
    shared = dot.structure(build("x = 2\nf = " + " * ".join(["x"] * (dot.SHARED_USES + 1))))
    assert len(shared.copied) == dot.SHARED_USES + 1
    assert shared.key != dot.structure(build("x = 2\nf = " + " * ".join(["x"] * 4))).key
