"""The gradient check: central differences beside autodiff, replayed in one batch or point
by point, with the same answers either way."""

from __future__ import annotations

import math

import pytest

import autodiff
from autodiff import gradcheck


def rows_of(source: str) -> list[autodiff.CheckRow]:
    return autodiff.gradient_check(autodiff.build(source))[0]


def test_a_scalar_program_is_checked_in_one_batch(monkeypatch):
    calls = []
    replay_batch = gradcheck.Replay.batched_differences
    monkeypatch.setattr(gradcheck.Replay, "batched_differences",
                        lambda self, *a: calls.append(1) or replay_batch(self, *a))
    (w1, w2) = rows_of("w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)")
    assert calls == [1]
    # Hand-derived: dy/dw1 = cos(3w1 + w2) - 3 w1 sin(3w1 + w2), dy/dw2 = -w1 sin(3w1 + w2).
    assert w1.numeric == pytest.approx(math.cos(7.5) - 6 * math.sin(7.5), rel=1e-8)
    assert w2.numeric == pytest.approx(-2 * math.sin(7.5), rel=1e-8)


def test_an_array_program_replays_point_by_point(monkeypatch):
    # Arrays reach a scalar output only through a reduction such as sum: not batched.
    monkeypatch.setattr(gradcheck.Replay, "batched_differences", None)  # must not be used
    rows = rows_of("x = [1.0, -2.0]\nm = [[1.0, 2.0], [3.0, 4.0]]\ns = 0.5\n"
                   "f = sum(m * x + s * x ** 2)")
    by_label = {r.label: r.numeric for r in rows}
    assert by_label["x[0]"] == pytest.approx(1 + 3 + 2 * 0.5 * 1.0 * 2, rel=1e-8)
    assert by_label["x[1]"] == pytest.approx(2 + 4 + 2 * 0.5 * -2.0 * 2, rel=1e-8)
    assert by_label["m[1, 0]"] == pytest.approx(1.0, rel=1e-8)
    assert by_label["s"] == pytest.approx(2 * (1 + 4), rel=1e-8)
    assert all(r.ok for r in rows)


def test_a_graph_with_a_matmul_replays_point_by_point(monkeypatch):
    monkeypatch.setattr(gradcheck.Replay, "batched_differences", None)
    rows = rows_of("a = [[1.0, 2.0], [3.0, 4.0]]\nv = [1.0, -1.0]\nf = sum(a @ v)")
    by_label = {r.label: r.numeric for r in rows}
    assert by_label["v[0]"] == pytest.approx(4.0, rel=1e-8)
    assert by_label["a[0, 1]"] == pytest.approx(-1.0, rel=1e-8)


def test_a_batch_over_the_memory_bound_replays_point_by_point(monkeypatch):
    source = "x = 1.0\ny = 2.0\nf = sin(x) * y + x / y"
    batched = [r.numeric for r in rows_of(source)]
    monkeypatch.setattr(gradcheck, "BATCH_MAX_ELEMENTS", 10)
    monkeypatch.setattr(gradcheck.Replay, "batched_differences", None)
    one_by_one = [r.numeric for r in rows_of(source)]
    assert one_by_one == pytest.approx(batched, rel=1e-9)
    assert one_by_one[0] == pytest.approx(math.cos(1.0) * 2 + 0.5, rel=1e-8)


def test_only_the_first_rows_are_checked_but_every_element_is_counted():
    graph = autodiff.build("x = " + str([0.5] * 100) + "\nf = sum(x * x)")
    rows, total = autodiff.gradient_check(graph, limit=64)
    assert total == 100 and len(rows) == 64
    assert [r.index for r in rows] == [(i,) for i in range(64)]
    assert all(r.numeric == pytest.approx(1.0, rel=1e-8) for r in rows)


def test_a_nan_from_one_nudge_stays_in_its_own_row():
    # sqrt(0 - h) is NaN: x's row shows it; y's rows keep x at 0 and stay numbers.
    rows = rows_of("x = 0.0\ny = 2.0\nf = sqrt(x) + y * y")
    by_label = {r.label: r for r in rows}
    assert math.isnan(by_label["x"].numeric)
    assert by_label["y"].numeric == pytest.approx(4.0, rel=1e-8) and by_label["y"].ok
