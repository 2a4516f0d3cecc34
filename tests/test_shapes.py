"""autodiff.shapes: result shapes known before NumPy allocates, errors naming both shapes."""

import numpy as np
import pytest

import autodiff
from autodiff.errors import LimitError, ShapeError
from autodiff.limits import MAX_ELEMENTS
from autodiff.ops import OPS
from autodiff.shapes import fmt_shape, result_shape


def test_shapes_read_as_a_reader_writes_them():
    assert [fmt_shape(s) for s in [(), (3,), (2, 3)]] == ["scalar ()", "(3,)", "(2, 3)"]


@pytest.mark.parametrize("shapes", [
    [(), ()], [(3,), ()], [(), (2, 3)], [(2, 3), (3,)], [(2, 1), (1, 4)], [(4, 1), (4,)],
])
def test_elementwise_shapes_are_numpy_s_broadcasting(shapes):
    expected = (np.zeros(shapes[0]) + np.zeros(shapes[1])).shape
    assert result_shape(OPS["add"], shapes) == expected


@pytest.mark.parametrize("a, b", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4))])
def test_matrix_products_are_numpy_s(a, b):
    assert result_shape(OPS["matmul"], [a, b]) == (np.zeros(a) @ np.zeros(b)).shape


def test_transpose_and_reductions():
    assert result_shape(OPS["transpose"], [(2, 3)]) == (3, 2)
    assert result_shape(OPS["sum"], [(2, 3)]) == ()


@pytest.mark.parametrize("op, shapes, message", [
    ("add", [(2,), (3,)], "cannot add shapes (2,) and (3,): sizes must match or be 1"),
    ("mul", [(2, 3), (2,)], "cannot multiply shapes (2, 3) and (2,): sizes must match or be 1"),
    ("pow", [(4,), (2, 3)], "cannot raise shapes (4,) and (2, 3)"),
])
def test_shapes_that_do_not_broadcast_are_named(op, shapes, message):
    with pytest.raises(ShapeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        result_shape(OPS[op], shapes)


def test_matrix_products_that_do_not_meet_say_where():
    with pytest.raises(ShapeError, match=r"shapes \(2, 3\) @ \(2,\) meet at 3 and 2"):
        result_shape(OPS["matmul"], [(2, 3), (2,)])
    with pytest.raises(ShapeError, match="use \\* to multiply by a number"):
        result_shape(OPS["matmul"], [(), (2,)])


def test_a_result_over_the_element_limit_is_refused_before_it_exists():
    with pytest.raises(LimitError, match=f"the limit is {MAX_ELEMENTS} per array"):
        result_shape(OPS["mul"], [(65, 1), (1, 64)])
    assert result_shape(OPS["mul"], [(64, 1), (1, 64)]) == (64, 64)


def test_a_shape_error_in_a_program_points_at_its_expression():
    with pytest.raises(ShapeError) as caught:
        autodiff.build("a = [1, 2]\nb = [1, 2, 3]\nf = sum(a + b)")
    assert caught.value.message.startswith("cannot add shapes (2,) and (3,)")
    assert (caught.value.line, caught.value.col) == (3, 9)


@pytest.mark.parametrize("name, shape, expected", [
    ("sum(axis=0)", (2, 3), (3,)), ("sum(axis=1)", (2, 3), (2,)), ("sum(axis=-1)", (2, 3), (2,)),
    ("mean(axis=-2, keepdims)", (2, 3), (1, 3)), ("amax(keepdims)", (2, 3), (1, 1)),
    ("amin(axis=0)", (3,), ()), ("logsumexp(axis=1, keepdims)", (2, 3), (2, 1)),
    ("softmax(axis=0)", (2, 3), (2, 3)), ("softmax", (3,), (3,)),
])
def test_reductions_along_an_axis_are_numpy_s(name, shape, expected):
    assert result_shape(OPS[name], [shape]) == expected
    op = OPS[name]
    if op.base != "softmax":
        a = np.zeros(shape)
        assert np.sum(a, axis=op.axis, keepdims=op.keepdims).shape == expected


@pytest.mark.parametrize("name, shape, message", [
    ("sum(axis=1)", (3,), "sum(a, axis=1): a has shape (3,), which has no axis 1"),
    ("amax(axis=-2)", (3,), "max(a, axis=-2): a has shape (3,), which has no axis -2"),
    ("softmax(axis=0)", (), "softmax(a, axis=0): a is a scalar (), it has no axis 0"),
])
def test_an_axis_the_shape_lacks_is_named_with_the_shape(name, shape, message):
    with pytest.raises(ShapeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        result_shape(OPS[name], [shape])
