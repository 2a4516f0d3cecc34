"""The op table, row by row: every op is generated into every test from `autodiff.ops.OPS`.

References are computed here: forward values with `math` one element at a time, derivatives
by central finite differences of the op's forward function. An op added to the table is
tested from that day on; one added without its documentation, or with a domain the default
samples cannot handle, fails here until it gets a row below.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from autodiff import Var, apply
from autodiff.ops import AXES, CONSTANTS, FUNCTIONS, OPS, along_name, contribution_text, get
from autodiff.parser import ALONG_NAMES, BINARY_OPS
from autodiff.var import tangent

OP_NAMES = sorted(OPS)

# --- where each op is sampled -------------------------------------------------------------

DEFAULT_RANGE = (-2.0, 2.0)
POSITIVE = (0.3, 2.0)
AWAY_FROM_ZERO = "away"
"""A magnitude in POSITIVE with a random sign."""

DOMAINS: dict[str, tuple] = {
    "log": (POSITIVE,),
    "sqrt": (POSITIVE,),
    "pow": (POSITIVE, DEFAULT_RANGE),
    "div": (DEFAULT_RANGE, AWAY_FROM_ZERO),
    "tan": ((-1.2, 1.2),),
}
"""Per argument, where the op is smooth; ops not listed take DEFAULT_RANGE everywhere."""


def _gap(a: np.ndarray, axis: int | None = None) -> float:
    """The smallest distance between the largest and the second largest, slice by slice."""
    slices = [a.ravel()] if axis is None else list(np.moveaxis(a, axis, -1).reshape(
        -1, a.shape[axis]))
    gaps = [math.inf if s.size < 2 else float(np.sort(s)[-1] - np.sort(s)[-2]) for s in slices]
    return min(gaps)


KINK_MARGIN = 0.2
SMOOTH = {
    "relu": lambda a: np.all(np.abs(a) > KINK_MARGIN),
    "abs": lambda a: np.all(np.abs(a) > KINK_MARGIN),
    "max": lambda a, b: np.all(np.abs(a - b) > KINK_MARGIN),
    "min": lambda a, b: np.all(np.abs(a - b) > KINK_MARGIN),
    **{op.name: (lambda axis: lambda a: _gap(a, axis) > KINK_MARGIN)(op.axis)
       for op in OPS.values() if op.base == "amax"},
    **{op.name: (lambda axis: lambda a: _gap(-a, axis) > KINK_MARGIN)(op.axis)
       for op in OPS.values() if op.base == "amin"},
}
"""Where an op has a kink, samples stay a margin away (finite differences straddle no kink)."""

UNARY_SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [
    ((), ()),
    ((3,), (3,)),
    ((2, 3), (2, 3)),
    ((2, 3), ()),
    ((), (3,)),
    ((2, 1), (1, 3)),
    ((3,), (2, 3)),
]
SHAPES: dict[str, list] = {
    "matmul": [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4))],
}
"""Argument shapes per op where the default (by arity) does not apply."""


def shapes_for(name: str) -> list[tuple[tuple[int, ...], ...]]:
    if name in SHAPES:
        return SHAPES[name]
    axis = OPS[name].axis
    if axis is not None:  # the shapes that have that axis
        return [(s,) for s in UNARY_SHAPES if -len(s) <= axis < len(s)]
    return [(s,) for s in UNARY_SHAPES] if OPS[name].arity == 1 else BINARY_SHAPES


def sample(name: str, shapes, rng: np.random.Generator) -> list[np.ndarray]:
    """Arguments of these shapes inside the op's domain and away from its kinks."""
    domains = DOMAINS.get(name, (DEFAULT_RANGE,) * len(shapes))
    for _ in range(10_000):
        args = []
        for shape, domain in zip(shapes, domains):
            if domain == AWAY_FROM_ZERO:
                x = rng.uniform(*POSITIVE, shape) * rng.choice([-1.0, 1.0], shape)
            else:
                x = rng.uniform(*domain, shape)
            args.append(np.asarray(x, dtype=np.float64))
        if SMOOTH.get(name, lambda *a: True)(*args):
            return args
    raise AssertionError(f"no smooth sample for {name} {shapes}")


def shape_id(shapes) -> str:
    return "_".join("x".join(map(str, s)) or "s" for s in shapes)


CASES = [
    pytest.param(name, shapes, id=f"{name}-{shape_id(shapes)}")
    for name in OP_NAMES
    for shapes in shapes_for(name)
]
SAME_SHAPE_CASES = [p for p in CASES if len(set(p.values[1])) == 1]


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's id, so each case is reproducible on its own."""
    return np.random.default_rng(sum(map(ord, request.node.name)))


# --- independent references ---------------------------------------------------------------


def _elementwise(fn):
    def run(*args):
        arrays = np.broadcast_arrays(*args)
        out = np.empty(arrays[0].shape)
        for index in np.ndindex(out.shape):
            out[index] = fn(*(float(a[index]) for a in arrays))
        return out

    return run


def _matmul(a, b):
    a2 = a if a.ndim == 2 else a[np.newaxis, :]
    b2 = b if b.ndim == 2 else b[:, np.newaxis]
    out = [
        [math.fsum(a2[i, k] * b2[k, j] for k in range(a2.shape[1])) for j in range(b2.shape[1])]
        for i in range(a2.shape[0])
    ]
    shape = a.shape[:-1] + b.shape[1:]
    return np.array(out).reshape(shape)


def _slices(a: np.ndarray, axis: int | None) -> list[list[float]]:
    """The numbers each result of a reduction along `axis` comes from, in result order."""
    if axis is None:
        return [[float(x) for x in a.ravel()]]
    moved = np.moveaxis(a, axis, -1)
    return [[float(x) for x in row] for row in moved.reshape(-1, a.shape[axis])]


def _logsumexp(xs: list[float]) -> float:
    return math.log(math.fsum(math.exp(x) for x in xs))


def _reduction(fn):
    """A reduction along an op's axis, one slice at a time with `fn` (a list to a float)."""

    def reference(op):
        def run(a):
            out = np.array([fn(xs) for xs in _slices(a, op.axis)])
            if op.axis is None:
                shape = (1,) * a.ndim if op.keepdims else ()
            else:
                axis = op.axis % a.ndim
                kept = a.shape[:axis] + (1,) + a.shape[axis + 1:]
                shape = kept if op.keepdims else a.shape[:axis] + a.shape[axis + 1:]
            return out.reshape(shape)

        return run

    return reference


def _softmax(op):
    def run(a):
        rows = [[math.exp(x) / math.fsum(math.exp(y) for y in xs) for x in xs]
                for xs in _slices(a, op.axis)]
        if op.axis is None:
            return np.array(rows[0]).reshape(a.shape)
        axis = op.axis % a.ndim
        moved = np.moveaxis(a, axis, -1).shape
        return np.moveaxis(np.array(rows).reshape(moved), -1, axis)

    return run


ALONG_REFERENCE = {
    "sum": _reduction(math.fsum),
    "mean": _reduction(lambda xs: math.fsum(xs) / len(xs)),
    "amax": _reduction(max),
    "amin": _reduction(min),
    "logsumexp": _reduction(_logsumexp),
    "softmax": _softmax,
}
"""Per row of ops along an axis, the reference of one variant (axis, keepdims)."""

REFERENCE = {
    "add": _elementwise(lambda a, b: a + b),
    "sub": _elementwise(lambda a, b: a - b),
    "mul": _elementwise(lambda a, b: a * b),
    "div": _elementwise(lambda a, b: a / b),
    "pow": _elementwise(math.pow),
    "neg": _elementwise(lambda a: -a),
    "sin": _elementwise(math.sin),
    "cos": _elementwise(math.cos),
    "tan": _elementwise(math.tan),
    "exp": _elementwise(math.exp),
    "log": _elementwise(math.log),
    "sqrt": _elementwise(math.sqrt),
    "tanh": _elementwise(math.tanh),
    "sigmoid": _elementwise(lambda a: 1 / (1 + math.exp(-a))),
    "relu": _elementwise(lambda a: a if a > 0 else 0.0),
    "abs": _elementwise(abs),
    "max": _elementwise(max),
    "min": _elementwise(min),
    "matmul": _matmul,
    **{op.name: ALONG_REFERENCE[op.base](op) for op in OPS.values() if op.base},
    "transpose": lambda a: np.array([list(col) for col in zip(*a)]) if a.ndim == 2 else a.copy(),
}
"""Each op's value computed without NumPy's version of it."""


def forward(name: str, *args: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(OPS[name].forward(*args), dtype=np.float64)


def numeric_gradient(f, args: list[np.ndarray], i: int, rel_step: float = 1e-6) -> np.ndarray:
    """d f(*args) / d args[i] element by element, by central differences; f returns a float."""
    x = args[i]
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        h = rel_step * max(1.0, abs(float(x[index])))
        up = [a.copy() for a in args]
        down = [a.copy() for a in args]
        up[i][index] += h
        down[i][index] -= h
        grad[index] = (f(*up) - f(*down)) / (2 * h)
    return grad


def close(actual, expected, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=atol)


# --- the table itself ----------------------------------------------------------------------


def test_reference_covers_every_op():
    assert set(REFERENCE) == set(OPS), "give a new op an independent reference here"


def test_every_op_is_reachable_from_the_language():
    spelled = set(FUNCTIONS.values()) | set(BINARY_OPS.values()) | {"neg"}
    along = {along_name(op, axis, keepdims) for op in spelled if op in ALONG_NAMES
             for axis in (None, *AXES) for keepdims in (False, True)}
    assert spelled | along == set(OPS)
    for (fname, arity), op_name in FUNCTIONS.items():
        assert OPS[op_name].arity == arity, fname


def test_constants_are_the_usual_numbers():
    assert CONSTANTS == {"pi": math.pi, "e": math.e}


def test_get_names_a_missing_op():
    assert get("add") is OPS["add"]
    with pytest.raises(KeyError, match="no op named 'nope'"):
        get("nope")


@pytest.mark.parametrize("name", OP_NAMES)
def test_op_row_is_complete(name):
    op = OPS[name]
    args = set("ab"[: op.arity])
    assert op.name == name
    assert op.arity in (1, 2)
    assert op.symbol.strip() and op.formula.strip() and op.expr.strip()
    assert set(re.findall(r"\{(\w+)\}", op.expr)) == args, op.expr
    assert callable(op.forward)
    if op.elementwise:
        assert callable(op.partials)
        assert len(op.local_text) == op.arity
        for text in op.local_text:
            assert text.strip()
            assert set(re.findall(r"\{(\w+)\}", text)) <= args | {"b_1"}, text  # b - 1
    else:
        assert callable(op.vjp) and callable(op.jvp) and callable(op.edge_local)
        assert len(op.vjp_text) == op.arity
        for text in op.vjp_text:
            assert "{g}" in text, text
            # `{each}` and `{where}` are words, filled in the reader's language
            assert set(re.findall(r"\{(\w+)\}", text)) <= args | {"g", "out", "each", "where"}
        for k in range(len(op.vjp_text)):
            worded = contribution_text(op, k)
            assert set(re.findall(r"\{(\w+)\}", worded)) <= args | {"g", "out"}, worded


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, shapes", CASES)
def test_forward_matches_reference(name, shapes, rng):
    args = sample(name, shapes, rng)
    expected = REFERENCE[name](*args)
    out = forward(name, *args)
    assert out.shape == expected.shape
    close(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, shapes", CASES)
def test_apply_keeps_float32(name, shapes, rng):
    args = [Var(x, requires_grad=True, dtype="float32") for x in sample(name, shapes, rng)]
    out = apply(name, *args)
    assert out.dtype == np.float32
    for partial in out.partials or ():
        assert partial.dtype == np.float32
    out.backward(np.ones(out.shape, dtype=np.float32))
    for a in args:
        assert a.grad.dtype == np.float32 and a.grad.shape == a.shape
    close(
        out.value,
        REFERENCE[name](*(a.value.astype(np.float64) for a in args)),
        rtol=1e-5,
        atol=1e-5,
    )


# --- derivatives ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, shapes", [p for p in SAME_SHAPE_CASES if OPS[p.values[0]].elementwise]
)
def test_local_derivatives_match_finite_differences(name, shapes, rng):
    """Elementwise ops: each output element depends on the same element of each argument."""
    args = sample(name, shapes, rng)
    out = forward(name, *args)
    partials = OPS[name].partials(*args, out)
    assert len(partials) == OPS[name].arity
    for i, partial in enumerate(partials):
        h = 1e-6 * np.maximum(1.0, np.abs(args[i]))
        up = [a.copy() for a in args]
        down = [a.copy() for a in args]
        up[i] += h
        down[i] -= h
        expected = (forward(name, *up) - forward(name, *down)) / (2 * h)
        close(np.broadcast_to(partial, out.shape), expected)


@pytest.mark.parametrize("name, shapes", CASES)
def test_vjp_matches_finite_differences(name, shapes, rng):
    """Through `Var.backward(g)`: ⟨g, f(args)⟩ differentiated per element of each argument."""
    args = sample(name, shapes, rng)
    inputs = [Var(x, requires_grad=True) for x in args]
    out = apply(name, *inputs)
    g = rng.uniform(-1, 1, out.shape)
    out.backward(g)

    def loss(*a):
        return float(np.sum(g * forward(name, *a)))

    for i, v in enumerate(inputs):
        assert v.grad.shape == args[i].shape
        close(v.grad, numeric_gradient(loss, args, i))


@pytest.mark.parametrize("name, shapes", [p for p in CASES if not OPS[p.values[0]].elementwise])
def test_op_vjp_and_edge_local(name, shapes, rng):
    op = OPS[name]
    args = sample(name, shapes, rng)
    out = forward(name, *args)
    g = rng.uniform(-1, 1, out.shape)
    vjps = op.vjp(g, *args, out)
    locals_ = op.edge_local(*args, out)
    assert len(vjps) == len(locals_) == op.arity
    for i in range(op.arity):
        expected = numeric_gradient(lambda *a: float(np.sum(g * forward(name, *a))), args, i)
        close(vjps[i], expected)
        if locals_[i] is not None:  # of args[i]'s shape: d out / d args[i] for the one out
            assert locals_[i].shape == args[i].shape  # element each args[i] element reaches
            close(locals_[i],
                  numeric_gradient(lambda *a: float(np.sum(forward(name, *a))), args, i))


@pytest.mark.parametrize("name, shapes", CASES)
def test_jvp_agrees_with_vjp_and_finite_differences(name, shapes, rng):
    args = sample(name, shapes, rng)
    inputs = [Var(x, requires_grad=True) for x in args]
    out = apply(name, *inputs)
    ts = [rng.uniform(-1, 1, x.shape) for x in args]
    jvp = np.asarray(tangent(out, ts))
    assert jvp.shape == out.shape
    # Directional derivative along ts, by central differences.
    h = 1e-6
    up = forward(name, *(x + h * t for x, t in zip(args, ts)))
    down = forward(name, *(x - h * t for x, t in zip(args, ts)))
    close(jvp, (up - down) / (2 * h))
    # ⟨vjp(g), t⟩ = ⟨g, jvp(t)⟩
    g = rng.uniform(-1, 1, out.shape)
    out.backward(g)
    lhs = sum(float(np.sum(v.grad * t)) for v, t in zip(inputs, ts))
    assert lhs == pytest.approx(float(np.sum(g * jvp)), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("name", [n for n in OP_NAMES if OPS[n].elementwise])
def test_tangent_of_one_argument(name, rng):
    """A None tangent means zero: only the other argument moves."""
    shapes = shapes_for(name)[0]
    args = sample(name, shapes, rng)
    inputs = [Var(x, requires_grad=True) for x in args]
    out = apply(name, *inputs)
    assert tangent(out, [None] * len(args)) is None
    for i in range(len(args)):
        ts = [None] * len(args)
        ts[i] = np.ones(args[i].shape)
        expected = numeric_gradient(lambda *a: float(np.sum(forward(name, *a))), args, i)
        close(np.sum(tangent(out, ts)), np.sum(expected))


# --- hand-derived values at the awkward points ---------------------------------------------


@pytest.mark.parametrize(
    "name, args, value, locals_",
    [
        ("pow", (0.0, 2.0), 0.0, (0.0, 0.0)),  # d a² / da = 2a = 0; d 0^b / db = 0
        ("pow", (0.0, 0.0), 1.0, (0.0, 0.0)),  # a⁰ = 1 is flat in a
        ("pow", (2.0, 3.0), 8.0, (12.0, 8 * math.log(2))),
        ("pow", (4.0, 0.5), 2.0, (0.25, 2 * math.log(4))),
        ("sqrt", (0.0,), 0.0, (math.inf,)),  # the slope is vertical at 0
        ("sqrt", (4.0,), 2.0, (0.25,)),
        ("abs", (0.0,), 0.0, (0.0,)),
        ("abs", (-3.0,), 3.0, (-1.0,)),
        ("relu", (0.0,), 0.0, (0.0,)),
        ("relu", (math.inf,), math.inf, (1.0,)),  # relu(∞) is ∞, not NaN
        ("relu", (-math.inf,), 0.0, (0.0,)),
        ("max", (1.0, 1.0), 1.0, (1.0, 0.0)),  # a tie goes to the first argument
        ("min", (1.0, 1.0), 1.0, (1.0, 0.0)),
        ("max", (1.0, 2.0), 2.0, (0.0, 1.0)),
        ("min", (1.0, 2.0), 1.0, (1.0, 0.0)),
        ("div", (1.0, 4.0), 0.25, (0.25, -1 / 16)),
        ("log", (math.e,), 1.0, (1 / math.e,)),
        ("exp", (0.0,), 1.0, (1.0,)),
        ("tanh", (0.0,), 0.0, (1.0,)),
        ("sigmoid", (0.0,), 0.5, (0.25,)),
        ("sigmoid", (-1000.0,), 0.0, (0.0,)),
        ("tan", (0.0,), 0.0, (1.0,)),
        ("sin", (math.pi / 2,), 1.0, (0.0,)),
        ("cos", (0.0,), 1.0, (0.0,)),
        ("neg", (2.0,), -2.0, (-1.0,)),
        ("sub", (5.0, 2.0), 3.0, (1.0, -1.0)),
        ("mul", (3.0, -2.0), -6.0, (-2.0, 3.0)),
        ("add", (3.0, -2.0), 1.0, (1.0, 1.0)),
    ],
)
def test_values_and_local_derivatives_by_hand(name, args, value, locals_):
    inputs = [Var(a, requires_grad=True) for a in args]
    out = apply(name, *inputs)
    np.testing.assert_allclose(out.value, value, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose([float(p) for p in out.partials], locals_, rtol=1e-15, atol=1e-15)


def test_reductions_and_transpose_by_hand():
    a = np.array([[1.0, 5.0, 2.0], [4.0, -3.0, 0.0]])
    g = np.array(2.0)
    assert OPS["sum"].forward(a) == 9.0
    np.testing.assert_array_equal(OPS["sum"].vjp(g, a, None)[0], np.full((2, 3), 2.0))
    np.testing.assert_array_equal(OPS["mean"].vjp(g, a, None)[0], np.full((2, 3), 2.0 / 6))
    np.testing.assert_array_equal(OPS["amax"].vjp(g, a, None)[0], [[0, 2, 0], [0, 0, 0]])
    np.testing.assert_array_equal(OPS["amin"].vjp(g, a, None)[0], [[0, 0, 0], [0, 2, 0]])
    assert OPS["amax"].jvp([np.arange(6.0).reshape(2, 3)], a, None) == 1.0
    gt = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(OPS["transpose"].vjp(gt, a, None)[0], gt.T)


@pytest.mark.parametrize(
    "a_shape, b_shape", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4))]
)
def test_matmul_vjp_by_hand(a_shape, b_shape):
    """∂⟨G, A @ B⟩/∂A = G @ Bᵀ and /∂B = Aᵀ @ G, written out element by element."""
    a = np.arange(1.0, 1 + math.prod(a_shape)).reshape(a_shape)
    b = np.arange(-2.0, -2 + math.prod(b_shape)).reshape(b_shape)
    a2 = a.reshape(-1, a_shape[-1])
    b2 = b.reshape(b_shape[0], -1)
    g2 = np.arange(1.0, 1 + a2.shape[0] * b2.shape[1]).reshape(a2.shape[0], b2.shape[1])
    da = np.zeros_like(a2)
    db = np.zeros_like(b2)
    for i, k, j in itertools.product(range(a2.shape[0]), range(a2.shape[1]), range(b2.shape[1])):
        da[i, k] += g2[i, j] * b2[k, j]
        db[k, j] += a2[i, k] * g2[i, j]
    out_shape = a_shape[:-1] + b_shape[1:]
    got_a, got_b = OPS["matmul"].vjp(g2.reshape(out_shape), a, b, None)
    np.testing.assert_array_equal(got_a, da.reshape(a_shape))
    np.testing.assert_array_equal(got_b, db.reshape(b_shape))


def test_reductions_along_an_axis_by_hand():
    a = np.array([[1.0, 5.0, 2.0], [4.0, -3.0, 0.0]])
    np.testing.assert_array_equal(OPS["sum(axis=0)"].forward(a), [5, 2, 2])
    np.testing.assert_array_equal(OPS["sum(axis=1, keepdims)"].forward(a), [[8], [1]])
    np.testing.assert_array_equal(OPS["mean(axis=-1)"].forward(a), [8 / 3, 1 / 3])
    np.testing.assert_array_equal(OPS["mean(axis=-1)"].vjp(np.array([3.0, 6.0]), a, None)[0],
                                  [[1, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(OPS["amax(axis=0)"].forward(a), [4, 5, 2])
    np.testing.assert_array_equal(OPS["amax(axis=0)"].vjp(np.array([1.0, 2.0, 3.0]), a, None)[0],
                                  [[0, 2, 3], [1, 0, 0]])
    np.testing.assert_array_equal(
        OPS["amin(axis=1, keepdims)"].vjp(np.array([[1.0], [2.0]]), a, None)[0],
        [[1, 0, 0], [0, 2, 0]])
    tie = np.array([[2.0, 2.0]])  # a tie goes to the first, as max(a) over all elements does
    np.testing.assert_array_equal(OPS["amax(axis=1)"].vjp(np.array([1.0]), tie, None)[0],
                                  [[1, 0]])


def test_logsumexp_and_softmax_by_hand():
    a = np.array([0.0, math.log(3.0)])
    assert OPS["logsumexp"].forward(a) == pytest.approx(math.log(4.0), rel=1e-15)
    np.testing.assert_allclose(OPS["softmax(axis=0)"].forward(a), [0.25, 0.75], rtol=1e-15)
    out = OPS["logsumexp"].forward(a)
    np.testing.assert_allclose(OPS["logsumexp"].edge_local(a, out)[0], [0.25, 0.75], rtol=1e-15)
    # Large numbers do not overflow: exp(1000) is never formed.
    big = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    np.testing.assert_allclose(OPS["logsumexp(axis=1)"].forward(big),
                               [1000 + math.log(2), 0.0], rtol=1e-15)
    np.testing.assert_allclose(OPS["softmax(axis=-1)"].forward(big), [[0.5, 0.5], [0.0, 1.0]])
    with np.errstate(all="ignore"):  # every element -∞: log(0) = -∞, not NaN
        assert OPS["logsumexp"].forward(np.array([-np.inf, -np.inf])) == -np.inf


def test_softmax_keeps_its_shape_and_rows_sum_to_one():
    a = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]])
    for name in ("softmax", "softmax(axis=1)", "softmax(axis=0, keepdims)"):
        s = OPS[name].forward(a)
        assert s.shape == a.shape
    np.testing.assert_allclose(OPS["softmax(axis=1)"].forward(a).sum(axis=1), [1, 1], rtol=1e-15)
    np.testing.assert_allclose(OPS["softmax(axis=0)"].forward(a).sum(axis=0), [1, 1, 1],
                               rtol=1e-15)
    assert OPS["softmax"].forward(a).sum() == pytest.approx(1.0, rel=1e-15)
