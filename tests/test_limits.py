"""autodiff.limits: each bound refuses a program before the work it bounds, saying which."""

import pytest

import autodiff
from autodiff import limits
from autodiff.errors import LimitError


def vector(n: int, number: str = "1") -> str:
    return "[" + ", ".join([number] * n) + "]"


@pytest.mark.parametrize("source, message", [
    ("x = 1\n#" + "a" * limits.MAX_SOURCE_CHARS,
     f"the program is {limits.MAX_SOURCE_CHARS + 7} characters long; the limit is "
     f"{limits.MAX_SOURCE_CHARS}"),
    ("x = 1\nf = " + "-" * (limits.MAX_DEPTH + 1) + "x",
     f"the program is nested {limits.MAX_DEPTH}+ levels deep; the limit is {limits.MAX_DEPTH}"),
    ("A = [[[1]]]\nf = sum(A)",
     f"this array has more than {limits.MAX_NDIM} dimensions; the limit is {limits.MAX_NDIM}"),
    (f"v = {vector(limits.MAX_ELEMENTS + 1)}\nf = sum(v)",
     f"an array has at most {limits.MAX_ELEMENTS} elements"),
])
def test_each_limit_names_itself(source, message):
    with pytest.raises(LimitError) as caught:
        autodiff.build(source)
    assert message in caught.value.message
    assert caught.value.line is not None


def test_just_within_the_limits_is_computed():
    odd = limits.MAX_DEPTH - 11  # an odd number of minus signs
    assert autodiff.build("x = 1\nf = " + "-" * odd + "x").value == -1.0
    graph = autodiff.build(f"v = {vector(limits.MAX_ELEMENTS)}\nf = sum(v)")
    assert graph.value == limits.MAX_ELEMENTS


def test_the_gradient_check_samples_large_inputs():
    side = 10  # 100 input elements, more than MAX_GRADCHECK_ENTRIES
    matrix = "[" + ", ".join([vector(side, "0.5")] * side) + "]"
    rows, total = autodiff.gradient_check(autodiff.build(f"W = {matrix}\nf = sum(sin(W))"))
    assert total == side * side
    assert len(rows) == limits.MAX_GRADCHECK_ENTRIES < total
    assert all(row.ok for row in rows)


def test_forward_mode_refuses_an_input_with_too_many_elements():
    source = f"v = {vector(limits.MAX_FORWARD_SWEEPS + 1)}\nf = sum(v * v)"
    with pytest.raises(LimitError, match=f"the limit is {limits.MAX_FORWARD_SWEEPS}"):
        autodiff.build(source, forward="v")
    fits = f"v = {vector(limits.MAX_FORWARD_SWEEPS)}\nf = sum(v * v)"
    assert autodiff.build(fits, forward="v").forward.derivative.shape == (
        limits.MAX_FORWARD_SWEEPS,)
