"""Composite gates in the page: one click expands or collapses them, the address keeps it."""

from __future__ import annotations

import os

import pytest
from browser_support import page_url

from autodiff.examples import by_slug

pytestmark = pytest.mark.browser

SIGMOID = by_slug("sigmoid").source
SHOTS = os.environ.get("SCREENSHOTS")
"""A folder to keep the test's screenshots in, to look at them (unset: none are taken)."""


def _ops(page) -> list[str]:
    """The op marks of the picture's nodes, left to right as the answer lists them."""
    return page.eval_on_selector_all("#graph svg g.node", "gs => gs.map(g => g.id)")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"))


def test_one_click_expands_the_sigmoid_gate_and_another_collapses_it(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, SIGMOID))
    page.wait_for_selector("#graph svg g.node")
    assert len(_ops(page)) == 2
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('step-text').textContent"
                           ".includes('sigmoid gate')")
    assert "local derivative s·(1 - s) = 0.8808·(1 - 0.8808) = 0.105" in page.inner_text("#step-text")
    _shot(page, "sigmoid-collapsed")
    page.click("#opt-expand")
    page.wait_for_function("() => document.querySelectorAll('#graph svg g.node').length === 8")
    page.wait_for_function("() => location.hash.includes('expand=all')")
    assert page.inner_text("[data-step-counter]").startswith("step 9 / 9")  # still the end
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('step-text').textContent"
                           ".startsWith('z1 = x · (-1)')")
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('step-text').textContent"
                           ".startsWith('mul swaps')")
    assert page.inner_text("#step-text").splitlines()[-1] == "gx += -1 · gz1 = -1 · (-0.105) = 0.105"
    _shot(page, "sigmoid-expanded")
    reopened = page.url
    page.click("#opt-expand")
    page.wait_for_function("() => document.querySelectorAll('#graph svg g.node').length === 2")
    page.wait_for_function("() => !location.hash.includes('expand=')")
    page.close()

    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(reopened)  # the address opens the graph expanded, the box ticked
    page.wait_for_function("() => document.querySelectorAll('#graph svg g.node').length === 8")
    assert page.is_checked("#opt-expand")
    page.close()


def test_the_box_is_offered_only_where_there_is_a_gate_to_expand(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, by_slug("reuse").source))
    page.wait_for_selector("#graph svg g.node")
    assert page.is_disabled("#opt-expand")
    page.select_option("#gallery", "softmax")
    page.wait_for_function("() => !document.getElementById('opt-expand').disabled")
    page.close()


def test_the_embed_takes_expand_from_its_address(live_app, chromium):
    page = chromium.new_page(viewport={"width": 800, "height": 450})
    query = page_url("", SIGMOID, expand="all").split("?", 1)[1]
    page.goto(f"{live_app}/embed?{query}")
    page.wait_for_function("() => document.querySelectorAll('#graph svg g.node').length === 8")
    page.close()


def test_an_rnn_cell_steps_as_one_gate_then_expanded(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, by_slug("rnn").source))
    page.wait_for_selector("#graph svg g.node")
    assert len(_ops(page)) == 13
    assert page.is_enabled("#opt-expand")
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('step-text').textContent"
                           ".startsWith('cell gate (lines 3–4) in one step')")
    text = page.inner_text("#step-text")
    gw = next(line for line in text.splitlines() if line.startswith("gw = "))
    assert gw.startswith("gw = ∂h3/∂w · gh3 + ∂h2/∂w · gh2 + ∂h1/∂w · gh1")
    assert gw.endswith("= -0.1972")  # summed over the three cells
    _shot(page, "rnn-collapsed")
    page.click("#opt-expand")  # every cell, and the tanh inside each, as primitives
    page.wait_for_function("() => document.querySelectorAll('#graph svg g.node').length === 43")
    page.wait_for_function("() => document.getElementById('step-text').textContent"
                           ".includes('gw = h2 · gz15 + h1 · gz8 + h0 · gz1')")
    assert page.inner_text("#step-text").splitlines()[-1].endswith("= -0.1972")
    _shot(page, "rnn-expanded")
    page.close()


TWO_GATES = "x = 0.5\nw = 2\ny = sigmoid(w * x) + tanh(x)"
OP_MARKS = "() => [...document.querySelectorAll('#graph text[id$=-op]')].map(t => t.textContent)"
COUNT = "n => document.querySelectorAll('#graph svg g.node').length === n"


def _gate(page, mark: str) -> str:
    """The id of the node whose op mark is `mark`."""
    return page.evaluate("""m => [...document.querySelectorAll('#graph g.node')]
      .find(g => (g.querySelector('[id$=-op]') || {}).textContent === m).id""", mark)


def test_a_double_click_expands_that_kind_of_gate_only(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, TWO_GATES))
    page.wait_for_function(COUNT, arg=6)
    page.dblclick(f"#graph g.node#{_gate(page, 'sigmoid')}")
    page.wait_for_function("() => location.hash.includes('expand=sigmoid')")
    page.wait_for_function(COUNT, arg=12)  # sigmoid as ×-1, exp, +1, 1/x; tanh one gate still
    assert page.is_checked("#opt-expand")
    assert "tanh" in page.evaluate(OP_MARKS) and "exp" in page.evaluate(OP_MARKS)
    page.dblclick(f"#graph g.node#{_gate(page, 'tanh')}")
    page.wait_for_function("() => /expand=sigmoid(,|%2C)tanh/.test(location.hash)")
    page.wait_for_function(COUNT, arg=19)
    page.click("#opt-expand")  # unticked: every gate is one again
    page.wait_for_function("() => !location.hash.includes('expand=')")
    page.wait_for_function(COUNT, arg=6)
    page.close()
