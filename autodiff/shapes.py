"""Result shapes worked out before NumPy allocates anything, with errors that name both shapes."""

from __future__ import annotations

import math

import numpy as np

from .errors import LimitError, ShapeError
from .limits import MAX_ELEMENTS
from .ops import Op

_VERBS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "divide", "pow": "raise",
    "max": "take max of", "min": "take min of",
}


def fmt_shape(shape: tuple[int, ...]) -> str:
    """A shape as a reader writes it: `scalar`, `(3,)`, `(2, 3)`."""
    return "scalar ()" if shape == () else str(tuple(shape))


def result_shape(op: Op, shapes: list[tuple[int, ...]]) -> tuple:
    """The shape `op` gives for arguments of these shapes, or a ShapeError."""
    if op.elementwise:
        shape = _broadcast(op.name, shapes)
    elif op.name == "matmul":
        shape = _matmul(*shapes)
    elif op.name == "transpose":
        shape = tuple(reversed(shapes[0]))
    else:
        shape = _along(op, shapes[0])
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise LimitError(
            f"the result would have shape {fmt_shape(shape)}, {size} elements; "
            f"the limit is {MAX_ELEMENTS} per array"
        )
    return shape


def _along(op: Op, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction (or softmax) of an array of `shape` along `op.axis`."""
    written = op.expr.format(a="a")
    if math.prod(shape) == 0:
        raise ShapeError(f"{written} of an empty array has no value")
    if op.axis is not None and not -len(shape) <= op.axis < len(shape):
        if shape == ():
            raise ShapeError(f"{written}: a is a scalar (), it has no axis {op.axis}; "
                             "leave out axis=")
        axes = ", ".join(map(str, range(len(shape))))
        raise ShapeError(f"{written}: a has shape {fmt_shape(shape)}, which has no axis "
                         f"{op.axis} (its axes are {axes}, or counted from the end "
                         f"{', '.join(str(k - len(shape)) for k in range(len(shape)))})")
    if op.base == "softmax":
        return shape
    if op.axis is None:
        return (1,) * len(shape) if op.keepdims else ()
    axis = op.axis % len(shape)
    if op.keepdims:
        return shape[:axis] + (1,) + shape[axis + 1:]
    return shape[:axis] + shape[axis + 1:]


def _broadcast(op_name: str, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    if all(shape == shapes[0] for shape in shapes):
        return tuple(shapes[0])
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        verb = _VERBS.get(op_name, op_name)
        a, b = (fmt_shape(s) for s in shapes)
        raise ShapeError(
            f"cannot {verb} shapes {a} and {b}: sizes must match or be 1 (NumPy broadcasting)"
        ) from None


def _matmul(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if a == () or b == ():
        raise ShapeError(
            f"@ needs vectors or matrices, got shapes {fmt_shape(a)} and {fmt_shape(b)}; "
            "use * to multiply by a number"
        )
    inner_a = a[-1]
    inner_b = b[0]
    if inner_a != inner_b:
        raise ShapeError(
            f"@ needs matching inner sizes: shapes {fmt_shape(a)} @ {fmt_shape(b)} "
            f"meet at {inner_a} and {inner_b}"
        )
    return a[:-1] + b[1:]
