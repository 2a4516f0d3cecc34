"""Fading by colour for rasterising: the same look as cairo's group opacity, without its cost."""

import io

import cairosvg
import numpy as np
import pytest
from PIL import Image

from autodiff import build, draw
from autodiff.draw import png
from autodiff.draw.fade import blend, faded_css
from autodiff.draw.theme import THEMES, frame_css
from autodiff.errors import LimitError

UNUSED = "q = 0.5\nx = 1.5\na = x * 1.01 * 1.01\nb = sin(a) + a\ny = q * 2"
"""Only q reaches y: x, a, b and their operations are drawn faded in the final frame."""


def pixels(png_bytes: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB")).astype(int)


def test_blend_is_the_colour_at_its_weight_over_the_background():
    assert blend("#000000", "#ffffff", 0.4) == "#999999"
    assert blend("#c62828", "#ffffff", 1.0) == "#c62828"
    assert blend("#fff", "#0d1117", 0.0) == "#0d1117"


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_faded_by_colour_looks_as_faded_by_opacity(theme):
    """The reference is cairo's own group opacity, on a small graph where it is cheap."""
    graph = build(UNUSED)
    layout = draw.get_layout(graph)
    background = THEMES[theme].background
    by_opacity = draw.render_frame(layout, graph, None, theme)
    by_colour = draw.render_frame(layout, graph, None, css=faded_css(frame_css(theme), background))
    assert "opacity: 0.4" in by_opacity and " opacity:" not in by_colour
    a, b = (
        pixels(cairosvg.svg2png(bytestring=svg.encode(), background_color=background))
        for svg in (by_opacity, by_colour)
    )
    assert a.shape == b.shape
    differ = np.abs(a - b).max(axis=2) > 24
    assert differ.mean() < 0.01  # anti-aliased edges and overlaps at most
    assert np.abs(a - b).mean() < 1.5


def test_a_final_frame_with_faded_values_is_drawn_in_faded_colours():
    graph = build(UNUSED)
    out = pixels(draw.render_png(draw.get_layout(graph), graph, None))
    colours = {tuple(p) for p in out.reshape(-1, 3)[::7]}
    faded_text = tuple(int(blend("#1f2328", "#ffffff", 0.4)[i : i + 2], 16) for i in (1, 3, 5))
    assert any(np.abs(np.array(c) - faded_text).max() < 8 for c in colours)


def test_a_frame_with_too_many_elements_is_refused_before_drawing(monkeypatch):
    monkeypatch.setattr(png, "MAX_PNG_ELEMENTS", 50)

    def no_cairo(*args, **kw):
        raise AssertionError("cairo was asked to draw")

    monkeypatch.setattr(png, "_draw_png", no_cairo)
    png.clear_cache()
    graph = build(UNUSED)
    with pytest.raises(LimitError, match=r"a PNG is drawn for at most 50 .*\(/svg\)"):
        draw.render_png(draw.get_layout(graph), graph, None)
