"""web.encode: the JSON of the public API, checked against the graph it encodes."""

import math

import numpy as np
import pytest

import autodiff
from autodiff.display import local_display
from autodiff.examples import GALLERY
from autodiff.format import display_rows
from autodiff.gradcheck import gradient_check
from web.encode import array, check_json, graph_json, number


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


@pytest.mark.parametrize("x, spelled", [
    (1.5, 1.5), (-0.0, -0.0), (np.float32(0.25), 0.25), (math.nan, "NaN"),
    (math.inf, "Infinity"), (-math.inf, "-Infinity"),
])
def test_numbers_are_floats_or_the_api_s_words_for_nonfinite_ones(x, spelled):
    assert number(x) == spelled and type(number(x)) is type(spelled)


def test_arrays_are_nested_lists_with_nonfinite_entries_spelled():
    assert array(None) is None
    assert array(np.float64(2.0)) == 2.0
    assert array(np.array([[1.0, 2.0], [3.0, 4.0]])) == [[1.0, 2.0], [3.0, 4.0]]
    assert array(np.array([[1.0, np.nan], [-np.inf, 4.0]])) == [[1.0, "NaN"], ["-Infinity", 4.0]]


def test_the_body_names_nodes_and_edges_by_their_ids():
    graph = autodiff.build("a = 4\nb = 3\nc = a + b\nd = a * c")  # "multiply along a route"
    body = graph_json(graph)
    ids = [n["id"] for n in body["nodes"]]
    assert ids == [f"n{k}" for k in range(len(graph.nodes))]
    assert body["output"] == ids[graph.output] and body["value"] == 28.0
    assert body["inputs"] == ["a", "b"]
    assert body["gradients"] == {"a": 11.0, "b": 4.0}  # d = a(a + b): 2a + b, and a
    assert [(e["src"], e["dst"], e["arg"]) for e in body["edges"]] == [
        (ids[e.src], ids[e.dst], e.arg) for e in graph.edges]
    assert body["counts"] == {"forward": graph.forward_steps, "backward": graph.backward_steps}
    assert [s["index"] for s in body["steps"]] == list(range(1, len(graph.steps) + 1))
    assert {s["node"] for s in body["steps"]} <= set(ids)
    c = next(n for n in body["nodes"] if n["name"] == "c")
    assert (c["op"], c["kind"], c["grad"], c["shape"], c["line"]) == ("add", "op", 4.0, [], 3)


def test_the_check_table_is_the_gradient_check():
    graph = autodiff.build("x = 0.3\ny = -1.2\nf = exp(x * y) + y**2")
    table = check_json(graph)
    rows, total = gradient_check(graph)
    assert table["total"] == total == 2
    by_input = {row["input"]: row for row in table["rows"]}
    # Hand-derived: df/dx = y·exp(xy), df/dy = x·exp(xy) + 2y.
    assert by_input["x"]["autodiff"] == pytest.approx(-1.2 * math.exp(-0.36), rel=1e-14)
    assert by_input["y"]["autodiff"] == pytest.approx(0.3 * math.exp(-0.36) - 2.4, rel=1e-14)
    for row in table["rows"]:
        assert row["numeric"] == pytest.approx(row["autodiff"], rel=1e-7) and row["ok"] is True


def test_forward_mode_is_in_the_body_only_when_asked_for():
    source = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
    assert "forward_mode" not in graph_json(autodiff.build(source), check=False)
    body = graph_json(autodiff.build(source, forward="w2"), check=False)
    assert body["forward_mode"]["input"] == "w2"
    assert body["forward_mode"]["derivative"] == pytest.approx(-2 * math.sin(7.5), rel=1e-14)
    assert body["forward_mode"]["tangents"][0] == 0.0  # w1 does not move with w2


def test_nonfinite_values_reach_the_body_as_words():
    body = graph_json(autodiff.build("x = 0\nf = log(x) * 2"), check=False)
    assert body["value"] == "-Infinity"
    assert body["nodes"][0]["grad"] == "Infinity"  # d/dx 2 log(x) = 2/x, at 0
    assert body["problems"][0]["message"] == "z1 = log(0) gives -Infinity: the log of 0 is -∞"


@pytest.mark.parametrize("source, prefix", [
    ("w1 = 2\nf = w1 * 3", "g"),
    ("x = 2\ngx = 3\ny = x * gx", "∇"),
])
def test_the_body_says_how_gradients_are_written(source, prefix):
    """The page names gradients in its chips as the step texts do (`gx`, or `∇x` beside a
    name `gx`), from `gradient_prefix`."""
    body = graph_json(autodiff.build(source), check=False)
    assert body["gradient_prefix"] == prefix
    seed = next(s for s in body["steps"] if s["kind"] == "seed")
    assert seed["text"].startswith(f"{prefix}{body['nodes'][-1]['name']} = 1")
