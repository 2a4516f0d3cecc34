"""An animated GIF of the step-through (Pillow), `delay` milliseconds a step, looping."""

from __future__ import annotations

import io

from PIL import Image

from ...model import Graph
from ..layouts import Layout
from . import ExportOptions, check_export, checked_size, frames
from .raster import pngs
from .rsvg import Progress

GIF_PX = 1000
"""The animation's width at most: GIFs go into slides and web pages."""
MIN_DELAY, MAX_DELAY = 100, 60_000


def animated_gif(graph: Graph, layout: Layout, options: ExportOptions,
                 progress: Progress = None) -> bytes:
    """Every frame of the range with its caption, one palette each, looping forever."""
    deadline = check_export(graph, layout, options, "gif")
    shown = frames(graph, layout, options)
    images = [Image.open(io.BytesIO(png)).convert("RGB")
              for png in pngs(shown, layout.width, GIF_PX, deadline, progress=progress)]
    out = io.BytesIO()
    delay = min(max(options.delay, MIN_DELAY), MAX_DELAY)
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:],
                   duration=delay, loop=0, optimize=False, disposal=1)
    return checked_size(out.getvalue())
