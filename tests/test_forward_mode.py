"""Forward mode: tangents and derivatives against central differences of rebuilt programs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff

H = 1e-6


def literal(value) -> str:
    return repr(np.asarray(value, dtype=np.float64).tolist())


def node_values(template: str, **inputs) -> list[np.ndarray]:
    graph = autodiff.build(template.format(**{k: literal(v) for k, v in inputs.items()}))
    return [n.value for n in graph.nodes]


def numeric_node_derivatives(template: str, name: str, inputs: dict) -> list[np.ndarray]:
    """d(node)/d(input) for every node, the input a scalar, by rebuilding the program."""
    x = float(inputs[name])
    h = H * max(1.0, abs(x))
    up = node_values(template, **(inputs | {name: x + h}))
    down = node_values(template, **(inputs | {name: x - h}))
    return [(u - d) / (2 * h) for u, d in zip(up, down)]


def numeric_gradient(template: str, name: str, inputs: dict) -> np.ndarray:
    """d(output)/d(input) element by element, by rebuilding the program."""
    base = np.asarray(inputs[name], dtype=np.float64)
    grad = np.zeros_like(base)
    for index in np.ndindex(*base.shape):
        h = H * max(1.0, abs(float(base[index])))
        up, down = base.copy(), base.copy()
        up[index] += h
        down[index] -= h
        f_up = autodiff.build(
            template.format(**{k: literal(v) for k, v in (inputs | {name: up}).items()})
        ).value
        f_down = autodiff.build(
            template.format(**{k: literal(v) for k, v in (inputs | {name: down}).items()})
        ).value
        grad[index] = (f_up - f_down) / (2 * h)
    return grad


SCALAR_PROGRAMS = [
    ("x = {x}\ny = {y}\nz = sin(x) * y\nf = z * x + exp(-x) / y", {"x": 0.7, "y": -1.3}),
    ("w1 = {w1}\nw2 = {w2}\ny = w1 * cos(3*w1 + w2)", {"w1": 2.0, "w2": 1.5}),
    (
        "a = {a}\nb = {b}\nc = a + b\nd = a * c\nf = d + sqrt(c) + log(a) + tanh(b) + sigmoid(d)",
        {"a": 4.0, "b": 3.0},
    ),
    (
        "x = {x}\ny = {y}\nf = max(x, y) * min(x, y) + relu(x - y) + abs(y) + x**y + pow(y, 2)",
        {"x": 1.5, "y": 0.5},
    ),
    ("x = {x}\nv = [1, -2, 3]\nf = sum(v * x * x) + mean(v) * tan(x) - max(v * x)", {"x": 0.4}),
]


@pytest.mark.parametrize(
    "template, inputs", SCALAR_PROGRAMS, ids=[f"scalar-{i}" for i in range(len(SCALAR_PROGRAMS))]
)
def test_scalar_tangents_are_node_derivatives(template, inputs):
    source = template.format(**{k: literal(v) for k, v in inputs.items()})
    for name in inputs:
        graph = autodiff.build(source, forward=name)
        mode = graph.forward
        assert mode.input == name and len(mode.tangents) == len(graph.nodes)
        expected = numeric_node_derivatives(template, name, inputs)
        for n, tangent, fd in zip(graph.nodes, mode.tangents, expected):
            got = np.zeros(n.shape) if tangent is None else np.asarray(tangent)
            assert got.shape == n.shape, n.label
            np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6, err_msg=n.label)
        assert float(mode.tangents[graph.input_node(name).index]) == 1.0


@pytest.mark.parametrize(
    "template, inputs", SCALAR_PROGRAMS, ids=[f"scalar-{i}" for i in range(len(SCALAR_PROGRAMS))]
)
def test_forward_equals_reverse_and_finite_differences(template, inputs):
    source = template.format(**{k: literal(v) for k, v in inputs.items()})
    for name in inputs:
        graph = autodiff.build(source, forward=name)
        derivative = graph.forward.derivative
        np.testing.assert_allclose(derivative, graph.gradients[name], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            derivative, numeric_gradient(template, name, inputs), rtol=1e-5, atol=1e-6
        )


ARRAY_PROGRAMS = [
    (
        "A = {A}\nb = {b}\nf = sum(sin(A @ b) * [1, 2, 3]) + sum(b @ transpose(A))",
        {"A": [[1.0, -0.5], [0.25, 2.0], [0.3, 0.1]], "b": [0.5, -1.5]},
    ),
    (
        "X = {X}\nW = {W}\nloss = sum(sin(X @ W)**2)",
        {"X": [[-1.0, 0.0, 1.0], [2.0, 3.0, 4.0]], "W": [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]},
    ),
    (
        "v = {v}\ns = {s}\nf = mean(exp(v * s)) + sum(transpose([[1, 2, 3]]) * v) + max(v) * min(v)",
        {"v": [0.1, -0.7, 1.2], "s": 0.8},
    ),
    (
        "M = {M}\nf = sum(M @ transpose(M)) + sum(relu(M) / (1 + abs(M)))",
        {"M": [[0.5, -1.0], [2.0, 0.75]]},
    ),
]


@pytest.mark.parametrize(
    "template, inputs", ARRAY_PROGRAMS, ids=[f"array-{i}" for i in range(len(ARRAY_PROGRAMS))]
)
def test_array_inputs(template, inputs):
    source = template.format(**{k: literal(v) for k, v in inputs.items()})
    for name, value in inputs.items():
        graph = autodiff.build(source, forward=name)
        derivative = graph.forward.derivative
        assert derivative.shape == np.shape(value)
        np.testing.assert_allclose(derivative, graph.gradients[name], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            derivative, numeric_gradient(template, name, inputs), rtol=1e-5, atol=1e-6
        )
        if np.ndim(value):
            assert graph.forward.tangents is None  # per-node tangents are for scalar inputs


def test_the_tutorial_derivative():
    graph = autodiff.build("w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)", forward="w1")
    # dy/dw1 = cos(3 w1 + w2) - 3 w1 sin(3 w1 + w2)
    assert float(graph.forward.derivative) == pytest.approx(
        math.cos(7.5) - 6 * math.sin(7.5), rel=1e-14
    )
    tangents = {n.label: t for n, t in zip(graph.nodes, graph.forward.tangents)}
    assert tangents["w2"] is None and tangents["3"] is None
    assert float(tangents["z1"]) == 3.0 and float(tangents["z2"]) == 3.0
    assert float(tangents["z3"]) == pytest.approx(-3 * math.sin(7.5), rel=1e-14)


def test_without_forward_there_is_no_forward_mode():
    assert autodiff.build("x = 1\nf = x * 2").forward is None


def test_an_input_the_output_ignores():
    graph = autodiff.build("x = 1\ny = 2\nz = x * 5\nf = y * 3", forward="x")
    assert float(graph.forward.derivative) == 0.0
    tangents = dict(zip((n.label for n in graph.nodes), graph.forward.tangents))
    assert tangents["f"] is None and float(tangents["z"]) == 5.0


def test_the_output_itself_as_input():
    graph = autodiff.build("x = 4", forward="x")
    assert float(graph.forward.derivative) == 1.0


def test_float32_forward_mode():
    graph = autodiff.build("x = 0.5\nf = exp(x) * x", dtype="float32", forward="x")
    assert graph.forward.derivative.dtype == np.float32
    assert float(graph.forward.derivative) == pytest.approx(1.5 * math.exp(0.5), rel=1e-6)


@pytest.mark.parametrize(
    "source, name, words",
    [
        ("x = 1\nf = x * 2", "y", "'y' is not one (inputs: x)"),
        ("x = 1\ny = x * 2\nf = y + 1", "y", "(inputs: x)"),
        ("a = 1\nb = 2\nf = a * b", "A", "(inputs: a, b)"),
        ("f = 2 * 3", "f", "(inputs: none)"),
        ("x = 1\nf = x * pi", "pi", "(inputs: x)"),
    ],
)
def test_forward_mode_needs_an_input_name(source, name, words):
    with pytest.raises(autodiff.EvaluationError) as info:
        autodiff.build(source, forward=name)
    assert words in info.value.message


def test_forward_mode_on_a_large_input_is_refused_before_any_sweep():
    big = "[" + ", ".join(["0.5"] * 65) + "]"
    with pytest.raises(autodiff.LimitError, match="one sweep|once per element") as info:
        autodiff.build(f"v = {big}\nf = sum(v * v)", forward="v")
    assert (info.value.line, info.value.col) == (1, 1)
    graph = autodiff.build(f"v = {big}\nf = sum(v * v)")  # reverse mode is fine
    np.testing.assert_array_equal(graph.gradients["v"], np.ones(65))
