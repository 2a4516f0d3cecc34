"""Properties over generated programs that use every op in the table.

Gradients are checked against central differences computed here by rebuilding the program
text with one input element nudged, so the parser and evaluator run again on their own:
nothing of the first build is reused. Forward mode must equal reverse mode, and arbitrary
text must only ever raise the package's own errors.
"""

from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import gradcheck, reuse
from autodiff.draw import dot, states
from autodiff.errors import AutodiffError
from autodiff.ops import FUNCTIONS, OPS
from autodiff.parser import BINARY_OPS
from autodiff.shapes import result_shape
from web import encode

evaluating = importlib.import_module("autodiff.evaluate")  # `autodiff.evaluate` is the function

ROWS = sorted({op.base or op.name for op in OPS.values()})
VARIANTS = {row: sorted(name for name, op in OPS.items() if (op.base or name) == row)
            for row in ROWS}
"""Each row of the op table with its variants along an axis (one for the others)."""
SYMBOLS = {
    op: symbol
    for symbol, op in {
        "+": "add",
        "-": "sub",
        "*": "mul",
        "/": "div",
        "**": "pow",
        "@": "matmul",
    }.items()
}
assert set(SYMBOLS) == set(BINARY_OPS.values())
NAMES = {op: fname for (fname, _), op in FUNCTIONS.items()}

MARGIN = 0.1
"""How far generated arguments stay from kinks (relu at 0, ties in max) and domain edges."""
BOUND = 1e3
"""Generated values stay this small, so finite differences keep their accuracy."""


def spell(op: str, args: list[str]) -> str:
    """How the language writes op applied to argument texts."""
    if op in SYMBOLS:
        return f"({args[0]} {SYMBOLS[op]} {args[1]})"
    if op == "neg":
        return f"(-{args[0]})"
    if OPS[op].base:  # along an axis: `max({a}, axis=1)` is also how it is written
        return OPS[op].expr.format(a=args[0])
    return f"{NAMES[op]}({', '.join(args)})"


def run(op: str, *values: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(OPS[op].forward(*values), dtype=np.float64)


def literal(value) -> str:
    return repr(np.asarray(value, dtype=np.float64).tolist())


Arg = tuple[str, np.ndarray]
"""An expression's text and its value."""


def positive(arg: Arg) -> Arg:
    text, v = arg
    return f"({text} * {text} + 0.5)", v * v + 0.5


def squashed(arg: Arg) -> Arg:
    text, v = arg
    return f"tanh({text})", np.tanh(v)


def _gap(v: np.ndarray, axis: int | None) -> float:
    """The smallest distance from the largest to the second largest, slice by slice."""
    rows = [v.ravel()] if axis is None else np.moveaxis(v, axis, -1).reshape(-1, v.shape[axis])
    return min((np.inf if r.size < 2 else float(np.sort(r)[-1] - np.sort(r)[-2]) for r in rows),
               default=np.inf)


def make_safe(op: str, args: list[Arg]) -> list[Arg] | None:
    """Arguments moved inside the op's smooth domain, or None if this op does not fit them."""
    args = list(args)
    values = [v for _, v in args]
    if op in ("log", "sqrt", "pow") and np.any(values[0] < 0.2):
        args[0] = positive(args[0])
    if op == "pow" and np.any(np.abs(values[1]) > 3):
        args[1] = squashed(args[1])
    if op == "div" and np.any(np.abs(values[1]) < 0.3):
        args[1] = positive(args[1])
    if op == "tan" and np.any(np.abs(values[0]) > 1.2):
        args[0] = squashed(args[0])
    if op == "exp" and np.any(values[0] > 5):
        args[0] = squashed(args[0])
    if op in ("relu", "abs") and np.any(np.abs(values[0]) < MARGIN):
        args[0] = positive(args[0])
    if op in ("max", "min") and np.any(np.abs(values[0] - values[1]) < MARGIN):
        text, v = args[1]
        for shift in (1.0, -1.0, 2.5):
            if np.all(np.abs(values[0] - (v + shift)) >= MARGIN):
                args[1] = f"({text} + {shift})", v + shift
                break
        else:
            return None
    base, axis = OPS[op].base, OPS[op].axis
    if base == "amax" and _gap(values[0], axis) < MARGIN:
        return None
    if base == "amin" and _gap(-values[0], axis) < MARGIN:
        return None
    return args


def fits(op: str, args) -> bool:
    """Whether the op takes arguments of these shapes."""
    try:
        result_shape(OPS[op], [v.shape for _, v in args])
    except AutodiffError:
        return False
    return True


@dataclass
class Generated:
    """A program whose inputs are `{name}` placeholders, and the inputs' values."""

    template: str
    inputs: dict[str, np.ndarray]

    def source(self, **overrides) -> str:
        values = self.inputs | overrides
        return self.template.format(**{k: literal(v) for k, v in values.items()})


def floats(lo=-2.0, hi=2.0):
    return st.floats(lo, hi, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def programs(draw, shapes=((),), max_lines=6) -> Generated:
    lines: list[str] = []
    env: list[Arg] = []
    inputs: dict[str, np.ndarray] = {}
    for i in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(shapes))
        size = int(np.prod(shape))
        value = np.array(draw(st.lists(floats(), min_size=size, max_size=size))).reshape(shape)
        name = f"x{i}"
        inputs[name] = value
        lines.append(f"{name} = {{{name}}}")
        env.append((name, value))
    for k in range(draw(st.integers(1, max_lines))):
        for _ in range(30):
            op = draw(st.sampled_from(VARIANTS[draw(st.sampled_from(ROWS))]))
            choices = [
                list(args)
                for args in itertools.product(env, repeat=OPS[op].arity)
                if fits(op, args)
            ]
            if not choices:
                continue
            args = draw(st.sampled_from(choices))
            if OPS[op].arity == 2 and draw(st.integers(0, 3)) == 0:
                number = draw(st.sampled_from([0.5, 2.0, -1.5, 3.0]))
                constant = (repr(number), np.array(number))
                if fits(op, [args[0], constant]):
                    args[1] = constant
            safe = make_safe(op, args)
            if safe is None:
                continue
            value = run(op, *(v for _, v in safe))
            if not np.all(np.isfinite(value)) or np.any(np.abs(value) > BOUND):
                continue
            name = f"v{k}"
            lines.append(f"{name} = {spell(op, [t for t, _ in safe])}")
            env.append((name, value))
            break
    tail = [name for name, _ in env[-2:]]
    lines.append("f = " + " + ".join(f"sum({name})" for name in tail))
    return Generated("\n".join(lines), inputs)


def finite_difference_gradient(program: Generated, name: str) -> np.ndarray:
    base = program.inputs[name]
    grad = np.zeros_like(base)
    for index in np.ndindex(*base.shape):
        h = 1e-6 * max(1.0, abs(float(base[index])))
        up, down = base.copy(), base.copy()
        up[index] += h
        down[index] -= h
        f_up = float(autodiff.build(program.source(**{name: up})).value)
        f_down = float(autodiff.build(program.source(**{name: down})).value)
        grad[index] = (f_up - f_down) / (2 * h)
    return grad


def assert_gradients_match(program: Generated) -> autodiff.Graph:
    source = program.source()
    graph = autodiff.build(source)
    assert np.isfinite(graph.value), source
    for name in program.inputs:
        got = graph.gradients[name]
        assert got.shape == program.inputs[name].shape
        expected = finite_difference_gradient(program, name)
        scale = max(1.0, float(np.max(np.abs(expected))))
        np.testing.assert_allclose(
            got, expected, rtol=1e-5, atol=1e-5 * scale, err_msg=f"d f / d {name} in\n{source}"
        )
    return graph


SHAPES = ((), (2,), (3,), (2, 3), (3, 2))

autodiff.parse("x = 1")  # the parser raises the recursion limit once, before any test watches it

BOUNDED = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.slow
@BOUNDED
@given(programs())
def test_scalar_gradients_match_finite_differences(program):
    assert_gradients_match(program)


@pytest.mark.slow
@settings(BOUNDED, max_examples=100)
@given(programs(shapes=SHAPES, max_lines=5))
def test_array_gradients_match_finite_differences(program):
    assert_gradients_match(program)


@settings(BOUNDED, max_examples=80)
@given(programs(shapes=SHAPES, max_lines=5))
def test_forward_mode_equals_reverse_mode(program):
    source = program.source()
    reverse = autodiff.build(source)
    for name in program.inputs:
        derivative = autodiff.build(source, forward=name).forward.derivative
        scale = max(1.0, float(np.max(np.abs(reverse.gradients[name]))))
        np.testing.assert_allclose(
            derivative,
            reverse.gradients[name],
            rtol=1e-9,
            atol=1e-12 * scale,
            err_msg=f"{name} in\n{source}",
        )


@settings(BOUNDED, max_examples=30)
@given(programs(shapes=SHAPES, max_lines=5))
def test_float32_follows_float64(program):
    source = program.source()
    wide = autodiff.build(source)
    narrow = autodiff.build(source, dtype="float32")
    assert narrow.dtype == "float32"
    assert [n.label for n in narrow.nodes] == [n.label for n in wide.nodes]
    for name, grad in narrow.gradients.items():
        assert grad.dtype == np.float32 and grad.shape == wide.gradients[name].shape


@settings(BOUNDED, max_examples=30)
@given(programs(max_lines=4))
def test_a_program_builds_the_same_twice(program):
    source = program.source()
    first, second = autodiff.build(source), autodiff.build(source)
    assert [s.text for s in first.steps] == [s.text for s in second.steps]
    for name in first.gradients:
        np.testing.assert_array_equal(first.gradients[name], second.gradients[name])


@settings(BOUNDED, max_examples=40)
@given(programs(shapes=SHAPES, max_lines=5), st.booleans())
def test_the_layout_can_start_from_the_trace(program, edge_labels):
    """The server starts dot on the trace's structure, before reverse mode: it must be the
    structure of the graph that the trace becomes (else the layout would not fit)."""
    traced = autodiff.trace(program.source())
    early = dot.trace_structure(traced, edge_labels)
    assert early == dot.structure(autodiff.differentiate(traced), edge_labels)


@settings(BOUNDED, max_examples=60)
@given(programs(shapes=SHAPES, max_lines=5), st.data(), st.sampled_from(["float64", "float32"]))
def test_new_input_numbers_replay_as_evaluated_afresh(program, data, dtype):
    """A program back with other input numbers (a slider moved) is replayed from the kept
    trace: its JSON and layout structure must be those of evaluating it afresh, whatever
    the numbers (NaN and infinities from outside an op's domain included)."""
    wild = st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from([0.0, -0.0, 1e300, -1e-300])
    numbers = {
        name: np.array(data.draw(st.lists(wild, min_size=v.size, max_size=v.size)))
        .reshape(v.shape)
        for name, v in program.inputs.items()
    }
    first, second = program.source(), program.source(**numbers)
    with reuse.switched_on(), pytest.MonkeyPatch.context() as mp:
        reuse.clear()
        autodiff.trace(first, dtype)
        replays = []
        real = evaluating._replay
        mp.setattr(evaluating, "_replay", lambda *args: replays.append(real(*args)) or replays[-1])
        outcome = _answer(second, dtype)
        if not isinstance(outcome, str):
            assert replays and replays[0] is not None  # it was replayed
        reuse.clear()
    assert outcome == _answer(second, dtype)


def _answer(source: str, dtype: str) -> tuple[bytes, dot.Structure] | str:
    """The JSON and layout structure of a program, or its error message."""
    try:
        traced = autodiff.trace(source, dtype)
        body = orjson.dumps(encode.graph_json(autodiff.differentiate(traced)))
        return body, dot.trace_structure(traced)
    except AutodiffError as err:
        return err.message


@settings(BOUNDED, max_examples=60)
@given(programs(shapes=SHAPES, max_lines=5))
def test_the_last_frame_worked_out_directly_is_the_last_frame(program):
    graph = autodiff.build(program.source())
    assert states.final_state(graph) == states.frame_state(graph, None)


@settings(BOUNDED, max_examples=40)
@given(programs(shapes=SHAPES, max_lines=5))
def test_the_apps_gradient_check_agrees_on_smooth_programs(program):
    graph = autodiff.build(program.source())
    rows, total = autodiff.gradient_check(graph)
    assert total == sum(v.size for v in program.inputs.values()) == len(rows)
    for row in rows:
        assert row.ok, (row.label, row.autodiff, row.numeric, program.source())
        assert row.label == (
            f"{row.input}[{', '.join(map(str, row.index))}]" if row.index else row.input
        )


@settings(BOUNDED, max_examples=60)
@given(programs(shapes=SHAPES, max_lines=5))
def test_the_batched_gradient_check_replays_as_one_point_at_a_time(program):
    graph = autodiff.build(program.source())
    replay = gradcheck.Replay(graph)
    cells = [(n, index) for n in graph.nodes if n.kind == "input"
             for index in np.ndindex(*n.shape)]
    if not replay.elementwise or not cells:
        return
    with np.errstate(all="ignore"):
        nudges = [gradcheck._nudge(replay.values[n.index][index]) for n, index in cells]
        batched = replay.batched_differences(cells, nudges)
        one_by_one = [replay.difference(n.index, index, nudge)
                      for (n, index), nudge in zip(cells, nudges)]
    # NumPy may take other vector paths for a longer array: equal to the last few bits.
    assert batched == pytest.approx(one_by_one, rel=1e-9, abs=1e-12, nan_ok=True), program.source()


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("x", ["1.7976931348623157e308", "-1.7976931348623157e308"])
def test_the_gradient_check_at_the_largest_float_steps_to_one_side(x):
    """Nudging ±1.8e308 outwards overflows: the check differences on the other side alone,
    with no warning, and agrees with autodiff."""
    graph = autodiff.build(f"x = {x}\nf = x * 1e-300")
    (row,), total = autodiff.gradient_check(graph)
    assert total == 1 and row.autodiff == 1e-300
    assert row.numeric == pytest.approx(1e-300, rel=1e-9) and row.ok


@pytest.mark.slow
def test_the_generator_reaches_every_op():
    seen: set[str] = set()

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(programs(shapes=SHAPES))
    def collect(program):
        graph = autodiff.build(program.source())
        seen.update(n.op for n in graph.nodes if n.kind == "op")

    collect()
    rows = {op.base or op.name for op in OPS.values()}
    assert rows <= {OPS[name].base or name for name in seen}
    assert {op.axis for op in OPS.values()} <= {OPS[name].axis for name in seen}
    assert {True, False} <= {OPS[name].keepdims for name in seen}


# --- only the package's errors, whatever the text -----------------------------------------------


def assert_only_package_errors(source: str) -> None:
    try:
        graph = autodiff.build(source)
    except AutodiffError as e:
        assert e.message and isinstance(e.line, int) and isinstance(e.col, int), repr(e)
        assert e.line >= 1 and e.col >= 1, (source, e.line, e.col, e.message)
    else:
        assert graph.value.shape == ()


TOKENS = [
    "x",
    "y",
    "w1",
    "\u03b8",
    "A",
    "=",
    "+",
    "-",
    "*",
    "/",
    "**",
    "@",
    "^",
    "%",
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    ":",
    ".",
    "\n",
    "\r",
    "\t",
    " ",
    "#",
    "'",
    '"',
    "\\",
    "0",
    "1",
    "2.5",
    "-3",
    "1e308",
    "1e-400",
    "9**9**9",
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "sqrt",
    "tanh",
    "sigmoid",
    "relu",
    "abs",
    "sum",
    "mean",
    "max",
    "min",
    "pow",
    "transpose",
    "logsumexp",
    "softmax",
    "axis=",
    "axis=-1",
    "keepdims=True",
    "pi",
    "e",
    "lambda",
    "import",
    "if",
    "for",
    "def",
    "__class__",
    "__import__",
    "[[1, 2], [3, 4]]",
    "[1, 2]",
    "\0",
    "\ud800",
    "\u2212",
    "\u00d7",
    "\u202e",
    "\ufeff",
    "+=",
    "**=",
    "x = 1\n",
]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")
@settings(BOUNDED, max_examples=500)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_token_soup_raises_only_package_errors(source):
    assert_only_package_errors(source)


@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")
@settings(BOUNDED, max_examples=500)
@given(st.text(st.characters(exclude_categories=()), max_size=80))
def test_any_text_raises_only_package_errors(source):
    assert_only_package_errors(source)


@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")
@settings(BOUNDED, max_examples=300)
@given(st.binary(max_size=120), st.sampled_from(["utf-8", "latin-1", "utf-16-le"]))
def test_any_bytes_raise_only_package_errors(data, codec):
    assert_only_package_errors(
        data.decode(codec, errors="surrogateescape" if codec == "utf-8" else "replace")
    )


@settings(BOUNDED, max_examples=60)
@given(programs(shapes=SHAPES, max_lines=5))
def test_generated_programs_explain_themselves_faithfully(program):
    from test_schedule import assert_texts_trustworthy

    assert_texts_trustworthy(autodiff.build(program.source()))
