"""Rasterising a frame: cairosvg's PNG of the frame's SVG (faded by colour, not opacity),
bounded in pixels, cached."""

from __future__ import annotations

import hashlib
import math
from dataclasses import replace

from ..errors import LimitError
from ..lru import LRU
from ..model import Graph
from . import shared
from .decorate import Look, caption_text, decorate
from .fade import faded_css
from .frames import render_frame
from .layouts import Layout
from .theme import DEFAULT_THEME, THEMES, frame_css

PNG_SCALE = 2.0
PX_PER_PT = 96 / 72
"""cairosvg draws the SVG's points at 96 pixels per inch before scaling."""
MAX_PNG_PIXELS = 12_000_000
"""A PNG larger than this is drawn at a smaller scale: memory, and the time cairo takes to
write the pixels, stay bounded."""
MAX_PNG_ELEMENTS = 14_000
"""SVG elements beyond which a frame is not rasterised: cairosvg takes a fraction of a
millisecond for each, so this bounds a PNG's CPU time (about 900 values in a graph)."""
MAX_PNG_SIDE = 30_000
"""Cairo's surfaces stop at 32767 pixels a side."""
PNG_GLYPHS = {"&#8942;": "&#8758;"}
"""Stand-ins (`⋮` by `∶`) for glyphs DejaVu Sans Mono lacks: cairo has no fallback font."""
PNG_CACHE_SIZE = 32
"""PNG frames kept (a 2,000-node frame takes cairo seconds), least recently used dropped."""
PNG_CACHE_MAX_BYTES = 64_000_000
"""What the PNGs kept weigh in all; a larger one is not kept."""
_PNGS = LRU(PNG_CACHE_SIZE, max_bytes=PNG_CACHE_MAX_BYTES, weigh=len)
"""PNG bytes by the frame's SVG digest and the scale."""


def render_png(
    layout: Layout,
    graph: Graph,
    step: int | None = None,
    scale: float = PNG_SCALE,
    theme: str = DEFAULT_THEME,
    look: Look | None = None,
) -> bytes:
    """PNG bytes of the graph at `step` in `theme`, drawn at `scale` (less for very large
    graphs); `look` adds a caption, drops the background or sets the size. Faded values are
    drawn in blended colours (`fade`): cairo's group opacity costs a whole picture each."""
    background = THEMES[theme].background
    svg = render_frame(layout, graph, step, css=faded_css(frame_css(theme), background))
    _check_elements(svg)
    if look is not None:
        scale = look.scale or (look.width / (layout.width * PX_PER_PT) if look.width else scale)
        svg = decorate(svg, replace(look, scale=None, width=None), caption_text(graph, step))
    for glyph, stand_in in PNG_GLYPHS.items():
        svg = svg.replace(glyph, stand_in)
    key = (hashlib.sha256(svg.encode()).digest(), scale)
    png = _PNGS.get(key)
    if png is None:
        png = shared.get("png", key)  # drawn by another worker process
        if png is None:
            transparent = look is not None and look.transparent
            png = _draw_png(layout, svg, scale, None if transparent else background)
            shared.put("png", key, png)
        _PNGS.put(key, png)
    return png


def _check_elements(svg: str) -> None:
    """Refuse, before any drawing, a frame with more elements than a PNG may take."""
    elements = svg.count("<") - svg.count("</")
    if elements > MAX_PNG_ELEMENTS:
        raise LimitError(
            f"this frame has {elements:,} SVG elements; a PNG is drawn for at most "
            f"{MAX_PNG_ELEMENTS:,} (about 900 values): take the SVG (/svg) instead, which "
            "has no such bound, or a smaller program"
        )


def _draw_png(layout: Layout, svg: str, scale: float, background: str | None) -> bytes:
    """cairosvg's PNG of a frame, scaled down to stay within cairo's and memory's limits."""
    import cairosvg  # imported here: only PNG needs cairo

    width, height = layout.width * PX_PER_PT, layout.height * PX_PER_PT
    fit = math.sqrt(MAX_PNG_PIXELS / max(width * height, 1.0))
    side = MAX_PNG_SIDE / max(width, height, 1.0)
    return cairosvg.svg2png(
        bytestring=svg.encode(), scale=min(scale, fit, side), background_color=background
    )


def clear_cache() -> None:
    """Forget every PNG kept."""
    _PNGS.clear()
