"""PDF: a page per step, page p showing step `from` + p − 1 (Beamer's overlay p with the
default range), or a handout of several steps a page with their explanations.

Pages are our SVG drawn by librsvg's PDF backend (cairo): vector, and every text, the
caption included, stays text that `pdftotext` and a reader's search find. Each distinct
element of the frames is drawn once and reused on every page that shows it (`elements`,
`pdfpages`), so a PDF of n steps costs about the drawing of its first frame and of what
each step changes.
"""

from __future__ import annotations

import re
import textwrap
from bisect import bisect_left
from collections.abc import Iterator
from itertools import accumulate

from ...model import Graph
from ..decorate import Look
from ..layouts import Layout
from ..svg import SVG_NS, escape
from . import ExportOptions, check_export, checked_size, each_frame, frames
from .elements import Stacks, stack
from .pdfpages import Box, Page, assemble
from .rsvg import Progress, render_pdfs

PAPER = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
"""Page sizes in points."""
MARGIN = 40.0
PER_PAGE = 3
"""Steps on a handout page."""
TEXT_PT = 10.0
TEXT_LINES = 4
"""Lines of explanation under each step of a handout."""
PROGRESS_CHUNK = 128
"""Drawings one renderer draws at a time when progress is shown."""
SIZE = re.compile(r'width="([\d.]+)pt" height="([\d.]+)pt"')


def slides_pdf(graph: Graph, layout: Layout, options: ExportOptions,
               progress: Progress = None) -> bytes:
    """A page per step, each the frame with its caption under it."""
    deadline = check_export(graph, layout, options, "pdf")
    stacks = stack(f.svg for f in each_frame(graph, layout, options))
    width, height = _size(stacks.drawings[0])
    pages = [Page(width, height, None, ((k, (0.0, 0.0, width, height)),))
             for k in range(len(stacks.frames))]
    return checked_size(_pdf(stacks, pages, deadline, progress))


def handout_pdf(graph: Graph, layout: Layout, options: ExportOptions,
                progress: Progress = None) -> bytes:
    """`PER_PAGE` steps a page of A4 or Letter, each with its explanation beside its number."""
    deadline = check_export(graph, layout, options, "handout")
    shown = frames(graph, layout, options, Look())
    stacks = stack(f.svg for f in shown)
    width, height = PAPER[options.paper]
    boxes = _boxes(layout, (width, height))
    pages = []
    for first in range(0, len(shown), PER_PAGE):
        texts = [f.text for f in shown[first:first + PER_PAGE]]
        sheet = stacks.add_sheet(_sheet(texts, boxes, (width, height), first // PER_PAGE + 1))
        pages.append(Page(width, height, sheet, tuple(zip(range(first, first + len(texts)),
                                                          boxes))))
    return checked_size(_pdf(stacks, pages, deadline, progress))


def _pdf(stacks: Stacks, pages: list[Page], deadline: float, progress: Progress) -> bytes:
    """Draw every drawing once and put the pages together, each piece of drawings as soon
    as it is drawn."""
    drawn = render_pdfs(stacks.drawings, deadline, PROGRESS_CHUNK if progress else None)
    return assemble(_telling(drawn, stacks, progress), stacks, pages)


def _telling(drawn: Iterator[tuple[int, bytes]], stacks: Stacks,
             progress: Progress) -> Iterator[bytes]:
    """The drawn PDFs, telling `progress` of each frame once all its drawings are drawn."""
    needs = list(accumulate((max(ids) for ids in stacks.frames), max))
    told = 0
    for count, pdf in drawn:
        ready = bisect_left(needs, count)
        if progress is not None and ready > told:
            progress(ready - told)
            told = ready
        yield pdf


def _size(svg: str) -> tuple[float, float]:
    """An SVG's width and height in points, from its root."""
    found = SIZE.search(svg)
    assert found is not None, "a frame's root gives its size in points"
    return float(found.group(1)), float(found.group(2))


def _boxes(layout: Layout, paper: tuple[float, float]) -> list[Box]:
    """Where each step's picture goes on a handout page, one under another."""
    width, height = paper
    inner = width - 2 * MARGIN
    slot = _slot(height)
    picture = slot - TEXT_PT * 1.3 * TEXT_LINES - 12
    fit = min(inner / layout.width, picture / layout.height)
    w, h = layout.width * fit, layout.height * fit
    return [(MARGIN + (inner - w) / 2, MARGIN + i * slot + 4, w, h) for i in range(PER_PAGE)]


def _slot(height: float) -> float:
    return (height - 2 * MARGIN - TEXT_PT * 2) / PER_PAGE


def _sheet(texts: list[str], boxes: list[Box], paper: tuple[float, float], number: int) -> str:
    """One handout page as SVG but its pictures: a frame and the explanation for each step,
    and the page's number."""
    width, height = paper
    inner, slot = width - 2 * MARGIN, _slot(height)
    parts = [f'<svg xmlns="{SVG_NS}" width="{width}pt" height="{height}pt" '
             f'viewBox="0 0 {width} {height}">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             '<style>.handout { font-family: "DejaVu Sans", sans-serif; '
             f'font-size: {TEXT_PT}px; fill: #1f2328; }}</style>']
    for i, (text, (_, top, _, h)) in enumerate(zip(texts, boxes)):
        parts.append(f'<rect x="{MARGIN}" y="{MARGIN + i * slot:.2f}" width="{inner}" '
                     f'height="{slot - 6:.2f}" fill="none" stroke="#d0d7de"/>')
        parts.append(_lines(text, MARGIN + 6, top + h + TEXT_PT * 1.4, inner - 12))
    parts.append(f'<text class="handout" x="{width - MARGIN}" y="{height - MARGIN / 2:.2f}" '
                 f'text-anchor="end">{number}</text></svg>')
    return "\n".join(parts)


def _lines(text: str, x: float, y: float, width: float) -> str:
    per_line = int(width / (TEXT_PT * 0.6))
    lines = textwrap.wrap(text, per_line, break_on_hyphens=False)[:TEXT_LINES]
    spans = "".join(f'<tspan x="{x:.2f}" y="{y + i * TEXT_PT * 1.3:.2f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="handout">{spans}</text>'
