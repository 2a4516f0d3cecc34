"""`expand=` on the web: checked, cached apart, laid out apart, kept by links and QR codes."""

from __future__ import annotations

import orjson
import pytest

from autodiff import draw
from web.links import content_of
from web.service import Options, analyse, graph_answer

SIGMOID = "x = 2\ns = sigmoid(x)"


def test_an_expanded_graph_is_analysed_and_laid_out_apart():
    collapsed = orjson.loads(graph_answer(SIGMOID, Options()))
    expanded = orjson.loads(graph_answer(SIGMOID, Options(expand=frozenset({"sigmoid"}))))
    assert len(collapsed["nodes"]) == 2 and len(expanded["nodes"]) == 8
    assert collapsed["composites"] == ["sigmoid"] and expanded["composites"] == []
    assert collapsed["layout"]["key"] != expanded["layout"]["key"]
    assert expanded["gradients"]["x"] == pytest.approx(collapsed["gradients"]["x"], rel=1e-15)
    again = analyse(SIGMOID, Options()).graph  # the collapsed analysis was not replaced
    assert len(again.nodes) == 2
    layout = draw.get_layout(analyse(SIGMOID, Options(expand=frozenset({"sigmoid"}))).graph)
    assert layout.key == expanded["layout"]["key"]


def test_the_api_checks_expand(client):
    answer = client.get("/api/graph", query_string={"src": SIGMOID, "expand": "relu"})
    assert answer.status_code == 400
    assert "expand takes composite ops (sigmoid, tanh, softmax)" in answer.json["error"]["message"]
    answer = client.post("/api/graph", json={"src": SIGMOID, "expand": ["sigmoid"]})
    assert answer.status_code == 400
    body = client.post("/api/graph", json={"src": SIGMOID, "expand": "all"}).json
    assert [n["op"] for n in body["nodes"] if n["kind"] == "op"] == ["mul", "exp", "add", "div"]


def test_frames_and_exports_draw_the_expanded_graph(client):
    svg = client.get("/svg", query_string={"src": SIGMOID, "expand": "sigmoid"}).text
    assert svg.count('class="node') == client.get(
        "/svg", query_string={"src": SIGMOID}).text.count('class="node') + 6


def test_a_link_keeps_what_it_expands():
    assert content_of({"src": SIGMOID, "expand": "tanh,sigmoid"})["expand"] == "sigmoid,tanh"
    assert content_of({"src": SIGMOID, "expand": "all,tanh"})["expand"] == "all"
    assert "expand" not in content_of({"src": SIGMOID, "expand": ""})
