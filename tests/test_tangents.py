"""Forward mode as steps (`autodiff.tangents`): texts, tangents and the views that show them."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import autodiff
from autodiff import format as fmt
from autodiff.errors import AutodiffError
from autodiff.examples import GALLERY, by_slug
from autodiff.tangents import dotted, forward_view

REUSE = by_slug("reuse").source


def scalar_inputs(graph):
    return [n.name for n in graph.nodes if n.kind == "input" and n.shape == ()]


CASES = [(e.slug, name) for e in GALLERY for name in scalar_inputs(autodiff.build(e.source))]


def test_the_reuse_example_step_by_step_is_hand_derived():
    steps = forward_view(autodiff.build(REUSE, forward="w1")).steps
    tangents = [line for s in steps for line in s.text.splitlines()[1:]]
    d = -math.sin(7.5) * 3
    assert tangents == [
        "ẇ1 = 1: forward mode differentiates by w1 (ẇ2 = 0)",
        "ż1 = 3 · ẇ1 = 3 · 1 = 3",
        "ż2 = ż1 = 3",
        f"ż3 = -sin(z2) · ż2 = -sin(7.5) · 3 = {fmt.number(d)}",
        f"ẏ = z3 · ẇ1 + w1 · ż3 = 0.3466 · 1 + 2 · ({fmt.number(d)}) = "
        f"{fmt.number(math.cos(7.5) + 2 * d)}",
    ]
    assert all(s.phase == "forward" for s in steps) and len(steps) == 4


@pytest.mark.parametrize("slug, name", CASES)
def test_forward_equals_reverse_for_every_scalar_input_of_the_gallery(slug, name):
    graph = autodiff.build(by_slug(slug).source, forward=name)
    view = forward_view(graph)
    out = view.nodes[view.output]
    np.testing.assert_allclose(out.grad, graph.gradients[name], rtol=1e-12, atol=1e-12)
    last = view.steps[-1].text.splitlines()[-1]
    if np.isfinite(graph.gradients[name]).all():
        assert last.endswith(f"= {fmt.value(graph.gradients[name])}") or "does not depend" in last


@pytest.mark.parametrize("slug, name", CASES)
def test_every_tangent_shown_matches_finite_differences_of_its_value(slug, name):
    """Each node's tangent against (value(x + h) − value(x − h)) / 2h of the same program."""
    source = by_slug(slug).source
    view = forward_view(autodiff.build(source, forward=name))
    x = float(view.nodes[[n.name for n in view.nodes].index(name)].value)
    h = 1e-6 * max(1.0, abs(x))
    pattern = rf"^({re.escape(name)}\s*=\s*)([-+.\deE]+)"
    shifted = [autodiff.build(re.sub(pattern, lambda m, at=x + s: m[1] + repr(at), source,
                                     flags=re.M)) for s in (h, -h)]
    for node, up, down in zip(view.nodes, *(g.nodes for g in shifted)):
        if node.kind != "op" or not np.isfinite(node.value).all():
            continue
        numeric = (up.value - down.value) / (2 * h)
        np.testing.assert_allclose(node.grad, numeric, rtol=1e-5, atol=1e-6)


def test_tangent_names_put_a_dot_over_the_first_letter():
    assert [dotted(n) for n in ("z3", "w1", "x", "θ")] == ["ż3", "ẇ1", "ẋ", "θ̇"]


def test_a_value_that_does_not_depend_on_the_input_says_so():
    view = forward_view(autodiff.build("x = 2\ny = 3\na = y * y\nf = a + x", forward="x"))
    assert "ȧ = 0: a does not depend on x" in view.steps[0].text


def test_matrix_products_keep_only_the_terms_that_move():
    source = "A = [[1, 2], [3, 4]]\nx = 2\nb = [1, -1]\nf = sum(A @ (x * b))"
    texts = [s.text.splitlines()[-1] for s in forward_view(autodiff.build(source, forward="x")).steps]
    assert texts[1] == "ż2 = A @ ż1 = [[1, 2], [3, 4]] @ [1, -1] = [-1, -1]"
    assert texts[2] == "ḟ = sum(ż2) = sum([-1, -1]) = -2"


def test_an_array_input_cannot_be_followed_on_the_graph():
    with pytest.raises(AutodiffError, match="'A' is an array"):
        forward_view(autodiff.build("A = [[1, 2], [3, 4]]\nf = sum(A)", forward="A"))


def test_the_api_answers_forward_steps_in_json_and_frames(client):
    query = {"src": REUSE, "mode": "forward", "forward": "w1"}
    body = client.get("/api/graph", query_string=query).get_json()
    assert body["view"] == "forward" and body["counts"] == {"forward": 4, "backward": 0}
    assert body["forward_mode"]["derivative"] == pytest.approx(body["gradients"]["w1"], abs=1e-12)
    assert body["nodes"][-1]["display"]["grad"] == ["-5.2814"]
    svg = client.get("/svg", query_string={**query, "step": 3}).data.decode()
    assert 'class="adgraph tangents"' in svg and "&#7787;" in svg and "&#8711;" not in svg
    assert client.get("/png", query_string={**query, "step": 3}).status_code == 200
    reverse = client.get("/svg", query_string={"src": REUSE, "step": 3}).data.decode()
    assert "tangents" not in reverse.split(">", 1)[0]


def test_the_api_refuses_forward_mode_without_an_input(client):
    answer = client.get("/api/graph", query_string={"src": REUSE, "mode": "forward"})
    assert answer.status_code == 400 and "forward=x" in answer.get_json()["error"]["message"]


def test_a_number_spread_over_an_array_says_so():
    """`v̇ = ẋ for each element = 1 for each element = [1, 1]`, never `ẋ = 1 = [1, 1]`,
    which equates a number with an array."""
    from autodiff.tangents import forward_view
    graph = autodiff.build("x = 0\nw = [0, 0]\nv = x + w\nu = w - x\nf = sum(v) + sum(u)",
                           forward="x")
    texts = [s.text.splitlines()[-1] for s in forward_view(graph).steps]
    assert "v̇ = ẋ for each element = 1 for each element = [1, 1]" in texts
    assert "u̇ = -1 · ẋ for each element = -1 · 1 for each element = [-1, -1]" in texts
