"""Projector legibility in a real reveal.js deck: a 16:9 deck (1280×720, reveal.js from npm,
served on another origin) shows `/embed?theme=projector` filling a slide at 1280×720, and
every node text on screen is at least 20 px high at every step of every gallery example of
up to 12 nodes. Examples whose whole picture cannot be that large in the slide are zoomed in
on and follow the current node, which is then always wholly in view."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from browser_support import (
    ARTIFACTS,
    FRAME_CLASSES,
    FRAME_TEXTS,
    VIEWPORT,
    other_origin,
    server_frame,
)

from autodiff import build
from autodiff.examples import GALLERY

pytestmark = pytest.mark.browser

DECK = (Path(__file__).parent / "data" / "reveal_projector_deck.html").read_text()
SCREEN_TEXT_PX = 20
"""Node text on the projected screen, read from the back of a room."""
UP_TO_12_NODES = [e for e in GALLERY if len(build(e.source).nodes) <= 12]
FOLLOWED = {"gates", "dense", "softmax"}
"""The examples whose whole picture would show its text under 20 px in the slide (gates: four
inputs stacked; dense and softmax: the columns of their matrices side by side, even in three
digits): the embed zooms in to 20 px and follows the current node instead."""

ON_SCREEN = """() => {
  const graph = document.getElementById('graph');
  const panel = graph.getBoundingClientRect();
  const heights = [...graph.querySelectorAll('text.label, text.val, text.grad')]
    .filter((t) => t.textContent.trim()).map((t) => t.getBoundingClientRect().height);
  const current = graph.querySelector('g.node.current');
  const box = current ? current.getBoundingClientRect() : null;
  return {
    smallest: Math.min(...heights), zoomed: graph.classList.contains('zoomed'),
    current_in_view: !box || (box.left >= panel.left - 1 && box.right <= panel.right + 1
      && box.top >= panel.top - 1 && box.bottom <= panel.bottom + 1),
  };
}"""
"""In the embed: its smallest node text (in its own pixels), whether the picture is zoomed in,
and whether the current node is wholly inside the graph's panel."""
DECK_SCALE = """() => { const f = document.querySelector('.present iframe[data-backprop]');
  return f.getBoundingClientRect().width / f.offsetWidth; }"""


def test_every_node_text_is_20_px_on_a_projected_16_9_deck(page, live_app):
    followed = set()
    page.set_viewport_size(VIEWPORT)
    for example in UP_TO_12_NODES:
        query = urlencode({"src": example.source, "theme": "projector", "transparent": 1})
        deck = DECK.replace("APP", live_app).replace("QUERY", query)
        with other_origin({"/deck.html": deck}) as site:
            page.goto(f"{site}/deck.html")
            page.wait_for_function("() => window.deck && window.deck.isReady()")
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "() => document.querySelectorAll('.present .backprop-steps .fragment').length",
                timeout=15_000)
            total = page.evaluate(
                "() => document.querySelectorAll('.present .backprop-steps .fragment').length")
            frame = next(f for f in page.frames if "/embed?" in f.url)
            scale = page.evaluate(DECK_SCALE)
            assert 0.9 < scale <= 1  # the deck at its own size, less reveal.js's margin
            for k in range(total + 1):
                if k:
                    page.keyboard.press("ArrowRight")
                frame.wait_for_function(
                    "k => document.querySelector('[data-step-counter]').textContent"
                    ".startsWith(`step ${k} /`)", arg=k, timeout=10_000)
                seen = frame.evaluate(ON_SCREEN)
                assert seen["smallest"] * scale >= SCREEN_TEXT_PX, (example.slug, k, seen)
                assert seen["current_in_view"], (example.slug, k)
                if seen["zoomed"]:
                    followed.add(example.slug)
            # The projector's own frames: what the server draws for /svg in that theme.
            assert (frame.evaluate(FRAME_CLASSES), frame.evaluate(FRAME_TEXTS)) == \
                server_frame(live_app, example.source, total, theme="projector"), example.slug
            if example.slug in ("dense", "reuse"):
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"projector-deck-{example.slug}.png"))
    assert followed == FOLLOWED
    assert not page.console.errors, page.console.errors
