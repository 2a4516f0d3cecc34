"""Finding one's way in a large graph: fit, follow while stepping, find a value by name."""

from __future__ import annotations

import io

import numpy as np
import pytest
from browser_support import GRAPH_DRAWN as DRAWN
from browser_support import page_url
from PIL import Image, ImageChops

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def chain(lines: int) -> str:
    """A plain chain: `h{i} = tanh(h{i-1}) * 0.5`, three values a line."""
    return "h0 = 0.1\n" + "\n".join(f"h{i} = tanh(h{i - 1}) * 0.5" for i in range(1, lines + 1))


INSIDE = """() => {
  // What is drawn: the node groups on screen, or the sketch of a picture too small to read.
  const panel = document.getElementById('graph').getBoundingClientRect();
  const drawn = (el) => el.getClientRects().length > 0;
  const groups = [...document.querySelectorAll('#graph g.node')].filter(drawn);
  const sketch = document.querySelector('#graph svg.graph-sketch');
  const sketched = sketch && drawn(sketch);
  const shapes = sketched ? [...sketch.querySelectorAll('.sketch-nodes')] : groups;
  const boxes = shapes.map(el => el.getBoundingClientRect());
  const left = Math.min(...boxes.map(b => b.left)), right = Math.max(...boxes.map(b => b.right));
  const top = Math.min(...boxes.map(b => b.top)), bottom = Math.max(...boxes.map(b => b.bottom));
  return {count: sketched ? Number(sketch.dataset.nodes) : groups.length, sketched,
    inside: left >= panel.left - 0.5 && right <= panel.right + 0.5
      && top >= panel.top - 0.5 && bottom <= panel.bottom + 0.5};
}"""

FOLLOWED = """(steps) => {
  // The current node as drawn: its group, or the sketch's mark; a group not drawn is outside.
  const panel = document.getElementById('graph').getBoundingClientRect();
  const next = document.querySelector('[data-step-action=next]');
  const outside = [];
  for (let k = 1; k <= steps; k++) {
    next.click();
    const sketch = document.querySelector('#graph svg.graph-sketch');
    const g = sketch && sketch.getClientRects().length ? sketch.querySelector('.sketch-current')
      : document.querySelector('#graph g.node.current');
    const b = g ? g.getBoundingClientRect() : {left: 0, right: 0, top: 0, bottom: 0};
    if (!b.width || b.left < panel.left || b.right > panel.right || b.top < panel.top
        || b.bottom > panel.bottom) {
      outside.push(k);
    }
  }
  return outside;
}"""


def test_fit_shows_the_whole_of_a_1201_value_chain(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, chain(400), step=0))
    page.wait_for_selector(DRAWN, timeout=60_000)
    page.click("#zoom-in")
    page.click("#zoom-fit")
    found = page.evaluate(INSIDE)
    assert found == {"count": 1201, "sketched": True, "inside": True}
    page.close()


def test_follow_keeps_the_current_node_in_view_at_every_step_when_zoomed_in(live_app, chromium):
    source = chain(333)  # 1,000 values
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector(DRAWN, timeout=60_000)
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
    page.wait_for_selector(DRAWN, timeout=60_000)
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


DRAWN_NODES = """() => [...document.querySelectorAll('#graph g.node')]
  .filter(g => g.getClientRects().length).map(g => ({
    id: g.id,
    values: [...g.querySelectorAll('text.val')].map(t => t.textContent),
    grads: [...g.querySelectorAll('text.grad')].map(t => t.textContent),
  }))"""


def test_a_large_picture_is_sketched_until_it_can_be_read_then_made_where_it_is_seen(live_app, chromium):
    source = chain(333)  # 1,000 values: too small to read when the whole chain fits
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector("#graph svg.graph-sketch", timeout=60_000)
    assert page.locator("#graph g.node").count() == 0  # nothing of the detail parsed yet
    page.fill("#find-name", "h200")
    page.press("#find-name", "Enter")
    page.wait_for_function("() => document.getElementById('find-status').textContent !== ''")
    assert not page.locator("#graph svg.graph-sketch").is_visible()
    made = page.locator("#graph g.node").count()
    assert 0 < made < 300  # the parts around h200, not the whole picture
    assert page.eval_on_selector("#graph g.node.current", "g => g.querySelector('.label').textContent") == "h200"
    page.close()


def test_parts_made_late_show_the_state_of_the_step_on_screen(live_app, chromium):
    source = chain(333)
    answer = chromium.new_page()
    data = answer.request.post(f"{live_app}/api/graph", data={"src": source}).json()
    answer.close()
    nodes = {n["id"]: n for n in data["nodes"]}
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector("#graph svg.graph-sketch", timeout=60_000)
    page.click("[data-step-action=last]")  # every gradient final, while only the sketch is drawn
    for _ in range(20):
        page.click("#zoom-in")  # follow keeps the last step's node in view as parts are made
    drawn = page.evaluate(DRAWN_NODES)
    assert len(drawn) >= 3
    for node in drawn:
        want = nodes[node["id"]]["display"]
        assert node["values"] == want["value"], node
        assert node["grads"] == (want["grad"] or []), node  # a constant has no gradient row
    page.close()


PARTS_AND_WHOLE = """async (text) => {
  const { GraphView } = await import('./static/graphview.js');
  const views = [Infinity, 0].map((detailChars, i) => {
    const box = document.createElement('div');
    box.className = 'graph';
    box.id = `compare-${i}`;
    box.style.cssText = `position: fixed; z-index: 100; left: ${i * 620}px; top: 0; width: 600px; height: 400px; background: white`;
    document.body.appendChild(box);
    const view = new GraphView(box);
    view.detailChars = detailChars;
    view.setSvg(text);
    view.focus('n150');
    return view;
  });
  return views.map(v => [v.parts ? v.parts.length : 0, v.shown.length]);
}"""


def test_a_picture_made_part_by_part_draws_what_the_whole_picture_draws(live_app, chromium):
    source = chain(100)
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector(DRAWN, timeout=60_000)
    svg = page.request.post(f"{live_app}/api/graph", data={"src": source}).json()["layout"]["svg"]
    (whole, _), (parts, shown) = page.evaluate(PARTS_AND_WHOLE, svg)
    assert whole == 0 and parts > 5 and 0 < shown < parts
    first = Image.open(io.BytesIO(page.locator("#compare-0").screenshot())).convert("RGB")
    second = Image.open(io.BytesIO(page.locator("#compare-1").screenshot())).convert("RGB")
    # The same shapes and texts at the same places: layers cut elsewhere are snapped to
    # pixels elsewhere, which moves an edge's anti-aliasing by a shade, never more.
    difference = np.asarray(ImageChops.difference(first, second)).max(axis=2)
    assert difference.max() <= 32 and (difference > 0).mean() < 0.01
    page.close()


SKETCH_COUNTS = """() => {
  const boxes = (cls) => (document.querySelector(`#graph svg.graph-sketch .${cls}`)
    .getAttribute('d') || '').split('M').length - 1;
  return {valued: boxes('sketch-valued'), final: boxes('sketch-final')};
}"""


def test_the_sketch_shows_how_far_the_passes_have_come(live_app, chromium):
    source = chain(333)
    request = chromium.new_page()
    nodes = request.request.post(f"{live_app}/api/graph", data={"src": source}).json()["nodes"]
    request.close()
    known = sum(n["kind"] in ("input", "const") for n in nodes)
    with_gradient = sum(n["display"]["grad"] is not None for n in nodes)
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector("#graph svg.graph-sketch", timeout=60_000)
    assert page.evaluate(SKETCH_COUNTS) == {"valued": known, "final": 0}
    page.click("[data-step-action=last]")
    assert page.evaluate(SKETCH_COUNTS) == {"valued": len(nodes), "final": with_gradient}
    page.keyboard.press("Home")
    for _ in range(10):
        page.keyboard.press("ArrowRight")  # each forward step makes one more value known
    assert page.evaluate(SKETCH_COUNTS) == {"valued": known + 10, "final": 0}
    page.close()


TROUBLE_RING = """() => {
  const ring = document.querySelector('#graph svg.graph-sketch .sketch-trouble');
  if (!ring.getAttribute('d')) return null;
  const screen = ring.getBoundingClientRect();
  const units = ring.getBBox();
  return {screen: [screen.width, screen.height], units: [units.x, units.y, units.width, units.height]};
}"""


def test_the_sketch_rings_where_a_nan_first_arose(live_app, chromium):
    lines = chain(333).split("\n")
    lines[200] = "h200 = log(h199 - 1) * 0.5"  # h199 < 1: the log of a negative number
    source = "\n".join(lines)
    request = chromium.new_page()
    data = request.request.post(f"{live_app}/api/graph", data={"src": source}).json()
    request.close()
    trouble = data["problems"][0]["node"]
    assert next(n for n in data["nodes"] if n["id"] == trouble)["op"] == "log"
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(live_app, source, step=0))
    page.wait_for_selector("#graph svg.graph-sketch", timeout=60_000)
    ring = page.evaluate(TROUBLE_RING)
    assert ring is not None and min(ring["screen"]) >= 20  # seen at the fitted zoom
    page.fill("#find-name", "h200")  # zoomed in: the picture's own groups, the node marked
    page.press("#find-name", "Enter")
    page.wait_for_function("() => document.getElementById('find-status').textContent !== ''")
    node = page.locator(f'#graph g.node.trouble[id="{trouble}"]')
    assert node.count() == 1
    box = node.evaluate("g => { const b = g.getBBox(); return [b.x, b.y, b.width, b.height]; }")
    rx, ry, rw, rh = ring["units"]
    x, y, w, h = box
    assert abs((rx + rw / 2) - (x + w / 2)) < 2 and abs((ry + rh / 2) - (y + h / 2)) < 2
    assert rw >= w - 1 and rh >= h - 1  # around the node's box, not beside it
    page.close()
