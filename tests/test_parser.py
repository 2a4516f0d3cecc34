"""The language: what parses to what, what is refused, and where (1-based, in characters)."""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff
from autodiff import limits, parser, reuse
from autodiff.errors import EvaluationError, LimitError, ParseError, ShapeError
from autodiff.model import KIND_CONST, KIND_INPUT
from autodiff.parser import BINARY_OPS, CONSTRUCTS, REFUSED_OPERATORS, STATEMENTS, parse
from autodiff.program import Apply, ArrayLit, Assign, Name, Num, Output


@pytest.fixture(autouse=True, scope="module")
def reuse_on():
    """Lines kept between programs, as the web service keeps them: parsing must read the same."""
    with reuse.switched_on():
        yield


def error_of(source: str, **options) -> autodiff.AutodiffError:
    with pytest.raises(autodiff.AutodiffError) as info:
        autodiff.build(source, **options)
    return info.value


# --- refused constructs ---------------------------------------------------------------------

# Per syntax-node type: a program using it, the words the message must contain, line, column.
STATEMENT_SAMPLES = {
    ast.Import: ("x = 1\nimport os", "imports", 2, 1),
    ast.ImportFrom: ("from os import path", "imports", 1, 1),
    ast.AsyncFunctionDef: ("async def g():\n    return 1", "defining functions", 1, 1),
    ast.ClassDef: ("class A:\n    pass", "classes", 1, 1),
    ast.Return: ("x = 1\nreturn x", "'return'", 2, 1),
    ast.Delete: ("x = 1\ndel x", "'del'", 2, 1),
    ast.Assert: ("x = 1\nassert x", "'assert'", 2, 1),
    ast.If: ("x = 1\nif x:\n    f = x", "'if'", 2, 1),
    ast.For: ("for i in [1, 2]:\n    f = i", "loops", 1, 1),
    ast.AsyncFor: ("async for i in y:\n    f = i", "loops", 1, 1),
    ast.While: ("x = 1\nwhile x:\n    x = 0", "loops", 2, 1),
    ast.With: ("with a:\n    f = 1", "'with'", 1, 1),
    ast.AsyncWith: ("async with a:\n    f = 1", "'with'", 1, 1),
    ast.Try: ("try:\n    f = 1\nexcept Exception:\n    f = 2", "'try'", 1, 1),
    ast.TryStar: ("try:\n    f = 1\nexcept* Exception:\n    f = 2", "'try'", 1, 1),
    ast.Raise: ("raise 1", "'raise'", 1, 1),
    ast.Global: ("x = 1; global x", "'global'", 1, 8),
    ast.Nonlocal: ("nonlocal x", "'nonlocal'", 1, 1),
    ast.Pass: ("pass", "'pass'", 1, 1),
    ast.Break: ("break", "'break'", 1, 1),
    ast.Continue: ("continue", "'continue'", 1, 1),
    ast.AnnAssign: ("x: float = 1", "type annotations", 1, 1),
    ast.Match: ("match x:\n    case 1:\n        f = 1", "'match'", 1, 1),
}

EXPRESSION_SAMPLES = {
    ast.Attribute: ("x = 1\nf = x.sum()", "attribute access (.sum)", 2, 6),
    ast.Subscript: ("x = [1, 2]\nf = 3 * x[0]", "indexing", 2, 9),
    ast.Compare: ("x = 1\nf = 0 < x < 2", "comparisons", 2, 5),
    ast.BoolOp: ("x = 1\nf = x and 2", "'and' / 'or'", 2, 5),
    ast.IfExp: ("x = 1\nf = x if x else 2", "'x if c else y'", 2, 5),
    ast.Lambda: ("f = (lambda t: t)(2)", "lambda", 1, 6),
    ast.JoinedStr: ("x = 1\nf = f'{x}'", "f-strings", 2, 5),
    ast.Dict: ("f = {'a': 1}", "dictionaries", 1, 5),
    ast.Set: ("f = {1, 2}", "sets", 1, 5),
    ast.Tuple: ("f = (1, 2)", "tuples", 1, 5),
    ast.NamedExpr: ("f = (y := 2) * y", "':='", 1, 6),
    ast.Starred: ("x = [1]\nf = sin(*x)", "* unpacking", 2, 9),
    ast.ListComp: ("f = sum([t for t in [1, 2]])", "comprehensions", 1, 9),
    ast.SetComp: ("f = {t for t in [1]}", "comprehensions", 1, 5),
    ast.DictComp: ("f = {t: t for t in [1]}", "comprehensions", 1, 5),
    ast.GeneratorExp: ("f = sum(t for t in [1, 2])", "generator expressions", 1, 8),
    ast.Await: ("x = 1\nf = await x", "'await'", 2, 5),
    ast.Yield: ("f = (yield 1)", "'yield'", 1, 6),
    ast.YieldFrom: ("yield from x", "'yield'", 1, 1),
}
SHADOWED = {ast.Slice: "a slice only occurs inside [ ], which is refused first"}

OPERATOR_SAMPLES = {
    ast.BitXor: ("x = 2\nf = x^2", "**", 2, 5),
    ast.Mod: ("x = 7\nf = x % 2", "%", 2, 5),
    ast.FloorDiv: ("f = 7 // 2", "//", 1, 5),
    ast.LShift: ("f = 1 << 2", "<<", 1, 5),
    ast.RShift: ("f = 1 >> 2", ">>", 1, 5),
    ast.BitOr: ("f = 1 | 2", "|", 1, 5),
    ast.BitAnd: ("f = 1 & 2", "&", 1, 5),
    ast.Invert: ("f = ~1", "~", 1, 5),
    ast.Not: ("f = not 1", "'not'", 1, 5),
}

OTHER_REFUSALS = [
    ("x = y = 1", ParseError, "one name at a time", 1, 1),
    ("a, b = 1, 2", ParseError, "plain name", 1, 1),
    ("x = 1\nx.y = 2", ParseError, "plain name", 2, 1),
    ("x = [1]\nx[0] = 2", ParseError, "plain name", 2, 1),
    ("x = 2\nx ^= 2", ParseError, "**", 2, 1),
    ("x = 2; x //= 2", ParseError, "//", 1, 8),
    ("f = sin(x=1)", ParseError, "keyword arguments", 1, 9),
    ("v = [1, 2]\nf = sin(v, axis=0)", ParseError, "only the reductions do", 2, 12),
    ("v = [1, 2]\nf = sum(v, axes=0)", ParseError, "keyword 'axes' is not supported", 2, 12),
    ("v = [1, 2]\nf = sum(v, axis=2)", ParseError, "axis=2 is not an axis", 2, 17),
    ("v = [1, 2]\nf = sum(v, axis=v)", ParseError, "a whole number written out", 2, 17),
    ("v = [1, 2]\nf = sum(v, axis=0.0)", ParseError, "a whole number written out", 2, 17),
    ("v = [1, 2]\nf = sum(v, keepdims=1)", ParseError, "True or False", 2, 21),
    ("v = [1, 2]\nf = max(v, v, axis=0)", ParseError, "max() with axis= takes one array", 2, 15),
    ("v = [1, 2]\nf = sum(v, 1)", ParseError, "along an axis write sum(a, axis=1)", 2, 5),
    ("v = [1, 2]\nf = sum(max(v, 1))", EvaluationError, "write max(a, axis=1)", 2, 9),
    ("v = [1, 2]\nf = sum(min(v, -1))", EvaluationError, "min(a, -1.0)", 2, 9),
    ("A = [[1, 2]]\nf = sum(sum(A, axis=-3))", ParseError, "axis=-3 is not an axis", 2, 21),
    ("v = [1, 2]\nf = sum(sum(v, axis=1))", ShapeError,
     "a has shape (2,), which has no axis 1 (its axes are 0, or counted from the end -1)", 2, 9),
    ("x = 1\nf = sum(x, axis=0)", ShapeError, "a is a scalar (), it has no axis 0", 2, 5),
    ("f = sin(**{'x': 1})", ParseError, "keyword arguments", 1, 9),
    ("f = foo(1)", ParseError, "unknown function 'foo'", 1, 5),
    ("f = __import__('os')", ParseError, "unknown function '__import__'", 1, 5),
    ("f = max()", ParseError, "max() takes 1 or 2 arguments, got 0", 1, 5),
    ("f = sin(1, 2)", ParseError, "sin() takes 1 argument, got 2", 1, 5),
    ("f = sin(1)(2)", ParseError, "called by name", 1, 5),
    ("f = 'a'", ParseError, "text in quotes", 1, 5),
    ("f = True", ParseError, "True and False", 1, 5),
    ("f = 1j", ParseError, "complex", 1, 5),
    ("f = None", ParseError, "None is not a number", 1, 5),
    ("f = ...", ParseError, "Ellipsis is not a number", 1, 5),
    ("x = 1e309", ParseError, "too large for float64", 1, 5),
    ("f = 2x", ParseError, "write 2*x", 1, 5),
    ("x = 1\n  f = x", ParseError, "unexpected indent", 2, 2),
    ("f = 2 \u2212 1", ParseError, "typographic minus", 1, 7),
    ("f = 2 \u00d7 1", ParseError, "use *", 1, 7),
    ("f = [[1], [2, 3]]", ParseError, "same length", 1, 5),
    ("f = [[1], 2]", ParseError, "same length", 1, 5),
    ("f = [[[1]]]", LimitError, "more than 2 dimensions; the limit is 2", 1, 7),
    ("f = -[[[1]]]", LimitError, "more than 2 dimensions; the limit is 2", 1, 8),
    ("f = []", ParseError, "at least one number", 1, 5),
    ("x = 1\nf = sum([x, 2])", ParseError, "numbers only", 2, 10),
    ("", ParseError, "empty", 1, 1),
    ("# just a comment\n\n", ParseError, "empty", 1, 1),
    ("x = 1\0", ParseError, "NUL", 1, 6),
    ("x = 1\nf = y", EvaluationError, "add a line such as 'y = 1.0'", 2, 5),
    ("x = 2\nx = 3", EvaluationError, "already has a value (line 1)", 2, 1),
    ("A = [[1, 2], [3, 4]]\nf = A", EvaluationError, "try sum(...) or mean(...)", 2, 1),
    ("a = [1, 2]\nb = [1, 2, 3]\nf = sum(a + b)", ShapeError, "(2,) and (3,)", 3, 9),
    ("x = 1\nf = x @ x", ShapeError, "@ needs vectors or matrices", 2, 5),
    ("A = [[1, 2], [3, 4]]\nf = sum(A @ [1, 2, 3])", ShapeError, "inner sizes", 2, 9),
]

SAMPLES = [
    pytest.param(source, ParseError, words, line, col, id=f"{kind.__name__}")
    for table in (STATEMENT_SAMPLES, EXPRESSION_SAMPLES, OPERATOR_SAMPLES)
    for kind, (source, words, line, col) in table.items()
] + [pytest.param(*row, id=f"other-{i}") for i, row in enumerate(OTHER_REFUSALS)]


@pytest.mark.parametrize("source, kind, words, line, col", SAMPLES)
def test_refusal_names_the_construct_and_where(source, kind, words, line, col):
    error = error_of(source)
    assert type(error) is kind, error
    assert words in error.message, error.message
    assert (error.line, error.col) == (line, col), error


def test_every_refusal_in_the_tables_has_a_sample():
    assert set(STATEMENTS) <= set(STATEMENT_SAMPLES)
    assert set(CONSTRUCTS) <= set(EXPRESSION_SAMPLES) | set(SHADOWED)
    assert set(REFUSED_OPERATORS) <= set(OPERATOR_SAMPLES)
    for table, messages in (
        (STATEMENT_SAMPLES, STATEMENTS),
        (EXPRESSION_SAMPLES, CONSTRUCTS),
        (OPERATOR_SAMPLES, REFUSED_OPERATORS),
    ):
        for kind, (source, *_) in table.items():
            if kind in messages:
                assert error_of(source).message.startswith(messages[kind].split("{")[0])


@pytest.mark.parametrize(
    "source, line, col",
    [
        ("\u03b8 = 1; f = \u03b8.x", 1, 13),  # θ is one column, though two UTF-8 bytes
        ("\u03b8\u03b8 = 1; f = \u03b8\u03b8 + y", 1, 18),
        ("\u03b1 = 1\n\u03b2 = \u03b1 * 2; f = \u03b2 ^ 2", 2, 16),
        ("\u03b8\u03b8\u03b8 = 1; f = 2x", 1, 14),  # a syntax error, positioned by Python
        ("\u00e9\u00e9 = [1]; f = \u00e9\u00e9[0]", 1, 15),
        ("f = (x\n     .y)", 2, 6),
        ("f = x . y", 1, 7),
        ("f = ().__class__.__bases__[0].__subclasses__()", 1, 30),
    ],
)
def test_columns_count_characters(source, line, col):
    error = error_of(source)
    assert (error.line, error.col) == (line, col), error


def test_caret_says_to_use_double_star():
    error = error_of("x = 2\nf = x^2")
    assert "**" in error.message and "power" in error.message


def test_unknown_name_says_how_to_give_it_a_value():
    error = error_of("w1 = 2\nf = w1 * w3")
    assert error.message == "name 'w3' has no value; add a line such as 'w3 = 1.0'"
    assert (error.line, error.col) == (2, 10)


def test_name_used_before_its_line_says_which_line():
    error = error_of("x = 2\nf = x * y\ny = 3")
    assert "assigned on line 3" in error.message and "above line 2" in error.message
    assert (error.line, error.col) == (2, 9)
    error = error_of("f = y; y = 2")
    assert "later on line 1" in error.message


@pytest.mark.parametrize("source", ["y += 1", "y = y + 1", "x = 1\ny = x * y"])
def test_a_name_that_assigns_itself_has_no_value(source):
    """Its own line is not a later assignment: no 'move that line above itself'."""
    error = error_of(source)
    assert isinstance(error, EvaluationError)
    assert error.message == "name 'y' has no value; add a line such as 'y = 1.0'"


# --- what parses to what ---------------------------------------------------------------------


def test_semicolons_separate_statements():
    program = parse("x = 2; f = x*3;")
    assert [type(s) for s in program.statements] == [Assign, Assign]
    assert [(s.target, s.line, s.col) for s in program.statements] == [("x", 1, 1), ("f", 1, 8)]
    assert autodiff.build("x = 2; f = x*3;").value == 6


def test_comments_and_blank_lines_are_ignored():
    source = "# inputs\n\nx = 2  # the input\n\n# the output:\nf = x * x # square\n"
    program = parse(source)
    assert [(s.target, s.line) for s in program.statements] == [("x", 3), ("f", 6)]
    graph = autodiff.build(source)
    assert graph.value == 4 and graph.gradients["x"] == 4


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_newline_convention_counts_lines(newline):
    error = error_of(newline.join(["x = 2", "y = 3", "f = x * q"]))
    assert (error.line, error.col) == (3, 9)


@pytest.mark.parametrize("source, value, grad", [
    ("v = [1, 3]\nf = sum(max(v, 2.0))", 5.0, [0, 1]),  # elementwise, with a point
    ("x = 1\nf = max(x, 2)", 2.0, 0),  # a scalar's max(x, 2) is never an axis
    ("A = [[1, 5], [4, 2]]\nf = sum(max(A, axis=1))", 9.0, [[0, 1], [1, 0]]),
    ("A = [[1, 5], [4, 2]]\nf = sum(mean(A, axis=0, keepdims=True))", 6.0, [[0.5, 0.5]] * 2),
    ("A = [[1, 5], [4, 2]]\nf = sum(sum(A, axis=-1) * [1, 2])", 18.0, [[1, 1], [2, 2]]),
])
def test_reductions_along_an_axis_in_the_language(source, value, grad):
    graph = autodiff.build(source)
    assert graph.value == value
    np.testing.assert_array_equal(graph.gradients[graph.inputs[0]], grad)


def test_negative_numbers_are_numbers():
    (s,) = parse("x = -2").statements
    assert s.expr == Num(-2.0, 1, 5)
    graph = autodiff.build("x = -2\nf = x * x")
    assert graph.inputs == ("x",) and graph.gradients["x"] == -4
    (s,) = parse("f = -x").statements
    assert isinstance(s.expr, Apply) and s.expr.op == "neg" and s.expr.args == (Name("x", 1, 6),)
    (s,) = parse("f = +2").statements
    assert s.expr == Num(2.0, 1, 6)
    (s,) = parse("f = -(2)").statements
    assert s.expr.value == -2.0
    assert autodiff.build("f = -(-2)").value == 2


def test_negated_list_literals_are_arrays():
    """As -2 is the number -2, -[1, 2] is the array [-1, -2], not neg([1, 2])."""
    (s,) = parse("x = -[1, 2]").statements
    assert isinstance(s.expr, ArrayLit) and (s.expr.line, s.expr.col) == (1, 5)
    np.testing.assert_array_equal(s.expr.value, [-1.0, -2.0])
    (s,) = parse("A = -[[1, -2], [3, 4.5]]").statements
    np.testing.assert_array_equal(s.expr.value, [[-1, 2], [-3, -4.5]])
    (s,) = parse("x = -([1, 2])").statements
    np.testing.assert_array_equal(s.expr.value, [-1.0, -2.0])
    (s,) = parse("f = -x").statements
    assert isinstance(s.expr, Apply) and s.expr.op == "neg"


@pytest.mark.parametrize(
    "literal, value",
    [("-[1, 2]", [-1.0, -2.0]), ("-[0.5]", [-0.5]), ("-[[1, 2], [3, 4]]", [[-1, -2], [-3, -4]]),
     ("-[[-1.5, 2], [0, 3]]", [[1.5, -2], [0, -3]])],
)
def test_a_negated_list_literal_is_an_input(literal, value):
    graph = autodiff.build(f"x = {literal}\nf = sum(x * sin(x))")
    assert graph.inputs == ("x",)
    x = np.array(value)
    (node,) = [n for n in graph.nodes if n.label == "x"]
    assert node.kind == KIND_INPUT
    np.testing.assert_array_equal(node.value, x)
    # d/dx sum(x sin x) = sin x + x cos x, by hand; odd in x, so a lost sign would show.
    np.testing.assert_allclose(graph.gradients["x"], np.sin(x) + x * np.cos(x), rtol=1e-14)
    rows, total = autodiff.gradient_check(graph)
    assert total == x.size and len(rows) == x.size and all(r.ok for r in rows)


def test_a_negated_list_literal_inside_an_expression_is_a_constant():
    graph = autodiff.build("x = -[1, 2] * 2\nf = sum(x)")
    assert graph.inputs == () and graph.value == -6
    assert {n.label: n.kind for n in graph.nodes}["x"] == "op"
    graph = autodiff.build("w = 3\nf = sum(w * -[1, 2])")
    assert graph.inputs == ("w",) and graph.gradients["w"] == -3


def test_a_negated_list_literal_is_assigned_once():
    error = error_of("x = [1, 2]\nx = -[1, 2]\nf = sum(x)")
    assert "already has a value (line 1)" in error.message and (error.line, error.col) == (2, 1)
    error = error_of("x = -[1, 1e39]\nf = sum(x)", dtype="float32")
    assert "float32" in error.message and (error.line, error.col) == (1, 5)


def test_literal_assignments_make_inputs_and_the_rest_intermediates():
    graph = autodiff.build("a = 2\nb = [1, 2]\nc = a * 3\nf = sum(b) * c")
    kinds = {n.label: n.kind for n in graph.nodes}
    assert kinds["a"] == kinds["b"] == KIND_INPUT
    assert kinds["c"] == kinds["f"] == "op"
    assert kinds["3"] == KIND_CONST
    assert graph.inputs == ("a", "b")


def test_list_literals():
    (s,) = parse("A = [[1, -2.5], [+3, 4e0]]").statements
    assert isinstance(s.expr, ArrayLit)
    np.testing.assert_array_equal(s.expr.value, [[1, -2.5], [3, 4]])
    assert s.expr.value.dtype == np.float64
    (s,) = parse("v = [0x10, 1_000, .5]").statements
    np.testing.assert_array_equal(s.expr.value, [16, 1000, 0.5])


OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul"}


def test_every_binary_operator_is_known():
    assert set(OPERATORS.values()) == set(BINARY_OPS.values())


@pytest.mark.parametrize("symbol, op", OPERATORS.items())
def test_binary_operators(symbol, op):
    (s,) = parse(f"f = a {symbol} b").statements
    assert s.expr == Apply(op, (Name("a", 1, 5), Name("b", 1, 8 + len(symbol))), 1, 5)


@pytest.mark.parametrize(
    "symbol, x, y, value, dx, dy",
    [
        ("+", 2.0, 3.0, 5.0, 1.0, 1.0),
        ("-", 2.0, 3.0, -1.0, 1.0, -1.0),
        ("*", 2.0, 3.0, 6.0, 3.0, 2.0),
        ("/", 2.0, 4.0, 0.5, 0.25, -2.0 / 16),
        ("**", 2.0, 3.0, 8.0, 12.0, 8.0 * np.log(2.0)),
    ],
)
def test_augmented_assignment(symbol, x, y, value, dx, dy):
    source = f"x = {x}\ny = {y}\nx {symbol}= y\nx"
    (_, _, aug, out) = parse(source).statements
    assert isinstance(aug, Assign) and aug.target == "x"
    assert aug.expr.op == OPERATORS[symbol]
    assert aug.expr.args[0] == Name("x", 3, 1)
    assert isinstance(out, Output)
    graph = autodiff.build(source)
    assert graph.value == pytest.approx(value, rel=1e-15)
    assert graph.gradients["x"] == pytest.approx(dx, rel=1e-15)
    assert graph.gradients["y"] == pytest.approx(dy, rel=1e-15)


@pytest.mark.parametrize(
    "source, earlier",
    [("x = 2\nx = 3", 1), ("x = 1\ny = x\ny = 2", 2), ("x = 1\nx = x * 2\n\nx = 5", 2)],
)
def test_an_input_name_taken_says_where_it_was_assigned(source, earlier):
    error = error_of(source)
    assert f"already has a value (line {earlier})" in error.message
    assert error.line == source.count("\n") + 1 and error.col == 1


def test_a_bare_expression_is_an_output():
    program = parse("x = 3\nx * 2")
    assert isinstance(program.statements[-1], Output)
    assert autodiff.build("x = 3\nx * 2").value == 6


def test_the_last_statement_is_the_output():
    graph = autodiff.build("x = 1\ny = x * 5\nz = x * 7")
    assert graph.output_node.label == "z" and graph.gradients["x"] == 7


def test_unicode_names_work_and_get_gradients():
    graph = autodiff.build(
        "\u03b8 = 0.5\n\u03b1 = 2\n\u03b2 = -1\nf = \u03b1 * sin(\u03b8) + \u03b2 * \u03b8"
    )
    assert graph.inputs == ("\u03b8", "\u03b1", "\u03b2")
    assert graph.gradients["\u03b8"] == pytest.approx(2 * np.cos(0.5) - 1, rel=1e-15)
    assert graph.gradients["\u03b1"] == pytest.approx(np.sin(0.5), rel=1e-15)
    assert graph.gradients["\u03b2"] == 0.5


def test_constants_pi_and_e():
    graph = autodiff.build("x = 2\nf = pi * x + e")
    assert graph.value == pytest.approx(2 * np.pi + np.e, rel=1e-15)
    assert graph.gradients == {"x": pytest.approx(np.pi)}
    labels = {n.label for n in graph.nodes if n.kind == KIND_CONST}
    assert labels == {"π", "e"}


def test_assigning_e_makes_it_an_ordinary_value():
    graph = autodiff.build("a = 1\nb = 2\ne = (a + b) * (b + 1)")
    assert graph.value == 9
    assert graph.output_node.label == "e" and graph.output_node.kind == "op"
    assert graph.gradients == {"a": 3.0, "b": 6.0}  # b + 1, and (b + 1) + (a + b)
    graph = autodiff.build("e = 2\nf = e * 3")
    assert graph.inputs == ("e",) and graph.gradients["e"] == 3


def test_float32_refuses_numbers_too_large_for_it():
    error = error_of("x = 1e39\nf = x * 2", dtype="float32")
    assert isinstance(error, EvaluationError) and "float32" in error.message
    assert (error.line, error.col) == (1, 5)
    error = error_of("x = 1\nf = x * [1, -1e39]", dtype="float32")
    assert (error.line, error.col) == (2, 9)
    assert autodiff.build("x = 1e38\nf = x * 4", dtype="float32").value == np.inf


def test_float32_small_numbers_round_to_zero_quietly():
    graph = autodiff.build("x = 1e-50\nf = x * 2", dtype="float32")
    assert graph.value == 0 and graph.gradients["x"] == 2


def test_dtype_must_be_known():
    with pytest.raises(ValueError, match="dtype"):
        autodiff.build("f = 1", dtype="float16")


# --- limits ---------------------------------------------------------------------------------


def _matrix(rows: int, cols: int) -> str:
    row = "[" + ",".join(["1"] * cols) + "]"
    return "[" + ",".join([row] * rows) + "]"


def _padded(prefix: str, total: int) -> str:
    body = prefix + "  # "
    return body + "a" * (total - len(body))


def check_source_chars():
    n = limits.MAX_SOURCE_CHARS
    assert autodiff.build(_padded("x = 1\nf = x", n)).value == 1
    error = error_of(_padded("x = 1\nf = x", n + 1))
    assert isinstance(error, LimitError) and str(n) in error.message
    assert (error.line, error.col) == (2, n + 1 - len("x = 1\n"))
    # Checked before any other work: a huge text is refused at once.
    assert isinstance(error_of("x" * 10_000_000), LimitError)


def check_depth():
    n = limits.MAX_DEPTH
    graph = autodiff.build("x = 1.001\nf = x" + "*x" * 599)
    assert len(graph.nodes) == 600  # the input and 599 products
    assert sum(1 for node in graph.nodes if node.kind == "op") == 599
    assert graph.gradients["x"] == pytest.approx(600 * 1.001**599, rel=1e-12)
    for source in ("x = 1\nf = " + "-" * n + "x", "x = 1\nf = x" + " + x" * (n + 100)):
        error = error_of(source)
        assert isinstance(error, LimitError) and str(n) in error.message
        assert error.line == 2 and error.col >= 1
    error = error_of("f = " + "-" * 19_990 + "1")
    assert isinstance(error, LimitError) and (error.line, error.col) == (1, 1)


def check_nodes():
    n = limits.MAX_NODES
    assert n == 2000
    # One input and 1,999 multiplications: 19 lines of 100, then one of 99.
    source = "x=1\n" + ("y=" + "*".join(["x"] * 101) + "\n") * 19 + "y=" + "*".join(["x"] * 100)
    graph = autodiff.build(source)
    assert len(graph.nodes) == n
    error = error_of(source + "\nf=y*x")
    assert isinstance(error, LimitError) and str(n) in error.message
    assert (error.line, error.col) == (22, 3)
    # Counted in the syntax tree before evaluation, too (numbers and operations).
    error = error_of("f = 1\n" + "f = 1+1+1+1+1+1+1+1+1+1\n" * (2 * n // 19 + 1))
    assert isinstance(error, LimitError) and error.line >= 2 and error.col >= 1


def check_elements():
    n = limits.MAX_ELEMENTS
    assert n == 64 * 64
    graph = autodiff.build(f"A = {_matrix(64, 64)}\nf = sum(A)")  # a full array is one value
    assert graph.value == n and graph.gradients["A"].shape == (64, 64)
    error = error_of(f"x = 1\nA = {_matrix(65, 65)}\nf = sum(A)")
    assert isinstance(error, LimitError) and str(n) in error.message
    assert (error.line, error.col) == (2, 5)
    error = error_of(f"a = {_matrix(1, 65)}\nb = {_matrix(65, 1)}\nf = sum(a * b)")
    assert isinstance(error, LimitError) and "(65, 65)" in error.message
    assert (error.line, error.col) == (3, 9)


def check_total_elements():
    n = limits.MAX_TOTAL_ELEMENTS
    lines = n // 4096 + 1
    error = error_of(f"A = {_matrix(64, 64)}\n" + "A = A * 2\n" * lines + "f = sum(A)")
    assert isinstance(error, LimitError) and str(n) in error.message
    assert error.line == lines and error.col == 5


def check_ndim():
    assert limits.MAX_NDIM == 2
    assert autodiff.build("A = [[1, 2], [3, 4]]\nf = sum(A)").gradients["A"].shape == (2, 2)
    error = error_of("x = 1\nA = [[[1, 2]], [[3, 4]]]\nf = sum(A)")
    assert isinstance(error, LimitError)
    assert error.message == "this array has more than 2 dimensions; the limit is 2 (rows and columns)"
    assert (error.line, error.col) == (2, 7)  # the list that adds a third dimension
    with pytest.raises(ShapeError, match="at most 2 dimensions"):
        autodiff.Var(np.zeros((2, 2, 2)))


def check_gradcheck_entries():
    n = limits.MAX_GRADCHECK_ENTRIES
    graph = autodiff.build(f"A = {_matrix(9, 9)}\nf = sum(A * A)")
    rows, total = autodiff.gradient_check(graph)
    assert total == 81 and len(rows) == n
    assert all(r.ok for r in rows)
    assert all(r.autodiff == 2.0 and abs(r.numeric - 2.0) < 1e-6 for r in rows)


def check_forward_sweeps():
    n = limits.MAX_FORWARD_SWEEPS
    ok = autodiff.build(f"x = 1\nA = {_matrix(8, 8)}\nf = sum(A * A)", forward="A")
    np.testing.assert_array_equal(ok.forward.derivative, np.full((8, 8), 2.0))
    error = error_of(f"x = 1\nA = {_matrix(5, 13)}\nf = sum(A)", forward="A")
    assert isinstance(error, LimitError) and str(n) in error.message and "65" in error.message
    assert (error.line, error.col) == (2, 1)


def check_descent_updates():
    from autodiff.descent import descend

    n = limits.MAX_DESCENT_UPDATES
    assert len(descend(autodiff.parse("x = 3\nf = (x - 1)**2"), "float64", 1e-3, n, 1).points) == n + 1
    with pytest.raises(LimitError, match=f"from 0 to {n}"):
        descend(autodiff.parse("x = 3\nf = x * x"), "float64", 0.1, n + 1, 1)


def check_descent_work():
    from autodiff.descent import descend

    n = limits.MAX_DESCENT_WORK
    program = autodiff.parse("x = 3\nf = x * x")
    assert len(descend(program, "float64", 0.1, 10, n // 10).points) == 11
    with pytest.raises(LimitError, match="too much work"):
        descend(program, "float64", 0.1, 11, n // 10)


LIMIT_CHECKS = {
    "MAX_DESCENT_UPDATES": check_descent_updates,
    "MAX_DESCENT_WORK": check_descent_work,
    "MAX_SOURCE_CHARS": check_source_chars,
    "MAX_DEPTH": check_depth,
    "MAX_NODES": check_nodes,
    "MAX_ELEMENTS": check_elements,
    "MAX_TOTAL_ELEMENTS": check_total_elements,
    "MAX_NDIM": check_ndim,
    "MAX_GRADCHECK_ENTRIES": check_gradcheck_entries,
    "MAX_FORWARD_SWEEPS": check_forward_sweeps,
}


def test_every_limit_has_a_check():
    constants = {
        name
        for name, value in inspect.getmembers(limits)
        if name.isupper() and isinstance(value, int)
    }
    assert constants == set(LIMIT_CHECKS)


@pytest.mark.parametrize("name", sorted(LIMIT_CHECKS))
def test_limit(name):
    LIMIT_CHECKS[name]()


@pytest.mark.parametrize("source,fragment,line,col", [
    ("f = sin", "'sin' is a function: call it", 1, 5),
    ("x = 2\nf = x*2\nf = 3", "'f' already has a value (line 2)", 3, 1),
    ("f = e * 2\ne = 3", "name 'e' is used before it has a value: it is assigned on line 2", 1, 5),
])
def test_messages_that_explain_the_mistake(source, fragment, line, col):
    with pytest.raises(autodiff.AutodiffError) as info:
        autodiff.build(source)
    assert fragment in info.value.message
    assert (info.value.line, info.value.col) == (line, col)


def test_naming_a_constant_does_not_rename_it_everywhere():
    graph = autodiff.build("b = pi\nx = 1\nf = b * x + pi")
    assert [n.label for n in graph.nodes if n.kind == "const"] == ["π"]


def test_parsing_odd_escapes_warns_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(autodiff.AutodiffError):
            autodiff.build('x = 1\nf = "\\ "')


# --- statements kept from earlier programs --------------------------------------------------


def test_a_changed_line_is_converted_again_and_the_others_are_reused():
    first = parse("w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)")
    moved = parse("w1 = 2.25\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)")
    assert moved.statements[0] == Assign("w1", Num(2.25, 1, 6), 1, 1)
    assert moved.statements[1] is first.statements[1]
    assert moved.statements[2] is first.statements[2]
    assert autodiff.build("w1 = 2.25\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)").value == pytest.approx(
        2.25 * np.cos(3 * 2.25 + 1.5), rel=1e-15)


def test_a_known_line_elsewhere_keeps_its_own_position():
    parse("a = 1; b = a * 2\nf = b + a")
    shifted = parse("\na = 1; b = a * 2\nf = b + a")
    assert [s.line for s in shifted.statements] == [2, 2, 3]
    assert [s.col for s in shifted.statements] == [1, 8, 1]
    assert (shifted.statements[1].expr.line, shifted.statements[1].expr.col) == (2, 12)


def test_known_lines_still_count_toward_the_limit():
    n = limits.MAX_NODES
    line = "f = 1+1+1+1+1+1+1+1+1+1\n"
    lines = 2 * n // 19 + 1
    parse("f = 1\n" + line * (lines // 2))  # half the lines are now known
    error = error_of("f = 1\n" + line * lines)
    assert isinstance(error, LimitError) and str(2 * n) in error.message
    assert error.line >= 2 and error.col >= 1


def test_long_lines_are_not_kept():
    from autodiff import parser

    parser.clear_known_statements()
    long_line = "f = " + " + ".join(["1"] * 100)
    assert len(long_line) > parser.KNOWN_LINE_CHARS
    first = parse("x = 1\n" + long_line)
    again = parse("x = 1\n" + long_line)
    assert again.statements[0] is first.statements[0]
    assert again.statements[1] is not first.statements[1]
    assert again.statements[1] == first.statements[1]
    assert len(reuse.statements) == 1


# --- reading line by line -------------------------------------------------------------------

LINE_PIECES = [
    "x = 2.0", "y = x * 3", "f = sin(x) + y", "", "# a comment", "  z = 1", "g = (x +", "y)",
    "h = [1, 2,", "3]", "w = x \\", "+ 1", "s = '''", "'''", "q = 1; r = q * 2", "if x: y = 1",
    "t = x ** ** 2", "u = 1e999 * x", "; y = 2", "v = 1;", "@f", "def g(): pass", "v = [[1, 2], [3]]", "x", "θ = 0.5", "f = θ * x  # (",
    "\tk = 1", "m = )(", "n = max(x, y, 3)", ";", "p = x @ [1, 2]",
]


def parse_outcome(source: str):
    """What `parse` gives: the program's text form, or the error's message and position."""
    try:
        return repr(parse(source))
    except autodiff.AutodiffError as err:
        return err.to_dict()


@pytest.mark.slow
@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(LINE_PIECES), min_size=1, max_size=9), st.data())
def test_reading_line_by_line_gives_what_the_whole_text_gives(lines, data):
    # Lines are kept parsed between programs; a program read from kept lines (and from new
    # ones) must be the very program, or the very error, that parsing its whole text gives.
    source = "\n".join(lines)
    parser.clear_known_statements()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parser, "_kept_lines", lambda lines: [])  # nothing kept: the whole text
        whole = parse_outcome(source)
    parser.clear_known_statements()
    assert parse_outcome(source) == whole, source  # every line new (a few: one by one)
    assert parse_outcome(source) == whole, source  # every line kept
    # One line changed: read from the kept lines and that one.
    changed = list(lines)
    changed[data.draw(st.integers(0, len(lines) - 1))] = data.draw(st.sampled_from(LINE_PIECES))
    source = "\n".join(changed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parser, "_kept_lines", lambda lines: [])
        whole = parse_outcome(source)
    assert parse_outcome(source) == whole, source


def test_a_bracket_open_across_lines_is_read_from_the_whole_text():
    parser.clear_known_statements()
    source = "x = 2\nf = (x +\n  1)"
    for _ in range(2):
        (_, out) = parse(source).statements
        assert (out.line, out.col) == (2, 1)
    assert parser._kept_lines(source.split("\n"))[1:] == [None, None]


def test_a_line_a_backslash_joins_is_not_read_alone():
    # Regression: `w = 2 \` then `;` parse whole as one line (`w = 2 ;`), and the `;` line
    # was kept as holding nothing; the next program with that line read as valid.
    parser.clear_known_statements()
    assert len(parse("w = 2 \\\n;").statements) == 1  # `w = 2 ;`, the `;` on line 2
    error = parse_outcome("x = 2.0\n;")
    assert isinstance(error, dict) and (error["line"], error["col"]) == (2, 1)


def test_a_decorator_line_is_not_read_alone():
    # Regression: a `def` node starts on its own line, after its decorator's; the `@f`
    # line was kept as holding nothing, and `@f` then `x = 1` read as valid.
    parser.clear_known_statements()
    assert parse_outcome("@f\ndef g(): pass")["message"] == "decorators are not supported"
    error = parse_outcome("@f\nx = 1")
    assert isinstance(error, dict) and error["message"].startswith("syntax error")


def test_a_kept_line_keeps_its_place():
    parser.clear_known_statements()
    first = parse("x = 2\ny = x * 3")
    second = parse("x = 5\ny = x * 3")
    assert first.statements[1] is second.statements[1]  # the unchanged line was not parsed again
    moved = parse("\nx = 5\ny = x * 3")  # the same text one line down is a new line
    assert moved.statements[1].line == 3


def test_kept_lines_stay_within_their_bound(monkeypatch):
    # Every program a user types adds its lines: the oldest are dropped past the bound.
    monkeypatch.setattr(reuse.statements, "size", 8)
    monkeypatch.setattr(reuse.line_syntax, "size", 8)
    parser.clear_known_statements()
    for k in range(30):
        parse(f"x = {k}\ny = x * {k + 1}\nf = y + x")  # new lines one by one
        parse("\n".join(f"a{i} = {k}" for i in range(12)) + "\nf = a0")  # parsed whole
        assert len(reuse.line_syntax) <= 8 and len(reuse.statements) <= 8
    program = parse("x = 29\ny = x * 30\nf = y + x")  # the newest are still read correctly
    assert [s.line for s in program.statements] == [1, 2, 3]


# --- what a name is: exactly what was typed ----------------------------------------------------


@pytest.mark.parametrize(
    ("src", "typed", "folded", "col"),
    [
        ("𝐱 = 2.0\ny = 𝐱 * 3", "𝐱", "x", 1),
        ("fi = 1.0\ny = ﬁ + fi", "ﬁ", "fi", 5),
        ("x = 2.0\ny = 𝐬𝐢𝐧(x)", "𝐬𝐢𝐧", "sin", 5),
        ("x = 1.0\nx = 2.0\n𝐱 += x", "𝐱", "x", 1),
    ],
)
def test_a_name_python_would_fold_is_refused_where_it_stands(src, typed, folded, col):
    """NFKC folding would make `𝐱` and `x` one name: two different-looking names never
    silently become one."""
    with pytest.raises(ParseError) as err:
        autodiff.build(src)
    assert f"'{typed}' is read as '{folded}'" in err.value.message
    assert (err.value.line, err.value.col) == (src.count("\n", 0, src.find(typed)) + 1, col)


def test_names_in_other_scripts_are_kept():
    g = autodiff.build("θ = 2.0\nα = θ * θ\ny = α + θ")
    assert g.gradients["θ"] == pytest.approx(2 * 2.0 + 1)


def test_a_leading_byte_order_mark_is_not_part_of_the_program():
    assert autodiff.build("\ufeffx = 3.0\ny = x * x").gradients["x"] == pytest.approx(6.0)


def test_a_number_of_thousands_of_digits_is_refused_in_the_apps_words():
    with pytest.raises(ParseError) as err:
        autodiff.build("x = 2.0\ny = x * " + "7" * 5000)
    assert "set_int_max_str_digits" not in err.value.message
    assert "5000 digits" in err.value.message
    assert (err.value.line, err.value.col) == (2, 9)
