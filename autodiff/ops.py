"""The op table: the one place each operation is defined.

A row holds the op's name, arity, how it is written, its forward function, its local
derivatives and the formula shown to a student. Elementwise ops give `partials`: for each
argument the local derivative, an array broadcastable to the output, computed from the
arguments *and the output* (exp, tanh and sigmoid reuse it). Ops that move elements around
(matmul, reductions, transpose) give a vector-Jacobian product `vjp`, a Jacobian-vector
product `jvp` and, where it is an array of the argument's shape, the edge's local derivative.

Templates: `{a}`, `{b}` stand for the arguments' labels, `{out}` for the result's, `{g}` for
the upstream gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class Op:
    """One row of the op table."""

    name: str
    arity: int
    symbol: str
    """The op's mark inside a node: +, ×, cos, @."""
    expr: str
    """How a result is written, e.g. `{a} + {b}`, `cos({a})`."""
    formula: str
    """The derivative rule as a student reads it."""
    forward: Callable[..., Array]
    partials: Callable[..., tuple[Array, ...]] | None = None
    local_text: tuple[str, ...] = ()
    """Per argument, the local derivative as text (elementwise ops)."""
    vjp: Callable[..., tuple[Array, ...]] | None = None
    jvp: Callable[..., Array] | None = None
    edge_local: Callable[..., tuple[Array | None, ...]] | None = None
    vjp_text: tuple[str, ...] = ()
    """Per argument, the contribution `g · local` as text (non-elementwise ops)."""

    @property
    def elementwise(self) -> bool:
        """Whether local derivatives are elementwise arrays (else the op has a vjp)."""
        return self.partials is not None


def _one(x: Array) -> Array:
    """Ones of x's shape and type; for a scalar one shared read-only 1 (`np.ones_like` took
    a tenth of a large program's evaluation)."""
    if x.ndim:
        return np.ones(x.shape, x.dtype)
    one = _ONES.get(x.dtype)
    if one is None:
        one = np.ones((), x.dtype)
        one.flags.writeable = False
        _ONES[x.dtype] = one
    return one


_ONES: dict[np.dtype, Array] = {}


def _pow_partials(a: Array, b: Array, out: Array) -> tuple[Array, Array]:
    # At b == 0 the rule b·a^(b-1) is 0·inf for a == 0; the true derivative is 0.
    da = np.where(b == 0, 0.0, b * a ** (b - 1))
    # a^b·ln(a) is 0·(-inf) at a == 0; the derivative with respect to b is 0 there.
    db = np.where(out == 0, 0.0, out * np.log(np.where(a == 0, 1.0, a)))
    return da.astype(out.dtype), db.astype(out.dtype)


def _sum_vjp(g: Array, a: Array, out: Array) -> tuple[Array]:
    return (np.broadcast_to(g, a.shape).copy(),)


def _mean_vjp(g: Array, a: Array, out: Array) -> tuple[Array]:
    return (np.broadcast_to(g / max(a.size, 1), a.shape).copy(),)


def _pick(a: Array, out: Array, first: Callable[[Array], int]) -> Array:
    mask = np.zeros_like(a)
    if a.size:
        mask.flat[first(a)] = 1
    return mask


def _argmax(a: Array) -> int:
    return int(np.argmax(a))


def _argmin(a: Array) -> int:
    return int(np.argmin(a))


def _matmul_vjp(g: Array, a: Array, b: Array, out: Array) -> tuple[Array, Array]:
    # Vectors are promoted as np.matmul does, so one rule covers v·v, M·v, v·M and M·M.
    a2 = a if a.ndim == 2 else a[np.newaxis, :]
    b2 = b if b.ndim == 2 else b[:, np.newaxis]
    g2 = np.reshape(g, (a2.shape[0], b2.shape[1]))
    da = (g2 @ b2.T).reshape(a.shape)
    db = (a2.T @ g2).reshape(b.shape)
    return da, db


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op("add", 2, "+", "{a} + {b}", "∂(a + b)/∂a = 1,  ∂(a + b)/∂b = 1", np.add,
           partials=lambda a, b, out: (_one(out), _one(out)), local_text=("1", "1")),
        Op("sub", 2, "−", "{a} - {b}", "∂(a - b)/∂a = 1,  ∂(a - b)/∂b = -1", np.subtract,
           partials=lambda a, b, out: (_one(out), -_one(out)), local_text=("1", "-1")),
        Op("mul", 2, "×", "{a} · {b}", "∂(a · b)/∂a = b,  ∂(a · b)/∂b = a", np.multiply,
           partials=lambda a, b, out: (b, a), local_text=("{b}", "{a}")),
        Op("div", 2, "÷", "{a} / {b}", "∂(a / b)/∂a = 1/b,  ∂(a / b)/∂b = -a/b²", np.divide,
           partials=lambda a, b, out: (1 / b, -a / (b * b)),
           local_text=("1/{b}", "-{a}/{b}²")),
        Op("pow", 2, "**", "{a}**{b}", "∂(a**b)/∂a = b·a**(b-1),  ∂(a**b)/∂b = ln(a)·a**b",
           np.power, partials=_pow_partials,
           local_text=("{b}·{a}**({b}-1)", "ln({a})·{a}**{b}")),
        Op("neg", 1, "neg", "-{a}", "∂(-a)/∂a = -1", np.negative,
           partials=lambda a, out: (-_one(out),), local_text=("-1",)),
        Op("sin", 1, "sin", "sin({a})", "d sin(a)/da = cos(a)", np.sin,
           partials=lambda a, out: (np.cos(a),), local_text=("cos({a})",)),
        Op("cos", 1, "cos", "cos({a})", "d cos(a)/da = -sin(a)", np.cos,
           partials=lambda a, out: (-np.sin(a),), local_text=("-sin({a})",)),
        Op("tan", 1, "tan", "tan({a})", "d tan(a)/da = 1 + tan²(a)", np.tan,
           partials=lambda a, out: (1 + out * out,), local_text=("1 + tan²({a})",)),
        Op("exp", 1, "exp", "exp({a})", "d exp(a)/da = exp(a)", np.exp,
           partials=lambda a, out: (out,), local_text=("exp({a})",)),
        Op("log", 1, "log", "log({a})", "d log(a)/da = 1/a", np.log,
           partials=lambda a, out: (1 / a,), local_text=("1/{a}",)),
        Op("sqrt", 1, "sqrt", "sqrt({a})", "d sqrt(a)/da = 1/(2·sqrt(a))", np.sqrt,
           partials=lambda a, out: (0.5 / out,), local_text=("1/(2·sqrt({a}))",)),
        Op("tanh", 1, "tanh", "tanh({a})", "d tanh(a)/da = 1 - tanh²(a)", np.tanh,
           partials=lambda a, out: (1 - out * out,), local_text=("1 - tanh²({a})",)),
        Op("sigmoid", 1, "sigmoid", "sigmoid({a})", "d σ(a)/da = σ(a)·(1 - σ(a))",
           lambda a: 1 / (1 + np.exp(-a)),
           partials=lambda a, out: (out * (1 - out),), local_text=("σ({a})·(1 - σ({a}))",)),
        Op("relu", 1, "relu", "relu({a})", "d relu(a)/da = 1 if a > 0 else 0",
           lambda a: np.maximum(a, np.zeros_like(a)),
           partials=lambda a, out: ((a > 0).astype(out.dtype),), local_text=("[{a} > 0]",)),
        Op("abs", 1, "abs", "abs({a})", "d |a|/da = sign(a)", np.abs,
           partials=lambda a, out: (np.sign(a),), local_text=("sign({a})",)),
        Op("max", 2, "max", "max({a}, {b})", "∂max(a, b)/∂a = [a ≥ b],  ∂max(a, b)/∂b = [b > a]",
           np.maximum,
           partials=lambda a, b, out: ((a >= b).astype(out.dtype), (b > a).astype(out.dtype)),
           local_text=("[{a} ≥ {b}]", "[{b} > {a}]")),
        Op("min", 2, "min", "min({a}, {b})", "∂min(a, b)/∂a = [a ≤ b],  ∂min(a, b)/∂b = [b < a]",
           np.minimum,
           partials=lambda a, b, out: ((a <= b).astype(out.dtype), (b < a).astype(out.dtype)),
           local_text=("[{a} ≤ {b}]", "[{b} < {a}]")),
        Op("matmul", 2, "@", "{a} @ {b}", "∂(A @ B)/∂A = G @ Bᵀ,  ∂(A @ B)/∂B = Aᵀ @ G", np.matmul,
           vjp=_matmul_vjp,
           jvp=lambda ts, a, b, out: ts[0] @ b + a @ ts[1],
           edge_local=lambda a, b, out: (None, None),
           vjp_text=("{g} @ {b}ᵀ", "{a}ᵀ @ {g}")),
        Op("sum", 1, "sum", "sum({a})", "∂sum(a)/∂aᵢ = 1", np.sum,
           vjp=_sum_vjp, jvp=lambda ts, a, out: np.sum(ts[0]),
           edge_local=lambda a, out: (np.ones_like(a),), vjp_text=("{g}",)),
        Op("mean", 1, "mean", "mean({a})", "∂mean(a)/∂aᵢ = 1/n", np.mean,
           vjp=_mean_vjp, jvp=lambda ts, a, out: np.mean(ts[0]),
           edge_local=lambda a, out: (np.full_like(a, 1 / max(a.size, 1)),),
           vjp_text=("{g}/size({a})",)),
        Op("amax", 1, "max", "max({a})", "∂max(a)/∂aᵢ = 1 at the arg-max, else 0", np.max,
           vjp=lambda g, a, out: (_pick(a, out, _argmax) * g,),
           jvp=lambda ts, a, out: ts[0].flat[_argmax(a)],
           edge_local=lambda a, out: (_pick(a, out, _argmax),), vjp_text=("{g} at argmax",)),
        Op("amin", 1, "min", "min({a})", "∂min(a)/∂aᵢ = 1 at the arg-min, else 0", np.min,
           vjp=lambda g, a, out: (_pick(a, out, _argmin) * g,),
           jvp=lambda ts, a, out: ts[0].flat[_argmin(a)],
           edge_local=lambda a, out: (_pick(a, out, _argmin),), vjp_text=("{g} at argmin",)),
        Op("transpose", 1, "ᵀ", "{a}ᵀ", "∂(Aᵀ)/∂A moves each element back: G ↦ Gᵀ", np.transpose,
           vjp=lambda g, a, out: (np.transpose(g),), jvp=lambda ts, a, out: np.transpose(ts[0]),
           edge_local=lambda a, out: (None,), vjp_text=("{g}ᵀ",)),
    ]
}
"""Every op, by name. Adding an op is adding a row (its tests are generated from this table)."""

FUNCTIONS: dict[tuple[str, int], str] = {
    **{(name, 1): name for name in
       ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs",
        "sum", "mean", "transpose")},
    ("max", 2): "max", ("min", 2): "min", ("pow", 2): "pow",
    ("max", 1): "amax", ("min", 1): "amin",
}
"""What a call `name(args)` in the language means, by name and number of arguments."""

CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}
"""Names with a value unless the program assigns them itself."""


def function_arities(name: str) -> list[int]:
    """The numbers of arguments a known function takes (empty if the name is unknown)."""
    return sorted(arity for fname, arity in FUNCTIONS if fname == name)


def get(name: str) -> Op:
    """The op of that name; a failed look-up names the op that has no rule."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} in the op table") from None
