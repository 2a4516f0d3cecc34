"""Gradient descent on a program's inputs, computed by the engine (`autodiff.descent`)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autodiff.descent import check_learning_rate, descend
from autodiff.errors import AutodiffError, LimitError
from autodiff.parser import parse

SQUARE = "x = 3\nf = (x - 1)**2"


def run(source: str, rate: float, updates: int, dtype: str = "float64"):
    return descend(parse(source), dtype, rate, updates, nodes=10)


def test_one_update_of_the_lesson_example_is_hand_derived():
    """f = (x - 1)², f' = 2(x - 1) = 4 at x = 3, so x ← 3 − 0.1 · 4 = 2.6 and f = 1.6²."""
    points = run(SQUARE, 0.1, 1).points
    assert [float(p.inputs["x"]) for p in points] == [3.0, 3 - 0.1 * 4.0]
    assert float(points[0].value) == 4.0 and float(points[0].gradients["x"]) == 4.0
    assert float(points[1].value) == pytest.approx(1.6**2, rel=1e-15)


def test_the_loss_falls_for_twenty_steps_as_the_closed_form_says():
    """x_k − 1 = 2 · 0.8^k, so f_k = 4 · 0.64^k."""
    descent = run(SQUARE, 0.1, 20)
    values = [float(p.value) for p in descent.points]
    assert len(values) == 21 and descent.diverged_at is None
    assert all(b < a for a, b in zip(values, values[1:]))
    assert values == pytest.approx([4 * 0.64**k for k in range(21)], rel=1e-12)


def test_arrays_move_against_their_gradients_elementwise():
    source = "A = [[1, 2], [3, 4]]\nb = [1, -1]\nf = sum(A @ b)"
    first, second = run(source, 0.1, 1).points
    # d sum(A b)/dA = 1 bᵀ, d/db = Aᵀ 1
    np.testing.assert_allclose(first.gradients["A"], [[1, -1], [1, -1]])
    np.testing.assert_allclose(first.gradients["b"], [4, 6])
    np.testing.assert_allclose(second.inputs["A"], [[0.9, 2.1], [2.9, 4.1]])
    np.testing.assert_allclose(second.inputs["b"], [0.6, -1.6])
    assert float(second.value) == pytest.approx(np.sum(second.inputs["A"] @ second.inputs["b"]))


def test_every_point_matches_finite_differences_of_the_program():
    source = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
    f = lambda w1, w2: w1 * math.cos(3 * w1 + w2)
    for p in run(source, 0.05, 5).points:
        w1, w2 = float(p.inputs["w1"]), float(p.inputs["w2"])
        h = 1e-6
        assert float(p.value) == pytest.approx(f(w1, w2), rel=1e-12)
        assert float(p.gradients["w1"]) == pytest.approx(
            (f(w1 + h, w2) - f(w1 - h, w2)) / (2 * h), rel=1e-6)
        assert float(p.gradients["w2"]) == pytest.approx(
            (f(w1, w2 + h) - f(w1, w2 - h)) / (2 * h), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_learning_rate_too_large_diverges_and_says_where(dtype):
    """η = 5: x − 1 is multiplied by −9 every step, until it is no longer a number."""
    descent = run(SQUARE, 5.0, 500, dtype)
    k = descent.diverged_at
    assert k is not None and len(descent.points) == k + 1
    assert all(p.finite for p in descent.points[:k]) and not descent.points[k].finite
    assert abs(float(descent.points[k - 1].inputs["x"]) - 1) > 1e15  # near sqrt of the max


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "abc", ""])
def test_a_learning_rate_must_be_a_positive_number(text):
    with pytest.raises(AutodiffError, match="lr must be"):
        check_learning_rate(text)


def test_the_work_is_bounded_before_it_starts():
    with pytest.raises(LimitError, match="at most 50 updates"):
        descend(parse(SQUARE), "float64", 0.1, 100, nodes=2_000)
    with pytest.raises(LimitError, match="updates must be from 0"):
        descend(parse(SQUARE), "float64", 0.1, 10_000, nodes=1)


def test_the_api_answers_a_descent_of_n_plus_one_points(client):
    answer = client.get("/api/graph", query_string={"src": SQUARE, "lr": "0.1", "updates": "20"})
    assert answer.status_code == 200
    body = json.loads(answer.data)
    assert len(body["descent"]) == 21 and body["descent_diverged"] is None
    assert body["descent"][1]["inputs"] == {"x": 2.6}
    assert body["descent"][0]["gradients"] == {"x": 4.0}
    assert body["gradients"] == {"x": 4.0}  # the answer itself is unchanged


def test_the_api_spells_a_divergence(client):
    body = json.loads(client.get("/api/graph", query_string={
        "src": SQUARE, "lr": "5", "updates": "400"}).data)
    k = body["descent_diverged"]
    assert k == len(body["descent"]) - 1
    assert body["descent"][k]["value"] in ("NaN", "Infinity")


@pytest.mark.parametrize("query, message", [
    ({"lr": "-1"}, "lr must be"),
    ({"lr": "0.1", "updates": "two"}, "updates must be a whole number"),
    ({"updates": "3"}, "needs a learning rate"),
    ({"lr": "0.1", "updates": "100000"}, "updates must be from 0"),
])
def test_bad_descent_parameters_answer_400_with_the_reason(client, query, message):
    answer = client.get("/api/graph", query_string={"src": SQUARE, **query})
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]["message"]


def test_without_lr_the_answer_has_no_descent(client):
    assert "descent" not in json.loads(client.get("/api/graph", query_string={"src": SQUARE}).data)
