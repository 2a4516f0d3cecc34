"""Practice mode: the blanks of each step, the checks, the hints, and what the server hides."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import autodiff
from autodiff import practice
from autodiff.errors import AutodiffError
from autodiff.examples import by_slug

REUSE = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
PROGRAMS = [by_slug(slug).source for slug in ("reuse", "circuit", "matvec", "gates")]


def hand_reuse() -> dict:
    """Every number of the reuse example, worked out by hand with the math module."""
    w1, w2 = 2.0, 1.5
    z1, z2 = 3 * w1, 3 * w1 + w2
    z3 = math.cos(z2)
    return {"z1": z1, "z2": z2, "z3": z3, "y": w1 * z3,
            "gw1_direct": z3, "gz3": w1, "gz2": -math.sin(z2) * w1,
            "gw1_through": 3 * -math.sin(z2) * w1}


def test_forward_blanks_want_the_hand_derived_values():
    graph, hand = autodiff.build(REUSE), hand_reuse()
    for k, label in enumerate(["z1", "z2", "z3", "y"], start=1):
        (ask,) = practice.asks(graph, k)
        assert ask.label == label and float(ask.answer) == pytest.approx(hand[label], rel=1e-15)
        assert practice.check(graph, k, [hand[label]]).all_correct


def test_backward_blanks_are_the_contributions_upstream_times_local():
    graph, hand = autodiff.build(REUSE), hand_reuse()
    assert [a.label for a in practice.asks(graph, 5)] == ["gy"]  # the seed
    assert practice.check(graph, 5, [1]).all_correct
    first, second = practice.asks(graph, 6)
    assert (first.label, second.label) == ("gw1 +=", "gz3 +=")
    assert (first.rule, second.rule) == ("z3", "w1")
    assert float(first.answer) == pytest.approx(hand["gw1_direct"])
    assert practice.check(graph, 6, [hand["gw1_direct"], hand["gz3"]]).correct == (True, True)
    (through,) = practice.asks(graph, 9)  # w1's second route, through z1 = 3 · w1
    assert float(through.answer) == pytest.approx(hand["gw1_through"], rel=1e-12)


@pytest.mark.parametrize("shown, right", [
    ("0.3466", True), (0.34664, True), ("0.3467", True), ("0.347", False), ("-0.3466", False),
])
def test_an_answer_to_the_four_digits_shown_is_right(shown, right):
    graph = autodiff.build(REUSE)
    assert practice.check(graph, 3, [shown]).all_correct is right


def test_wrong_answers_get_hints_that_name_the_rule_not_the_number():
    graph, hand = autodiff.build(REUSE), hand_reuse()
    sign = practice.check(graph, 7, [-hand["gz2"]]).hints[0]
    upstream = practice.check(graph, 7, [hand["gz3"]]).hints[0]
    other = practice.check(graph, 7, [123.0]).hints[0]
    assert sign == "check the sign of the local derivative"
    assert upstream.startswith("that is the upstream gradient gz3 alone")
    assert other == "upstream × local: gz3 times the local derivative of cos(z2) with respect to z2"
    for text in (sign, upstream, other):
        assert not re.search(r"\d\.\d", text)  # no number given away
    assert practice.check(graph, 1, [5]).hints == ("z1 = 3 · w1: put in the values of w1",)


def test_array_answers_are_checked_elementwise_and_by_shape():
    graph = autodiff.build(by_slug("matvec").source)  # A @ b, then sum
    (ask,) = practice.asks(graph, 1)
    assert ask.shape == (2,)
    assert practice.check(graph, 1, [[-1, -1]]).all_correct
    verdict = practice.check(graph, 1, [[-1, -1, 0]])
    assert not verdict.all_correct and "shape" in verdict.hints[0]


def test_the_gentler_level_offers_the_right_rule_among_others():
    graph = autodiff.build(REUSE)
    offered = practice.choices(graph, 7, 0)
    assert len(offered) == practice.CHOICES and len(set(offered)) == practice.CHOICES
    assert "-sin(z2)" in offered
    assert practice.choices(graph, 7, 0) == offered  # the same question on a reload
    assert practice.check(graph, 7, ["-sin(z2)"], "rules").all_correct
    assert "d cos(a)/da = -sin(a)" in practice.check(graph, 7, ["cos(z2)"], "rules").hints[0]


@pytest.mark.parametrize("answers", [["six"], [[1, "x"]], [None], [True], [{"a": 1}]])
def test_answers_that_are_not_numbers_say_so(answers):
    with pytest.raises(AutodiffError, match="must be a number"):
        practice.check(autodiff.build(REUSE), 1, answers)


def test_steps_out_of_range_and_answer_counts_are_refused():
    graph = autodiff.build(REUSE)
    with pytest.raises(AutodiffError, match="step must be from 1 to 9"):
        practice.asks(graph, 10)
    with pytest.raises(AutodiffError, match="2 blank"):
        practice.check(graph, 6, [1])


def numbers_of(graph: autodiff.Graph) -> set[str]:
    """Every value and gradient a student is asked for, as the page would print it."""
    from autodiff.format import number

    found = set()
    for k in range(1, len(graph.steps) + 1):
        for ask in practice.asks(graph, k):
            for x in np.ravel(ask.answer):
                if abs(x) not in (0.0, 1.0) and abs(x) > 1e-12:
                    found.add(number(abs(x)).lstrip("-"))
    return found


@pytest.mark.parametrize("src", PROGRAMS)
def test_the_practice_answer_holds_no_number_to_be_found(client, src):
    graph = autodiff.build(src)
    inputs = {number for n in graph.nodes if n.kind != "op" for number in
              map(str, np.ravel(n.value).tolist())}
    answer = client.get("/api/graph", query_string={"src": src, "mode": "practice"})
    assert answer.status_code == 200
    raw = answer.data.decode()
    body = json.loads(raw)
    hidden = {x for x in numbers_of(graph) if x not in {i.rstrip("0").rstrip(".") for i in inputs}}
    long_ones = {x for x in hidden if len(x) >= 3}  # short ones also stand in ids and sizes
    leaked = {x for x in long_ones if re.search(rf"(?<![\d.]){re.escape(x)}(?![\d])", raw)}
    assert not leaked, f"the answer shows {sorted(leaked)}"
    assert body["gradients"] == {} and "check" not in body and body["value"] == "?"
    assert all(s["text"] is None for s in body["steps"])
    for node in body["nodes"]:
        assert node["grad"] is None and node["display"]["grad"] is None
        if node["kind"] == "op":
            assert node["value"] == "?" and set(node["display"]["value"]) == {"?"}
    assert all(e["local"] is None for e in body["edges"])
    shown = re.findall(r'id="n(\d+)-[vg]\d+"[^>]*>([^<]*)<', body["layout"]["svg"])
    ops = {n.index for n in graph.nodes if n.kind == "op"}
    assert shown and all(text.strip() in ("", "&#183;") for i, text in shown if int(i) in ops)
    assert len(body["practice"]["questions"]) == len(graph.steps)


def test_a_right_answer_reveals_the_step_and_a_wrong_one_does_not(client):
    ask = {"src": REUSE, "step": 3}
    wrong = client.post("/api/practice/check", json={**ask, "answers": [0.5]}).get_json()
    assert wrong["correct"] == [False] and "reveal" not in wrong
    right = client.post("/api/practice/check", json={**ask, "answers": [0.3466]}).get_json()
    assert right["correct"] == [True]
    assert right["reveal"]["step"]["text"] == "z3 = cos(z2) = cos(7.5) = 0.3466"
    assert right["reveal"]["nodes"]["n5"]["value"] == pytest.approx(math.cos(7.5))
    shown = client.post("/api/practice/check", json={**ask, "show": True}).get_json()
    assert shown["reveal"] == right["reveal"] and "correct" not in shown


def test_the_last_backward_step_reveals_the_inputs_gradient(client):
    final = client.post("/api/practice/check", json={
        "src": REUSE, "step": 9, "show": True}).get_json()["reveal"]
    assert final["gradients"]["w1"] == pytest.approx(-5.2813645428134075, rel=1e-15)


def test_forward_values_can_be_given(client):
    body = client.get("/api/graph", query_string={
        "src": REUSE, "mode": "practice", "given": "values"}).get_json()
    assert body["practice"]["first_step"] == 5
    assert body["steps"][2]["text"] == "z3 = cos(z2) = cos(7.5) = 0.3466"
    assert body["steps"][5]["text"] is None and body["gradients"] == {}


@pytest.mark.parametrize("request_body, message", [
    ({"src": REUSE, "answers": [6]}, "give the step"),
    ({"src": REUSE, "step": 1, "answers": "6"}, "answers must be a list"),
    ({"src": REUSE, "step": 1, "answers": [6], "level": "hard"}, "level must be"),
    ({"src": "x = 1\nf = x +", "step": 1, "answers": [6]}, ""),
    ({"src": REUSE, "step": 1, "answers": [6], "forward": "w1"}, "practice mode is for reverse"),
])
def test_bad_checks_answer_400_with_a_reason(client, request_body, message):
    answer = client.post("/api/practice/check", json=request_body)
    assert answer.status_code == 400 and message in answer.get_json()["error"]["message"]


def test_a_bad_mode_is_refused(client):
    answer = client.get("/api/graph", query_string={"src": REUSE, "mode": "quiz"})
    assert answer.status_code == 400 and "mode must be one of" in answer.get_json()["error"]["message"]


def test_practice_mode_is_bounded(client):
    big = "x = 1.5\n" + "\n".join(f"y{i} = x * {i + 1}" for i in range(200)) + "\nf = " + \
        " + ".join(f"y{i}" for i in range(200))
    answer = client.get("/api/graph", query_string={"src": big, "mode": "practice"})
    assert answer.status_code == 400 and "at most 300 values" in answer.get_json()["error"]["message"]


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_the_page_and_the_embed_open_in_practice_mode(client, path):
    page = client.get(path, query_string={"src": REUSE, "mode": "practice"})
    html = page.data.decode()
    scripts = re.findall(r'<script type="module" src="([^"]+)"', html)
    assert page.status_code == 200 and len(scripts) == 1 and "/practice.js?v=" in scripts[0]
    assert ("practice-embedded" in html) == (path == "/embed")
    assert "0.3466" not in html


def test_practice_names_gradients_as_the_steps_do():
    """Beside a name `gx` the steps write ∇x, and so do the practice's prompts and blanks."""
    graph = autodiff.build("x = 2\ngx = 3\ny = x * gx")
    seed = next(k for k, s in enumerate(graph.steps, 1) if s.kind == "seed")
    assert practice.prompt(graph, seed).startswith("∇y = ?")
    assert [a.label for a in practice.asks(graph, seed + 1)] == ["∇x +=", "∇gx +="]
    assert "upstream ∇y × local" in practice.prompt(graph, seed + 1)
