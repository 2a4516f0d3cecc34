"""The step schedule: forward steps, the seed, backward steps, in the tutorials' notation."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import autodiff
from autodiff.examples import GALLERY, by_slug
from autodiff.model import KIND_OP
from autodiff.ops import OPS

REUSE = "w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)"
SEED = "{} = 1: from here back, multiply the edges of a route, add the routes"

# Hand-derived: z1 = 3·w1 = 6, z2 = z1 + w2 = 7.5, z3 = cos(7.5), y = w1·z3.
Z3 = math.cos(7.5)
GZ2 = -math.sin(7.5) * 2.0  # gz3 = w1 = 2
GW1 = Z3 + 3 * GZ2


@pytest.fixture(scope="module")
def reuse():
    return autodiff.build(REUSE)


def node(graph, label):
    return next(n for n in graph.nodes if n.label == label)


def test_forward_then_seed_then_backward(reuse):
    phases = [(s.phase, s.kind) for s in reuse.steps]
    assert phases[:4] == [("forward", "op")] * 4
    assert phases[4] == ("backward", "seed")
    assert all(p == ("backward", "op") for p in phases[5:])
    assert reuse.forward_steps == 4
    assert reuse.backward_steps == len(reuse.steps) - 4 == 5
    assert reuse.steps[4].text == (
        "gy = 1: from here back, multiply the edges of a route, add the routes")
    assert reuse.steps[4].node == reuse.output


def test_forward_steps_in_evaluation_order_backward_in_reverse(reuse):
    forward = [s.node for s in reuse.steps if s.phase == "forward"]
    backward = [s.node for s in reuse.steps if s.phase == "backward" and s.kind == "op"]
    ops = [n.index for n in reuse.nodes if n.kind == KIND_OP]
    assert forward == ops
    assert backward == ops[::-1]
    for s in reuse.steps:
        if s.phase == "forward":
            assert s.edges == reuse.edges_into(s.node)


def test_texts_use_the_tutorials_notation(reuse):
    texts = [s.text for s in reuse.steps]
    assert texts[0] == "z1 = 3 · w1 = 3 · 2 = 6"
    assert texts[1] == "z2 = z1 + w2 = 6 + 1.5 = 7.5"
    assert texts[2] == "z3 = cos(z2) = cos(7.5) = 0.3466"
    assert texts[3] == "y = w1 · z3 = 2 · 0.3466 = 0.6933"
    backward = "\n".join(texts[5:])
    assert "gz2 += -sin(z2) · gz3 = -sin(7.5) · 2 = -1.876" in backward
    assert "gw1 += z3 · gy = 0.3466 · 1 = 0.3466 so far" in backward  # a partial total
    assert "gz1 += 1 · gz2 = 1 · (-1.876) = -1.876" in backward  # add's 1 kept: a route
    assert "add distributes" in backward and "mul swaps" in backward
    gate, last = texts[-1].split("\n")
    assert gate.startswith("mul swaps")
    assert last.startswith("gw1 = z3 · gy + 3 · gz1 = ")
    assert last.endswith(" = -5.281")
    assert "0.3466 + (-5.628)" in last  # 3 · gz1 = 3 · (-1.876)


def test_contributions_carry_count_final_and_totals(reuse):
    w1 = node(reuse, "w1").index
    mine = [c for c in reuse.contributions if c.target == w1]
    assert [(c.count, c.final) for c in mine] == [(1, False), (2, True)]
    assert float(mine[0].amount) == pytest.approx(Z3, rel=1e-15)
    assert float(mine[1].amount) == pytest.approx(3 * GZ2, rel=1e-15)
    assert float(mine[1].total) == pytest.approx(GW1, rel=1e-15)
    for c in reuse.contributions:
        if c.target != w1:
            assert (c.count, c.final) == (1, True)
    # The final contribution's running total is the node's gradient.
    for c in reuse.contributions:
        if c.final:
            np.testing.assert_allclose(c.total, reuse.nodes[c.target].grad, rtol=1e-15)
    assert float(node(reuse, "z2").grad) == pytest.approx(GZ2, rel=1e-15)
    assert float(reuse.gradients["w1"]) == pytest.approx(GW1, rel=1e-15)
    assert float(reuse.gradients["w2"]) == pytest.approx(GZ2, rel=1e-15)


def test_backward_steps_hold_the_contributions_of_their_node(reuse):
    seen = []
    for s in reuse.steps:
        if s.phase == "backward" and s.kind == "op":
            assert s.contributions
            for c in s.contributions:
                assert reuse.edges[c.edge].dst == s.node
                assert reuse.edges[c.edge].src == c.target
            gate = OPS[reuse.nodes[s.node].op].gate  # `mul swaps: ...` first, where the op has one
            assert s.text == "\n".join(([gate] if gate else []) + [c.text for c in s.contributions])
            seen.extend(s.contributions)
    assert seen == list(reuse.contributions)


# --- every number shown is the number computed ------------------------------------------------

NUMBER = re.compile(r"(-?∞|NaN|-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$")


def last_number(text: str) -> float:
    for note in (r" so far$", r" ≈ 0 \(rounding\)$", r" \(.*\)$"):  # notes after the number
        text = re.sub(note, "", text)
    match = NUMBER.search(text)
    assert match, text
    token = match.group(1)
    return {"∞": math.inf, "-∞": -math.inf, "NaN": math.nan}.get(token) or float(token)


def same_to_4_digits(shown: float, value: float) -> bool:
    if not math.isfinite(value):
        return shown == value or (math.isnan(shown) and math.isnan(value))
    return abs(shown - value) <= 5e-4 * abs(value) + 1e-300


SCALAR_PROGRAMS = [
    REUSE,
    "x = -2\ny = 5\nz = -4\nf = (x + y) * z",
    "x = 2\ny = -4\nf = (x + y)**2 + 2*x*y",
    "x = 0.3\nf = sin(x) * cos(x) + tan(x) - exp(-x) / log(x + 2)",
    "x = 1.7\ny = 0.4\nf = sqrt(x) * tanh(y) + sigmoid(x - y) + relu(y - x) + abs(y - x)",
    "a = 3\nb = -1.25\nf = max(a, b) * min(a, b) - pow(a, 2) + a**b",
    "x = 12345.678\nf = x * x * x",
    "x = 0.000123\nf = x * x",
    "x = 0\nf = x / x",
    "f = exp(1000) - log(0)",
]


@pytest.mark.parametrize("source", SCALAR_PROGRAMS)
def test_forward_texts_end_with_the_node_value(source):
    graph = autodiff.build(source)
    for s in graph.steps:
        if s.phase == "forward":
            value = float(graph.nodes[s.node].value)
            assert same_to_4_digits(last_number(s.text), value), (s.text, value)


@pytest.mark.parametrize("source", SCALAR_PROGRAMS)
def test_backward_texts_end_with_the_amount_or_total(source):
    graph = autodiff.build(source)
    for c in graph.contributions:
        line = c.text
        shown = last_number(line)
        expected = float(c.amount) if c.count == 1 else float(c.total)
        assert same_to_4_digits(shown, expected), (line, expected)
        name = f"g{graph.nodes[c.target].label}"
        assert line.startswith(f"{name} += " if c.count == 1 else f"{name} = "), line


def test_array_steps_show_short_arrays_and_shapes_of_long_ones():
    graph = autodiff.build("x = [1, 2]\nA = [[1, 2], [3, 4]]\nf = sum(A @ x * x)")
    texts = [s.text for s in graph.steps]
    assert texts[0] == "z1 = A @ x = [[1, 2], [3, 4]] @ [1, 2] = [5, 11]"
    assert "gz1 += x ⊙ gz2 = [1, 2] ⊙ [1, 1] = [1, 2]" in "\n".join(texts).splitlines()
    graph = autodiff.build("v = [1, 2, 3, 4, 5]\nf = sum(v * 2)")
    assert graph.steps[0].text == "z1 = v · 2 = ⟨5⟩ · 2 = ⟨5⟩"


def test_broadcasting_sums_the_gradient_back():
    graph = autodiff.build("v = [1, 2, 3]\ns = 2\nf = sum(v * s)")
    text = next(c.text for c in graph.contributions if graph.nodes[c.target].label == "s")
    assert text == "gs += sum(v ⊙ gz1) = sum([1, 2, 3] ⊙ [1, 1, 1]) = 6"


def test_dead_code_has_no_backward_step():
    graph = autodiff.build("a = 1; b = a*2; f = a + 1")
    b = node(graph, "b")
    assert not b.live and b.grad == 0  # the output does not depend on it
    assert [s.node for s in graph.steps if s.phase == "forward"] == [b.index, graph.output]
    backward = [s for s in graph.steps if s.phase == "backward"]
    assert [s.kind for s in backward] == ["seed", "op"]
    assert all(s.node != b.index for s in backward)
    assert all(graph.edges[c.edge].dst != b.index for c in graph.contributions)
    assert graph.gradients == {"a": 1.0}


def test_an_output_without_inputs_still_has_its_steps():
    graph = autodiff.build("f = 2*3")
    assert graph.value == 6 and graph.gradients == {} and graph.inputs == ()
    assert [(s.phase, s.kind, s.text) for s in graph.steps] == [
        ("forward", "op", "f = 2 · 3 = 6"),
        ("backward", "seed", SEED.format("gf")),
    ]
    assert graph.contributions == ()
    assert graph.problems == ()


def test_an_input_as_output_is_its_own_seed():
    graph = autodiff.build("x = 3")
    assert graph.forward_steps == 0
    assert [s.text for s in graph.steps] == [SEED.format("gx")]
    assert graph.gradients == {"x": 1.0}


def test_an_input_the_output_ignores_gets_zero():
    graph = autodiff.build("x = 1\ny = 2\nf = y * 3")
    assert graph.gradients == {"x": 0.0, "y": 3.0}
    assert not node(graph, "x").live


def test_reused_names_are_primed():
    graph = autodiff.build("x = 2\nx = x * 3\ny = x + 1\nx = y * x\nf = x")
    labels = [n.label for n in graph.nodes if n.kind != "const"]
    assert labels == ["x", "x′", "y", "x′′"]
    assert graph.output_node.label == "x′′"
    many = autodiff.build("x = 1\n" + "x = x + 1\n" * 300)
    names = [n.label for n in many.nodes if n.kind != "const"]
    assert names[:6] == ["x", "x′", "x′′", "x′′′", "x₄", "x₅"]
    assert names[-1] == "x₃₀₀" and len(set(names)) == 301


def test_automatic_labels_skip_names_in_use():
    graph = autodiff.build("z1 = 2\nf = (z1 + 1) * (z1 + 2)")
    labels = [n.label for n in graph.nodes if n.kind == KIND_OP]
    assert labels == ["z2", "z3", "f"]


def test_a_value_used_twice_has_two_edges():
    graph = autodiff.build("a = 3\nf = a * a")
    into = [graph.edges[i] for i in graph.edges_into(graph.output)]
    assert [(e.src, e.arg) for e in into] == [(0, 0), (0, 1)]
    assert [float(e.local) for e in into] == [3.0, 3.0]
    assert graph.gradients["a"] == 6.0
    assert len(graph.contributions) == 2
    assert graph.contributions[1].text == "ga = a · gf + a · gf = 3 + 3 = 6"


# --- NaN and infinity are located ------------------------------------------------------------


def test_a_nan_value_is_reported_where_it_starts():
    graph = autodiff.build("x = -1\ny = sqrt(x)\nf = y * 2")
    values = [p for p in graph.problems if p.slot == "value"]
    assert [(graph.nodes[p.node].label, p.inputs) for p in values] == [("y", ("x",))]
    assert values[0].message == "y = sqrt(-1) gives NaN: sqrt of a negative number has no real value"
    grads = [p for p in graph.problems if p.slot == "grad"]
    assert [graph.nodes[p.node].label for p in grads] == ["x"]
    assert "NaN" in grads[0].message


def test_an_infinite_gradient_is_reported_once():
    graph = autodiff.build("x = 0\nf = sqrt(x) * 3")
    assert graph.value == 0 and graph.gradients["x"] == np.inf
    (problem,) = graph.problems
    assert problem.slot == "grad" and problem.inputs == ("x",)
    assert problem.message.endswith(
        "(1/(2·sqrt(0)) = ∞ in float64, so ∞ · 3 = ∞): the gradient becomes Infinity here")
    assert problem.step == len(graph.steps)  # the backward step into x


def test_minus_infinity_is_named():
    graph = autodiff.build("f = log(0)")
    assert graph.value == -np.inf
    assert [p.message for p in graph.problems] == ["f = log(0) gives -Infinity: the log of 0 is -∞"]


# --- how numbers read --------------------------------------------------------------------------


def test_backward_steps_light_only_edges_that_carry_gradient():
    graph = autodiff.build("w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)")
    for step in graph.steps:
        if step.phase == "backward" and step.kind == "op":
            assert step.edges == tuple(c.edge for c in step.contributions)
            assert all(graph.nodes[graph.edges[e].src].kind != "const" for e in step.edges)


def test_a_sum_as_local_derivative_is_bracketed():
    graph = autodiff.build("x = 0.5\nf = tanh(x)")
    assert "gx += (1 - tanh²(x)) · gf" in graph.steps[-1].text


def test_a_value_made_of_constants_alone_is_a_constant():
    """`2 * pi` depends on no input: like the numbers it is made of it needs no gradient, so
    no rule runs for it and no backward step names it (`x**(1+1)` at x < 0 once showed
    ln(x)·x**z1 = NaN for the exponent, which nobody asked for)."""
    graph = autodiff.build("x = 2.0\ny = x * (2 * pi)")
    z1 = next(n for n in graph.nodes if n.label == "z1")
    assert z1.grad is None and z1.value == pytest.approx(2 * math.pi, rel=1e-15)
    assert all(n.grad is None for n in graph.nodes if n.kind == "const")
    assert not any(c.target == z1.index for c in graph.contributions)
    assert graph.gradients["x"] == pytest.approx(2 * math.pi, rel=1e-15)


def test_an_exponent_made_of_numbers_shows_no_nan():
    graph = autodiff.build("x = -2\ny = x**(1 + 1)", )
    texts = [s.text for s in graph.steps]
    assert not any("NaN" in t or "∞" in t for t in texts), texts
    assert graph.problems == ()
    assert graph.gradients["x"] == pytest.approx(-4.0, rel=1e-15)



# --- every text a student can trust: one meaning per name, no NaN nobody asked for ------------


def assert_texts_trustworthy(graph) -> None:
    """Each name in the texts is one node's (values and gradients never share a name), no
    NaN or ∞ appears unless the output or an input's gradient is non-finite, and every
    number a text ends with is the number computed, to the digits shown."""
    from autodiff.display import displays
    from autodiff.schedule import grad_prefix

    named = [n.label for n in graph.nodes if n.kind != "const"]
    assert len(named) == len(set(named)), named
    gradients = {grad_prefix(graph) + label for label in named}
    assert not gradients & {n.label for n in graph.nodes}, gradients
    asked = [graph.value, *graph.gradients.values()]
    if all(np.all(np.isfinite(a)) for a in asked):
        shown = [s.text for s in graph.steps] + [p.message for p in graph.problems]
        shown += list(displays(graph).locals)
        for text in shown:
            assert "NaN" not in text and "∞" not in text, text
    for s in graph.steps:
        if s.phase == "forward" and graph.nodes[s.node].shape == ():
            assert same_to_4_digits(last_number(s.text), float(graph.nodes[s.node].value)), s.text
    for c in graph.contributions:
        if np.shape(c.total) == ():
            assert same_to_4_digits(last_number(c.text), float(c.total)), c.text


@pytest.mark.parametrize("slug", [e.slug for e in GALLERY])
def test_gallery_texts_are_trustworthy(slug):
    example = by_slug(slug)
    assert_texts_trustworthy(autodiff.build(example.source, dtype=example.dtype))


@pytest.mark.parametrize("source", [
    "x = 2\ngx = 3\ny = x * gx",  # gx is a name: gradients are written ∇x, ∇gx
    "gz1 = 2\nf = gz1 * gz1 + 1",
    "z = 2\nf = (z + 1) * z",  # the program's z: unnamed values are u1, u2
    "π = 3\ny = π * pi",  # the program's π: the constant is written pi
])
def test_names_that_collide_with_the_notation_are_kept_apart(source):
    graph = autodiff.build(source)
    assert_texts_trustworthy(graph)
    texts = "\n".join(s.text for s in graph.steps)
    assert "ggx" not in texts and "π · π" not in texts and "gz1 +=" not in texts.replace(
        "∇gz1", "")


def test_notation_says_what_is_meant():
    outer = autodiff.build("A = [[1, 2], [3, 4]]\nb = [1, -1]\nf = sum(A @ b)")
    assert any(c.text.startswith("gA += gz1 ⊗ b = [1, 1] ⊗ [1, -1]") for c in outer.contributions)
    each = next(c.text for c in outer.contributions if c.text.startswith("gz1"))
    assert each == "gz1 += gf for each element = 1 for each element = [1, 1]"
    rows = autodiff.build("A = [[1, 2], [3, 4]]\nb = [1, 2]\nf = sum(A * b)")
    assert any("gb += sum(A ⊙ gz1, axis=0)" in c.text for c in rows.contributions)
    assert autodiff.build("x = 2\nf = -x").steps[0].text == "f = -x = -2"
    assert "gx = 1 · gy - 1 · gz1" not in "".join(c.text for c in autodiff.build(
        "x = 2\ny = x - x * 3").contributions)  # a negative term is subtracted
    assert "2·x · gf" in autodiff.build("x = 3\nf = x**2").contributions[0].text
    sig = autodiff.build("x = 2\nf = sigmoid(x)")
    assert "(sigmoid(x)·(1 - sigmoid(x))) · gf" in sig.contributions[0].text
    assert "σ" not in "".join(s.text for s in sig.steps)


def test_a_shown_nan_says_why():
    graph = autodiff.build("x = 100\nf = 1 / exp(x)", dtype="float32")
    text = graph.contributions[-1].text
    assert text.endswith("(exp(100) = ∞ in float32, so ∞ · 0 = NaN)"), text


IVERSON = re.compile(r"\[[^\]\[]*[≥≤<>][^\]\[]*\]")
"""A bracket around a comparison, `[x ≥ y]`: a notation no tutorial of the app uses."""


def test_branches_read_as_the_tutorials_write_them():
    """max, min and relu say `1 if x ≥ y, else 0`, and the numbers say which branch was taken
    and why (`(0 since 2 ≤ 4)`), in reverse and in forward mode."""
    lines = "\n".join(s.text for s in autodiff.build(by_slug("max").source).steps).splitlines()
    assert "gx += (1 if x ≥ y, else 0) · gf = (1 since 4 ≥ 2) · 1 = 1" in lines
    assert "gy += (1 if y > x, else 0) · gf = (0 since 2 ≤ 4) · 1 = 0" in lines
    low = autodiff.build("x = -1\nf = min(x, 2) * relu(x)")
    texts = "\n".join(s.text for s in low.steps)
    assert "gx += (1 if x > 0, else 0) · gz2 = (0 since (-1) ≤ 0) · (-1) = 0 so far" in texts
    assert "gx = (1 if x > 0, else 0) · gz2 + (1 if x ≤ 2, else 0) · gz1 = 0 + 0 = 0" in texts
    assert autodiff.build("x = -1\nf = min(x, 2)").contributions[0].text == (
        "gx += (1 if x ≤ 2, else 0) · gf = (1 since (-1) ≤ 2) · 1 = 1")
    rows = autodiff.build("v = [1, -2]\nf = sum(relu(v))")
    assert rows.contributions[-1].text == (
        "gv += (1 if v > 0, else 0) ⊙ gz1 = [1, 0] ⊙ [1, 1] = [1, 0]")
    tangent = autodiff.build(by_slug("max").source, forward="y")
    from autodiff.tangents import forward_view
    assert forward_view(tangent).steps[0].text.splitlines()[-1] == (
        "ḟ = (1 if y > x, else 0) · ẏ = (0 since 2 ≤ 4) · 1 = 0")


@pytest.mark.parametrize("name", sorted(OPS))
def test_no_rule_is_written_with_a_bracket_around_a_comparison(name):
    op = OPS[name]
    for text in (op.formula, *op.local_text, *op.vjp_text):
        assert not IVERSON.search(text), text
