"""Reverse or forward mode in the page: the switch, tangents on the graph, the URL, the embed."""

from __future__ import annotations

import pytest
from browser_support import page_url

from autodiff.examples import by_slug

pytestmark = pytest.mark.browser

REUSE = by_slug("reuse").source


def test_forward_mode_fills_values_and_tangents_step_by_step(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, REUSE, step=0))
    page.wait_for_selector("#graph svg g.node")
    page.select_option("#opt-mode", "w1")
    page.wait_for_selector("#graph svg.tangents")
    page.wait_for_function("() => location.hash.includes('mode=forward')")
    assert "forward=w1" in page.url
    assert page.inner_text("[data-step-counter]").strip().startswith("step 0 / 4")
    page.keyboard.press("End")
    page.wait_for_function("() => document.getElementById('step-text').textContent.includes('ẏ')")
    text = page.inner_text("#step-text")
    assert text.splitlines()[-1].endswith("= -5.281")
    assert page.text_content("#n6-g0").strip() == "-5.2814"  # y's tangent, in the gradient row
    cues = page.eval_on_selector_all("#graph .cue-grad", "els => els.map(e => e.textContent)")
    assert cues and set(cues) == {"ṫ"}
    compare = page.inner_text("#mode-compare")
    assert "∂y/∂w1 = -5.281, the same as reverse mode's gw1 = -5.281" in compare
    page.select_option("#opt-mode", "")  # back to reverse mode: gradients again
    page.wait_for_function("() => !document.querySelector('#graph svg.tangents')")
    page.close()


def test_a_forward_mode_link_opens_in_forward_mode_also_in_the_embed(live_app, chromium):
    page = chromium.new_page(viewport={"width": 800, "height": 450})
    page.goto(f"{live_app}/embed?" + page_url("", REUSE, mode="forward", forward="w2").split("?", 1)[1])
    page.wait_for_selector("#graph svg.tangents")
    page.close()
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, REUSE, step=4, mode="forward", forward="w2"))
    page.wait_for_selector("#graph svg.tangents")
    assert page.eval_on_selector("#opt-mode", "s => s.value") == "w2"
    page.close()
