"""Named blocks (`def`): one gate with its combined local derivatives, or expanded in place;
both forms against PyTorch, finite differences, forward mode and each other."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_against_torch import TorchRun
from test_composites import assert_nodes_agree_with_torch

import autodiff
from autodiff import practice, reuse
from autodiff.errors import AutodiffError, EvaluationError, ParseError
from autodiff.examples import by_slug
from autodiff.tangents import forward_view

TOLERANCE = 1e-9

RNN = by_slug("rnn").source
PROGRAMS = {
    "rnn": RNN,
    "a cell with a line of its own": "w = 0.5\nu = 1.2\ndef cell(h, x):\n    a = h * w + x * u\n"
                                     "    a += 0.1\n    return tanh(a)\nh0 = 0.3\nx1 = 1.0\n"
                                     "h1 = cell(h0, x1)\nh2 = cell(h1, h1)\ny = h2 * h2",
    "a layer": "W = [[0.1, -0.3], [0.8, 0.2], [-0.5, 0.4]]\nb = [0.1, 0.0, -0.1]\n"
               "def layer(x):\n    return sigmoid(W @ x + b)\nx = [0.5, -1.2]\n"
               "h = layer(x)\nV = [[0.3, -0.7, 0.2]]\ny = sum(V @ h)",
    "a one-line def and pi": "def bump(t): return exp(-t * t / pi)\nx = 0.7\ny = bump(x) * bump(2 * x)",
    "two defs": "def sq(t):\n    return t * t\ndef cube(t):\n    return t * t * t\nx = 1.5\n"
                "y = sq(x) + cube(x)",
}


class TorchBlocks(TorchRun):
    """A program with defs run by PyTorch: each call runs the def's body in place."""

    def __init__(self, source: str):
        self.defs = {s.name: s for s in autodiff.parse(source).statements
                     if type(s).__name__ == "Def"}
        program = autodiff.parse(source)
        self.inputs, env, last = {}, {}, None
        for s in program.statements:
            kind = type(s).__name__
            if kind == "Def":
                continue
            if kind == "Assign" and type(s.expr).__name__ in ("Num", "ArrayLit"):
                leaf = torch.tensor(np.asarray(s.expr.value), dtype=torch.float64,
                                    requires_grad=True)
                self.inputs[s.target] = env[s.target] = last = leaf
            elif kind == "Assign":
                env[s.target] = last = self.expr(s.expr, env)
            else:
                last = self.expr(s.expr, env)
        self.output = last
        self.output.backward()

    def expr(self, e, env):
        if type(e).__name__ == "Call":
            d = self.defs[e.name]
            local = {**env, **dict(zip(d.params, (self.expr(a, env) for a in e.args)))}
            for s in d.body:
                local[s.target] = self.expr(s.expr, local)
            return self.expr(d.result, local)
        return super().expr(e, env)


@pytest.mark.parametrize("expand", ["", "all"])
@pytest.mark.parametrize("source", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_every_value_and_gradient_agrees_with_torch(source, expand):
    assert_nodes_agree_with_torch(autodiff.build(source, expand=expand))


@pytest.mark.parametrize("source", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_collapsed_and_expanded_give_the_same_gradients(source):
    collapsed = autodiff.build(source)
    expanded = autodiff.build(source, expand="all")
    assert any(n.op in collapsed.ops for n in collapsed.nodes)
    assert not expanded.ops and len(expanded.nodes) > len(collapsed.nodes)
    reference = TorchBlocks(source)
    np.testing.assert_allclose(collapsed.value, reference.output.detach().numpy(), rtol=1e-12)
    for name, leaf in reference.inputs.items():
        np.testing.assert_allclose(collapsed.gradients[name], leaf.grad.numpy(), rtol=TOLERANCE,
                                   atol=TOLERANCE)
        np.testing.assert_allclose(collapsed.gradients[name], expanded.gradients[name],
                                   rtol=1e-12, atol=1e-14)
    for graph in (collapsed, expanded):
        rows, _ = autodiff.gradient_check(graph)
        assert rows and all(row.ok for row in rows)


def test_a_collapsed_cell_steps_with_its_combined_local_derivatives():
    graph = autodiff.build(RNN)
    steps = [s.text for s in graph.steps]
    assert steps[:3] == ["h1 = cell(h0, x1) = cell(0, 1) = 0.9051",
                         "h2 = cell(h1, x2) = cell(0.9051, -0.5) = -0.02588",
                         "h3 = cell(h2, x3) = cell(-0.02588, 0.25) = 0.3402"]
    last = steps[-1].splitlines()
    assert last[0].startswith("cell gate (lines 3–4) in one step, local derivatives ∂h1/∂h0 = ")
    # ∂h1/∂w by PyTorch: h1 = tanh(h0·w + x1·u)
    w, u, h0 = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.8, 1.5, 0.0))
    h1 = torch.tanh(h0 * w + 1.0 * u)
    dh0, dw, du = torch.autograd.grad(h1, (h0, w, u))
    assert f"∂h1/∂h0 = {dh0.item():.4g}" in last[0] and f"∂h1/∂u = {du.item():.4g}" in last[0]
    assert f"∂h1/∂w = {dw.item():.4g}" in last[0]  # 0: h0 is 0
    assert any(line.startswith("gw = ∂h3/∂w · gh3 + ∂h2/∂w · gh2 + ∂h1/∂w · gh1") for line in last)
    expanded = autodiff.build(RNN, expand="cell")
    assert len(expanded.steps) > len(graph.steps)
    assert {n.op for n in expanded.nodes if n.kind == "op"} == {"mul", "add", "tanh", "sub", "pow"}


def test_a_layer_with_an_array_result_says_its_jacobian_is_used():
    graph = autodiff.build(PROGRAMS["a layer"])
    node = next(n for n in graph.nodes if n.op == "layer")
    assert all(graph.edges[e].local is None for e in graph.edges_into(node.index))
    text = next(s.text for s in graph.steps if s.phase == "backward" and s.node == node.index)
    assert text.splitlines()[0] == ("layer gate (lines 3–4) in one step: its Jacobian times the "
                                    "gradient, into each argument")
    assert "gW += ∂h/∂W · gh" in text


def test_forward_mode_through_a_gate_agrees_with_reverse_mode():
    for name in ("w", "u", "x2"):
        graph = autodiff.build(RNN, forward=name)
        assert float(graph.forward.derivative) == pytest.approx(
            float(graph.gradients[name]), rel=1e-12)
    view = forward_view(autodiff.build(RNN, forward="w"))
    lines = [line for s in view.steps for line in s.text.splitlines()]
    assert any(line.startswith("ḣ3 = ∂h3/∂h2 · ḣ2 + ∂h3/∂w · ẇ = ") for line in lines)


def test_practice_asks_a_gate_for_each_contribution():
    graph = autodiff.build(RNN)
    k = next(k for k, s in enumerate(graph.steps, 1) if s.phase == "backward"
             and graph.nodes[s.node].op == "cell")
    rules = [a.rule for a in practice.asks(graph, k)]
    assert rules == ["∂h3/∂h2 · gh3", "∂h3/∂x3 · gh3", "∂h3/∂w · gh3", "∂h3/∂u · gh3"]
    assert practice.prompt(graph, 1) == "h1 = cell(h0, x1) = ?"


def test_a_replayed_trace_keeps_its_gates():
    with reuse.switched_on():
        autodiff.build(RNN)
        moved = autodiff.build(RNN.replace("w = 0.8", "w = 0.6"))
    fresh = autodiff.build(RNN.replace("w = 0.8", "w = 0.6"))
    assert float(moved.value) == float(fresh.value)
    assert float(moved.gradients["w"]) == float(fresh.gradients["w"])


REFUSED = {
    "@f\ndef g(t):\n    return t * 2\ny = g(1)": (ParseError, "decorators", 1),
    "def g(t=1):\n    return t * 2\ny = g(1)": (ParseError, "plain names", 1),
    "def g():\n    return 2 * 3\ny = g()": (ParseError, "at least one argument", 1),
    "def g(t):\n    a = t * 2\ny = g(1)": (ParseError, "ends with 'return'", 2),
    "def g(t):\n    return t\n    a = 1\ny = g(1)": (ParseError, "ends with 'return'", 3),
    "def g(t):\n    return t * 2\n    return t\ny = g(1)": (ParseError, "'return' ends a def", 2),
    "def g(t):\n    def h(s):\n        return s\n    return t\ny = g(1)": (
        ParseError, "a def inside a def", 2),
    "def g(t):\n    a = 2.0\n    return a * t\ny = g(1)": (ParseError, "computes from", 2),
    "def g(t):\n    t * 2\n    return t\ny = g(1)": (ParseError, "assign a name", 2),
    "def sin(t):\n    return t * 2\ny = sin(1)": (ParseError, "a function of the language", 1),
    "def g(t):\n    return t * 2\ndef g(t):\n    return t * 3\ny = g(1)": (
        ParseError, "already defined", 3),
    "def g(t):\n    return t * 2\ndef h(t):\n    return g(t) + 1\ny = h(1)": (
        ParseError, "a def calls no other def", 4),
    "def g(t, s):\n    return t * s\nx = 1.0\ny = g(x)": (ParseError, "g() takes (t, s) by position; this call gives 1", 4),
    "def g(t):\n    return t\nf = g(2)": (EvaluationError, "unchanged", 1),
    "def g(t):\n    a = t\n    return a\nx = 2.0\nf = g(x)": (EvaluationError, "unchanged", 1),
    "g = 2.0\ndef g(t):\n    return t * 2\ny = g(g)": (EvaluationError, "already names a value", 2),
    "x = 1.0\ndef g(t):\n    return t * 2": (EvaluationError, "ends with the def", 2),
    "def g(t):\n    return t * q\nx = 1.0\ny = g(x)": (EvaluationError, "'q' has no value", 2),
}


@pytest.mark.parametrize("source", REFUSED, ids=range(len(REFUSED)))
def test_a_def_that_cannot_be_a_gate_is_refused_with_its_line(source):
    kind, words, line = REFUSED[source]
    for expand in ("", "all"):
        with pytest.raises(AutodiffError) as found:
            autodiff.build(source, expand=expand)
        assert isinstance(found.value, kind), found.value
        assert words in found.value.message and found.value.line == line, found.value


def test_a_def_used_before_it_is_written_says_so():
    with pytest.raises(AutodiffError, match="unknown function 'g'"):
        autodiff.build("x = 1.0\ny = g(x)\ndef g(t):\n    return t * 2")


def test_a_gate_counts_its_body_against_the_limits():
    """Drawn as one gate, a def's body still computes: 250 calls of a 10-value body are past
    the 2,000 values a graph may have, collapsed as expanded."""
    body = "def f(t):\n    return t * 1.01 + t * t * 0.001 + sin(t) * 0.01\n"
    calls = "".join(f"h{i} = f(h{i - 1})\n" for i in range(1, 251))
    source = "h0 = 0.5\n" + body + calls
    with pytest.raises(AutodiffError, match="with the bodies of its defs"):
        autodiff.build(source)
    with pytest.raises(AutodiffError, match="more than 2000 values"):
        autodiff.build(source, expand="f")
    assert len(autodiff.build(source.rsplit("h151 =", 1)[0]).nodes) == 151  # 150 calls fit


@pytest.mark.parametrize("source", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_a_gate_replayed_by_numpy_alone_gives_its_traced_value(source):
    """A gate's forward (what a replay and finite differences run) is NumPy alone; it gives
    the value the body's trace gave, in float32 as in float64."""
    for dtype in ("float64", "float32"):
        graph = autodiff.build(source, dtype=dtype)
        for n in graph.nodes:
            if n.op in graph.ops:
                block = graph.ops[n.op]
                args = [graph.nodes[p].value for p in n.parents]
                replayed = block.forward(*args)
                assert replayed.dtype == n.value.dtype
                np.testing.assert_array_equal(replayed, n.value)
