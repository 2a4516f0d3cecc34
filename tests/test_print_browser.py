"""Printing a page draws its graph in the print theme whatever the screen shows: print media
emulated in Chromium (the computed colours), and the page printed to PDF, rasterised by
poppler's pdftoppm and read pixel by pixel."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from browser_support import ARTIFACTS, VIEWPORT, page_url, wait_for_graph
from PIL import Image

from autodiff.draw.theme import THEMES
from autodiff.examples import by_slug

pytestmark = pytest.mark.browser

REUSE = by_slug("reuse").source
PRINT = THEMES["print"]

PAINT = """() => {
  const paper = matchMedia('print').matches;
  const root = paper ? document.querySelector('#graph > svg.graph-print') : document;
  const grad = [...root.querySelectorAll('text.grad')].find((t) => t.textContent.trim());
  const fill = (el) => getComputedStyle(el).fill;
  return {
    value: fill(root.querySelector('text.val')), gradient: fill(grad),
    background: fill(document.querySelector('#graph rect.background')),
    page: getComputedStyle(document.body).backgroundColor,
    ink: getComputedStyle(document.body).color,
  };
}"""
"""The colours the graph's value and gradient numbers, its background and the page are
painted in now (on paper: those of the copy printed)."""


def css_rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def new_page(browser):
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(f"uncaught: {e}"))
    return page


@pytest.mark.parametrize("theme", ["dark", "colourblind"])
def test_print_media_draws_the_graph_in_the_print_theme(browser, server, theme):
    page = new_page(browser)
    page.goto(page_url(server, REUSE, 6, theme=theme))
    wait_for_graph(page, 9)
    on_screen = page.evaluate(PAINT)
    assert (on_screen["value"], on_screen["gradient"]) == (
        css_rgb(THEMES[theme].value), css_rgb(THEMES[theme].gradient))

    page.emulate_media(media="print")
    page.wait_for_selector("#graph > svg.graph-print", state="attached")
    assert page.evaluate(PAINT) == {
        "value": css_rgb(PRINT.value), "gradient": css_rgb(PRINT.gradient),
        "background": "none", "page": "rgb(255, 255, 255)", "ink": "rgb(0, 0, 0)",
    }
    # The copy on paper is the whole picture, every node of it, within the page's width.
    copy = page.evaluate("""() => {
        const copy = document.querySelector('#graph > svg.graph-print');
        const r = copy.getBoundingClientRect();
        return {nodes: copy.querySelectorAll('g.node').length, width: r.width,
                page: document.documentElement.clientWidth,
                inside: [...copy.querySelectorAll('g.node')].every((g) => {
                  const b = g.getBoundingClientRect();
                  return b.left >= r.left - 1 && b.right <= r.right + 1; })};
      }""")
    assert copy["nodes"] == 7 and copy["inside"] and 0 < copy["width"] <= copy["page"]

    page.emulate_media(media="screen")
    page.wait_for_selector("#graph > svg.graph-print", state="detached")
    assert page.evaluate(PAINT) == on_screen
    assert page.errors == []
    page.context.close()


def test_a_dark_page_prints_light_in_black_ink(browser, server, tmp_path):
    page = new_page(browser)
    page.goto(page_url(server, REUSE, 6, theme="dark"))
    wait_for_graph(page, 9)
    pdf = tmp_path / "page.pdf"
    page.pdf(path=str(pdf), format="A4")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    [png] = tmp_path.glob("page*.png")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "print-dark-page.png").write_bytes(png.read_bytes())
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    # Monochrome: no pixel has a hue (the dark theme's green and red would), and the paper
    # stays white: the dark background is not printed.
    assert int((pixels.max(axis=2) - pixels.min(axis=2)).max()) <= 8
    assert pixels.mean() > 200
    assert (pixels.min(axis=2) < 80).mean() > 0.01  # black ink: the graph and the text
    page.context.close()
