"""A program that comes back with only its inputs' numbers changed is replayed from its kept
trace (`evaluate`, with `reuse` on): everything it answers must be what evaluating afresh
answers."""

import contextlib
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest

import autodiff
from autodiff import parser, reuse
from autodiff.draw import dot
from autodiff.errors import EvaluationError
from autodiff.evaluate import clear_known_traces
from autodiff.examples import GALLERY
from web.encode import graph_json

ROOT = Path(__file__).resolve().parent.parent
evaluating = importlib.import_module("autodiff.evaluate")  # `autodiff.evaluate` is the function


@pytest.fixture(autouse=True)
def reuse_on():
    with reuse.switched_on():
        yield


def answer(source: str, dtype: str = "float64", forward: str | None = None) -> tuple:
    """Everything the app shows of a program: its JSON and its layout's structure."""
    traced = autodiff.trace(source, dtype)
    graph = autodiff.differentiate(traced, forward)
    return orjson.dumps(graph_json(graph)), dot.trace_structure(traced, True), traced


def afresh(source: str, dtype: str = "float64", forward: str | None = None) -> tuple:
    clear_known_traces()
    parser.clear_known_statements()
    return answer(source, dtype, forward)


def replayed(first: str, second: str, dtype: str = "float64", forward=None) -> tuple:
    """The answer for `second` right after `first`, and whether it was replayed."""
    clear_known_traces()
    answer(first, dtype, forward)
    with watching_replays() as replays:
        body, structure, traced = answer(second, dtype, forward)
    return (body, structure, traced), replays == [True]


@contextlib.contextmanager
def watching_replays():
    """Per call of `evaluate._replay` in the block, whether it replayed (not None)."""
    replays = []
    real = evaluating._replay

    def watched(*args):
        found = real(*args)
        replays.append(found is not None)
        return found

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(evaluating, "_replay", watched)
        yield replays


def change_inputs(source: str, value) -> str:
    """Every `name = number` line with the number replaced."""
    lines = source.split("\n")
    for s in autodiff.parse(source).statements:
        if isinstance(s, autodiff.program.Assign) and isinstance(s.expr, autodiff.program.Num):
            lines[s.line - 1] = f"{s.target} = {value!r}"
    return "\n".join(lines)


SCALAR_EXAMPLES = [e for e in GALLERY if change_inputs(e.source, 0.125) != e.source]
"""The gallery's examples with a scalar input (the array ones are tested below)."""


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("value", [0.75, -3.0, 0.0, 1e30, 1e-300])
@pytest.mark.parametrize("example", SCALAR_EXAMPLES, ids=lambda e: e.slug)
def test_gallery_examples_replay_as_evaluated_afresh(example, value, dtype):
    second = change_inputs(example.source, value)
    (body, structure, _), was_replayed = replayed(example.source, second, dtype)
    fresh_body, fresh_structure, _ = afresh(second, dtype)
    assert was_replayed
    assert body == fresh_body
    assert structure == fresh_structure


def test_an_array_input_with_new_numbers_is_replayed():
    first = "A = [[1, 2], [3, 4]]\nb = [1, -1]\nf = sum(A @ b)"
    second = "A = [[1, 2], [3, 4.5]]\nb = [1, -7]\nf = sum(A @ b)"
    (body, _, traced), was_replayed = replayed(first, second)
    assert was_replayed
    assert body == afresh(second)[0]
    np.testing.assert_array_equal(traced.entries[1].var.value, [1, -7])


def test_forward_mode_of_a_replayed_trace():
    first = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
    second = "w1 = -0.25\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
    (body, _, _), was_replayed = replayed(first, second, forward="w1")
    assert was_replayed
    assert body == afresh(second, forward="w1")[0]


def test_an_input_of_another_shape_is_evaluated_afresh():
    first = "x = [1, 2]\nf = sum(x * x)"
    second = "x = [1, 2, 3]\nf = sum(x * x)"
    (body, structure, _), was_replayed = replayed(first, second)
    assert not was_replayed
    assert structure.nodes[0].shape == (3,)
    assert orjson.loads(body)["gradients"]["x"] == [2, 4, 6]


@pytest.mark.parametrize("second", [
    "x = 2 * 3\nf = x * x",  # the line is no longer an input
    "y = 3\nf = y * y",  # another name
    "x = 3\nf = x * x + 1",  # another line changed as well
    "x = 3\n\nf = x * x",  # moved down a line
])
def test_a_changed_skeleton_is_evaluated_afresh(second):
    (body, structure, _), was_replayed = replayed("x = 2\nf = x * x", second)
    assert not was_replayed
    fresh_body, fresh_structure, _ = afresh(second)
    assert (body, structure) == (fresh_body, fresh_structure)


def test_a_number_too_large_for_float32_is_refused_where_it_stands():
    clear_known_traces()
    answer("x = 2\ny = 1\nf = x * y", "float32")
    with pytest.raises(EvaluationError) as replaying:
        autodiff.trace("x = 2\ny = 1e39\nf = x * y", "float32")
    clear_known_traces()
    with pytest.raises(EvaluationError) as fresh:
        autodiff.trace("x = 2\ny = 1e39\nf = x * y", "float32")
    assert (replaying.value.message, replaying.value.line, replaying.value.col) == (
        fresh.value.message, fresh.value.line, fresh.value.col) == (
        fresh.value.message, 2, 5)  # at the number
    assert "too large for float32" in fresh.value.message


def test_replayed_values_are_new_and_constants_shared():
    first, second = "x = 2\nf = x * pi + 1.5", "x = 3\nf = x * pi + 1.5"
    (_, _, kept), _ = replayed(second, first)
    (_, _, traced), was_replayed = replayed(first, second)
    assert was_replayed
    values = [float(t.var.value) for t in traced.entries]
    assert values == [3.0, np.pi, 3 * np.pi, 1.5, 3 * np.pi + 1.5]
    assert [float(t.var.value) for t in kept.entries] == [2.0, np.pi, 2 * np.pi, 1.5,
                                                         2 * np.pi + 1.5]


def test_nan_from_a_new_number_is_reported_as_afresh():
    first, second = "x = 2\nf = log(x)", "x = -1\nf = log(x)"
    (body, _, _), was_replayed = replayed(first, second)
    assert was_replayed
    assert body == afresh(second)[0]
    assert orjson.loads(body)["problems"][0]["message"] == (
        "f = log(-1) gives NaN: log of a negative number has no real value")



@pytest.mark.parametrize(("second", "replays"), [
    ("x = 3\nf = x * x * 2.5", False),  # a written constant is part of its statement
    ("x = 3\nf = x *  x * 1.5", False),  # the same meaning typed otherwise: keyed by text
    ("x = 3\nf = x * x * 1.5  # a comment", True),  # a comment is no part of the statement
    ("x = 3;  f = x * x * 1.5", False),  # the same text elsewhere
])
def test_replay_is_keyed_by_each_statements_text_and_place(second, replays):
    (body, structure, _), was_replayed = replayed("x = 2\nf = x * x * 1.5", second)
    assert was_replayed == replays
    assert (body, structure) == afresh(second)[:2]


def test_without_reuse_nothing_is_kept_between_programs():
    reuse.switch_off()
    with watching_replays() as replays:
        first = autodiff.parse("x = 2\nf = x * x")
        autodiff.trace("x = 2\nf = x * x")
        second = autodiff.parse("x = 3\nf = x * x")
        autodiff.trace("x = 3\nf = x * x")
    assert replays == []
    assert first.statements[1] is not second.statements[1]
    assert len(reuse.traces) == len(reuse.statements) == len(reuse.line_syntax) == 0


def test_reuse_is_off_until_the_web_service_switches_it_on():
    """`autodiff.build` is a pure function of its arguments unless asked otherwise."""
    check = ("from autodiff import build, reuse; build('x = 1\\nf = 2 * x'); "
             "assert not reuse.is_on() and len(reuse.traces) == 0; "
             "import web.service; assert reuse.is_on()")
    subprocess.run([sys.executable, "-c", check], check=True, cwd=ROOT)
