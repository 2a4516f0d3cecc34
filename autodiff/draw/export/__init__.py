"""Exports: every step of a program as slides, pictures, an archive or a page of its own.

All of them come from the one cached layout (`layouts.get_layout`) and its timeline: a frame
is a string join, never a dot run. One module a format:

    pdf    a page per step (Beamer's `\\includegraphics[page=p]`), or a handout
    pptx   a slide per step, the explanation in the notes
    gif    the step-through animated
    archive  every frame as SVG and PNG, and manifest.json
    html   one self-contained page that steps offline
    tex    a standalone LaTeX/TikZ (Beamer) file, one overlay per step

Each export's cost is known before it starts (frames × drawn elements): beyond `MAX_WORK`
it is refused with `ExportTooLarge`, so an export finishes well within the server's timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ...i18n import _
from ...model import Graph
from ..decorate import Look, caption_lines, caption_text, decorate
from ..layouts import Layout
from ..states import timeline
from ..theme import DEFAULT_THEME, frame_css
from .rsvg import RENDERERS, ExportTimeout, ExportTooLarge, RendererMissing

EXPORT_SECONDS = 8.0
"""Time an export is estimated to take at most, on an idle machine; larger ones are refused."""
DEADLINE_SECONDS = 20.0
"""Time an export may take on a busy machine before rsvg-convert is stopped (503): below the
server's timeout (gunicorn.conf.py, 30 s), so no worker is held past it."""
COST = {"pdf": (0.005, 3000), "handout": (0.005, 2000), "pptx": (0.07, 2500),
        "gif": (0.07, 2500), "zip": (0.07, 2500), "html": (0.0, 10**7),
        "tex": (0.0, 200_000)}
"""Per format, CPU seconds a frame costs: a fixed part (a process per PNG) and elements (nodes
and edges) drawn per second, measured on the test machine (bench/exports.py) with a margin."""
MAX_BYTES = 64 * 1024 * 1024
"""An export larger than this is refused (413)."""


@dataclass(frozen=True)
class ExportOptions:
    """What an export shows besides the program's own options."""

    first: int = 0
    """The first step shown (`from`)."""
    last: int | None = None
    """The last step shown (`to`; None: the final step)."""
    caption: bool = True
    transparent: bool = False
    delay: int = 1000
    """Milliseconds per step (GIF)."""
    layout: str = "slides"
    """`slides` (a page per step) or `handout` (several steps a page, PDF)."""
    paper: str = "a4"
    theme: str = DEFAULT_THEME


@dataclass(frozen=True)
class Frame:
    """One step of an export: its number, phase, explanation and picture."""

    step: int
    phase: str
    text: str
    svg: str


def steps_of(graph: Graph, options: ExportOptions) -> range:
    """The steps an export shows, clamped to the program's steps."""
    total = len(graph.steps)
    last = total if options.last is None else min(options.last, total)
    return range(min(max(options.first, 0), last), last + 1)


def phase_of(graph: Graph, step: int) -> str:
    """`start`, `forward`, `seed` or `backward`."""
    if step == 0:
        return "start"
    s = graph.steps[step - 1]
    return "seed" if s.kind == "seed" else s.phase


def frames(graph: Graph, layout: Layout, options: ExportOptions,
           look: Look | None = None) -> list[Frame]:
    """Every frame the export shows, captioned to one size (so pages do not jump)."""
    look = look or Look(caption=options.caption, transparent=options.transparent)
    steps = steps_of(graph, options)
    texts = [caption_text(graph, k) for k in steps]
    kept = max((len(caption_lines(t, layout.width)) for t in texts), default=0)
    line, css = timeline(graph, layout.edge_labels, layout.numbers), frame_css(options.theme)
    out = []
    for k, text in zip(steps, texts):
        svg = layout.fill(line.texts(k), css)
        out.append(Frame(k, phase_of(graph, k), text, decorate(svg, look, text, kept)))
    return out


def frame_seconds(layout: Layout, kind: str) -> float:
    """CPU seconds one frame of this layout costs in the export `kind`."""
    fixed, per_second = COST[kind]
    return fixed + (layout.nodes + layout.edges) / per_second


def most_frames(layout: Layout, kind: str) -> int:
    """The most frames of this layout the export `kind` makes."""
    return max(int(EXPORT_SECONDS * RENDERERS / frame_seconds(layout, kind)), 1)


def check_work(layout: Layout, count: int, kind: str) -> float:
    """Refuse an export that would take longer than `EXPORT_SECONDS`; else its deadline."""
    seconds = count * frame_seconds(layout, kind) / RENDERERS
    if seconds > EXPORT_SECONDS:
        most = most_frames(layout, kind)
        raise ExportTooLarge(
            _("this export would draw {count} frames of {nodes} nodes, more than the app draws "
              "at once ({kind}: at most {most} frames of this graph); choose a range of steps "
              "with from=... and to=...", count=count, nodes=layout.nodes, kind=kind, most=most))
    return time.monotonic() + DEADLINE_SECONDS


def checked_size(data: bytes) -> bytes:
    """The export, unless it is larger than `MAX_BYTES`."""
    if len(data) > MAX_BYTES:
        raise ExportTooLarge(_("the export is larger than {limit} MiB", limit=MAX_BYTES // 2**20))
    return data


__all__ = ["COST", "DEADLINE_SECONDS", "EXPORT_SECONDS", "ExportOptions", "ExportTimeout",
           "ExportTooLarge", "Frame", "RendererMissing", "check_work", "checked_size", "frames",
           "most_frames", "phase_of", "steps_of"]
