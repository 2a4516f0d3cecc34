"""Hostile input: every row of `data/hostile.tsv` gets its due outcome, in bounded time.

`build` runs in a worker thread (as under the production server's threaded workers) and
the test gives up on it after a generous timeout, so a hang fails one test instead of
stalling the suite. The parser must never run user text: that is checked by behaviour
(files and processes the text asks for do not appear) and by watching `compile`, which
may only ever produce a syntax tree.
"""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hostile import load_hostile

import autodiff
from autodiff.program import Apply, Num

ROWS = load_hostile()
IDS = [f"{i:03d}-{category}" for i, (category, _, _) in enumerate(ROWS)]
TIMEOUT = 10.0
"""Seconds one build may take before the test fails (the slowest row takes well under 1 s)."""


def build_in_thread(source: str, timeout: float = TIMEOUT, **options):
    """(graph, exception, seconds): run `autodiff.build` in a thread, failing on a hang."""
    outcome: dict = {}

    def target():
        try:
            outcome["graph"] = autodiff.build(source, **options)
        except BaseException as e:  # every exception type is under test here
            outcome["error"] = e

    started = time.perf_counter()
    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        pytest.fail(f"build did not finish within {timeout} s: {source[:80]!r}")
    return outcome.get("graph"), outcome.get("error"), time.perf_counter() - started


def all_finite(graph: autodiff.Graph) -> bool:
    values = all(n.value_finite for n in graph.nodes)
    grads = all(np.all(np.isfinite(g)) for g in graph.gradients.values())
    return values and grads


def assert_package_error(error: BaseException) -> None:
    assert isinstance(error, autodiff.AutodiffError), f"{type(error).__name__}: {error}"
    assert isinstance(error.message, str) and error.message.strip()
    assert isinstance(error.line, int) and error.line >= 1, (error.line, error.message)
    assert isinstance(error.col, int) and error.col >= 1, (error.col, error.message)
    assert str(error).endswith(error.message)
    assert error.to_dict() == {"message": error.message, "line": error.line, "col": error.col}


def assert_nan_shown(graph: autodiff.Graph) -> None:
    assert not all_finite(graph), "expected a NaN or an infinity"
    assert graph.problems, "a NaN or an infinity must come with a Problem"
    for problem in graph.problems:
        assert problem.slot in ("value", "grad")
        assert 0 <= problem.node < len(graph.nodes)
        assert problem.message.strip()
        assert set(problem.inputs) <= set(graph.inputs)
    flagged = {p.node for p in graph.problems}
    bad_values = {n.index for n in graph.nodes if not n.value_finite}
    bad_grads = {n.index for n in graph.nodes if not n.grad_finite}
    assert flagged & (bad_values | bad_grads), "a Problem must name a node that is not finite"


def test_the_sample_is_loaded():
    assert len(ROWS) >= 70
    assert sum(category.startswith("ours-") for category, _, _ in ROWS) >= 30
    assert {expected for _, _, expected in ROWS} == {"ok", "nan-shown", "error", "any"}
    sources = {c: s for c, s, _ in ROWS}
    assert sources["syntax-unicode-minus"] == "x = \u22122\nf = x*x"
    assert sources["constant-type-string"] == 'x = "2"\nf = x'
    assert sources["dot-escstring"] == "x = '\\\\N \\\\G \\\\L'"
    assert sources["control-char"] == "x = 1\x1b[31m\nf = x"
    assert sources["empty"] == ""
    assert len(sources["ours-limit-chars"]) == autodiff.parser.MAX_SOURCE_CHARS + 1


@pytest.mark.parametrize("category, source, expected", ROWS, ids=IDS)
def test_hostile_row(category, source, expected):
    graph, error, _ = build_in_thread(source)
    if error is not None:
        assert_package_error(error)
        assert expected in ("error", "any"), f"{category}: {type(error).__name__}: {error}"
        return
    assert expected != "error", f"{category}: built, but it should have been refused"
    if expected == "ok":
        assert all_finite(graph), [p.message for p in graph.problems]
        assert graph.problems == ()
    elif expected == "nan-shown":
        assert_nan_shown(graph)
    else:  # any: whatever it built must be reported honestly
        if not all_finite(graph):
            assert_nan_shown(graph)


def test_every_row_finishes_quickly_in_float32():
    for category, source, _ in ROWS:
        graph, error, seconds = build_in_thread(source, dtype="float32")
        if error is not None:
            assert_package_error(error)
        else:
            assert graph.dtype == "float32", category
        assert seconds < TIMEOUT, category


@pytest.mark.parametrize("source", ["f = 9**9**9", "f = (2**64)**(2**64)", "x = 9\nf = x**x**x"])
def test_power_towers_are_floats_at_once(source):
    # Never a big integer: every literal is a float before any arithmetic.
    program = autodiff.parse(source)
    numbers = []
    stack = [s.expr for s in program.statements]
    while stack:
        e = stack.pop()
        if isinstance(e, Num):
            numbers.append(e.value)
        elif isinstance(e, Apply):
            stack.extend(e.args)
    assert numbers and all(type(v) is float for v in numbers)
    graph, error, seconds = build_in_thread(source, timeout=2.0)
    assert error is None and seconds < 2.0
    assert graph.value == np.inf
    assert any(p.slot == "value" and "Infinity" in p.message for p in graph.problems)


CANARY = "/tmp/autodiff-canary-{}"

ESCAPES = [
    "f = __import__('os').system('touch {path}')",
    "__import__('os').system('touch {path}')",
    "f = open('{path}', 'w')",
    "f = eval(\"open('{path}', 'w')\")",
    "exec(\"open('{path}', 'w')\")",
    "f = compile('1', '{path}', 'eval')",
    "import os\nos.system('touch {path}')",
    "from os import system\nsystem('touch {path}')",
    "f = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen']",
    "f = getattr(__builtins__, 'open')('{path}', 'w')",
    "f = breakpoint()",
    "f = input()",
    "f = (lambda: open('{path}', 'w'))()",
    "f = sin(x) if open('{path}', 'w') else 1",
    'x = 1\nf = x + f\'{{open("{path}", "w")}}\'',
]


@pytest.mark.parametrize("template", ESCAPES)
def test_user_text_is_never_run(template, monkeypatch):
    path = Path(CANARY.format(abs(hash(template))))
    path.unlink(missing_ok=True)
    spawned = []
    monkeypatch.setattr(os, "system", lambda *a: spawned.append(a) or 0)
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: spawned.append(a))
    monkeypatch.setattr(builtins, "input", lambda *a: spawned.append(a) or "")
    monkeypatch.setattr(builtins, "breakpoint", lambda *a, **k: spawned.append(a))
    _, error, _ = build_in_thread(template.format(path=path))
    assert_package_error(error)
    assert not path.exists(), f"the program text was run: {path} exists"
    assert spawned == []


def test_compile_only_ever_makes_a_syntax_tree(monkeypatch):
    """`ast.parse` calls `compile` for a tree; code objects from user text would be a hole."""
    real_compile = builtins.compile
    calls = []

    def watched_compile(source, filename, mode, flags=0, *args, **kwargs):
        calls.append(flags)
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError(f"compile() made code from {source!r:.80}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec called while building")

    monkeypatch.setattr(builtins, "compile", watched_compile)
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    for _, source, _ in ROWS:
        try:
            autodiff.build(source)
        except autodiff.AutodiffError:
            pass
    assert calls, "the parser was expected to go through ast.parse"


def test_error_messages_do_not_echo_markup():
    """Messages name constructs; they do not repeat arbitrary text from the program."""
    for source in (
        "<img src=x onerror=alert(1)>",
        "x = 1\nf = x + <svg/onload=alert(1)>",
        "f = '<script>alert(1)</script>'",
        "f = alert(1)<script>",
    ):
        _, error, _ = build_in_thread(source)
        assert_package_error(error)
        assert "<" not in error.message and "alert" not in error.message, error.message


def test_surrogates_and_nul_are_refused_where_they_stand():
    for source, line, col in [
        ("x = 1\0", 1, 6),
        ("x = 1\nf = x  # \ud800", 2, 10),
        ("\udfff = 1", 1, 1),
        ("x = 1\r\n\0", 2, 1),
    ]:
        _, error, _ = build_in_thread(source)
        assert isinstance(error, autodiff.ParseError), error
        assert (error.line, error.col) == (line, col), (source, error)
        assert "character" in error.message
