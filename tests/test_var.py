"""`Var` behaves as a PyTorch user expects; every expected gradient here is derived by hand."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff
from autodiff import Var, apply, call
from autodiff import var as var_module
from autodiff.ops import FUNCTIONS, OPS


def test_leaf_basics():
    a = Var(3.0, requires_grad=True)
    assert a.is_leaf and a.op is None and a.parents == ()
    assert a.shape == () and a.dtype == np.float64 and a.item() == 3.0
    assert a.grad is None
    assert not Var(1.0).requires_grad


def test_backward_of_a_product():
    a = Var(3.0, requires_grad=True)
    b = Var(-2.0, requires_grad=True)
    y = a * b + a
    y.backward()
    assert a.grad == -1.0  # b + 1
    assert b.grad == 3.0  # a


def test_a_value_used_twice_accumulates():
    a = Var(3.0, requires_grad=True)
    y = a * a
    assert y.parents == (a, a) and y.parents[0] is y.parents[1]
    y.backward()
    assert a.grad == 6.0  # 2a
    a.zero_grad()
    assert a.grad is None
    (a + a).backward()
    assert a.grad == 2.0


def test_gradients_accumulate_across_backward_calls():
    a = Var(2.0, requires_grad=True)
    (a * 3).backward()
    (a * a).backward()
    assert a.grad == 3.0 + 4.0


def test_sub_is_recorded_as_sub():
    a = Var(5.0, requires_grad=True)
    b = Var(2.0, requires_grad=True)
    d = a - b
    assert d.op is OPS["sub"] and d.parents == (a, b)
    d.backward()
    assert (a.grad, b.grad) == (1.0, -1.0)
    r = 10 - a
    assert r.op.name == "sub" and r.parents[1] is a and r.parents[0].item() == 10.0
    n = -a
    assert n.op.name == "neg" and n.parents == (a,)


@pytest.mark.parametrize(
    "expr, op, order",
    [
        (lambda a, b: a + b, "add", "ab"),
        (lambda a, b: b + a, "add", "ba"),
        (lambda a, b: a * b, "mul", "ab"),
        (lambda a, b: b * a, "mul", "ba"),
        (lambda a, b: a / b, "div", "ab"),
        (lambda a, b: b / a, "div", "ba"),
        (lambda a, b: a**b, "pow", "ab"),
        (lambda a, b: b**a, "pow", "ba"),
        (lambda a, b: a - b, "sub", "ab"),
        (lambda a, b: b - a, "sub", "ba"),
    ],
)
def test_parents_are_ordered(expr, op, order):
    a = Var(2.0, requires_grad=True)
    b = Var(3.0, requires_grad=True)
    out = expr(a, b)
    assert out.op.name == op
    assert isinstance(out.parents, tuple)
    assert out.parents == tuple({"a": a, "b": b}[k] for k in order)


def test_numbers_on_either_side_become_constants():
    a = Var(2.0, requires_grad=True)
    for out, const_index in [(a * 4, 1), (4 * a, 0), (a**2, 1), (2**a, 0), (1 / a, 0)]:
        const = out.parents[const_index]
        assert const.is_leaf and not const.requires_grad
    y = 2**a  # d 2^a / da = ln 2 · 2^a
    y.backward()
    assert a.grad == pytest.approx(np.log(2) * 4, rel=1e-15)


def test_matmul_operators():
    A = Var([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = Var([1.0, -1.0], requires_grad=True)
    y = A @ x
    assert y.op.name == "matmul" and y.parents == (A, x)
    np.testing.assert_array_equal(y.value, [-1.0, -1.0])
    y.sum().backward()
    np.testing.assert_array_equal(A.grad, [[1.0, -1.0], [1.0, -1.0]])  # 1 xᵀ
    np.testing.assert_array_equal(x.grad, [4.0, 6.0])  # Aᵀ 1
    z = np.array([1.0, 1.0]) @ A  # __rmatmul__: the array is the left argument
    assert z.op.name == "matmul" and z.parents[1] is A


@pytest.mark.parametrize(
    "expr, op",
    [
        (lambda arr, v: arr * v, "mul"),
        (lambda arr, v: arr + v, "add"),
        (lambda arr, v: arr - v, "sub"),
        (lambda arr, v: arr / v, "div"),
        (lambda arr, v: arr**v, "pow"),
    ],
)
def test_an_ndarray_on_the_left_gives_one_var(expr, op):
    """Not an object array of Vars: NumPy defers to the Var's reflected operator."""
    v = Var(2.0, requires_grad=True)
    out = expr(np.array([1.0, 3.0]), v)
    assert isinstance(out, Var) and out.op.name == op and out.parents[1] is v
    out.sum().backward()
    assert v.grad.shape == ()


def test_constants_do_not_get_gradients():
    k = Var(2.0)
    a = Var(3.0, requires_grad=True)
    y = k * a
    y.backward()
    assert k.grad is None and a.grad == 2.0
    c = Var(5.0) * Var(6.0)
    assert not c.requires_grad


def test_non_scalar_backward_needs_a_gradient():
    v = Var([1.0, 2.0, 3.0], requires_grad=True)
    y = v * 2
    with pytest.raises(autodiff.EvaluationError, match=r"needs a gradient.*sum\(\.\.\.\)"):
        y.backward()
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(v.grad, [2.0, 0.0, -2.0])


def test_backward_gradient_must_match_the_shape():
    v = Var([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(autodiff.ShapeError, match=r"\(2,\).*\(3,\)"):
        (v * 2).backward(np.ones(2))
    with pytest.raises(autodiff.ShapeError):
        v.sum().backward(np.ones(3))


def test_float32_stays_float32():
    a = Var(1.5, requires_grad=True, dtype="float32")
    y = autodiff.sin(a) * 2 + a**2 - 1 / a
    assert y.dtype == np.float32
    y.backward()
    assert a.grad.dtype == np.float32
    expected = 2 * np.cos(1.5) + 2 * 1.5 + 1 / 1.5**2
    assert float(a.grad) == pytest.approx(expected, rel=1e-6)


def test_float32_arrays_with_numbers_stay_float32():
    v = Var([1.0, 2.0], requires_grad=True, dtype="float32")
    y = (v * 0.1 + 3).sum()
    assert y.dtype == np.float32 and y.parents[0].dtype == np.float32
    y.backward()
    assert v.grad.dtype == np.float32


def test_broadcast_scalar_gradient_is_summed():
    w = Var([1.0, 2.0, 3.0], requires_grad=True)
    s = Var(2.0, requires_grad=True)
    (w * s).sum().backward()
    assert s.grad.shape == () and s.grad == 6.0  # sum(w)
    np.testing.assert_array_equal(w.grad, [2.0, 2.0, 2.0])
    w.zero_grad()
    s.zero_grad()
    (w + s).sum().backward()
    assert s.grad == 3.0
    np.testing.assert_array_equal(w.grad, [1.0, 1.0, 1.0])


def test_broadcast_column_times_row():
    p = Var([[1.0], [2.0]], requires_grad=True)
    q = Var([[10.0, 20.0, 30.0]], requires_grad=True)
    out = p * q
    assert out.shape == (2, 3)
    out.backward(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]))
    np.testing.assert_array_equal(p.grad, [[10 + 60], [20 + 30]])
    np.testing.assert_array_equal(q.grad, [[1.0, 2.0, 2 + 2]])
    assert p.grad.shape == (2, 1) and q.grad.shape == (1, 3)


def test_broadcast_vector_against_matrix():
    v = Var([1.0, 2.0, 3.0], requires_grad=True)
    M = Var(np.ones((2, 3)), requires_grad=True)
    (v - M).sum().backward()
    np.testing.assert_array_equal(v.grad, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(M.grad, -np.ones((2, 3)))


def test_shape_errors_are_the_packages():
    with pytest.raises(autodiff.ShapeError, match=r"\(2,\) and \(3,\)"):
        Var([1.0, 2.0]) + Var([1.0, 2.0, 3.0])
    with pytest.raises(autodiff.ShapeError, match="@"):
        Var(2.0) @ Var(3.0)
    with pytest.raises(autodiff.ShapeError, match="at most 2 dimensions"):
        Var(np.zeros((1, 1, 1)))
    with pytest.raises(autodiff.EvaluationError, match="argument"):
        call("sin", Var(1.0), Var(2.0))


def test_diamond_chain_is_linear(monkeypatch):
    """40 levels, each using the previous value twice: a naive recursion would take 2^40."""
    calls = []
    real = var_module.contributions
    monkeypatch.setattr(var_module, "contributions", lambda v, *g: calls.append(v) or real(v, *g))
    a = Var(1.0, requires_grad=True)
    x = a
    for _ in range(40):
        x = x * x
    x.backward()
    assert a.grad == 2.0**40  # d a^(2^40) / da at a = 1
    assert len(calls) == 40 and len({id(v) for v in calls}) == 40

    calls.clear()
    b = Var(0.5, requires_grad=True)
    y = b
    for _ in range(40):
        y = y + y
    y.backward()
    assert b.grad == 2.0**40 and len(calls) == 40


def test_diamond_chain_in_a_program():
    source = "x = 1\n" + "x = x * x\n" * 40 + "f = x"
    graph = autodiff.build(source)
    assert graph.gradients["x"] == 2.0**40
    assert len(graph.contributions) == 80
    assert graph.backward_steps == 41  # the seed and one step per op


def test_methods_and_functions_mirror_the_language():
    a = Var([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    for (fname, arity), op_name in FUNCTIONS.items():
        if arity == 1:
            assert getattr(a, fname)().op.name == op_name
            assert getattr(autodiff, fname)(a).op.name == op_name
    assert a.T.op.name == "transpose"
    np.testing.assert_array_equal(a.T.value, [[1.0, 3.0], [-2.0, 0.5]])
    assert autodiff.max(a, 0.0).op.name == "max"
    assert autodiff.max(a).op.name == "amax"
    assert autodiff.pow(a, 2).op.name == "pow"
    assert apply("min", a, 1.0).op.name == "min"


def test_repr_is_short():
    a = Var(2.0, requires_grad=True)
    y = a * a
    y.backward()
    assert repr(y) == "Var(4, op=mul, grad=1)"
    assert repr(a) == "Var(2, op=leaf, grad=4)"
    assert repr(Var(np.zeros((3, 3)))) == "Var(<array (3, 3)>, op=leaf)"


def test_intermediate_values_get_their_gradient():
    a = Var(2.0, requires_grad=True)
    h = a * 3
    y = h * h
    y.backward()
    assert h.grad == 12.0  # 2h
    assert a.grad == 36.0  # 2h · 3
