"""In the browser: time from a key press to the next painted frame, measured in Chromium.

A real key press goes through Playwright; the page's own listeners step the picture. The
time is taken from a capturing `keydown` listener to the first animation frame after it plus
a task (the frame's style, layout and paint are done by then).
"""

from __future__ import annotations

import logging
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import VIEWPORT, launch, live_server, page_url, wait_for_graph  # noqa: E402
from programs import with_nodes  # noqa: E402

PROBE = """() => {
  window.__latencies = [];
  document.addEventListener('keydown', () => {
    const start = performance.now();
    requestAnimationFrame(() => setTimeout(() => window.__latencies.push(performance.now() - start)));
  }, {capture: true});
}"""

PRESSES = 60


def measure(page, base: str, source: str, key: str) -> tuple[int, list[float]]:
    """Nodes drawn and the latencies of PRESSES presses of `key`, one at a time."""
    page.goto(page_url(base, source, 0))
    wait_for_graph(page, timeout=120_000)
    page.evaluate(PROBE)
    page.locator("#graph").click()  # focus leaves the editor, so keys step
    for i in range(PRESSES):
        page.keyboard.press(key)
        page.wait_for_function("n => window.__latencies.length >= n", arg=i + 1)
    return page.locator("#graph svg g.node").count(), page.evaluate("window.__latencies")


def run(table) -> None:
    """Print the table of key-press-to-paint latencies at 20, 200 and 1,000 nodes."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log in the figures
    rows = []
    with live_server() as base, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport=VIEWPORT)
        for n in (20, 200, 1000):
            # The floor: a key the page ignores still waits for Chromium's next frame.
            _, floor = measure(page, base, with_nodes(n), "Shift")
            nodes, times = measure(page, base, with_nodes(n), "ArrowRight")
            times.sort()
            rows.append([str(nodes), f"{statistics.median(times):.1f} ms",
                         f"{times[int(len(times) * 0.95)]:.1f} ms", f"{times[-1]:.1f} ms",
                         f"{statistics.median(floor):.1f} ms",
                         f"{statistics.median(times) - statistics.median(floor):+.1f} ms"])
        browser.close()
    table("In the browser: key press to painted frame (target ≤ 16 ms at 200 nodes)",
          ["nodes", "median", "p95", "max", "ignored key (floor)", "median − floor"], rows)
