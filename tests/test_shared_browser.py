"""A leaf used on every line, stepped in the page: its gradient arrives through each docked
copy in turn and sums on the leaf itself."""

from __future__ import annotations

import pytest
from browser_support import page_url

import autodiff

pytestmark = pytest.mark.browser

STEPS = 6
"""Lines of the unrolled network: more uses of `w` than `dot.SHARED_USES`, so it has copies."""


def rnn(weights: list[float]) -> str:
    """`h{i} = tanh(h{i-1} * w{i} + x{i} * u)`; with every weight the same, one shared `w`."""
    shared = len(set(weights)) == 1
    lines = [f"w = {weights[0]}", "u = 0.3", "h0 = 0.1"]
    for i in range(1, STEPS + 1):
        w = "w" if shared else str(weights[i - 1])
        lines += [f"x{i} = {0.1 * i:g}", f"h{i} = tanh(h{i - 1} * {w} + x{i} * u)"]
    return "\n".join(lines + [f"f = h{STEPS}"])


def use_gradients() -> list[float]:
    """∂f/∂w through each use alone, by central differences with that one use moved."""
    h, w = 1e-6, 0.5
    out = []
    for i in range(STEPS):
        up, down = ([w] * STEPS for _ in range(2))
        up[i], down[i] = w + h, w - h
        out.append(float(autodiff.build(rnn(up)).value - autodiff.build(rnn(down)).value) / (2 * h))
    return out


STEP_THROUGH = """(w) => {
  const next = document.querySelector('[data-step-action=next]');
  const seen = [];
  for (let k = 0; k < 400 && !next.disabled; k++) {
    next.click();
    const active = [...document.querySelectorAll('#graph g.edge.active.backward')];
    const copies = active.filter(e => document.getElementById(e.id + '-copy'));
    if (!copies.length) continue;
    const use = copies[0].querySelector('title').textContent;
    const copy = document.getElementById(copies[0].id + '-copy').getBoundingClientRect();
    seen.push({edges: copies.map(e => e.id), use, copy: [copy.left, copy.top, copy.width],
               grad: document.getElementById(`n${w}-g0`).textContent.trim(),
               classes: document.getElementById(`n${w}`).getAttribute('class')});
  }
  return seen;
}"""


def test_the_gradient_of_a_shared_weight_arrives_from_every_use_and_sums(live_app, chromium):
    source = rnn([0.5] * STEPS)
    w = autodiff.build(source).input_node("w").index
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector("#graph svg g.node")
    assert page.locator("#graph g.copy").count() == 2 * STEPS  # w and u beside each use
    w_steps = [s for s in page.evaluate(STEP_THROUGH, w) if s["use"].startswith("w →")]
    # Backward, from the last line to the first: one step per use, each adding its share.
    assert len(w_steps) == STEPS
    assert all(len(s["edges"]) == 1 for s in w_steps)
    assert len({s["edges"][0] for s in w_steps}) == STEPS
    shares = use_gradients()[::-1]
    total = 0.0
    for step, share in zip(w_steps, shares):
        total += share
        assert float(step["grad"]) == pytest.approx(total, rel=1e-3, abs=1e-6)
    assert "grad-partial" in w_steps[0]["classes"] and "grad-final" in w_steps[-1]["classes"]
    assert all(s["copy"][2] > 0 for s in w_steps)  # each copy is drawn
    page.close()
