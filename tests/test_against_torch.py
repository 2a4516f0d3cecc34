"""Values and gradients against PyTorch (CPU, float64), an autodiff library of its own.

Each program is run by the app and, op by op, by PyTorch: the program's tree is read with
our parser, but every value and every gradient on the PyTorch side is PyTorch's own. The
reductions along an axis, softmax and cross-entropy are the cases written out; generated
programs over the whole op table follow.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from test_properties import SHAPES, programs

import autodiff
from autodiff import examples
from autodiff.ops import AXES, OPS
from autodiff.program import Apply, ArrayLit, Assign, Name, Num, Output

TOLERANCE = 1e-9


REDUCE = {
    "sum": lambda a, dim, keep: torch.sum(a, dim, keepdim=keep),
    "mean": lambda a, dim, keep: torch.mean(a, dim, keepdim=keep),
    "amax": lambda a, dim, keep: torch.max(a, dim, keepdim=keep).values,
    "amin": lambda a, dim, keep: torch.min(a, dim, keepdim=keep).values,
    "logsumexp": lambda a, dim, keep: torch.logsumexp(a, dim, keepdim=keep),
}


def along(op, a: torch.Tensor) -> torch.Tensor:
    """PyTorch's reduction (or softmax) called as NumPy calls it: axis None is every element."""
    if op.axis is None:
        flat = a.reshape(-1)
        if op.base == "softmax":
            return torch.softmax(flat, 0).reshape(a.shape)
        result = REDUCE[op.base](flat, 0, False)
        return result.reshape((1,) * a.dim()) if op.keepdims else result
    if op.base == "softmax":
        return torch.softmax(a, op.axis)
    return REDUCE[op.base](a, op.axis, op.keepdims)


ELEMENTWISE = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "neg": torch.neg, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp,
    "log": torch.log, "sqrt": torch.sqrt, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
    "relu": torch.relu, "abs": torch.abs, "max": torch.maximum, "min": torch.minimum,
    "matmul": torch.matmul, "transpose": lambda a: a.permute(tuple(reversed(range(a.dim())))),
}
assert set(ELEMENTWISE) | set(REDUCE) | {"softmax"} == {op.base or op.name for op in OPS.values()}


class TorchRun:
    """A parsed program evaluated by PyTorch, inputs as leaves that require grad."""

    def __init__(self, source: str):
        self.inputs: dict[str, torch.Tensor] = {}
        env: dict[str, torch.Tensor] = {}
        last = None
        for s in autodiff.parse(source).statements:
            if isinstance(s, Assign) and isinstance(s.expr, (Num, ArrayLit)):
                leaf = torch.tensor(np.asarray(s.expr.value), dtype=torch.float64,
                                    requires_grad=True)
                self.inputs[s.target] = leaf
                env[s.target] = last = leaf
            elif isinstance(s, Assign):
                env[s.target] = last = self.expr(s.expr, env)
            else:
                assert isinstance(s, Output)
                last = self.expr(s.expr, env)
        self.output = last
        self.output.backward()

    def expr(self, e, env) -> torch.Tensor:
        if isinstance(e, (Num, ArrayLit)):
            return torch.tensor(np.asarray(e.value), dtype=torch.float64)
        if isinstance(e, Name):
            return env[e.id] if e.id in env else torch.tensor(autodiff.CONSTANTS[e.id],
                                                              dtype=torch.float64)
        assert isinstance(e, Apply)
        args = [self.expr(a, env) for a in e.args]
        op = OPS[e.op]
        if op.base:
            return along(op, args[0])
        return ELEMENTWISE[e.op](*args)


def assert_agrees(source: str) -> autodiff.Graph:
    graph = autodiff.build(source)
    reference = TorchRun(source)
    np.testing.assert_allclose(graph.value, reference.output.detach().numpy(),
                               rtol=TOLERANCE, atol=TOLERANCE)
    for name, leaf in reference.inputs.items():  # PyTorch leaves an unused input's grad None
        expected = torch.zeros_like(leaf) if leaf.grad is None else leaf.grad
        np.testing.assert_allclose(graph.gradients[name], expected.numpy(), rtol=TOLERANCE,
                                   atol=TOLERANCE, err_msg=f"d f / d {name} in\n{source}")
    return graph


A = "A = [[0.3, -1.2, 2.1], [1.7, 0.4, -0.8]]"
W = {(2,): "[0.5, -1.5]", (3,): "[1.0, -0.5, 2.0]", (): "1.5", (2, 3): "[[1, 2, 3], [-1, 0.5, 2]]",
     (1, 3): "[[1, -2, 0.5]]", (2, 1): "[[0.7], [-1.1]]", (1, 1): "[[1.3]]"}
"""Weights of each result shape, so every result element gets a gradient of its own."""


def _written(function: str, axis, keepdims: bool) -> str:
    along = ("" if axis is None else f", axis={axis}") + (", keepdims=True" if keepdims else "")
    return f"{function}(A{along})"


REDUCTION_CASES = [
    pytest.param(function, axis, keepdims, id=_written(function, axis, keepdims))
    for function in ("sum", "mean", "max", "min", "logsumexp", "softmax")
    for axis in (None, *AXES)
    for keepdims in (False, True)
]


@pytest.mark.parametrize("function, axis, keepdims", REDUCTION_CASES)
def test_a_reduction_along_an_axis_agrees_with_torch(function, axis, keepdims):
    call = _written(function, axis, keepdims)
    shape = autodiff.build(f"{A}\nf = sum({call})").nodes[-2].shape
    assert_agrees(f"{A}\nW = {W[shape]}\nf = sum({call} * W)")


CROSS_ENTROPY = {
    "logsumexp": "loss = mean(logsumexp(X, axis=1) - sum(Y * X, axis=1))",
    "log softmax": "loss = -mean(sum(Y * log(softmax(X, axis=-1)), axis=-1))",
    "keepdims": "p = softmax(X, axis=1)\nloss = -sum(Y * log(p)) / 2 + 0 * sum(max(X, axis=1,"
                " keepdims=True))",
}


@pytest.mark.parametrize("loss", CROSS_ENTROPY.values(), ids=CROSS_ENTROPY.keys())
def test_softmax_cross_entropy_on_a_batch_agrees_with_torch(loss):
    source = f"X = [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]\nY = [[1, 0, 0], [0, 0, 1]]\n{loss}"
    graph = assert_agrees(source)
    # and with PyTorch's own cross-entropy, which starts from class indices
    x = torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], dtype=torch.float64,
                     requires_grad=True)
    expected = torch.nn.functional.cross_entropy(x, torch.tensor([0, 2]))
    expected.backward()
    assert float(graph.value) == pytest.approx(expected.item(), rel=TOLERANCE)
    np.testing.assert_allclose(graph.gradients["X"], x.grad.numpy(), rtol=TOLERANCE,
                               atol=TOLERANCE)


def test_a_two_layer_network_agrees_with_torch():
    assert_agrees(examples.by_slug("mlp").source)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(shapes=SHAPES, max_lines=5))
def test_generated_programs_agree_with_torch(program):
    assert_agrees(program.source())
