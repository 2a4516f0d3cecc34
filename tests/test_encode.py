"""web.encode: the JSON of the public API, checked against the graph it encodes."""

import pytest

import autodiff
from autodiff.display import local_display
from autodiff.examples import GALLERY
from autodiff.format import display_rows
from web.encode import graph_json


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
