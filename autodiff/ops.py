"""The op table: the one place each operation is defined.

A row holds the op's name, arity, how it is written, its forward function, its local
derivatives and the formula shown to a student. Elementwise ops give `partials`: for each
argument the local derivative, an array broadcastable to the output, computed from the
arguments *and the output* (exp, tanh and sigmoid reuse it). Ops that move elements around
(matmul, reductions, transpose) give a vector-Jacobian product `vjp`, a Jacobian-vector
product `jvp` and, where it is an array of the argument's shape, the edge's local derivative.

Templates: `{a}`, `{b}` stand for the arguments' labels, `{out}` for the result's, `{g}` for
the upstream gradient, `{b_1}` for b - 1 (a number when b is one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import reductions as R
from .i18n import N_, _
from .limits import MAX_NDIM

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
    gate: str = ""
    """The tutorials' word for how the op passes gradient back (`add distributes`)."""
    base: str = ""
    """For an op along an axis, the row it was made from (`sum` for `sum(axis=1)`)."""
    axis: int | None = None
    """The axis a reduction or softmax works along; None: over all elements."""
    keepdims: bool = False
    """Whether a reduction keeps the reduced axis with size 1 (NumPy's `keepdims`)."""

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


def _div_partials(a: Array, b: Array, out: Array) -> tuple[Array, Array]:
    # -a/b² as -(a/b)/b: b² underflows to 0 (float32 at b = 1e-23, float64 at 1e-200) where
    # the derivative is finite, and -a/0 gave ∞ or NaN for it.
    return 1 / b, -out / b
def _times(x: Array, y: Array, zero_left: bool) -> Array:
    """`x @ y` (matrices) where each product xᵢₖ·yₖⱼ is exactly 0 when the factor that may
    win (x's element if `zero_left`, else y's) is 0, even against ∞ or NaN (`var.zero_wins`)."""
    product = x @ y
    if np.isfinite(product).all():
        return product
    terms = x[:, :, np.newaxis] * y[np.newaxis, :, :]
    zero = (x == 0)[:, :, np.newaxis] if zero_left else (y == 0)[np.newaxis, :, :]
    return np.where(zero, np.zeros((), terms.dtype), terms).sum(axis=1)


def _as_matrices(a: Array, b: Array) -> tuple[Array, Array]:
    """Vectors promoted as np.matmul does, so one rule covers v·v, M·v, v·M and M·M."""
    return (a if a.ndim == 2 else a[np.newaxis, :]), (b if b.ndim == 2 else b[:, np.newaxis])


def _matmul_vjp(g: Array, a: Array, b: Array, out: Array) -> tuple[Array, Array]:
    # The local derivatives are b's and a's elements: an exact 0 there passes nothing back.
    a2, b2 = _as_matrices(a, b)
    g2 = np.reshape(g, (a2.shape[0], b2.shape[1]))
    da = _times(g2, b2.T, zero_left=False).reshape(a.shape)
    db = _times(a2.T, g2, zero_left=True).reshape(b.shape)
    return da, db


def _matmul_jvp(ts: list[Array], a: Array, b: Array, out: Array) -> Array:
    # A tangent of exactly 0 stays 0 against a NaN or ∞ element of the other matrix.
    a2, b2 = _as_matrices(a, b)
    ta, tb = _as_matrices(*ts)
    return (_times(ta, b2, zero_left=True) + _times(a2, tb, zero_left=False)).reshape(out.shape)


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        Op("add", 2, "+", "{a} + {b}", "∂(a + b)/∂a = 1,  ∂(a + b)/∂b = 1", np.add,
           partials=lambda a, b, out: (_one(out), _one(out)), local_text=("1", "1"),
           gate=N_("add distributes: each input gets 1 · the gradient")),
        Op("sub", 2, "−", "{a} - {b}", "∂(a - b)/∂a = 1,  ∂(a - b)/∂b = -1", np.subtract,
           partials=lambda a, b, out: (_one(out), -_one(out)), local_text=("1", "-1"),
           gate=N_("sub distributes: 1 · the gradient to the first input, -1 · it to the second")),
        Op("mul", 2, "×", "{a} · {b}", "∂(a · b)/∂a = b,  ∂(a · b)/∂b = a", np.multiply,
           partials=lambda a, b, out: (b, a), local_text=("{b}", "{a}"),
           gate=N_("mul swaps: each input gets the other input · the gradient")),
        Op("div", 2, "÷", "{a} / {b}", "∂(a / b)/∂a = 1/b,  ∂(a / b)/∂b = -a/b²", np.divide,
           partials=_div_partials,
           local_text=("1/{b}", "-{a}/{b}²")),
        Op("pow", 2, "**", "{a}**{b}", "∂(a**b)/∂a = b·a**(b-1),  ∂(a**b)/∂b = ln(a)·a**b",
           np.power, partials=_pow_partials,
           local_text=("{b}·{a}**{b_1}", "ln({a})·{a}**{b}")),
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
        Op("sigmoid", 1, "sigmoid", "sigmoid({a})",
           "d sigmoid(a)/da = sigmoid(a)·(1 - sigmoid(a))",
           lambda a: 1 / (1 + np.exp(-a)),
           partials=lambda a, out: (out * (1 - out),),
           local_text=("sigmoid({a})·(1 - sigmoid({a}))",)),
        Op("relu", 1, "relu", "relu({a})", N_("d relu(a)/da = 1 if a > 0, else 0"),
           lambda a: np.maximum(a, np.zeros_like(a)),
           partials=lambda a, out: ((a > 0).astype(out.dtype),),
           local_text=("1 if {a} > 0, else 0",)),
        Op("abs", 1, "abs", "abs({a})", "d |a|/da = sign(a)", np.abs,
           partials=lambda a, out: (np.sign(a),), local_text=("sign({a})",)),
        Op("max", 2, "max", "max({a}, {b})",
           N_("∂max(a, b)/∂a = 1 if a ≥ b, else 0;  ∂max(a, b)/∂b = 1 if b > a, else 0"),
           np.maximum,
           partials=lambda a, b, out: ((a >= b).astype(out.dtype), (b > a).astype(out.dtype)),
           local_text=("1 if {a} ≥ {b}, else 0", "1 if {b} > {a}, else 0"),
           gate=N_("max routes: the larger input gets 1 · the gradient, the other 0")),
        Op("min", 2, "min", "min({a}, {b})",
           N_("∂min(a, b)/∂a = 1 if a ≤ b, else 0;  ∂min(a, b)/∂b = 1 if b < a, else 0"),
           np.minimum,
           partials=lambda a, b, out: ((a <= b).astype(out.dtype), (b < a).astype(out.dtype)),
           local_text=("1 if {a} ≤ {b}, else 0", "1 if {b} < {a}, else 0"),
           gate=N_("min routes: the smaller input gets 1 · the gradient, the other 0")),
        Op("matmul", 2, "@", "{a} @ {b}", "∂(A @ B)/∂A = G @ Bᵀ,  ∂(A @ B)/∂B = Aᵀ @ G", np.matmul,
           vjp=_matmul_vjp,
           jvp=_matmul_jvp,
           edge_local=lambda a, b, out: (None, None),
           vjp_text=("{g} @ {b}ᵀ", "{a}ᵀ @ {g}")),
        Op("transpose", 1, "ᵀ", "{a}ᵀ", N_("∂(Aᵀ)/∂A moves each element back: G ↦ Gᵀ"), np.transpose,
           vjp=lambda g, a, out: (np.transpose(g),), jvp=lambda ts, a, out: np.transpose(ts[0]),
           edge_local=lambda a, out: (None,), vjp_text=("{g}ᵀ",)),
    ]
}


@dataclass(frozen=True)
class Along:
    """A row of an op along an axis: the table holds it once per axis and `keepdims`."""

    name: str
    function: str
    """How it is called in the language (`max` for the op `amax`)."""
    symbol: str
    formula: str
    math: tuple[Callable, ...]
    """forward, vjp, jvp and local derivative from `reductions`, taking axis and keepdims."""
    vjp_text: str
    """The contribution as text; `{along}` stands for `, axis=k` where there is an axis,
    `{each}` and `{where}` for words (`contribution_text`), `{spread}` for the reduced gradient
    given its axis back (`(g for each element along axis 1)`), `{times}` for `·` (a number) or
    `⊙` (arrays, elementwise)."""


ALONG: tuple[Along, ...] = (
    Along("sum", "sum", "sum", "∂sum(a)/∂aᵢ = 1",
          (R.sum_forward, R.sum_vjp, R.sum_jvp, R.sum_local), "{g}{each}"),
    Along("mean", "mean", "mean", N_("∂mean(a)/∂aᵢ = 1/n, n the number of elements averaged"),
          (R.mean_forward, R.mean_vjp, R.mean_jvp, R.mean_local),
          "{g}/size({a}{along}){each}"),
    Along("amax", "max", "max", N_("∂max(a)/∂aᵢ = 1 at the (first) largest aᵢ, else 0"),
          (R.max_forward, R.max_vjp, R.max_jvp, R.max_local), N_("{g} at argmax{where}")),
    Along("amin", "min", "min", N_("∂min(a)/∂aᵢ = 1 at the (first) smallest aᵢ, else 0"),
          (R.min_forward, R.min_vjp, R.min_jvp, R.min_local), N_("{g} at argmin{where}")),
    Along("logsumexp", "logsumexp", "lse", "∂logsumexp(a)/∂aᵢ = exp(aᵢ)/Σⱼ exp(aⱼ) = softmax(a)ᵢ",
          (R.logsumexp_forward, R.logsumexp_vjp, R.logsumexp_jvp, R.logsumexp_local),
          "softmax({a}{along}) {times} {spread}"),
    Along("softmax", "softmax", "softmax", "∂softmax(a)ᵢ/∂aⱼ = sᵢ·(δᵢⱼ - sⱼ), s = softmax(a)",
          (R.softmax_forward, R.softmax_vjp, R.softmax_jvp, R.softmax_local),
          "{out} ⊙ ({g} - sum({g} ⊙ {out}{along}, keepdims=True))"),
)
"""The reductions and softmax: over all elements, or along one axis."""

AXES: tuple[int, ...] = tuple(range(-MAX_NDIM, MAX_NDIM))
"""Every axis an array can have (matrices at most: 0, 1, and -1, -2 counted from the end)."""


def along_name(name: str, axis: int | None, keepdims: bool) -> str:
    """The table's name of op `name` along `axis`: `sum(axis=1)`, `amax(axis=-1, keepdims)`."""
    params = ([] if axis is None else [f"axis={axis}"]) + (["keepdims"] if keepdims else [])
    return f"{name}({', '.join(params)})" if params else name


def _variant(row: Along, axis: int | None, keepdims: bool) -> Op:
    forward, vjp, jvp, local = row.math
    written = ("" if axis is None else f", axis={axis}") + (", keepdims=True" if keepdims else "")
    along = "" if axis is None else f", axis={axis}"
    spread = "{g}" if axis is None or keepdims else "({g}{each})"
    times = "·" if axis is None else "⊙"
    return Op(
        along_name(row.name, axis, keepdims), 1,
        row.symbol if axis is None else f"{row.symbol} ax{axis}",
        f"{row.function}({{a}}{written})", row.formula,
        lambda a: forward(a, axis, keepdims),
        vjp=lambda g, a, out: vjp(g, a, out, axis, keepdims),
        jvp=lambda ts, a, out: jvp(ts, a, out, axis, keepdims),
        edge_local=lambda a, out: local(a, out, axis, keepdims),
        # `{each}` and `{where}` are words, filled in the reader's language (`schedule`).
        vjp_text=(row.vjp_text.format(g="{g}", a="{a}", out="{out}", along=along,
                                      each="{each}", where="{where}", spread=spread,
                                      times=times),),
        base=row.name, axis=axis, keepdims=keepdims,
    )


OPS.update(
    (op.name, op)
    for row in ALONG for axis in (None, *AXES) for keepdims in (False, True)
    for op in [_variant(row, axis, keepdims)]
)
"""Every op, by name. Adding an op is adding a row (its tests are generated from this table)."""

FUNCTIONS: dict[tuple[str, int], str] = {
    **{(name, 1): name for name in
       ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs",
        "transpose")},
    **{(row.function, 1): row.name for row in ALONG},
    ("max", 2): "max", ("min", 2): "min", ("pow", 2): "pow",
}
"""What a call `name(args)` in the language means, by name and number of arguments."""

CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}
"""Names with a value unless the program assigns them itself."""


def function_arities(name: str) -> list[int]:
    """The numbers of arguments a known function takes (empty if the name is unknown)."""
    return sorted(arity for fname, arity in FUNCTIONS if fname == name)


_BRANCH = re.compile(r"^1 if (.+) ([≥>≤<]) (.+), else 0$")
_NOT = {"≥": "<", ">": "≤", "≤": ">", "<": "≥"}


def chosen_branch(local_text: str) -> tuple[str, str] | None:
    """For a local derivative written `1 if {a} ≥ {b}, else 0`, the templates of its two
    branches with their reasons, `(1 since {a} ≥ {b})` and `(0 since {a} < {b})`: the
    tutorials' words, with the branch taken stated in numbers. None for other rules."""
    match = _BRANCH.match(local_text)
    if match is None:
        return None
    left, relation, right = match.groups()
    since = _("({value} since {condition})")
    return (since.replace("{value}", "1").replace("{condition}", f"{left} {relation} {right}"),
            since.replace("{value}", "0").replace("{condition}", f"{left} {_NOT[relation]} {right}"))


def worded(local_text: str) -> str:
    """A local derivative with its words in the reader's language (`1 if {a} ≥ {b}, else 0`);
    other rules as they are."""
    match = _BRANCH.match(local_text)
    if match is None:
        return local_text
    left, relation, right = match.groups()
    return _("1 if {condition}, else 0").replace("{condition}", f"{left} {relation} {right}")


def contribution_text(op: Op, arg: int) -> str:
    """An op's contribution template (`vjp_text`), its words in the reader's language:
    `{g} for each element along axis 1`."""
    where = "" if op.axis is None else _(" along axis {axis}", axis=op.axis)
    each = _(" for each element") + where
    return _(op.vjp_text[arg]).replace("{each}", each).replace("{where}", where)


def rule_texts(op: Op) -> tuple[str, ...]:
    """An op's local derivatives, or its contributions where it has none, as templates."""
    if op.local_text:
        return tuple(map(worded, op.local_text))
    return tuple(contribution_text(op, k) for k in range(len(op.vjp_text)))


def get(name: str) -> Op:
    """The op of that name; a failed look-up names the op that has no rule."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r} in the op table") from None
