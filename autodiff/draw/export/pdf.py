"""PDF: a page per step, page p showing step `from` + p − 1 (Beamer's overlay p with the
default range), or a handout of several steps a page with their explanations.

Pages are our SVG drawn by librsvg's PDF backend (cairo): vector, and every text, the
caption included, stays text that `pdftotext` and a reader's search find.
"""

from __future__ import annotations

import textwrap

from ...model import Graph
from ..decorate import Look, nested
from ..layouts import Layout
from ..svg import SVG_NS, escape
from . import ExportOptions, check_work, checked_size, frames, steps_of
from .rsvg import Progress, render_pdf

PAPER = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
"""Page sizes in points."""
MARGIN = 40.0
PER_PAGE = 3
"""Steps on a handout page."""
TEXT_PT = 10.0
TEXT_LINES = 4
"""Lines of explanation under each step of a handout."""


def slides_pdf(graph: Graph, layout: Layout, options: ExportOptions,
               progress: Progress = None) -> bytes:
    """A page per step, each the frame with its caption under it."""
    deadline = check_work(layout, len(steps_of(graph, options)), "pdf")
    shown = frames(graph, layout, options)
    return checked_size(render_pdf([f.svg for f in shown], deadline, progress))


def handout_pdf(graph: Graph, layout: Layout, options: ExportOptions,
                progress: Progress = None) -> bytes:
    """`PER_PAGE` steps a page of A4 or Letter, each with its explanation beside its number."""
    deadline = check_work(layout, len(steps_of(graph, options)), "handout")
    shown = frames(graph, layout, options, Look())
    paper = PAPER[options.paper]
    pages = [_page([f.svg for f in shown[i:i + PER_PAGE]], [f.text for f in shown[i:i + PER_PAGE]],
                   layout, paper, i // PER_PAGE + 1)
             for i in range(0, len(shown), PER_PAGE)]
    return checked_size(render_pdf(pages, deadline, progress))


def _page(svgs: list[str], texts: list[str], layout: Layout, paper: tuple[float, float],
          number: int) -> str:
    """One handout page as SVG: the steps one under another, each with its explanation."""
    width, height = paper
    inner = width - 2 * MARGIN
    slot = (height - 2 * MARGIN - TEXT_PT * 2) / PER_PAGE
    picture = slot - TEXT_PT * 1.3 * TEXT_LINES - 12
    fit = min(inner / layout.width, picture / layout.height)
    w, h = layout.width * fit, layout.height * fit
    parts = [f'<svg xmlns="{SVG_NS}" width="{width}pt" height="{height}pt" '
             f'viewBox="0 0 {width} {height}">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             '<style>.handout { font-family: "DejaVu Sans", sans-serif; '
             f'font-size: {TEXT_PT}px; fill: #1f2328; }}</style>']
    for i, (svg, text) in enumerate(zip(svgs, texts)):
        top = MARGIN + i * slot
        parts.append(f'<rect x="{MARGIN}" y="{top:.2f}" width="{inner}" height="{slot - 6:.2f}" '
                     'fill="none" stroke="#d0d7de"/>')
        parts.append(nested(svg, MARGIN + (inner - w) / 2, top + 4, w, h))
        parts.append(_lines(text, MARGIN + 6, top + 4 + h + TEXT_PT * 1.4, inner - 12))
    parts.append(f'<text class="handout" x="{width - MARGIN}" y="{height - MARGIN / 2:.2f}" '
                 f'text-anchor="end">{number}</text></svg>')
    return "\n".join(parts)


def _lines(text: str, x: float, y: float, width: float) -> str:
    per_line = int(width / (TEXT_PT * 0.6))
    lines = textwrap.wrap(text, per_line, break_on_hyphens=False)[:TEXT_LINES]
    spans = "".join(f'<tspan x="{x:.2f}" y="{y + i * TEXT_PT * 1.3:.2f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="handout">{spans}</text>'
