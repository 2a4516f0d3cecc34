"""Finding one's way in a large graph: fit, follow while stepping, find a value by name."""

from __future__ import annotations

import pytest
from browser_support import page_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def chain(lines: int) -> str:
    """A plain chain: `h{i} = tanh(h{i-1}) * 0.5`, three values a line."""
    return "h0 = 0.1\n" + "\n".join(f"h{i} = tanh(h{i - 1}) * 0.5" for i in range(1, lines + 1))


INSIDE = """() => {
  const panel = document.getElementById('graph').getBoundingClientRect();
  const boxes = [...document.querySelectorAll('#graph g.node')].map(g => g.getBoundingClientRect());
  const left = Math.min(...boxes.map(b => b.left)), right = Math.max(...boxes.map(b => b.right));
  const top = Math.min(...boxes.map(b => b.top)), bottom = Math.max(...boxes.map(b => b.bottom));
  return {count: boxes.length, inside: left >= panel.left - 0.5 && right <= panel.right + 0.5
    && top >= panel.top - 0.5 && bottom <= panel.bottom + 0.5};
}"""

FOLLOWED = """(steps) => {
  const panel = document.getElementById('graph').getBoundingClientRect();
  const next = document.querySelector('[data-step-action=next]');
  const outside = [];
  for (let k = 1; k <= steps; k++) {
    next.click();
    const g = document.querySelector('#graph g.node.current');
    const b = g.getBoundingClientRect();
    if (b.left < panel.left || b.right > panel.right || b.top < panel.top || b.bottom > panel.bottom) {
      outside.push(k);
    }
  }
  return outside;
}"""


def test_fit_shows_the_whole_of_a_1201_value_chain(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, chain(400), step=0))
    page.wait_for_selector("#graph svg g.node", timeout=60_000)
    page.click("#zoom-in")
    page.click("#zoom-fit")
    found = page.evaluate(INSIDE)
    assert found["count"] == 1201 and found["inside"]
    page.close()


def test_follow_keeps_the_current_node_in_view_at_every_step_when_zoomed_in(live_app, chromium):
    source = chain(333)  # 1,000 values
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector("#graph svg g.node", timeout=60_000)
    steps = int(page.inner_text("[data-step-counter]").split("/")[1].split("·")[0])
    for _ in range(12):
        page.click("#zoom-in")
    assert page.evaluate(FOLLOWED, steps) == []
    page.uncheck("#follow")  # nothing moves unless the person asks
    page.click("[data-step-action=first]")
    assert len(page.evaluate(FOLLOWED, 40)) > 0
    page.close()


def test_find_by_name_jumps_to_the_step_that_computes_the_value(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, chain(100), step=0))
    page.wait_for_selector("#graph svg g.node", timeout=60_000)
    page.fill("#find-name", "h50")
    page.press("#find-name", "Enter")
    page.wait_for_function("() => document.getElementById('find-status').textContent !== ''")
    # h50 = tanh(h49) * 0.5: two steps a line, so the step computing h50 is 100
    assert page.inner_text("#find-status") == "step 100"
    assert page.inner_text("[data-step-counter]").startswith("step 100 /")
    current = page.eval_on_selector("#graph g.node.current", "g => g.querySelector('[id$=-label]').textContent")
    assert current == "h50"
    box = page.eval_on_selector("#graph g.node.current", "g => g.getBoundingClientRect().width")
    assert box > 60  # zoomed in far enough to read it
    page.fill("#find-name", "nope")
    page.press("#find-name", "Enter")
    page.wait_for_function("() => document.getElementById('find-status').textContent.startsWith('no value')")
    page.close()
