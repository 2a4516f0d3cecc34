"""Result shapes worked out before NumPy allocates anything, with errors that name both shapes."""

from __future__ import annotations

import math

import numpy as np

from .errors import LimitError, ShapeError
from .i18n import N_, _
from .limits import MAX_ELEMENTS
from .ops import Op

_BROADCAST_MESSAGES = {
    "add": N_("cannot add shapes {a} and {b}: sizes must match or be 1 (NumPy broadcasting)"),
    "sub": N_("cannot subtract shapes {a} and {b}: sizes must match or be 1 (NumPy broadcasting)"),
    "mul": N_("cannot multiply shapes {a} and {b}: sizes must match or be 1 (NumPy broadcasting)"),
    "div": N_("cannot divide shapes {a} and {b}: sizes must match or be 1 (NumPy broadcasting)"),
    "pow": N_("cannot raise shapes {a} and {b}: sizes must match or be 1 (NumPy broadcasting)"),
    "max": N_("cannot take max of shapes {a} and {b}: sizes must match or be 1 (NumPy "
              "broadcasting)"),
    "min": N_("cannot take min of shapes {a} and {b}: sizes must match or be 1 (NumPy "
              "broadcasting)"),
}
"""Per op, the message when its arguments' shapes do not broadcast."""


def fmt_shape(shape: tuple[int, ...]) -> str:
    """A shape as a reader writes it: `scalar`, `(3,)`, `(2, 3)`."""
    return _("scalar ()") if shape == () else str(tuple(shape))


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
            _("the result would have shape {shape}, {size} elements; the limit is {limit} per "
              "array", shape=fmt_shape(shape), size=size, limit=MAX_ELEMENTS)
        )
    return shape


def _along(op: Op, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction (or softmax) of an array of `shape` along `op.axis`."""
    written = op.expr.format(a="a")
    if math.prod(shape) == 0:
        raise ShapeError(_("{written} of an empty array has no value", written=written))
    if op.axis is not None and not -len(shape) <= op.axis < len(shape):
        if shape == ():
            raise ShapeError(_("{written}: a is a scalar (), it has no axis {axis}; leave out "
                               "axis=", written=written, axis=op.axis))
        axes = ", ".join(map(str, range(len(shape))))
        from_end = ", ".join(str(k - len(shape)) for k in range(len(shape)))
        raise ShapeError(_("{written}: a has shape {shape}, which has no axis {axis} (its axes "
                           "are {axes}, or counted from the end {from_end})", written=written,
                           shape=fmt_shape(shape), axis=op.axis, axes=axes, from_end=from_end))
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
        a, b = (fmt_shape(s) for s in shapes)
        raise ShapeError(_(_BROADCAST_MESSAGES[op_name], a=a, b=b)) from None


def _matmul(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if a == () or b == ():
        raise ShapeError(
            _("@ needs vectors or matrices, got shapes {a} and {b}; use * to multiply by a "
              "number", a=fmt_shape(a), b=fmt_shape(b))
        )
    inner_a = a[-1]
    inner_b = b[0]
    if inner_a != inner_b:
        raise ShapeError(
            _("@ needs matching inner sizes: shapes {a} @ {b} meet at {inner_a} and {inner_b}",
              a=fmt_shape(a), b=fmt_shape(b), inner_a=inner_a, inner_b=inner_b)
        )
    return a[:-1] + b[1:]
