"""Exports as the web asks for them: one program, its options and an export's, cached.

Each export is made from the analysis and the layout the page itself uses (`service`), so
asking for a PDF after looking at a program runs neither the engine nor dot again.
"""

from __future__ import annotations

from collections.abc import Callable

from autodiff import draw
from autodiff.draw.export import ExportOptions
from autodiff.draw.export.archive import frames_zip
from autodiff.draw.export.gif import animated_gif
from autodiff.draw.export.html import standalone_html
from autodiff.draw.export.pdf import handout_pdf, slides_pdf
from autodiff.draw.export.pptx import slides_pptx
from autodiff.lru import LRU
from autodiff.model import Graph

from .service import Options, analyse, normalise

MAKERS: dict[str, Callable[[Graph, draw.Layout, ExportOptions], bytes]] = {
    "pdf": slides_pdf,
    "handout": handout_pdf,
    "pptx": slides_pptx,
    "gif": animated_gif,
    "zip": frames_zip,
    "html": standalone_html,
}
"""Each export by name (`handout` is the PDF's `layout=handout`)."""

EXPORT_CACHE_SIZE = 16
"""Exports kept, least recently used dropped first."""
KEPT_BYTES = 4 * 1024 * 1024
"""Larger exports are made again rather than kept: the cache holds at most 64 MiB."""
_exports = LRU(EXPORT_CACHE_SIZE)


def export(kind: str, source: str, options: Options, chosen: ExportOptions) -> bytes:
    """The export `kind` of a program (cached by program, options and export options)."""
    key = (kind, normalise(source), options, chosen)
    found = _exports.get(key)
    if found is not None:
        return found
    graph = analyse(source, options).graph
    layout = draw.get_layout(graph, options.edge_labels, direction=options.direction)
    made = MAKERS[kind](graph, layout, chosen)
    if len(made) <= KEPT_BYTES:
        _exports.put(key, made)
    return made


def clear_cache() -> None:
    """Forget every export kept (tests and benchmarks)."""
    _exports.clear()
