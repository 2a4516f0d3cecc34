"""The traced value: operator overloading records every result's op, parents and local derivatives.

`Var` works as a PyTorch user expects: `requires_grad`, `.backward()`, `.grad`, with gradients
accumulating where a value is used more than once. Parents are an ordered tuple, so `a * a`
has two edges and gets `2a`. Reverse and forward mode live here, shared by `Var.backward`
and by the graphs that `autodiff.build` makes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .errors import EvaluationError, ShapeError
from .i18n import _
from .limits import MAX_NDIM
from .ops import ALONG, AXES, FUNCTIONS, OPS, Op, along_name
from .shapes import fmt_shape, result_shape

Array = np.ndarray
_serial = itertools.count()  # creation order: every Var's parents are older than it


class Var:
    """A value in a traced computation (a scalar, vector or matrix of float64 or float32)."""

    __slots__ = ("value", "op", "parents", "partials", "requires_grad", "grad", "serial")
    __array_ufunc__ = None  # `ndarray * Var` defers to Var.__rmul__ instead of looping over it

    def __init__(self, value, requires_grad: bool = False, dtype: str | np.dtype = "float64"):
        self.value = _as_array(value, dtype)
        self.op: Op | None = None
        self.parents: tuple[Var, ...] = ()
        self.partials: tuple[Array, ...] | None = None
        self.requires_grad = requires_grad
        self.grad: Array | None = None
        self.serial = next(_serial)

    @classmethod
    def _result(cls, op: Op, parents: tuple[Var, ...], value: Array, partials) -> Var:
        v = cls.__new__(cls)
        v.value, v.op, v.parents, v.partials = value, op, parents, partials
        v.requires_grad = False
        v.grad = None
        v.serial = next(_serial)
        return v

    @property
    def shape(self) -> tuple[int, ...]:
        """The array shape; `()` for a scalar."""
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        """float64, or float32 when a program is run in single precision."""
        return self.value.dtype

    @property
    def is_leaf(self) -> bool:
        """True for values made directly rather than by an op."""
        return self.op is None

    def item(self) -> float:
        """The value of a scalar as a Python float."""
        return float(self.value)

    def backward(self, gradient=None) -> None:
        """Accumulate d(self)/d(v) into `v.grad` for every v it depends on that requires grad."""
        if gradient is None:
            if self.shape != ():
                raise EvaluationError(
                    _("backward() of a value of shape {shape} needs a gradient argument; take "
                      "sum(...) to get a single number", shape=fmt_shape(self.shape))
                )
            gradient = np.ones((), dtype=self.dtype)
        gradient = _as_array(gradient, self.dtype)
        if gradient.shape != self.shape:
            raise ShapeError(
                _("backward() got a gradient of shape {given} for a value of shape {shape}; they "
                  "must match", given=fmt_shape(gradient.shape), shape=fmt_shape(self.shape))
            )
        order = topological_order([self])
        grads = reverse_pass(order, self, gradient)
        for v, g in grads.items():
            if v.requires_grad:
                v.grad = g if v.grad is None else v.grad + g

    def zero_grad(self) -> None:
        """Forget an accumulated gradient."""
        self.grad = None

    def __repr__(self) -> str:
        name = self.op.name if self.op else "leaf"
        grad = "" if self.grad is None else f", grad={_short(self.grad)}"
        return f"Var({_short(self.value)}, op={name}{grad})"

    # Operators record the op the user wrote: a - b is `sub`, not `a + (-b)`.
    def __add__(self, other): return apply("add", self, other)
    def __radd__(self, other): return apply("add", other, self)
    def __sub__(self, other): return apply("sub", self, other)
    def __rsub__(self, other): return apply("sub", other, self)
    def __mul__(self, other): return apply("mul", self, other)
    def __rmul__(self, other): return apply("mul", other, self)
    def __truediv__(self, other): return apply("div", self, other)
    def __rtruediv__(self, other): return apply("div", other, self)
    def __pow__(self, other): return apply("pow", self, other)
    def __rpow__(self, other): return apply("pow", other, self)
    def __matmul__(self, other): return apply("matmul", self, other)
    def __rmatmul__(self, other): return apply("matmul", other, self)
    def __neg__(self): return apply("neg", self)

    @property
    def T(self) -> Var:
        """The transpose."""
        return apply("transpose", self)


def _method(fname: str, op_name: str) -> Callable[..., Var]:
    def method(self: Var, **along) -> Var:
        return call(fname, self, **along)

    method.__name__ = fname
    method.__doc__ = f"{fname}(self) as in the language: the `{op_name}` op."
    return method


for (_fname, _arity), _op_name in FUNCTIONS.items():
    if _arity == 1:
        setattr(Var, _fname, _method(_fname, _op_name))


def call(fname: str, *args, axis: int | None = None, keepdims: bool = False) -> Var:
    """Call a function of the language by name, e.g. `call("max", a, b)`,
    `call("sum", A, axis=1)`."""
    op_name = FUNCTIONS.get((fname, len(args)))
    if op_name is None:
        raise EvaluationError(_("{name}() does not take {n} argument(s)", name=fname,
                                n=len(args)))
    if axis is not None or keepdims:
        along = along_name(op_name, axis, keepdims)
        if along not in OPS:
            raise EvaluationError(_along_message(fname, axis))
        op_name = along
    return apply(op_name, *args)


def _along_message(fname: str, axis) -> str:
    """Why `fname(..., axis=axis)` has no op: a function that works elementwise, or an axis
    no array here has."""
    if not any(row.function == fname for row in ALONG):
        takers = ", ".join(row.function for row in ALONG)
        return _("{name}() has no axis: axis= and keepdims= go with {takers}", name=fname,
                 takers=takers)
    return _("axis={axis} is not an axis: arrays have at most {limit} dimensions (axis {axes})",
             axis=axis, limit=MAX_NDIM, axes=", ".join(map(str, AXES)))


def apply(op_name: str, *args) -> Var:
    """Run one op forward and record its local derivatives; numbers become constants."""
    with np.errstate(all="ignore"):
        return apply_quietly(op_name, *args)


def apply_quietly(op_name: str, *args) -> Var:
    """`apply` for callers already under `np.errstate(all="ignore")` (NaN and infinities are
    results, not warnings), such as the evaluator, which enters it once per program."""
    op = OPS[op_name]
    if all(type(a) is Var for a in args):  # the evaluator's case: no numbers to wrap
        parents = args
        dtype = args[0].value.dtype
    else:
        dtype = next((a.dtype for a in args if isinstance(a, Var)), _FLOAT64)
        parents = tuple(a if isinstance(a, Var) else Var(a, dtype=dtype) for a in args)
    shape = result_shape(op, [p.value.shape for p in parents])
    var = run_op(op, parents, dtype, shape)
    var.requires_grad = any(p.requires_grad for p in parents)
    return var


def run_op(op: Op, parents: tuple[Var, ...], dtype: np.dtype, shape: tuple[int, ...]) -> Var:
    """`op` applied to Vars whose result's shape is known to be `shape` (checked by
    `result_shape` first, or the same op on Vars of the same shapes before), not requiring
    a gradient yet; call under `np.errstate(all="ignore")`."""
    xs = [p.value for p in parents]
    out = np.asarray(op.forward(*xs), dtype=dtype)
    partials = None
    if op.elementwise:
        partials = tuple(np.asarray(d, dtype=dtype) for d in op.partials(*xs, out))
    assert out.shape == shape, (op.name, out.shape, shape)
    return Var._result(op, parents, out, partials)


_FLOAT64 = np.dtype("float64")


def topological_order(roots: Iterable[Var]) -> list[Var]:
    """Every value the roots depend on, themselves included, parents before children."""
    seen: dict[int, Var] = {}
    stack = list(roots)
    while stack:
        v = stack.pop()
        if v.serial not in seen:
            seen[v.serial] = v
            stack.extend(v.parents)
    return [seen[k] for k in sorted(seen)]


def unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum a gradient over the axes broadcasting added, back to the parent's shape."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    g = g.sum(axis=tuple(range(extra))) if extra else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def contributions(v: Var, g: Array) -> tuple[Array | None, ...]:
    """What v passes back to each parent: upstream g times the local derivative.

    Parents that need no gradient get None, so constants never see a NaN they did not cause.
    NaN and infinities are results here: callers run this under `np.errstate(all="ignore")`.
    """
    if v.op.elementwise:
        return tuple(
            unbroadcast(zero_wins(d, g, d), p.shape) if p.requires_grad else None
            for p, d in zip(v.parents, v.partials)
        )
    xs = [p.value for p in v.parents]
    out = v.op.vjp(g, *xs, v.value)
    return tuple(
        np.asarray(c, dtype=v.dtype) if p.requires_grad else None
        for p, c in zip(v.parents, out)
    )


def zero_wins(a: Array, b: Array, zero: Array) -> Array:
    """`a · b`, but exactly 0 wherever `zero` (one of the two) is 0, even against ∞ or NaN.

    Reverse mode passes `zero` = the local derivative, forward mode the tangent. Along a
    route the product of local derivatives is then 0 whenever a zero factor stands nearer
    the output than the non-finite one, in both modes, so they agree: a value that does not
    move passes nothing on (`sum(sqrt(v))` at v = [0, 4] has gradient [∞, 0.25] either way),
    while a zero after a non-finite factor is NaN (1 / exp(x) at an overflowed exp(x)).
    """
    product = a * b
    if product.ndim == 0:
        return product if math.isfinite(product) or zero != 0 else np.zeros((), product.dtype)
    if np.isfinite(product).all():
        return product
    return np.where(zero == 0, np.zeros((), product.dtype), product)


Recorder = Callable[[Var, int, Array, Array], None]


def reverse_pass(
    order: Sequence[Var], root: Var, seed: Array, record: Recorder | None = None
) -> dict[Var, Array]:
    """Reverse mode in one sweep over `order` (topological) backwards: cost linear in edges.

    `record(child, arg_index, contribution, new_total)` is told of every contribution as it is
    added, which is how the step schedule learns the running totals.
    """
    grads: dict[Var, Array] = {root: seed}
    with np.errstate(all="ignore"):
        for v in reversed(order):
            g = grads.get(v)
            if g is None or v.op is None:
                continue
            for i, (p, c) in enumerate(zip(v.parents, contributions(v, g))):
                if c is None:
                    continue
                total = c if p not in grads else grads[p] + c
                grads[p] = total
                if record is not None:
                    record(v, i, c, total)
    return grads


def tangent(v: Var, parent_tangents: Sequence[Array | None]) -> Array | None:
    """Forward mode for one op: the result's tangent from its parents' (None means zero)."""
    if all(t is None for t in parent_tangents):
        return None
    with np.errstate(all="ignore"):
        if v.op.elementwise:
            total = np.zeros(v.shape, dtype=v.dtype)
            for d, t in zip(v.partials, parent_tangents):
                if t is not None:
                    total = total + zero_wins(d, t, t)
            return total
        ts = [np.zeros_like(p.value) if t is None else t for p, t in zip(v.parents, parent_tangents)]
        xs = [p.value for p in v.parents]
        return np.asarray(v.op.jvp(ts, *xs, v.value), dtype=v.dtype)


def forward_pass(order: Sequence[Var], seeds: dict[Var, Array]) -> dict[Var, Array | None]:
    """Forward mode: push the tangents of `seeds` through `order` alongside the values."""
    tangents: dict[Var, Array | None] = dict(seeds)
    for v in order:
        if v.op is not None:
            tangents[v] = tangent(v, [tangents.get(p) for p in v.parents])
    return tangents


def forward_derivative(order: Sequence[Var], root: Var, wrt: Var) -> Array:
    """d root / d wrt by forward mode: one tangent sweep per element of `wrt`."""
    result = np.zeros(wrt.shape, dtype=wrt.dtype)
    for index in np.ndindex(*wrt.shape):
        seed = np.zeros(wrt.shape, dtype=wrt.dtype)
        seed[index] = 1
        t = forward_pass(order, {wrt: seed}).get(root)
        result[index] = 0 if t is None else t
    return result


def _as_array(value, dtype) -> Array:
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim > MAX_NDIM:
        raise ShapeError(_("arrays have at most {limit} dimensions, got shape {shape}",
                           limit=MAX_NDIM, shape=arr.shape))
    return arr


def _short(a: Array) -> str:
    if a.shape == ():
        return f"{float(a):.6g}"
    return f"<array {fmt_shape(a.shape)}>" if math.prod(a.shape) > 6 else str(a.tolist())
