"""autodiff.draw.states: what each step shows, checked on the rendered frames."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from drawing_support import LAYERED, REUSE, build, classes, frame, text, value_lines

import autodiff
from autodiff.draw import states
from autodiff.draw.states import frame_state
from autodiff.examples import GALLERY, by_slug
from autodiff.format import display_height, display_rows
from web.encode import graph_json


def grad_lines(root: ET.Element, node) -> list[str]:
    return [text(root, f"{node.id}-g{i}") for i in range(display_height(node.shape))]


UNUSED = "x = 2.0\nunused = 3.0\nw = unused * 2\nv = [1.0, 2.0]\nu = v * 3\ny = x * x"
"""An unused scalar input and intermediate, an unused vector input and intermediate."""


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


def test_timelines_keep_few_snapshots_and_small_changes():
    graph = autodiff.build(LAYERED)
    line = states.timeline(graph)
    assert len(line.snapshots) <= states.MAX_SNAPSHOTS + 1
    assert line.stride >= states.MIN_STRIDE
    assert all(len(changes) < 20 for changes in line.changes)
    assert states.timeline(graph) is line
