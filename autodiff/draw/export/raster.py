"""The frames of an export as PNG, at most a given width (slides and GIFs need no more)."""

from __future__ import annotations

from . import Frame
from .rsvg import Progress, render_pngs

PX_PER_PT = 96 / 72


def zoom_for(width_pt: float, max_px: int, most: float = 2.0) -> float:
    """The zoom that draws a frame `width_pt` points wide at most `max_px` pixels wide."""
    return min(most, max_px / (width_pt * PX_PER_PT))


def pngs(shown: list[Frame], width_pt: float, max_px: int, deadline: float,
         transparent: bool = False, progress: Progress = None) -> list[bytes]:
    """A PNG of each frame, all at one zoom."""
    return render_pngs([f.svg for f in shown], zoom_for(width_pt, max_px), deadline,
                       None if transparent else "white", progress)
