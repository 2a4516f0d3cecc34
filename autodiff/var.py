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


Infinity = tuple[Array, Array] | None
"""The infinite part of a gradient or tangent: per element the coefficient of ∞ and whether an
∞ took part at all (None: none did, the common case).

An infinite local derivative (sqrt at 0, log at 0) is not multiplied in as ∞: the number it
multiplies becomes the coefficient of one ∞, and sums add coefficients. Both modes then add
the same finite numbers before meeting the infinity, whatever their order, so they agree:
`sum(softmax(sqrt(a)) * w)` at a₀ = 0 is -∞ both ways, where forward mode once added +∞ to -∞
inside softmax and got NaN. Where an ∞ took part and its coefficient came out exactly 0, the
result is ∞ · 0 = NaN in either mode (1 / exp(x) at an overflowed exp(x)).
"""


def shown(part: Array, infinity: Infinity) -> Array:
    """A gradient or tangent as a number: ±∞ where the coefficient of ∞ is not 0, NaN where
    it is 0 after an ∞ took part (∞ · 0) or where either part is NaN, else the finite part."""
    if infinity is None:
        return part
    coefficient, touched = infinity
    nan = np.isnan(part) | np.isnan(coefficient) | (touched & (coefficient == 0))
    infinite = np.sign(coefficient) * np.asarray(np.inf, part.dtype)
    result = np.where(coefficient != 0, infinite, part)
    return np.where(nan, np.asarray(np.nan, part.dtype), result).astype(part.dtype)


def scaled(d: Array, g: Array, infinity: Infinity, reverse: bool) -> tuple[Array, Infinity]:
    """`d · (g + c·∞)` for a local derivative `d`: a finite part and the infinite part.

    Exact zeros win as in `zero_wins`: in reverse mode a local derivative of 0 (nothing flows
    back through it), in forward mode a tangent of 0 (nothing moves)."""
    product = d * g
    if infinity is None and (np.isfinite(product).all() if product.ndim
                             else math.isfinite(product)):
        return product, None
    zero_ = np.zeros((), d.dtype)
    infinite = np.isinf(d)
    finite_d = np.where(infinite, zero_, d)
    part = finite_d * g
    coefficient = np.where(infinite, np.sign(d) * g, zero_)
    touched = infinite
    moving = g != 0
    if infinity is not None:
        c, t = infinity
        higher = np.where(c == 0, zero_, np.sign(d) * c * np.inf)  # ∞ · ∞: kept as ±∞
        coefficient = coefficient + np.where(infinite, higher, finite_d * c)
        touched = touched | t
        moving = moving | (c != 0) | t
    zero = d == 0 if reverse else ~moving
    part = np.where(np.isnan(d), np.asarray(np.nan, d.dtype), part)
    part = np.where(zero, zero_, part)
    coefficient = np.where(zero, zero_, coefficient)
    shape = part.shape  # a scalar d or g broadcast against the other's array
    return part, (np.broadcast_to(coefficient, shape), np.broadcast_to(touched & ~zero, shape))


def _add(a: Infinity, b: Infinity) -> Infinity:
    if a is None or b is None:
        return b if a is None else a
    return a[0] + b[0], a[1] | b[1]


def _linear(apply: Callable[[Array], Array], infinity: Infinity, like: Array) -> Infinity:
    """The infinite part through a linear map (a vjp or jvp): coefficients are mapped as
    numbers; an element is touched where a touched one reaches it (a NaN probe)."""
    if infinity is None:
        return None
    c, t = infinity
    probe = np.where(t, np.asarray(np.nan, like.dtype), np.zeros((), like.dtype))
    return np.asarray(apply(c), like.dtype), np.isnan(apply(probe))


def contributions(v: Var, g: Array, infinity: Infinity = None) -> tuple:
    """What v passes back to each parent: upstream `g` (and its infinite part) times the
    local derivative, as (finite part, infinite part) pairs.

    Parents that need no gradient get None, so constants never see a NaN they did not cause.
    NaN and infinities are results here: callers run this under `np.errstate(all="ignore")`.
    """
    if v.op.elementwise:
        found = []
        for p, d in zip(v.parents, v.partials):
            if not p.requires_grad:
                found.append(None)
                continue
            part, inf = scaled(d, g, infinity, reverse=True)
            if inf is not None:
                inf = (unbroadcast(inf[0], p.shape), _any_back(inf[1], p.shape))
            found.append((unbroadcast(part, p.shape), inf))
        return tuple(found)
    xs = [p.value for p in v.parents]
    parts = v.op.vjp(g, *xs, v.value)
    found = []
    for i, (p, part) in enumerate(zip(v.parents, parts)):
        if not p.requires_grad:
            found.append(None)
            continue
        inf = _linear(lambda u, i=i: v.op.vjp(u, *xs, v.value)[i], infinity, p.value)
        found.append((np.asarray(part, dtype=v.dtype), inf))
    return tuple(found)


def _any_back(touched: Array, shape: tuple[int, ...]) -> Array:
    """Whether any element broadcasting spread from a parent's element was touched."""
    return unbroadcast(touched.astype(np.int64), shape) > 0


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
    grads: dict[Var, tuple[Array, Infinity]] = {root: (seed, None)}
    with np.errstate(all="ignore"):
        for v in reversed(order):
            g = grads.get(v)
            if g is None or v.op is None:
                continue
            for i, (p, c) in enumerate(zip(v.parents, contributions(v, *g))):
                if c is None:
                    continue
                if p in grads:
                    before = grads[p]
                    total = (before[0] + c[0], _add(before[1], c[1]))
                else:
                    total = c
                grads[p] = total
                if record is not None:
                    record(v, i, shown(*c), shown(*total))
        return {v: shown(*g) for v, g in grads.items()}


Tangent = tuple[Array, Infinity]


def tangent(v: Var, parent_tangents: Sequence[Array | None]) -> Array | None:
    """Forward mode for one op: the result's tangent from its parents' (None means zero)."""
    found = _tangent(v, [None if t is None else (np.asarray(t), None) for t in parent_tangents])
    with np.errstate(all="ignore"):
        return None if found is None else shown(*found)


def _tangent(v: Var, parent_tangents: Sequence[Tangent | None]) -> Tangent | None:
    """`tangent` with each tangent as a finite part and an infinite part."""
    if all(t is None for t in parent_tangents):
        return None
    with np.errstate(all="ignore"):
        if v.op.elementwise:
            total, infinity = np.zeros(v.shape, dtype=v.dtype), None
            for d, t in zip(v.partials, parent_tangents):
                if t is not None:
                    part, more = scaled(d, *t, reverse=False)
                    total = total + part
                    if more is not None:
                        more = (np.broadcast_to(more[0], v.shape), np.broadcast_to(more[1], v.shape))
                    infinity = _add(infinity, more)
            return total, infinity
        xs = [p.value for p in v.parents]
        parts = [np.zeros_like(p.value) if t is None else t[0]
                 for p, t in zip(v.parents, parent_tangents)]
        part = np.asarray(v.op.jvp(parts, *xs, v.value), dtype=v.dtype)
        if all(t is None or t[1] is None for t in parent_tangents):
            return part, None
        coefficients = [np.zeros_like(p.value) if t is None or t[1] is None else t[1][0]
                        for p, t in zip(v.parents, parent_tangents)]
        touched = [np.zeros(p.shape, bool) if t is None or t[1] is None else t[1][1]
                   for p, t in zip(v.parents, parent_tangents)]
        nan = np.asarray(np.nan, v.dtype)
        probes = [np.where(t, nan, np.zeros((), v.dtype)) for t in touched]
        coefficient = np.asarray(v.op.jvp(coefficients, *xs, v.value), dtype=v.dtype)
        return part, (coefficient, np.isnan(v.op.jvp(probes, *xs, v.value)))


def forward_parts(order: Sequence[Var], seeds: dict[Var, Array]) -> dict[Var, Tangent | None]:
    """Forward mode: the tangents of `seeds` through `order`, each with its infinite part."""
    tangents: dict[Var, Tangent | None] = {v: (t, None) for v, t in seeds.items()}
    for v in order:
        if v.op is not None:
            tangents[v] = _tangent(v, [tangents.get(p) for p in v.parents])
    return tangents


def forward_pass(order: Sequence[Var], seeds: dict[Var, Array]) -> dict[Var, Array | None]:
    """Forward mode: push the tangents of `seeds` through `order` alongside the values."""
    with np.errstate(all="ignore"):
        return {v: None if t is None else shown(*t)
                for v, t in forward_parts(order, seeds).items()}


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
