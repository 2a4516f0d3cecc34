"""What the web app asks of the library, cached: program text in, JSON-ready answers out.

Nothing here knows of Flask; `app.py` turns requests into these calls and results into
responses. Analyses are cached by the normalised program and options, layouts (in
`render.py`) by the graph's structure, so moving an input's slider never re-runs Graphviz.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from . import build, render
from .dot import dot_source
from .errors import AutodiffError, EvaluationError
from .model import Graph
from .serialize import graph_json

ANALYSIS_CACHE_SIZE = 64
"""Programs kept analysed; each holds at most `limits.MAX_TOTAL_ELEMENTS` numbers a few times."""


@dataclass(frozen=True)
class Options:
    """Everything besides the program text that changes an answer."""

    dtype: str = "float64"
    edge_labels: bool = False
    forward: str | None = None


@dataclass(frozen=True)
class Analysis:
    """A built graph with its JSON body, encoded once."""

    graph: Graph
    body: dict
    body_text: str
    """`body` as JSON text, so cached answers are not encoded again."""


class LRU:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value for key, or None; marks it recently used."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value) -> None:
        """Store a value, dropping the least recently used beyond the size."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests and benchmarks)."""
        with self._lock:
            self._items.clear()


_analyses = LRU(ANALYSIS_CACHE_SIZE)


def normalise(source: str) -> str:
    """The program as the cache sees it: one newline style, no trailing blanks."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _cache_key(source: str, options: Options) -> tuple:
    """What an analysis depends on (edge labels change only the drawing)."""
    return (normalise(source), options.dtype, options.forward)


def _build(key: tuple) -> Graph:
    source, dtype, forward = key
    return build(source, dtype=dtype, forward=forward)


def _store(key: tuple, graph: Graph) -> Analysis:
    """Encode a graph's JSON once and keep it."""
    body = graph_json(graph)
    analysis = Analysis(graph, body, json.dumps(body, ensure_ascii=False, allow_nan=False))
    _analyses.put(key, analysis)
    return analysis


def analyse(source: str, options: Options) -> Analysis:
    """Build (or fetch) the graph of a program and its JSON body."""
    key = _cache_key(source, options)
    return _analyses.get(key) or _store(key, _build(key))


def graph_answer(source: str, options: Options, known_layout: str | None = None) -> str:
    """The `/api/graph` JSON text: the analysis plus the layout (left out when already known)."""
    analysis, pending = _analysis_and_layout(source, options, known_layout)
    extra: dict = {}
    try:
        if pending is None:
            extra["layout"] = {"key": known_layout, "svg": None}
        else:
            # The JSON is made while dot runs (see `_analysis_and_layout`), and so is the frame.
            frame = render.start_frame(analysis.graph, None, options.edge_labels)
            layout = pending.result()
            extra["layout"] = {"key": layout.key, "svg": frame(layout)}
    except render.LayoutError as err:
        extra["layout"] = {"key": None, "svg": None}
        extra["layout_error"] = err.message
    # The cached body is spliced rather than re-encoded: it can be megabytes for big graphs.
    tail = json.dumps(extra, ensure_ascii=False)
    return analysis.body_text[:-1] + ", " + tail[1:]


def _analysis_and_layout(
    source: str, options: Options, known_layout: str | None
) -> tuple[Analysis, render.PendingLayout | None]:
    """The analysis, dot started as soon as the graph exists (None: the client has the layout)."""
    key = _cache_key(source, options)
    analysis = _analyses.get(key)
    graph = analysis.graph if analysis else _build(key)
    known = known_layout == render.structure_key(graph, options.edge_labels)
    pending = None if known else render.start_layout(graph, edge_labels=options.edge_labels)
    return analysis or _store(key, graph), pending


def frame_svg(source: str, options: Options, step: int | None) -> str:
    """One frame of the stepper as standalone SVG."""
    graph = analyse(source, options).graph
    layout = render.get_layout(graph, edge_labels=options.edge_labels)
    return render.render_frame(layout, graph, step)


def frame_png(source: str, options: Options, step: int | None) -> bytes:
    """One frame of the stepper as PNG."""
    graph = analyse(source, options).graph
    layout = render.get_layout(graph, edge_labels=options.edge_labels)
    return render.render_png(layout, graph, step)


def parse_step(text: str | None) -> int | None:
    """`step` from a request: absent means the final frame; negative or non-numbers are errors."""
    if text is None or text == "":
        return None
    try:
        step = int(text)
    except ValueError:
        raise EvaluationError(f"step must be a whole number, not {text[:20]!r}") from None
    if step < 0:
        raise EvaluationError("step must be 0 or more")
    return step


def health() -> bool:
    """Whether the engine and Graphviz both work, on a tiny program."""
    try:
        graph = build("x = 1\nf = 2 * x")
        return bool(render.layout(dot_source(graph), timeout=5.0))
    except AutodiffError:
        return False
