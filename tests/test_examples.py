"""Every gallery example reproduces the tutorials' exact values (relative 1e-12)."""

import math

import numpy as np
import pytest

import autodiff
from autodiff.examples import GALLERY, by_slug

EXPECTED = {
    "circuit": (-12, {"x": -4, "y": -4, "z": 3}),
    "reuse": (0.6932706356700516, {"w1": -5.2813645428134075, "w2": -1.8759999535494778}),
    "lines": (-12, {"x": -12, "y": 0}),
    "routes": (28, {"a": 11, "b": 4}),
    "sigmoid-expanded": (0.8807970779778823, {"x": 0.1049935854035065}),
    "sigmoid": (0.8807970779778823, {"x": 0.1049935854035065}),
    "max": (4, {"x": 1, "y": 0}),
    "gates": (-20, {"x": -8, "y": 6, "z": 2, "w": 0}),
    "instability": (3.7200759760208356e-44, {"x": -3.7200759760208356e-44}),
    "matvec": (-2, {"A": [[1, -1], [1, -1]], "b": [4, 6]}),
}


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_example_values(slug):
    value, grads = EXPECTED[slug]
    graph = autodiff.build(by_slug(slug).source)
    np.testing.assert_allclose(graph.value, value, rtol=1e-12, atol=0)
    assert set(graph.gradients) == set(grads)
    for name, expected in grads.items():
        np.testing.assert_allclose(graph.gradients[name], expected, rtol=1e-12, atol=0)


def test_routes_intermediate_gradient():
    graph = autodiff.build(by_slug("routes").source)
    c = next(n for n in graph.nodes if n.label == "c")
    assert c.grad == 4


def test_dense_layer_against_finite_differences():
    graph = autodiff.build(by_slug("dense").source)
    assert graph.gradients["X"].shape == (3, 3)
    assert graph.gradients["W"].shape == (3, 2)
    rows, total = autodiff.gradient_check(graph)
    assert total == 15 and len(rows) == 15
    assert all(r.ok for r in rows), [(r.label, r.autodiff, r.numeric) for r in rows]


def test_float32_overflow_is_flagged():
    graph = autodiff.build(by_slug("instability").source, dtype="float32")
    assert np.isnan(graph.gradients["x"])
    assert any(p.slot == "grad" for p in graph.problems)
    assert any(p.slot == "value" and "Infinity" in p.message for p in graph.problems)


def test_softmax_cross_entropy_by_hand():
    """loss = mean over rows of log Σ exp(x) - x[label]; ∂loss/∂X = (softmax(X) - Y) / 2."""
    rows = [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]
    labels = [0, 2]
    sums = [math.fsum(math.exp(x) for x in row) for row in rows]
    loss = math.fsum(math.log(s) - row[k] for row, s, k in zip(rows, sums, labels)) / 2
    softmax = [[math.exp(x) / s for x in row] for row, s in zip(rows, sums)]
    onehot = [[1.0 if j == k else 0.0 for j in range(3)] for k in labels]
    graph = autodiff.build(by_slug("softmax").source)
    np.testing.assert_allclose(graph.value, loss, rtol=1e-13)
    np.testing.assert_allclose(graph.gradients["X"], (np.array(softmax) - onehot) / 2, rtol=1e-12)
    np.testing.assert_allclose(graph.gradients["Y"], -np.log(softmax) / 2, rtol=1e-12)


def test_two_layer_network_against_finite_differences():
    graph = autodiff.build(by_slug("mlp").source)
    h = next(n for n in graph.nodes if n.name == "h")
    assert np.count_nonzero(h.value) == 3  # one unit stopped by the ReLU: its gradient is 0
    rows, total = autodiff.gradient_check(graph)
    assert total == len(rows) == 6 + 4 + 6 + 2 + 4 + 2
    assert all(r.ok for r in rows), [(r.label, r.autodiff, r.numeric) for r in rows]


def test_the_stable_rewrite_stays_finite_in_float32():
    unstable = autodiff.build(by_slug("instability").source, dtype=by_slug("instability").dtype)
    stable = autodiff.build(by_slug("stable").source, dtype=by_slug("stable").dtype)
    assert unstable.problems and np.isnan(unstable.gradients["x"])
    assert stable.problems == ()
    # 3.7e-44 is subnormal in float32: steps of 1.4e-45, so a few per cent apart
    np.testing.assert_allclose(stable.value, math.exp(-100), rtol=0.05)
    np.testing.assert_allclose(stable.gradients["x"], -math.exp(-100), rtol=0.05)


def test_gallery_is_complete():
    assert {e.slug for e in GALLERY} == set(EXPECTED) | {"dense", "softmax", "mlp", "stable", "rnn"}
