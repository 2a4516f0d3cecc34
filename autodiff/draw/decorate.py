"""A frame made to stand alone on a slide: its explanation under it, no background, a size.

The frame's own `<svg>` element and background come from `svg.root_open`; here they are
rewritten (never the drawing inside), so every frame of one layout keeps its coordinates.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from ..i18n import N_, _
from ..model import Graph
from .svg import escape

ROOT = re.compile(r'<svg ([^>]*?)width="([\d.]+)pt" height="([\d.]+)pt" viewBox="([-\d. ]+)"')
BACKGROUND = re.compile(r'<rect class="background" x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" '
                        r'height="([\d.]+)" fill="white"/>\n')
CHAR_WIDTH = 0.6
"""DejaVu Sans's mean advance, in ems: how many characters fit a line of the caption."""
LEADING = 1.35
"""Caption line height, in ems."""
MIN_CAPTION_PT, MAX_CAPTION_PT = 12.0, 40.0


@dataclass(frozen=True)
class Look:
    """How a frame is dressed as an image of its own (the `/svg` and `/png` options)."""

    caption: bool = False
    transparent: bool = False
    scale: float | None = None
    """The image's size over its natural one (SVG: 1, PNG: `png.PNG_SCALE` when None)."""
    width: int | None = None
    """The SVG's width in pixels (height in proportion), instead of `scale`."""


def caption_text(graph: Graph, step: int | None) -> str:
    """What step `step` does, in a sentence (the page's explanation panel, in short)."""
    k = len(graph.steps) if step is None else min(max(step, 0), len(graph.steps))
    if k == 0:
        return _("Step 0 · start: nothing computed yet; inputs and constants are known.")
    s = graph.steps[k - 1]
    phase = _(PHASES["seed" if s.kind == "seed" else s.phase])
    return _("Step {k} · {phase}: {text}", k=k, phase=phase, text=s.text)


PHASES = {"forward": N_("forward"), "backward": N_("backward"), "seed": N_("backward · seed")}
"""A step's phase as a caption names it."""


def caption_size(width: float) -> float:
    """The caption's font size in points for a frame `width` points wide."""
    return min(max(width / 45.0, MIN_CAPTION_PT), MAX_CAPTION_PT)


def caption_lines(text: str, width: float) -> list[str]:
    """The caption wrapped to the frame's width."""
    per_line = max(int(width / (caption_size(width) * CHAR_WIDTH)), 20)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(textwrap.wrap(paragraph, per_line, break_on_hyphens=False) or [""])
    return lines


def decorate(svg: str, look: Look, caption: str | None = None, lines_kept: int = 0) -> str:
    """The frame `svg` dressed by `look`; a caption takes at least `lines_kept` lines, so
    every page of one export has the same size."""
    if look == Look():
        return svg
    found = ROOT.search(svg)
    assert found is not None, "a frame starts with svg.root_open's element"
    width = float(found.group(2))
    left, top, _, height = (float(v) for v in found.group(4).split())
    lines = caption_lines(caption or "", width) if look.caption else []
    size = caption_size(width)
    extra = (max(len(lines), lines_kept) * LEADING + 0.6) * size if look.caption else 0.0
    total = height + extra
    root = (f'<svg {found.group(1)}{_size(look, width, total)} '
            f'viewBox="{left:.2f} {top:.2f} {width:.2f} {total:.2f}"')
    fill = "" if look.transparent else (
        f'<rect class="background" x="{left:.2f}" y="{top:.2f}" width="{width:.2f}" '
        f'height="{total:.2f}" fill="white"/>\n')
    body = BACKGROUND.sub(lambda _: fill, svg[found.end():], count=1)
    if lines:
        body = body[: body.rindex("</svg>")] + _caption(lines, left, top + height, size) + "</svg>\n"
    return svg[: found.start()] + root + body


def _size(look: Look, width: float, height: float) -> str:
    """The root's width and height attributes: points times the scale, or pixels."""
    if look.width:
        return f'width="{look.width}px" height="{look.width * height / width:.2f}px"'
    scale = look.scale or 1.0
    return f'width="{width * scale:.2f}pt" height="{height * scale:.2f}pt"'


def _caption(lines: list[str], left: float, top: float, size: float) -> str:
    """The caption's text element, one tspan a line, in the frame's own type (`.adgraph text`)."""
    x = left + size * 0.6
    spans = "".join(
        f'<tspan x="{x:.2f}" y="{top + (i + 1) * LEADING * size:.2f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="caption" style="font-size: {size:.1f}px">{spans}</text>\n'


def nested(svg: str, x: float, y: float, width: float, height: float) -> str:
    """The frame as an element of a larger picture, fitted into the box at (x, y)."""
    found = ROOT.search(svg)
    assert found is not None, "a frame starts with svg.root_open's element"
    place = f'x="{x:.2f}" y="{y:.2f}" width="{width:.2f}" height="{height:.2f}"'
    return (svg[: found.start()] + f'<svg {found.group(1)}{place} viewBox="{found.group(4)}"'
            + svg[found.end():])
