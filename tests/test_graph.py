"""autodiff.graph: labels, reverse mode, edges with local derivatives, unused values, problems."""

import math

import numpy as np
import pytest

import autodiff
from autodiff.errors import EvaluationError
from autodiff.graph import version_label


def central(f, x: float, h: float = 1e-6) -> float:
    """An independent reference: the central difference of a plain Python function."""
    return (f(x + h) - f(x - h)) / (2 * h)


def by_label(graph, label: str):
    return next(n for n in graph.nodes if n.label == label)


def test_labels_are_names_constants_and_z_in_order():
    graph = autodiff.build("x = 2\ny = 3 * x + pi\nf = sin(y) * x")
    assert [n.label for n in graph.nodes] == ["x", "3", "z1", "π", "y", "z2", "f"]
    assert [n.kind for n in graph.nodes] == ["input", "const", "op", "const", "op", "op", "op"]


def test_an_unnamed_value_skips_z_names_the_program_uses():
    graph = autodiff.build("z1 = 2\nf = z1 * z1 + 1")
    assert [n.label for n in graph.nodes] == ["z1", "z2", "1", "f"]


def test_a_reassigned_name_is_primed_then_numbered():
    assert [version_label("x", k) for k in range(6)] == ["x", "x′", "x′′", "x′′′", "x₄", "x₅"]
    assert version_label("w", 12) == "w₁₂"
    graph = autodiff.build("x = 2\nx = x * x\nx = x + 1\nf = x")
    assert [n.label for n in graph.nodes if n.kind != "const"] == ["x", "x′", "x′′"]


@pytest.mark.parametrize("source, f, point", [
    ("x = 0.7\nf = x * sin(x) + exp(-x)", lambda x: x * math.sin(x) + math.exp(-x), 0.7),
    ("x = 1.3\nf = tanh(x) / (1 + x**2)", lambda x: math.tanh(x) / (1 + x**2), 1.3),
    ("x = 0.4\nf = sigmoid(3*x) * log(x)", lambda x: math.log(x) / (1 + math.exp(-3 * x)), 0.4),
    ("x = 2.5\nf = sqrt(x) - max(x, 2) * min(x, 3)", lambda x: math.sqrt(x) - x * x, 2.5),
])
def test_gradients_match_central_differences(source, f, point):
    graph = autodiff.build(source)
    assert graph.value == pytest.approx(f(point), rel=1e-14)
    assert graph.gradients["x"] == pytest.approx(central(f, point), rel=1e-7)


def test_every_edge_carries_the_local_derivative_of_its_op():
    a, b = 0.7, 1.3
    graph = autodiff.build(f"a = {a}\nb = {b}\nf = a * b + exp(a) / b")
    local = {(graph.nodes[e.dst].op, e.arg): float(e.local) for e in graph.edges}
    assert local[("mul", 0)] == b and local[("mul", 1)] == a
    assert local[("exp", 0)] == pytest.approx(math.exp(a), rel=1e-15)
    assert local[("div", 0)] == pytest.approx(1 / b, rel=1e-15)
    assert local[("div", 1)] == pytest.approx(central(lambda y: math.exp(a) / y, b), rel=1e-7)
    assert local[("add", 0)] == local[("add", 1)] == 1.0


def test_a_square_has_two_edges_and_twice_the_gradient():
    graph = autodiff.build("a = 3\nf = a * a")
    assert [(e.src, e.dst, e.arg) for e in graph.edges] == [(0, 1, 0), (0, 1, 1)]
    assert [float(e.local) for e in graph.edges] == [3.0, 3.0]
    assert graph.gradients["a"] == 6.0


def test_contributions_add_up_to_each_gradient_and_the_last_is_final():
    graph = autodiff.build("w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)")
    for n in graph.nodes:
        into = [c for c in graph.contributions if c.target == n.index]
        if n.kind == "const" or n.index == graph.output:
            assert not into
            continue
        assert sum(float(c.amount) for c in into) == pytest.approx(float(n.grad), rel=1e-15)
        assert [c.final for c in into] == [False] * (len(into) - 1) + [True]
        assert float(into[-1].total) == pytest.approx(float(n.grad), rel=1e-15)
    assert len([c for c in graph.contributions if c.target == 0]) == 2  # w1 is used twice


def test_values_the_output_does_not_use_are_dead_with_gradient_zero():
    graph = autodiff.build("x = 2\nu = 5\nv = u * 3\nf = x * x")
    u, v = by_label(graph, "u"), by_label(graph, "v")
    assert graph.unused == (u.index, v.index)
    assert not u.live and not v.live and by_label(graph, "x").live
    assert u.grad == 0 and v.grad == 0 and graph.gradients["u"] == 0
    assert all(n.grad is None for n in graph.nodes if n.kind == "const")


def test_a_nonfinite_value_is_reported_where_it_first_arises():
    graph = autodiff.build("x = 0\nl = log(x)\nf = l * 2 + x")
    values = [p for p in graph.problems if p.slot == "value"]
    assert len(values) == 1  # only where it arises, not at l * 2 or f downstream
    problem = values[0]
    assert graph.nodes[problem.node].label == "l" and problem.slot == "value"
    assert problem.message == "l = log(0) gives -Infinity: the log of 0 is -∞"
    assert problem.inputs == ("x",)


def test_a_nonfinite_gradient_is_reported_where_it_first_arises():
    graph = autodiff.build("x = 0\ny = 3\nf = sqrt(x) * y")
    problems = [p for p in graph.problems if p.slot == "grad"]
    assert [graph.nodes[p.node].label for p in problems] == ["x"]
    assert "the gradient becomes Infinity here" in problems[0].message
    assert graph.gradients["x"] == np.inf


def test_an_array_output_is_refused_with_a_hint():
    with pytest.raises(EvaluationError, match=r"gradients need a single number: try sum") as e:
        autodiff.build("v = [1, 2]\nw = v * 3")
    assert (e.value.line, e.value.col) == (2, 1)


def test_forward_mode_agrees_with_reverse_mode_and_with_differences():
    f = lambda w: w * math.cos(3 * w + 1.5)  # noqa: E731
    graph = autodiff.build("w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)", forward="w1")
    assert graph.forward.input == "w1"
    assert graph.forward.derivative == pytest.approx(float(graph.gradients["w1"]), rel=1e-14)
    assert graph.forward.derivative == pytest.approx(central(f, 2.0), rel=1e-7)
    tangents = graph.forward.tangents
    assert tangents[0] == 1.0 and tangents[1] is None  # w2 does not move with w1


def test_forward_mode_needs_an_input_name():
    with pytest.raises(EvaluationError, match=r"'q' is not one \(inputs: w1, w2\)"):
        autodiff.build("w1 = 2.0\nw2 = 1.5\ny = w1 * w2", forward="q")


# --- no NaN where nobody asked, finite rules where the derivative is finite ---------------

FINITE_EVERYWHERE = [
    "x = 2\ny = -4\nf = (x + y)**2 + 2*x*y",  # the seed tutorial: the exponent 2 at a base -2
    "x = -3\nf = x**3",
    "x = -3\nf = pow(x, 2)",
    "p = 1.5\nt = 4\nf = (p - t)**2",  # a squared error at a negative residual
    "x = 2\ny = -4\na = (x + y)**2\nb = 2*x*y\nf = a + b",
    "x = -2\nf = x**(1 + 1)",  # an exponent computed from numbers alone
    "x = 3\nf = x * sqrt(0)",
    "x = -2\nf = x * log(0 + 1) + x**2",
]


@pytest.mark.parametrize("source", FINITE_EVERYWHERE)
def test_no_nan_where_every_value_and_gradient_is_finite(source):
    """A constant's edge has no local derivative to show (None), so ln(-2)·(-2)² = NaN on
    the edge into the exponent, or 1/(2·sqrt(0)) = ∞ into sqrt(0), never appears."""
    graph = autodiff.build(source)
    assert all(n.value_finite for n in graph.nodes)
    assert all(np.all(np.isfinite(g)) for g in graph.gradients.values())
    for edge in graph.edges:
        if edge.local is not None:
            assert np.all(np.isfinite(edge.local)), (edge, source)
        if graph.nodes[edge.src].kind == "const":
            assert edge.local is None
    assert graph.problems == ()
    for step in graph.steps:
        assert "NaN" not in step.text and "∞" not in step.text, step.text


def test_division_by_a_tiny_number_keeps_its_finite_gradient_in_float32():
    """-x/y² underflows (y² = 1e-46 is 0 in float32); -(x/y)/y does not: gy ≈ -1e16."""
    graph = autodiff.build("x = 1e-30\ny = 1e-23\nf = x/y", dtype="float32")
    assert float(graph.gradients["y"]) == pytest.approx(-1e-30 / 1e-46, rel=1e-5)
    assert float(graph.gradients["x"]) == pytest.approx(1e23, rel=1e-5)
    assert graph.problems == ()


def test_zero_over_a_tiny_number_has_gradient_zero():
    graph = autodiff.build("x = 0\ny = 1e-200\nf = x/y")
    assert graph.gradients["y"] == 0 and graph.gradients["x"] == pytest.approx(1e200)
    assert graph.problems == ()


def test_zero_times_sqrt_at_zero_is_nan_and_says_why():
    """0 · sqrt(x) is 0 everywhere, but its rule meets sqrt'(0) = ∞ behind a zero upstream:
    0 · ∞ has no value. The tool shows that NaN (as PyTorch and JAX do) and names it, rather
    than guessing 0 in a rule that is wrong at that point."""
    graph = autodiff.build("x = 0\nf = 0 * sqrt(x)")
    assert math.isnan(graph.gradients["x"])
    (problem,) = graph.problems
    assert problem.slot == "grad" and "so ∞ · 0 = NaN" in problem.message, problem.message


def test_a_route_through_a_zero_local_derivative_carries_nothing():
    """relu is flat at -1, so sqrt's infinite slope at relu(-1) = 0 never reaches x."""
    graph = autodiff.build("x = -1\nf = sqrt(relu(x))")
    assert graph.gradients["x"] == 0
    assert autodiff.build("x = -1\nf = sqrt(relu(x))", forward="x").forward.derivative == 0


def test_a_non_finite_gradient_through_a_reduction_along_an_axis_is_explained():
    """The local derivative has the argument's shape, the gradient arriving the result's:
    explaining the NaN once raised a broadcasting error (found by generated programs)."""
    graph = autodiff.build("x0 = [[0, 0, 0], [0, 0, 710]]\nv0 = exp(x0)\n"
                           "v2 = logsumexp(v0, axis=-1)\nf = sum(v2)")
    assert graph.problems and all(p.message for p in graph.problems)
    assert not np.isfinite(graph.gradients["x0"]).all()
