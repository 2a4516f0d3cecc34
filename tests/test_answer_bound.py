"""web/answer_bound.py: the bytes of an answer, bounded from the trace before the work, never
below what the answer really takes, on random programs of every kind the language allows."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_faults import amplifier

import autodiff
from autodiff import AutodiffError, trace
from autodiff.format import FORMS
from autodiff.i18n import language
from web import service
from web.answer_bound import answer_bound
from web.encode import graph_json

autodiff.parse("x = 1")  # the parser raises the recursion limit once, before any test watches it

SHAPES = [(), (), (3,), (5,), (64,), (2, 3), (3, 2), (6, 6), (1, 5)]
UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "-"]
BINARY = ["+", "-", "*", "/", "**"]
NAMES = ["x", "w", "h", "скорость", "a_very_long_name_for_a_value_in_a_lecture", "gx", "g",
         "z1", "u"]


def literal(shape, rng: random.Random) -> str:
    def number() -> str:
        return rng.choice(["0.0", "-1.5", "2.0", "1e300", "3.14159", "-0.001", "7.0"])

    if not shape:
        return number()
    if len(shape) == 1:
        return "[" + ", ".join(number() for _ in range(shape[0])) + "]"
    return "[" + ", ".join(literal(shape[1:], rng) for _ in range(shape[0])) + "]"


def random_program(seed: int) -> str:
    """Inputs of several shapes (long, Cyrillic and colliding names among them), then lines
    that reuse earlier values often, broadcast, reduce, multiply matrices and make NaN and
    infinities; the last line sums two values to a number."""
    rng = random.Random(seed)
    lines, values = [], []
    cell = rng.random() < 0.3  # a def of the program, drawn as one gate
    if cell:
        lines.append("def cell(h, k): return tanh(h * k + 0.5) * sigmoid(h)")
    for k in range(rng.randint(1, 4)):
        name = f"{rng.choice(NAMES)}{k if rng.random() < 0.7 else ''}"
        shape = rng.choice(SHAPES)
        lines.append(f"{name} = {literal(shape, rng)}")
        values.append(name)
    for k in range(rng.randint(1, 25)):
        a, b = rng.choice(values), rng.choice(values)
        roll = rng.random()
        if roll < 0.3:
            op = rng.choice(UNARY)
            expr = f"-{a}" if op == "-" else f"{op}({a})"
        elif roll < 0.75:
            expr = f"{a} {rng.choice(BINARY)} {rng.choice([b, a, '2.0', '0.0'])}"
        elif roll < 0.85:
            reduce = rng.choice(["sum", "mean", "max", "min", "logsumexp", "softmax"])
            expr = f"{reduce}({a}, axis={rng.choice([0, -1])})" if rng.random() < 0.5 \
                else f"{reduce}({a})"
        elif roll < 0.93:
            expr = f"{a} @ {rng.choice([b, 'transpose(' + b + ')'])}"
        elif cell and roll < 0.97:
            expr = f"cell({a}, {b})"
        else:
            expr = " + ".join([a] * rng.randint(2, 40))  # one value used many times
        name = rng.choice([f"v{k}", f"{rng.choice(NAMES)}{k}", values[-1]])  # some reassigned
        lines.append(f"{name} = {expr}")
        values.append(name)
    lines.append(f"out = sum({values[-1]}) + sum({rng.choice(values)})")
    return "\n".join(lines)


def real_and_bound(source: str, lang: str, dtype: str, forward: str | None,
                   view: str, numbers: str = "standard") -> tuple[int, int]:
    with language(lang):
        traced = trace(source, dtype)
        bound = answer_bound(traced, forward=forward is not None)
        key = (service.normalise(source), dtype, forward, view, lang, frozenset(), numbers)
        real = len(service.encode(graph_json(service._build(key), numbers=numbers)))
    return real, bound


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 10**9), st.sampled_from(["en", "ru", "it", "es"]),
       st.sampled_from(["float64", "float32"]), st.booleans(), st.sampled_from(sorted(FORMS)))
def test_the_bound_is_never_below_the_real_answer(seed, lang, dtype, forward_mode, numbers):
    source = random_program(seed)
    try:
        traced = trace(source, dtype)
    except AutodiffError:
        return  # a shape that does not fit, a limit: refused before any answer
    forward, view = None, "reverse"
    scalars = [t.name for t in traced.entries if t.kind == "input" and t.var.shape == ()]
    if forward_mode and scalars:
        forward, view = scalars[0], random.Random(seed).choice(["reverse", "forward"])
    try:
        real, bound = real_and_bound(source, lang, dtype, forward, view, numbers)
    except AutodiffError:
        return  # no gradients to show (an output that is not a number, ...)
    assert real <= bound, (source, lang, dtype, forward, view, numbers)


@pytest.mark.parametrize("source", [amplifier(450), amplifier(60), "x = 2.0\ny = x * x"])
def test_the_bound_is_within_a_few_times_the_real_answer(source):
    """Not so loose that it refuses what fits: the amplifier's answer (short numbers, the
    worst case for a bound that allows 24 digits each) is within 3 times its bound."""
    real, bound = real_and_bound(source, "en", "float64", None, "reverse")
    assert real <= bound <= max(3 * real, 40_000)
