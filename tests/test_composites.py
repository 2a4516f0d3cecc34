"""Composite ops drawn as one gate or expanded into primitives: both forms against PyTorch,
finite differences and each other."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_against_torch import ELEMENTWISE, TorchRun, along

import autodiff
from autodiff.composites import COMPOSITES, parse_expand
from autodiff.errors import EvaluationError
from autodiff.ops import OPS

TOLERANCE = 1e-9

PROGRAMS = {
    "sigmoid": "x = 2.0\ny = sigmoid(x)",
    "sigmoid twice": "x = -0.7\nw = 1.5\ny = sigmoid(w * x) * sigmoid(x + w)",
    "sigmoid of a vector": "v = [1.0, -2.0, 0.5]\ny = sum(sigmoid(v) * v)",
    "tanh": "x = 0.5\ny = tanh(x)",
    "tanh in an RNN": "w = 0.8\nx1 = 1.0\nx2 = -0.5\nh1 = tanh(x1 * w)\nh2 = tanh(h1 * w + x2)\n"
                      "y = h2 * h2",
    "softmax": "v = [1.0, 2.0, 3.0]\nt = [1.0, 0.0, 0.0]\ny = sum(softmax(v) * t)",
    "softmax of rows": "A = [[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]]\nT = [[1, 0, 0], [0, 0, 1]]\n"
                       "loss = -sum(T * log(softmax(A, axis=1)))",
    "softmax of columns": "A = [[1.0, 2.0], [0.5, -1.0]]\nW = [[1, 2], [3, 4]]\n"
                          "y = sum(softmax(A, axis=0) * W)",
    "an MLP": "x = [0.5, -1.2]\nW1 = [[0.1, -0.3], [0.8, 0.2], [-0.5, 0.4]]\nb1 = [0.1, 0.0, -0.1]\n"
              "h = tanh(W1 @ x + b1)\nW2 = [[0.3, -0.7, 0.2], [0.5, 0.1, -0.4]]\n"
              "p = softmax(W2 @ h)\ny = -log(sum(p * [0, 1])) + sum(sigmoid(h))",
}
FORMS = ["", "sigmoid", "tanh", "softmax", "all"]


def torch_nodes(graph: autodiff.Graph) -> list[torch.Tensor]:
    """Every node of the graph computed by PyTorch from its own op (a def's gate: its body,
    op by op), each keeping its gradient."""
    run = TorchRun.__new__(TorchRun)  # for its `expr` alone
    tensors: list[torch.Tensor] = []
    for n in graph.nodes:
        if n.kind != "op":
            t = torch.tensor(np.asarray(n.value), dtype=torch.float64,
                             requires_grad=n.kind == "input")
        else:
            args = [tensors[p] for p in n.parents]
            if n.op in graph.ops:
                block = graph.ops[n.op]
                local = dict(zip(block.arguments, args))
                for s in block.definition.body:
                    local[s.target] = run.expr(s.expr, local)
                t = run.expr(block.definition.result, local)
            else:
                op = OPS[n.op]
                t = along(op, args[0]) if op.base else ELEMENTWISE[op.name](*args)
            if t.requires_grad:
                t.retain_grad()
        tensors.append(t)
    tensors[graph.output].backward()
    return tensors


def assert_nodes_agree_with_torch(graph: autodiff.Graph) -> None:
    """Each node's value, and the gradient of each that has one, as PyTorch computes them."""
    for n, t in zip(graph.nodes, torch_nodes(graph)):
        np.testing.assert_allclose(n.value, t.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE)
        if n.kind != "const" and n.live:
            expected = t.grad if t.grad is not None else torch.zeros_like(t)
            np.testing.assert_allclose(n.grad, expected.numpy(), rtol=TOLERANCE,
                                       atol=TOLERANCE, err_msg=f"g{n.label}")


@pytest.mark.parametrize("expand", FORMS)
@pytest.mark.parametrize("source", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_every_value_and_gradient_agrees_with_torch(source, expand):
    assert_nodes_agree_with_torch(autodiff.build(source, expand=expand))


@pytest.mark.parametrize("expand", FORMS)
@pytest.mark.parametrize("source", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_expanded_and_collapsed_give_the_same_output_and_gradients(source, expand):
    graph = autodiff.build(source, expand=expand)
    reference = TorchRun(source)  # torch.sigmoid, torch.tanh, torch.softmax: the composites
    np.testing.assert_allclose(graph.value, reference.output.detach().numpy(), rtol=TOLERANCE)
    collapsed = autodiff.build(source)
    for name, leaf in reference.inputs.items():
        np.testing.assert_allclose(graph.gradients[name], leaf.grad.numpy(), rtol=TOLERANCE,
                                   atol=TOLERANCE)
        np.testing.assert_allclose(graph.gradients[name], collapsed.gradients[name],
                                   rtol=1e-12, atol=1e-14)
    rows, _ = autodiff.gradient_check(graph)
    assert rows and all(row.ok for row in rows)


@pytest.mark.parametrize("name", COMPOSITES)
def test_an_expanded_composite_leaves_no_gate_of_its_kind(name):
    source = next(s for s in PROGRAMS.values() if f"{name}(" in s)
    ops = lambda g: {OPS[n.op].base or n.op for n in g.nodes if n.kind == "op"}  # noqa: E731
    assert name in ops(autodiff.build(source))
    assert name not in ops(autodiff.build(source, expand=name))
    assert name not in ops(autodiff.build(source, expand="all"))


def test_the_sigmoid_gate_expands_as_the_tutorials_draw_it():
    graph = autodiff.build(PROGRAMS["sigmoid"], expand="sigmoid")
    steps = [s.text for s in graph.steps if s.phase == "forward"]
    assert steps == ["z1 = x · (-1) = 2 · (-1) = -2", "z2 = exp(z1) = exp(-2) = 0.1353",
                     "z3 = z2 + 1 = 0.1353 + 1 = 1.135", "y = 1 / z3 = 1 / 1.135 = 0.8808"]
    assert graph.nodes[graph.output].name == "y"  # the line's name stays on its value
    backward = [s for s in graph.steps if s.kind == "op" and s.phase == "backward"]
    assert len(backward) == 4  # one per primitive: 1/x, +1, exp, ×-1
    assert backward[-1].text.startswith("mul swaps")


def test_tanh_expands_as_micrograd_writes_it():
    graph = autodiff.build(PROGRAMS["tanh"], expand="tanh")
    assert [n.op for n in graph.nodes if n.kind == "op"] == ["mul", "exp", "sub", "add", "div"]
    exp = next(n for n in graph.nodes if n.op == "exp")
    assert sum(1 for n in graph.nodes if exp.index in n.parents) == 2  # e - 1 and e + 1


def test_a_collapsed_gate_shows_its_combined_local_derivative_with_numbers():
    sig = autodiff.build(PROGRAMS["sigmoid"]).steps[-1].text.splitlines()[0]
    s = 1 / (1 + np.exp(-2.0))
    assert sig == ("sigmoid gate, 1/(1 + exp(-x)) in one step: local derivative y·(1 - y) = "
                   f"0.8808·(1 - 0.8808) = {s * (1 - s):.4g}")
    tanh = autodiff.build(PROGRAMS["tanh"]).steps[-1].text.splitlines()[0]
    assert tanh.endswith(f"local derivative 1 - y² = 1 - 0.4621² = {1 - np.tanh(0.5) ** 2:.4g}")
    soft = autodiff.build(PROGRAMS["softmax of rows"])
    line = next(s.text for s in soft.steps if s.text.startswith("softmax gate"))
    assert line.startswith("softmax gate, exp(A) / sum(exp(A), axis=1) in one step")
    assert "z1ᵢ·(δᵢⱼ - z1ⱼ)" in line


def test_expand_names_are_checked():
    assert parse_expand(None) == parse_expand("") == frozenset()
    assert parse_expand("all") == parse_expand("tanh,all") == {"all"}
    assert parse_expand("tanh, sigmoid") == {"tanh", "sigmoid"}
    for wrong in ("relu", "add", "1x", "a b"):
        with pytest.raises(EvaluationError, match="expand takes composite ops"):
            parse_expand(wrong)
    with pytest.raises(EvaluationError):
        autodiff.build("x = 1\ny = sigmoid(x)", expand=["cos"])
    with pytest.raises(EvaluationError, match="'cell' is none of them"):
        autodiff.build("x = 1\ny = sigmoid(x)", expand="cell")  # a def's name, but no such def


def test_expanding_a_program_without_composites_changes_nothing():
    source = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
    assert ([s.text for s in autodiff.build(source, expand="all").steps]
            == [s.text for s in autodiff.build(source).steps])


def test_a_replayed_trace_keeps_its_form():
    """A slider's next value replays the kept trace: the expanded one stays expanded."""
    from autodiff import reuse

    with reuse.switched_on():
        first = autodiff.build("x = 2.0\ny = sigmoid(x)", expand="sigmoid")
        again = autodiff.build("x = 3.0\ny = sigmoid(x)", expand="sigmoid")
        plain = autodiff.build("x = 3.0\ny = sigmoid(x)")
    assert len(first.nodes) == len(again.nodes) == 8 and len(plain.nodes) == 2
    assert float(again.value) == pytest.approx(1 / (1 + np.exp(-3.0)), rel=1e-15)


def test_the_command_line_expands_too():
    from test_cli import run

    done = run("explain", "--expand", "sigmoid", "-", stdin="x = 2\ns = sigmoid(x)\n")
    assert done.returncode == 0 and "z2 = exp(z1) = exp(-2) = 0.1353" in done.stdout
    done = run("explain", "--expand", "relu", "-", stdin="x = 2\ns = sigmoid(x)\n")
    assert done.returncode == 3 and "expand takes" in done.stderr
