"""Gradient descent in the page: the engine's points, the loss curve, divergence, the URL."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from browser_support import page_url

pytestmark = pytest.mark.browser

SQUARE = "x = 3\nf = (x - 1)**2"


def open_descent(page, base, **query):
    page.goto(page_url(base, SQUARE, **query))
    page.wait_for_selector("#graph svg g.node")
    page.click("#tab-descent")


def table(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#descent-table tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")


def test_one_update_shows_the_engines_point_and_twenty_make_the_loss_fall(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    answers = []
    page.on("response", lambda r: answers.append(r) if r.url.endswith("/api/graph") else None)
    open_descent(page, live_app)
    page.click("#descent-one")
    page.wait_for_selector("#descent-table tr")
    assert page.inner_text("#descent-text").splitlines()[0] == "x ← x − η · gx = 3 − 0.1 · 4 = 2.6"
    body = json.loads(answers[-1].text())
    assert body["descent"][1]["inputs"]["x"] == 2.6  # the number shown came from the server
    page.fill("#descent-count", "19")
    page.click("#descent-run")
    page.wait_for_function("() => document.querySelectorAll('#descent-table tr').length === 22")
    values = [float(row[1]) for row in table(page)[1:]]
    assert all(b < a for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(4 * 0.64**20, rel=1e-3)
    assert page.locator("#descent-curve polyline").count() == 1
    page.wait_for_function("() => location.hash.includes('updates=20')")
    query = parse_qs(urlparse(page.url).fragment)  # the address carries the state in #...
    assert query["lr"] == ["0.1"] and query["updates"] == ["20"]
    page.close()


def test_a_shared_link_restores_the_run_and_a_large_rate_says_it_diverged(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    open_descent(page, live_app, lr="5", updates="400")
    page.wait_for_selector("#descent-status.bad")
    status = page.inner_text("#descent-status")
    assert status.startswith("Diverged at update") and "η = 5 is too large" in status
    assert page.locator("#descent-curve .diverged").count() == 1
    assert page.locator("#descent-table tr.diverged").count() == 1
    page.close()


def test_u_makes_one_more_update_and_apply_writes_the_point_into_the_program(live_app, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    open_descent(page, live_app)
    page.locator("#graph").click()
    page.keyboard.press("u")
    page.keyboard.press("u")
    page.wait_for_function("() => document.querySelectorAll('#descent-table tr').length === 4")
    page.click("#descent-apply")
    page.wait_for_function("() => document.getElementById('source').value.startsWith('x = 2.28')")
    page.close()


def test_the_embed_shows_a_run_from_its_address(live_app, chromium):
    page = chromium.new_page(viewport={"width": 800, "height": 600})
    query = page_url("", SQUARE, lr="0.1", updates="20").split("?", 1)[1]
    page.goto(f"{live_app}/embed?{query}")
    page.wait_for_selector("#descent:not([hidden]) svg.loss-curve polyline")
    last = f"{4 * 0.64**20:.4g}"  # the closed form of the 20th point: 4 · 0.64^20
    assert page.inner_text("#descent-summary") == f"20 updates with η = 0.1: f 4 → {last}"
    page.goto(f"{live_app}/embed?{page_url('', SQUARE).split('?', 1)[1]}")
    page.wait_for_selector("#graph svg g.node")
    assert page.is_hidden("#descent")
    page.close()
