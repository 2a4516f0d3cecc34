"""Every export by name, with its file name and media type (the routes and the command line)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ...model import Graph
from ..layouts import Layout
from . import ExportOptions
from .archive import frames_zip
from .gif import animated_gif
from .html import standalone_html
from .pdf import handout_pdf, slides_pdf
from .pptx import slides_pptx
from .tex import tikz_tex
from .video import step_video


class Format(NamedTuple):
    """How one export is made and saved."""

    make: Callable[..., bytes]
    """(graph, layout, options, progress=None) -> the file's bytes."""
    file: str
    mimetype: str


PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

FORMATS: dict[str, Format] = {
    "pdf": Format(slides_pdf, "steps.pdf", "application/pdf"),
    "handout": Format(handout_pdf, "handout.pdf", "application/pdf"),
    "pptx": Format(slides_pptx, "steps.pptx", PPTX_TYPE),
    "gif": Format(animated_gif, "steps.gif", "image/gif"),
    "mp4": Format(step_video, "steps.mp4", "video/mp4"),
    "zip": Format(frames_zip, "steps.zip", "application/zip"),
    "html": Format(standalone_html, "steps.html", "text/html"),
    "tex": Format(tikz_tex, "steps.tex", "application/x-tex"),
}
"""`handout` is the PDF with `layout=handout`."""


def make(kind: str, graph: Graph, layout: Layout, options: ExportOptions,
         progress: Callable[[int], None] | None = None) -> bytes:
    """The export `kind` (a handout when a PDF's layout says so)."""
    if kind == "pdf" and options.layout == "handout":
        kind = "handout"
    return FORMATS[kind].make(graph, layout, options, progress=progress)
