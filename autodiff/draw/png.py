"""Rasterising a frame: cairosvg's PNG of the frame's SVG (faded by colour, not opacity),
bounded in pixels, drawn in a child process that stops when no request wants it any more,
once for every request that asks for it meanwhile, and cached."""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable
from dataclasses import replace

from ..errors import LimitError
from ..i18n import _
from ..lru import LRU
from ..model import Graph
from . import cancel, shared
from .apart import Child, draw_apart
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
MAX_PNG_ELEMENTS = 9_000
"""SVG elements beyond which a frame is not rasterised: cairosvg's time grows with them, so
this bounds a PNG's CPU time (about 500 values in a graph; `bench/run.py --only png`
measures the costliest frames allowed)."""
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
            png = _drawn_once(key, lambda: _draw_png(
                layout, svg, scale, None if transparent else background))
            shared.put("png", key, png)
        _PNGS.put(key, png)
    return png


PNG_CPU_SECONDS = 10
"""CPU seconds a drawing may use before the kernel stops it: the frames allowed take cairo
a few, so this is a backstop, never reached by a frame within the bounds."""
PNG_TIMEOUT = 50.0
"""Seconds (wall clock) a drawing may take before it is stopped: only a machine far busier
than its cores gets here (503). Under nginx's 60 s wait for an answer."""


class Drawing:
    """One PNG being drawn, for the request that started it and every one that asks for the
    same picture meanwhile; its child is killed when all of them have hung up."""

    def __init__(self) -> None:
        self.child = Child()
        self.interest = cancel.Interest(self.child.stop)
        self.done = threading.Event()
        self.png: bytes | None = None
        self.error: BaseException | None = None


_DRAWING: dict[tuple, Drawing] = {}
"""PNGs being drawn in this process, by key."""
_DRAWING_LOCK = threading.Lock()


def _drawn_once(key: tuple, draw: Callable[[], bytes]) -> bytes:
    """`draw()` in a child process, once for all the threads asking for `key` at once."""
    cancel.check()  # a request whose client has gone starts no drawing
    with _DRAWING_LOCK:
        drawing = _DRAWING.get(key)
        mine = drawing is None
        if mine:
            drawing = _DRAWING[key] = Drawing()
    drawing.interest.join()
    if mine:
        try:
            drawing.png = draw_apart(draw, PNG_CPU_SECONDS, PNG_TIMEOUT, drawing.child)
        except BaseException as err:
            drawing.error = err
            raise
        finally:
            drawing.interest.finish()
            with _DRAWING_LOCK:
                del _DRAWING[key]
            drawing.done.set()
        return drawing.png
    drawing.done.wait(PNG_TIMEOUT + 5)
    if drawing.png is not None:
        return drawing.png
    if isinstance(drawing.error, cancel.Cancelled) or drawing.error is None:
        cancel.check()  # gone too; else it came after the drawing was stopped: draw again
        return _drawn_once(key, draw)
    raise drawing.error


def _check_elements(svg: str) -> None:
    """Refuse, before any drawing, a frame with more elements than a PNG may take."""
    elements = svg.count("<") - svg.count("</")
    if elements > MAX_PNG_ELEMENTS:
        raise LimitError(
            _("this frame has {n} SVG elements; a PNG is drawn for at most {limit} (about 500 "
              "values): take the SVG (/svg) instead, which has no such bound, or a smaller "
              "program", n=f"{elements:,}", limit=f"{MAX_PNG_ELEMENTS:,}")
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
