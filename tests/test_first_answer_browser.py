"""In Chromium: a page opened by a link to a program gets its graph from the request its head
made before the scripts ran, in every look the browser may pick; where the page wants another
program, it asks for that one and shows it."""

from __future__ import annotations

import pytest
from browser_support import VIEWPORT, page_url, wait_for_graph

from web.permalink import deflate

pytestmark = pytest.mark.browser

PROGRAM = "a = 2.0\nb = a * sin(a)"
STEPS = 5
PHONE = {"width": 390, "height": 844}


def open_counting(chromium, url: str, **context):
    """Open `url` in a fresh context; the page, its /api/graph requests (method, URL) and the
    console's errors and warnings."""
    ctx = chromium.new_context(**context)
    page = ctx.new_page()
    asked, said = [], []
    page.on("request", lambda r: "/api/graph" in r.url and asked.append((r.method, r.url)))
    page.on("console", lambda m: m.type in ("error", "warning") and said.append(m.text))
    page.goto(url)
    return ctx, page, asked, said


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["desktop", "phone"])
def test_a_link_to_a_program_is_drawn_from_the_request_its_head_made(chromium, live_app,
                                                                     scheme, viewport):
    ctx, page, asked, said = open_counting(chromium, page_url(live_app, PROGRAM, 2),
                                           viewport=viewport, color_scheme=scheme)
    wait_for_graph(page, STEPS)
    page.wait_for_timeout(300)  # a second request, had the page made one, would be seen by now
    assert [m for m, _ in asked] == ["GET"], asked
    theme = "dark" if scheme == "dark" else "classic"
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    assert f"theme={theme}" in asked[0][1]
    assert page.input_value("#source") == PROGRAM
    assert said == []
    ctx.close()


def test_a_short_link_is_drawn_from_the_request_its_head_made(chromium, live_app):
    ctx, page, asked, said = open_counting(chromium, f"{live_app}/", viewport=VIEWPORT)
    made = page.evaluate("""src => fetch('api/links', {method: 'POST',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify({src})})
      .then(r => r.json())""", PROGRAM)
    asked.clear()
    page.goto(f"{live_app}{made['url']}")
    wait_for_graph(page, STEPS)
    page.wait_for_timeout(300)
    assert [m for m, _ in asked] == ["GET"] and f"id={made['id']}" in asked[0][1]
    assert page.input_value("#source") == PROGRAM
    ctx.close()


def test_a_page_that_wants_another_program_asks_for_it_and_shows_it(chromium, live_app):
    other = "p = 3.0\nq = p * p\nr = q + p"
    url = page_url(live_app, PROGRAM) + "#z=" + deflate(other)
    ctx, page, asked, _ = open_counting(chromium, url, viewport=VIEWPORT)
    wait_for_graph(page, 5)
    assert page.input_value("#source") == other
    assert "POST" in [m for m, _ in asked]
    assert page.inner_text("#output-value").startswith("r = 12")  # (3 · 3) + 3
    ctx.close()


def test_the_embed_is_drawn_from_the_request_its_head_made(chromium, live_app):
    ctx, page, asked, said = open_counting(chromium, page_url(live_app, PROGRAM).replace("/?", "/embed?"),
                                           viewport={"width": 800, "height": 500})
    page.wait_for_selector("#graph svg g.node", timeout=15_000)
    page.wait_for_timeout(300)
    assert [m for m, _ in asked] == ["GET"], asked
    assert said == []
    ctx.close()
