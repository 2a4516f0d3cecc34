"""autodiff.display: the lines each number of a graph is shown as, worked out once."""

import numpy as np
import pytest

import autodiff
from autodiff.display import displays, local_display
from autodiff.format import FIXED_WIDTH


def test_every_value_gradient_edge_and_total_has_its_lines():
    graph = autodiff.build("w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)")
    shown = displays(graph)
    assert len(shown.values) == len(graph.nodes) and len(shown.grads) == len(graph.nodes)
    assert len(shown.locals) == len(graph.edges)
    assert len(shown.totals) == len(graph.contributions)
    by_label = {n.label: n.index for n in graph.nodes}
    assert shown.values[by_label["y"]] == ("0.693271",)
    assert shown.grads[by_label["w1"]] == ("-5.2814",)  # -5.28136...: five digits and a sign
    assert shown.grads[by_label["3"]] is None  # a written number has no gradient
    assert shown.values[by_label["3"]] == ("3",)
    first_into_w1 = next(i for i, c in enumerate(graph.contributions) if c.target == 0)
    assert shown.totals[first_into_w1] == ("0.346635",)  # cos(7.5), the first route's share


def test_an_array_value_shows_one_line_per_row():
    graph = autodiff.build("A = [[1, 2], [3, 4]]\nb = [1, -1]\nf = sum(A @ b)")
    shown = displays(graph)
    a_rows = shown.values[0]
    assert [row.split() for row in a_rows] == [["1", "2"], ["3", "4"]]
    assert [row.split() for row in shown.grads[0]] == [["1", "-1"], ["1", "-1"]]


def test_the_lines_are_worked_out_once_per_graph():
    graph = autodiff.build("x = 2\nf = x * x")
    assert displays(graph) is displays(graph)
    assert displays(autodiff.build("x = 2\nf = x * x")) == displays(graph)


@pytest.mark.parametrize("local, text", [
    (None, "—"),
    (np.float64(2.0), "2"),
    (np.float64(-0.34663531783502584), "-0.3466"),  # four digits, as the step texts show it
    (np.float64(-1.2345e-100), "-1.2e-100"),  # -1.234e-100 is too wide: fewer digits
    (np.ones(3), "⟨3⟩"),
    (np.ones((2, 3)), "⟨2×3⟩"),
])
def test_local_derivatives_read_as_a_number_or_a_shape(local, text):
    assert local_display(local) == text
    assert len(local_display(local)) <= FIXED_WIDTH
