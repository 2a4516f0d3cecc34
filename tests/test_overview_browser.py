"""The overview map: shown while the picture is zoomed in, the part on screen marked, a click
on it moves the picture there, and nothing moves unless asked."""

from __future__ import annotations

import os

import pytest
from browser_support import page_url

pytestmark = pytest.mark.browser

CHAIN = "\n".join(["x0 = 0.5", "w = 0.9"]
                  + [f"x{i} = tanh(x{i - 1} * w + {0.01 * i:.2f})" for i in range(1, 40)]
                  + ["y = x39 * x39"])
SHOTS = os.environ.get("SCREENSHOTS")


def _view_box(page) -> list[float]:
    return [float(v) for v in page.get_attribute("#graph > svg", "viewBox").split()]


def test_the_map_shows_when_zoomed_and_a_click_moves_the_picture_there(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, CHAIN, step=0))
    page.wait_for_selector("#graph svg g.node")
    assert page.is_hidden("#overview")  # all of the picture is on screen: no map
    for _ in range(3):
        page.click("#zoom-in")
    page.wait_for_selector("#overview", state="visible")
    page.uncheck("#follow")
    before = _view_box(page)
    page.keyboard.press("ArrowRight")  # with follow off, stepping with the map shown moves nothing
    page.keyboard.press("ArrowRight")
    assert _view_box(page) == before
    box = page.locator("#overview").bounding_box()
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "overview-before.png"))
    page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)  # the far end
    after = _view_box(page)
    assert after[2:] == before[2:]  # the same zoom, moved
    centre = (after[0] + after[2] / 2, after[1] + after[3] / 2)
    assert centre[0] > before[0] + before[2] / 2 and centre[1] > before[1] + before[3] / 2
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "overview-after.png"))
    page.click("#zoom-fit")
    page.wait_for_selector("#overview", state="hidden")
    page.close()


def test_the_arrow_keys_move_the_picture_while_the_map_has_the_focus(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, CHAIN, step=3))
    page.wait_for_selector("#graph svg g.node")
    for _ in range(3):
        page.click("#zoom-in")
    page.wait_for_selector("#overview", state="visible")
    before = _view_box(page)
    counter = page.inner_text("[data-step-counter]")
    page.focus("#overview")
    page.keyboard.press("ArrowRight")
    moved = _view_box(page)
    assert moved[0] > before[0] and moved[1] == before[1] and moved[2:] == before[2:]
    page.keyboard.press("ArrowDown")
    assert _view_box(page)[1] > moved[1]
    assert page.inner_text("[data-step-counter]") == counter  # the keys moved, not stepped
    page.locator("#graph").click()  # the focus back on the picture: the arrows step again
    page.keyboard.press("ArrowRight")
    assert page.inner_text("[data-step-counter]") != counter
    page.close()


LABELS_ON_SCREEN = """() => [...document.querySelectorAll('#graph g.node')]
  .filter(g => { const r = g.getBoundingClientRect(), p = document.getElementById('graph').getBoundingClientRect();
                 return r.width && r.right > p.left && r.left < p.right && r.bottom > p.top && r.top < p.bottom; })
  .map(g => g.querySelector('.label')?.textContent || '')"""


def _indices(page) -> list[int]:
    return [int(t[1:]) for t in page.evaluate(LABELS_ON_SCREEN) if t[:1] == "h" and t[1:].isdigit()]


def test_a_long_chain_is_folded_on_the_map_and_a_click_on_a_fold_goes_there(live_app, chromium):
    source = "h0 = 0.1\n" + "\n".join(f"h{i} = tanh(h{i - 1}) * 0.5" for i in range(1, 401))
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector("#graph svg.graph-sketch", timeout=60_000)
    page.fill("#find-name", "h200")
    page.press("#find-name", "Enter")
    page.wait_for_selector("#overview", state="visible")
    page.uncheck("#follow")
    box = page.locator("#overview").bounding_box()
    assert box["width"] == 180 and box["height"] >= 60  # rows of the chain, not a 24 px strip
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] - 2)  # the last row's start
    page.wait_for_timeout(300)
    late = _indices(page)
    assert late and min(late) > 300, late
    page.mouse.click(box["x"] + 3, box["y"] + 4)  # the first row's start: the chain's start
    page.wait_for_timeout(300)
    early = _indices(page)
    assert early and max(early) < 40, early
    page.close()
