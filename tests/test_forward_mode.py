"""Forward mode: tangents and derivatives against central differences of rebuilt programs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff
from autodiff import format as fmt
from autodiff.tangents import forward_view

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


# --- at the edges of each op's domain --------------------------------------------------------

EDGES = [-4.0, -1.0, 0.0, 1e-300, 1.0, 4.0]
"""An array with values at or past the edges of the ops' domains (0 for log, sqrt and the
kinks; negative numbers for log, sqrt and pow's exponent)."""

EDGE_PROGRAMS = [
    *(f"v = {EDGES}\nf = sum({fname}(v))"
      for fname in ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs")),
    f"v = {EDGES}\nf = sum(v**2) + sum(v**0.5) + sum(pow(2, v))",
    f"v = {EDGES}\nw = {EDGES[::-1]}\nf = sum(v / w) + sum(v * w) + sum(max(v, w)) + sum(min(v, w))",
    f"v = {EDGES}\nf = sum(sqrt(relu(v))) + sum(0 * log(v))",
    f"v = {EDGES}\nf = max(v) + min(v) + mean(sqrt(v)) + logsumexp(log(v))",
    f"v = {EDGES}\nf = sum(softmax(log(v)) * v)",
    "A = [[0, 1, -1], [4, 0, 1e-300]]\nf = sum(max(sqrt(A), axis=0)) + sum(log(sum(A, axis=1)))",
    "A = [[0, 1, -1], [4, 0, 1e-300]]\nf = sum(logsumexp(log(A), axis=1, keepdims=True))",
    "A = [[0, 1, -1], [4, 0, 1e-300]]\nf = sum(softmax(A, axis=-1) * sqrt(A))",
    # an infinite tangent into softmax: its Jacobian's columns sum to 0, so adding ∞s would
    # give +∞ - ∞; both modes add the numbers that multiply the one ∞ instead
    "A = [[0, 1, -1], [4, 0, 1e-300]]\nf = sum(softmax(sqrt(A), axis=-1) * [[1, 2, 3], [4, 5, 6]])",
    f"v = {EDGES}\nf = sum(softmax(sqrt(v)) * v) + sum(log(softmax(sqrt(v))))",
    "x = 0\ny = sqrt(x)\nf = 2 * y - y + 0 * y",
    "x = 0\nf = sqrt(x) - sqrt(x)",
    # matrix products: a zero tangent, or a zero element of the other matrix, passes nothing
    # (not 0 · NaN) across a NaN or ∞ of the product's other side
    "A = [[0, 1, -1], [4, 0, 1e-300]]\nB = [[0, 1], [2, 0], [1e-300, -3]]\n"
    "f = sum(sqrt(A) @ B) + sum(A @ sqrt(B))",
    "A = [[0, 1, -1], [4, 0, 1e-300]]\nf = sum(transpose(sqrt(A)) @ [1, 0]) + sum(log(transpose(A)))",
    f"v = {EDGES}\nw = {EDGES[::-1]}\nf = log(v) @ w + sqrt(w) @ v + sqrt(v) @ sqrt(v)",
    # an overflow (1e300²) meets a number broadcast over an array, in both passes
    "v = [0.0, 1e300]\ns = logsumexp(abs(v * v + 0.5))\nf = sum(s) + sum(v * s)",
]


@pytest.mark.parametrize("source", EDGE_PROGRAMS)
def test_forward_mode_equals_reverse_mode_at_the_edges(source):
    """Element by element, NaN and ∞ included: the other elements' zero tangents never turn
    a non-finite local derivative into NaN (`sum(sqrt(v))` at v = [-4, 4] is [NaN, 0.25]
    both ways, not [NaN, NaN] forward)."""
    reverse = autodiff.build(source)
    for name in reverse.inputs:
        forward = autodiff.build(source, forward=name).forward.derivative
        np.testing.assert_allclose(forward, reverse.gradients[name], rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("values, expected", [
    ([-4.0, 4.0], [math.nan, 0.25]),
    ([0.0, 4.0], [math.inf, 0.25]),
])
def test_sqrt_of_an_array_at_its_edge_by_hand(values, expected):
    source = f"v = {values}\nf = sum(sqrt(v))"
    np.testing.assert_array_equal(autodiff.build(source).gradients["v"], expected)
    np.testing.assert_array_equal(autodiff.build(source, forward="v").forward.derivative,
                                  expected)


SOFTMAX_AT_THE_EDGE = "a = 0\nf = sum(softmax(sqrt(a * [1, 0, 0] + [0, 1, 4])) * [1, 2, 3])"
"""sqrt's derivative at 0 is ∞, and it enters softmax: f'(a) at a = 0 (from the right) is -∞."""


def test_an_infinite_tangent_into_softmax_is_the_same_both_ways():
    """By hand: with s = softmax([0, 1, 2]) and w = [1, 2, 3], d f / d sqrt(a) = s₀·(w₀ - w·s),
    a negative number, times d sqrt(a)/da = ∞: f' = -∞. PyTorch's reverse mode says -∞ too;
    its forward mode adds +∞ and -∞ inside softmax and says NaN, as ours once did."""
    s = np.exp([0.0, 1.0, 2.0]) / np.sum(np.exp([0.0, 1.0, 2.0]))
    w = np.array([1.0, 2.0, 3.0])
    multiple = s[0] * (w[0] - w @ s)
    assert multiple == pytest.approx(-0.1418, abs=1e-4)
    reverse = autodiff.build(SOFTMAX_AT_THE_EDGE)
    forward = autodiff.build(SOFTMAX_AT_THE_EDGE, forward="a")
    assert reverse.gradients["a"] == -math.inf and forward.forward.derivative == -math.inf
    view = forward_view(forward)
    last = view.steps[-1].text.splitlines()[-1]
    assert last == ("ḟ = sum(ż5) = sum([∞, -∞, -∞]) = -∞ (every ∞ here is the same ∞ times a "
                    f"number, {fmt.value(multiple)} · ∞: the numbers are added, not the ∞s, "
                    "so -∞)")
    import torch

    a = torch.zeros((), dtype=torch.float64, requires_grad=True)
    torch_f = torch.sum(torch.softmax(torch.sqrt(a * torch.tensor([1.0, 0, 0])
                                                 + torch.tensor([0.0, 1, 4])), 0)
                        * torch.tensor(w))
    torch_f.backward()
    assert a.grad.item() == -math.inf  # PyTorch's reverse mode, where it is defined
    import torch.autograd.forward_ad as fwd

    with fwd.dual_level():
        dual = fwd.make_dual(torch.zeros((), dtype=torch.float64), torch.ones((), dtype=torch.float64))
        out = torch.sum(torch.softmax(torch.sqrt(dual * torch.tensor([1.0, 0, 0])
                                                 + torch.tensor([0.0, 1, 4])), 0)
                        * torch.tensor(w))
        assert math.isnan(fwd.unpack_dual(out).tangent.item())  # where it is not: by hand


@pytest.mark.parametrize("source, expected", [
    ("x = 0\ny = sqrt(x)\nf = 2 * y - y", math.inf),  # f = sqrt(x): +∞, not ∞ - ∞
    ("x = 0\nf = sqrt(x) - sqrt(x)", math.nan),  # 1·∞ - 1·∞: the multiples cancel, ∞ · 0
    ("x = 100\nf = 1 / exp(x)", math.nan),  # float32: exp(100) = ∞ meets 0, as the gallery says
])
def test_infinite_local_derivatives_by_hand(source, expected):
    dtype = "float32" if "100" in source else "float64"
    reverse = autodiff.build(source, dtype=dtype).gradients["x"]
    forward = autodiff.build(source, dtype=dtype, forward="x").forward.derivative
    np.testing.assert_array_equal([reverse, forward], [expected, expected])
