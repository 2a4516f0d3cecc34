"""autodiff.draw.png: a frame rasterised, with the frame's own style, cached."""

import io

import numpy as np
import pytest
from drawing_support import REUSE, REUSE_LINES, build

import autodiff
from autodiff import draw
from autodiff.draw import get_layout, png, render_png


def test_png_is_a_png_and_honours_the_frame_css():
    from PIL import Image

    graph = build(REUSE)
    png = render_png(get_layout(graph), graph, graph.forward_steps + 1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    layout_ = get_layout(graph)
    assert image.width == pytest.approx(
        layout_.width * 2 * 4 / 3, rel=0.02
    ) or image.width == pytest.approx(layout_.width * 2, rel=0.02)
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    amber = np.all(np.abs(pixels - [0xD9, 0x77, 0x06]) < 30, axis=1).sum()
    assert amber > 100  # the current node's outline comes from the embedded CSS


def test_png_frames_are_cached(monkeypatch):
    draw.clear_caches()
    graph = autodiff.build(REUSE_LINES)
    layout = get_layout(graph)
    calls = []
    real = png._draw_png
    monkeypatch.setattr(png, "_draw_png", lambda *a: calls.append(a) or real(*a))
    first = png.render_png(layout, graph, 3)
    assert png.render_png(layout, graph, 3) == first
    assert png.render_png(layout, graph, 4) != first
    assert len(calls) == 2
