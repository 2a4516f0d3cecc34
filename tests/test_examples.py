"""Every gallery example reproduces the tutorials' exact values (relative 1e-12)."""

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


def test_gallery_is_complete():
    assert {e.slug for e in GALLERY} == set(EXPECTED) | {"dense"}
