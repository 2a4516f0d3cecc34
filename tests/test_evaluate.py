"""autodiff.evaluate: a program run forward, every value it computes one traced entry."""

import math
import warnings

import numpy as np
import pytest

import autodiff
from autodiff.errors import EvaluationError, LimitError
from autodiff.limits import MAX_NODES, MAX_TOTAL_ELEMENTS
from autodiff.model import KIND_CONST, KIND_INPUT, KIND_OP


def kinds_names_values(trace) -> list[tuple]:
    return [(t.kind, t.name, t.var.value.tolist()) for t in trace.entries]


def test_entries_come_in_evaluation_order_with_their_parents():
    trace = autodiff.trace("x = 2\ny = 3\nf = x * y + 1")
    assert kinds_names_values(trace) == [
        (KIND_INPUT, "x", 2.0), (KIND_INPUT, "y", 3.0), (KIND_OP, None, 6.0),
        (KIND_CONST, None, 1.0), (KIND_OP, "f", 7.0),
    ]
    assert trace.parents == [(), (), (0, 1), (), (2, 3)]
    assert trace.output == 4
    assert trace.entries[3].constant == "1"


def test_each_entry_knows_where_it_was_written():
    trace = autodiff.trace("a = 1.5\nb = a * 4")
    positions = [(t.line, t.col) for t in trace.entries]
    assert positions == [(1, 1), (2, 9), (2, 5)]  # a; the 4; a * 4 starts at col 5
    assert (trace.output_line, trace.output_col) == (2, 1)


def test_a_bare_last_expression_is_the_output():
    trace = autodiff.trace("x = 3\nx * x - 1")
    assert trace.entries[trace.output].var.value == 8.0
    assert trace.entries[trace.output].name is None


def test_a_named_constant_is_one_entry_however_often_it_is_used():
    trace = autodiff.trace("r = 2\narea = pi * r * r + pi")
    constants = [t for t in trace.entries if t.kind == KIND_CONST]
    assert [t.constant for t in constants] == ["pi"]
    assert constants[0].var.value == math.pi
    assert trace.entries[trace.output].var.value == pytest.approx(4 * math.pi + math.pi, rel=1e-15)


def test_a_program_may_name_a_value_e_for_itself():
    trace = autodiff.trace("a = 1\nb = 2\ne = (a + b) * (b + 1)\nf = e * 2")
    assert all(t.constant != "e" for t in trace.entries)
    assert trace.entries[trace.output].var.value == 18.0


def test_a_reassigned_name_points_at_its_latest_value():
    trace = autodiff.trace("x = 2\nx = x * x\nx = x + 1\nf = x * 10")
    assert trace.entries[trace.output].var.value == 50.0


def test_float32_values_stay_float32():
    trace = autodiff.trace("x = 0.1\nf = x * 3", "float32")
    assert {t.var.value.dtype for t in trace.entries} == {np.dtype("float32")}
    assert trace.entries[trace.output].var.value == np.float32(0.1) * np.float32(3)


def test_nan_and_infinity_are_values_not_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = autodiff.trace("x = 0\na = log(x)\nf = a * 0")
    assert trace.entries[1].name == "a" and trace.entries[1].var.value == -np.inf
    assert np.isnan(trace.entries[trace.output].var.value)


@pytest.mark.parametrize("source, message, line, col", [
    ("x = 2\ny = x * nope", "name 'nope' has no value; add a line such as 'nope = 1.0'", 2, 9),
    ("y = x + 1\nx = 2", "name 'x' is used before it has a value: it is assigned on line 2; "
     "move that line above line 1", 1, 5),
    ("y = 1\ny = y + 1\nz = w\nw = 2 * y", "name 'w' is used before it has a value: it is "
     "assigned on line 4; move that line above line 3", 3, 5),
    ("x = 1\nx = 2", "'x' already has a value (line 1); a number gets a name of its own: an "
     "input is assigned once", 2, 1),
    ("x = 1\nf = x * sin", "'sin' is a function: call it with an argument, e.g. sin(x)", 2, 9),
])
def test_mistakes_name_what_and_where(source, message, line, col):
    with pytest.raises(EvaluationError) as caught:
        autodiff.trace(source)
    assert (caught.value.message, caught.value.line, caught.value.col) == (message, line, col)


def test_too_many_values_are_refused_where_the_limit_is_crossed():
    lines = ["x = 1.0"] + [f"y{k} = x * 2" for k in range(MAX_NODES // 2 + 1)]
    with pytest.raises(LimitError, match=f"more than {MAX_NODES} values") as caught:
        autodiff.trace("\n".join(lines))
    assert caught.value.line == MAX_NODES // 2 + 1  # the line of the 2,001st value


def test_too_many_numbers_together_are_refused():
    row = "[" + ", ".join(["1"] * 64) + "]"
    matrix = "[" + ", ".join([row] * 64) + "]"
    copies = MAX_TOTAL_ELEMENTS // (64 * 64)
    lines = [f"A = {matrix}"] + [f"B{k} = A * 2" for k in range(copies)]
    with pytest.raises(LimitError, match=f"more than {MAX_TOTAL_ELEMENTS} numbers"):
        autodiff.trace("\n".join(lines))
    autodiff.trace("\n".join(lines[:copies // 2]))  # half as many fit


def test_a_number_too_large_for_float32_is_refused_where_it_stands():
    with pytest.raises(EvaluationError, match="too large for float32") as caught:
        autodiff.trace("x = 1\ny = 1e39\nf = x * y", "float32")
    assert (caught.value.line, caught.value.col) == (2, 5)


def test_new_input_numbers_give_the_values_worked_out_by_hand():
    """The second program differs from the first only by an input's number (a slider): its
    values are those of the new number, whether or not the kept trace was replayed."""
    first = autodiff.trace("x = 0.5\ny = 1.5\nf = sin(x) * y + x")
    second = autodiff.trace("x = 2.0\ny = 1.5\nf = sin(x) * y + x")
    assert first.entries[first.output].var.value == pytest.approx(
        math.sin(0.5) * 1.5 + 0.5, rel=1e-15)
    assert second.entries[second.output].var.value == pytest.approx(
        math.sin(2.0) * 1.5 + 2.0, rel=1e-15)
    assert [t.kind for t in first.entries] == [t.kind for t in second.entries]
