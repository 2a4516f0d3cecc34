"""Exports as the web asks for them: one program, its options and an export's, cached.

Each export is made from the analysis and the layout the page itself uses (`service`), so
asking for a PDF after looking at a program runs neither the engine nor dot again.
"""

from __future__ import annotations

from autodiff import draw
from autodiff.draw.export import ExportOptions
from autodiff.draw.export.formats import make
from autodiff.lru import LRU

from .service import Options, analyse, normalise

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
    layout = draw.get_layout(graph, options.edge_labels, direction=options.direction,
                             numbers=options.numbers)
    made = make(kind, graph, layout, chosen)
    if len(made) <= KEPT_BYTES:
        _exports.put(key, made)
    return made


def clear_cache() -> None:
    """Forget every export kept (tests and benchmarks)."""
    _exports.clear()
