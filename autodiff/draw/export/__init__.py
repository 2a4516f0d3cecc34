"""Exports: every step of a program as slides, pictures, an archive or a page of its own.

All of them come from the one cached layout (`layouts.get_layout`) and its timeline: a frame
is a string join, never a dot run. One module a format:

    pdf    a page per step (Beamer's `\\includegraphics[page=p]`), or a handout
    pptx   a slide per step, the explanation in the notes
    gif    the step-through animated
    video  the step-through as an MP4 video
    archive  every frame as SVG and PNG, and manifest.json
    html   one self-contained page that steps offline
    tex    a standalone LaTeX/TikZ (Beamer) file, one overlay per step

Each export's cost is known before it starts (frames × drawn elements): beyond `MAX_WORK`
it is refused with `ExportTooLarge`, so an export finishes well within the server's timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from ...i18n import _
from ...model import Graph
from ..decorate import Look, caption_lines, caption_text, decorate
from ..layouts import Layout
from ..states import timeline
from ..theme import DEFAULT_THEME, frame_css
from .elements import drawings_needed
from .rsvg import RENDERERS, ExportTimeout, ExportTooLarge, RendererMissing

EXPORT_SECONDS = 8.0
"""Time an export is estimated to take at most, on an idle machine; larger ones are refused."""
DEADLINE_SECONDS = 20.0
"""Time an export may take on a busy machine before rsvg-convert is stopped (503): below the
server's timeout (gunicorn.conf.py, 30 s), so no worker is held past it."""
COST = {"pdf": (0.0, 30_000), "handout": (0.01, 30_000), "pptx": (0.07, 2500),
        "gif": (0.07, 2500), "mp4": (0.07, 2500), "zip": (0.07, 2500), "html": (0.0, 10**7),
        "tex": (0.0, 40_000)}
"""Per format, CPU seconds a frame costs: a fixed part (a process per PNG, a handout's
sheet) and elements (nodes and edges) handled per second, measured on the test machine
(`bench/exports.py --largest`) with a margin; the rates are per renderer (`work_seconds`
divides by `RENDERERS`), so a format made in Python alone (tex) has half its real rate."""
DRAWING_SECONDS = 0.0012
"""CPU seconds librsvg takes to draw one distinct element of a PDF (a node or an edge in
one state, a caption) on a page of its own, with a margin."""
DRAWN_ONCE = ("pdf", "handout")
"""Exports that draw each distinct element of their frames once (`elements`)."""
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
    """Milliseconds per step (GIF, MP4)."""
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
    return list(each_frame(graph, layout, options, look))


def each_frame(graph: Graph, layout: Layout, options: ExportOptions,
               look: Look | None = None) -> Iterator[Frame]:
    """The frames of `frames`, one at a time (a long export need not hold them all)."""
    look = look or Look(caption=options.caption, transparent=options.transparent)
    steps = steps_of(graph, options)
    texts = [caption_text(graph, k) for k in steps]
    kept = max((len(caption_lines(t, layout.width)) for t in texts), default=0)
    line, css = timeline(graph, layout.edge_labels, layout.numbers), frame_css(options.theme)
    for k, text in zip(steps, texts):
        svg = layout.fill(line.texts(k), css)
        yield Frame(k, phase_of(graph, k), text, decorate(svg, look, text, kept))


def frame_seconds(layout: Layout, kind: str) -> float:
    """CPU seconds one frame of this layout costs in the export `kind` (besides drawings)."""
    fixed, per_second = COST[kind]
    return fixed + (layout.nodes + layout.edges) / per_second


def work_seconds(layout: Layout, count: int, kind: str, drawings: int = 0) -> float:
    """Seconds `count` frames (and `drawings`) of the export `kind` take on an idle machine."""
    return (count * frame_seconds(layout, kind) + drawings * DRAWING_SECONDS) / RENDERERS


def export_seconds(graph: Graph, layout: Layout, steps: range, kind: str) -> float:
    """Seconds the export `kind` of these steps takes on an idle machine, known before it
    starts (for a PDF, with the distinct elements it will draw)."""
    drawings = drawings_needed(graph, layout, steps) if kind in DRAWN_ONCE else 0
    return work_seconds(layout, len(steps), kind, drawings)


def most_frames(graph: Graph, layout: Layout, options: ExportOptions, kind: str) -> int:
    """The most frames from the first step of `options` the export `kind` makes (0: not
    even one)."""
    steps = steps_of(graph, options)
    low, high = 0, len(steps)
    while low < high:
        middle = (low + high + 1) // 2
        if export_seconds(graph, layout, steps[:middle], kind) <= EXPORT_SECONDS:
            low = middle
        else:
            high = middle - 1
    return low


def check_export(graph: Graph, layout: Layout, options: ExportOptions, kind: str) -> float:
    """Refuse an export that would take longer than `EXPORT_SECONDS`, before any work,
    saying which range to ask for instead; else its deadline."""
    steps = steps_of(graph, options)
    if export_seconds(graph, layout, steps, kind) > EXPORT_SECONDS:
        most = most_frames(graph, layout, options, kind)
        if most == 0:
            raise ExportTooLarge(_(
                "this graph of {nodes} nodes is too large for a {kind} export: ask for one "
                "step as SVG or PNG, or shorten the program", nodes=layout.nodes, kind=kind))
        raise ExportTooLarge(_(
            "this export would draw {count} frames of {nodes} nodes, more than the app draws "
            "at once ({kind}: at most about {most} frames of this graph from step {first}); "
            "choose a range of steps with from=... and to=..., for example "
            "from={first}&to={last}", count=len(steps), nodes=layout.nodes, kind=kind,
            most=most, first=steps.start, last=steps.start + most - 1))
    return time.monotonic() + DEADLINE_SECONDS


def check_work(layout: Layout, count: int, kind: str) -> float:
    """`check_export` for an export that costs `count` frames whatever its range."""
    if work_seconds(layout, count, kind) > EXPORT_SECONDS:
        raise ExportTooLarge(_("this graph of {nodes} nodes is too large for a {kind} export: "
                               "shorten the program", nodes=layout.nodes, kind=kind))
    return time.monotonic() + DEADLINE_SECONDS


def checked_size(data: bytes) -> bytes:
    """The export, unless it is larger than `MAX_BYTES`."""
    if len(data) > MAX_BYTES:
        raise ExportTooLarge(_("the export is larger than {limit} MiB", limit=MAX_BYTES // 2**20))
    return data


__all__ = [
    "COST", "DEADLINE_SECONDS", "DRAWING_SECONDS", "DRAWN_ONCE", "EXPORT_SECONDS",
    "ExportOptions", "ExportTimeout", "ExportTooLarge", "Frame", "RendererMissing",
    "check_export", "check_work", "checked_size", "each_frame", "export_seconds", "frames",
    "most_frames", "phase_of", "steps_of", "work_seconds",
]
