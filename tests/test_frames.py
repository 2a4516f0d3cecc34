"""autodiff.draw.frames: a step's SVG text, the fast path against the reference."""


import pytest
from drawing_support import PROGRAMS, REUSE, build, classes, svg_root, value_lines

import autodiff
from autodiff.draw import frames, get_layout, render_frame, render_state, states
from autodiff.draw.states import frame_state
from autodiff.examples import by_slug


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
