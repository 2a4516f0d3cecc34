"""Practice mode in Chromium: nothing given away before it is earned; checks, hints, summary."""

from __future__ import annotations

import json
import re

import pytest
from browser_support import page_url

import autodiff
from autodiff.examples import by_slug
from autodiff.format import number

pytestmark = pytest.mark.browser

SLUGS = ("reuse", "circuit", "gates")


def gradient_texts(src: str) -> set[str]:
    """Every gradient and non-input value of the program as the page would print it (4 and 6
    significant digits), leaving out numbers also written in the program."""
    graph = autodiff.build(src)
    written = set(re.findall(r"\d+(?:\.\d+)?", src))
    found = set()
    for node in graph.nodes:
        numbers = [] if node.grad is None else [float(node.grad)]
        if node.kind == "op":
            numbers.append(float(node.value))
        for x in numbers:
            for text in (number(x), f"{x:.6g}"):
                bare = text.lstrip("-")
                if bare not in written and bare not in ("0", "1"):
                    found.add(bare)
    return found


@pytest.mark.parametrize("slug", SLUGS)
def test_nothing_to_find_is_in_the_page_or_its_answers_before_it_is_earned(server, browser, slug):
    src = by_slug(slug).source
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    bodies = []
    page.on("response", lambda r: bodies.append(r.text()) if "/api/" in r.url else None)
    page.goto(page_url(server, src, mode="practice"))
    page.wait_for_selector("#blank-0")
    page.wait_for_timeout(200)
    secret = gradient_texts(src)
    shown = "\n".join([page.inner_text("#graph"), page.inner_text("#question"), page.title(),
                       *page.eval_on_selector_all("#graph [title], #graph title",
                                                  "els => els.map(e => e.textContent)")])
    assert bodies, "the page fetched no answer"
    answers = [json.loads(b) for b in bodies]
    for answer in answers:  # the picture's own texts, not its coordinates
        svg = answer.get("layout", {}).get("svg") or ""
        answer["layout"] = re.findall(r">([^<>]*)</text>", svg)
    for text in secret:
        pattern = rf"(?<![\d.]){re.escape(text)}(?![\d.])"
        assert not re.search(pattern, shown), f"{text} is on the page before it is answered"
        if len(text) < 3:
            continue  # short numbers also stand for ids, lines and counts in the JSON
        for answer in answers:
            dumped = json.dumps(answer, ensure_ascii=False)
            assert not re.search(pattern, dumped), f"{text} is in a response before it is answered"
    page.close()


def test_a_right_answer_reveals_and_scores_a_wrong_one_hints_and_the_summary_counts(server, browser):
    src = by_slug("reuse").source
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(server, src, mode="practice"))
    page.wait_for_selector("#blank-0")
    page.fill("#blank-0", "5")
    page.keyboard.press("Enter")
    page.wait_for_selector(".practice-wrong")
    assert "put in the values of w1" in page.inner_text("#feedback")
    assert page.inner_text("#score") == "0 right"
    page.fill("#blank-0", "6")
    page.keyboard.press("Enter")
    page.wait_for_selector(".practice-right")
    assert page.inner_text("#score") == "1 right"
    assert page.inner_text("#step-text") == "z1 = 3 · w1 = 3 · 2 = 6"
    assert page.text_content("#n3-v0").strip() == "6"  # the graph shows the value found
    page.keyboard.press("ArrowRight")  # on to step 2, typed right at the first try
    page.wait_for_function("() => document.getElementById('question-prompt').textContent.startsWith('z2')")
    page.fill("#blank-0", "7.5")
    page.keyboard.press("Enter")
    page.wait_for_selector(".practice-right")
    for _ in range(7):  # the rest: shown
        page.keyboard.press("ArrowRight")
        page.click("#show")
        page.wait_for_selector(".practice-shown")
    assert "-5.2814" in page.inner_text("#graph")  # w1's gradient once its last step is shown
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#summary:not([hidden])")
    summary = page.inner_text("#summary")
    assert "1 of 9 steps right at the first try; 8 needed hints or the answer" in summary
    assert "step 1: z1 = 3 · w1 = ? — 2 tries" in summary
    page.close()


def test_the_gentler_level_picks_rules_with_the_keyboard(server, browser):
    src = by_slug("reuse").source
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(server, src, mode="practice", level="rules", given="values"))
    page.wait_for_selector("#blank-0")  # the seed: forward values are given
    assert page.inner_text("#question-prompt").startswith("gy = ?")
    assert "0.693271" in page.inner_text("#graph")
    page.fill("#blank-0", "1")
    page.keyboard.press("Enter")
    page.wait_for_selector(".practice-right")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("input[type=radio]")
    page.check("input[name=blank-0][value='z3']")
    offered = page.eval_on_selector_all("input[name=blank-1]", "els => els.map(e => e.value)")
    assert "w1" in offered and len(offered) == 4
    page.check(f"input[name=blank-1][value='{next(v for v in offered if v != 'w1')}']")
    page.keyboard.press("Enter")
    page.wait_for_selector(".practice-wrong")
    assert "gz3 += not yet" in page.inner_text("#feedback")
    page.check("input[name=blank-1][value='w1']")
    page.keyboard.press("Enter")
    page.wait_for_selector(".practice-right")
    page.close()
