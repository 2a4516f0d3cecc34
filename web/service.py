"""What the web app asks of the library, cached: program text in, JSON-ready answers out.

Nothing here knows of Flask; `app.py` turns requests into these calls and results into
responses. Analyses are cached by the normalised program and options, layouts (in
`autodiff.draw`) by the graph's structure, so moving an input's slider never re-runs Graphviz;
`autodiff.reuse` is switched on here, so the next value re-reads one line and replays the trace.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import orjson

from autodiff import build, differentiate, draw, parse, reuse, trace
from autodiff.descent import descend
from autodiff.draw import trace_structure
from autodiff.draw.decorate import Look, caption_text, decorate
from autodiff.errors import AutodiffError, EvaluationError, LimitError
from autodiff.evaluate import Trace
from autodiff.format import FORMS
from autodiff.graph import check_output
from autodiff.i18n import N_, _
from autodiff.lru import LRU
from autodiff.model import Graph
from autodiff.tangents import forward_view

from .answer_bound import NUMBER, answer_bound
from .encode import descent_json, graph_json

ANALYSIS_CACHE_SIZE = 64
"""Programs kept analysed, at most."""
ANALYSIS_CACHE_BYTES = 160_000_000
"""What the kept analyses may weigh in all (`_weight`), per worker."""
MAX_ANSWER_BYTES = 32_000_000
"""Bytes of JSON a program's answer may take at most, by `answer_bound` (worked out from the
evaluated program, before the rest of the work): a program over arrays prints every element
in every step that reads it, so 18 KB of text could ask for 62 MB."""


def _rows(shape: tuple[int, ...]) -> int:
    """Bracketed rows of a value in JSON (a matrix's rows, else one)."""
    return shape[0] if len(shape) == 2 else 1


class AnswerTooLarge(LimitError):
    """An answer that could be larger than MAX_ANSWER_BYTES: refused before the work (413)."""

    status = 413


def check_answer_size(traced: Trace, forward: bool) -> None:
    """Refuse a program whose answer could take more than MAX_ANSWER_BYTES of JSON."""
    bound = answer_bound(traced, forward)
    if bound > MAX_ANSWER_BYTES:
        raise AnswerTooLarge(_(
            "the answer could take up to {size} MB of JSON; the limit is {limit} MB: every "
            "step shows each element of the arrays it reads, so use fewer lines over arrays, "
            "or smaller arrays", size=f"{bound / 1e6:.0f}", limit=f"{MAX_ANSWER_BYTES / 1e6:.0f}"))


def check_descent_size(graph: Graph, updates: int) -> None:
    """Refuse a descent whose points (every input and its gradient at each update) could
    take more than MAX_ANSWER_BYTES of JSON."""
    inputs = [n for n in graph.nodes if n.kind == "input"]
    point = 100 + sum(2 * (NUMBER * np.asarray(n.value).size + 2 * _rows(n.shape) + 8
                           + len(n.name.encode()) + 4) for n in inputs)
    bound = (updates + 1) * point
    if bound > MAX_ANSWER_BYTES:
        most = max(0, MAX_ANSWER_BYTES // point - 1)
        raise AnswerTooLarge(_(
            "{updates} updates of these inputs could take up to {size} MB of JSON; the limit "
            "is {limit} MB: ask for at most {most} updates", updates=updates,
            size=f"{bound / 1e6:.0f}", limit=f"{MAX_ANSWER_BYTES / 1e6:.0f}", most=most))


@dataclass(frozen=True)
class Options:
    """Everything besides the program text that changes an answer."""

    dtype: str = "float64"
    edge_labels: bool = False
    forward: str | None = None
    view: str = "reverse"
    """`forward`: the forward steps with their tangents (`autodiff.tangents.forward_view`)."""
    theme: str = draw.DEFAULT_THEME
    """Only the frame's style sheet: never a new layout."""
    direction: str = "lr"
    """Left-right or top-bottom: a layout of its own."""
    lang: str = "en"
    """The language of every text (the request's, `autodiff.i18n`): never a new layout."""
    expand: frozenset[str] = frozenset()
    """The composite ops drawn as their primitives (`autodiff.composites`): another graph."""

    @property
    def numbers(self) -> str:
        """The theme's number form: the display lines of the JSON and the boxes that hold
        them (the projector's compact form is a layout of its own)."""
        return draw.THEMES[self.theme].numbers


@dataclass(frozen=True)
class Analysis:
    """A built graph with its JSON body, encoded once (cached answers are not encoded again)."""

    graph: Graph
    body: bytes
    """`encode.graph_json` as UTF-8 JSON."""


def _weight(analysis: Analysis) -> int:
    """About what an analysis holds in memory: its JSON, and the graph as much again (the
    same numbers and texts as Python objects)."""
    return 2 * len(analysis.body)


_analyses = LRU(ANALYSIS_CACHE_SIZE, max_bytes=ANALYSIS_CACHE_BYTES, weigh=_weight)
"""Analyses by `_cache_key`."""

reuse.switch_on()  # a slider's next value re-parses one line and replays the kept trace


def normalise(source: str) -> str:
    """The program as the cache sees it: one newline style, no trailing blanks."""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _cache_key(source: str, options: Options) -> tuple:
    """What an analysis depends on (edge labels change only the drawing; the number form, the
    JSON's display lines)."""
    return (normalise(source), options.dtype, options.forward, options.view, options.lang,
            options.expand, options.numbers)


def _build(key: tuple) -> Graph:
    source, dtype, forward, view, _lang, expand, _numbers = key
    kept = _other_form(key)
    if kept is not None:
        return kept
    traced = trace(source, dtype, expand)
    check_answer_size(traced, forward is not None)
    return _in_view(differentiate(traced, forward), view)


def _other_form(key: tuple) -> Graph | None:
    """The graph of the same analysis kept in another number form (a switch to the projector
    theme and back writes the numbers again, and builds nothing)."""
    for numbers in FORMS:
        kept = _analyses.get((*key[:-1], numbers)) if numbers != key[-1] else None
        if kept is not None:
            return kept.graph
    return None


def _in_view(graph: Graph, view: str) -> Graph:
    """The graph as the view shows it: reverse mode's steps, or forward mode's tangents."""
    return forward_view(graph) if view == "forward" else graph


def _store(key: tuple, graph: Graph) -> Analysis:
    """Encode a graph's JSON once and keep it (its size was bounded by `check_answer_size`)."""
    analysis = Analysis(graph, encode(graph_json(graph, numbers=key[-1])))
    _analyses.put(key, analysis)
    return analysis


def analyse(source: str, options: Options) -> Analysis:
    """Build (or fetch) the graph of a program and its JSON body."""
    key = _cache_key(source, options)
    with _known_or_claimed(key) as analysis:
        return analysis or _store(key, _build(key))


def encode(body: dict) -> bytes:
    """JSON as UTF-8, by orjson (a 1,000-node body is about a megabyte: `json` is far slower);
    it refuses NaN and infinities only by writing null, so `encode.graph_json` spells them first."""
    return orjson.dumps(body)


def graph_answer(source: str, options: Options, known_layout: str | None = None,
                 descent: tuple[float, int] | None = None) -> bytes:
    """The `/api/graph` JSON text: the analysis plus the layout (left out when already known),
    and `descent`'s (learning rate, updates) of gradient descent when asked for."""
    analysis, pending = _analysis_and_layout(source, options, known_layout)
    extra: dict = {}
    if descent is not None:
        rate, updates = descent
        check_descent_size(analysis.graph, updates)
        run = descend(parse(normalise(source)), options.dtype, rate, updates,
                      len(analysis.graph.nodes))
        extra.update(descent_json(run))
    try:
        if pending is None:
            extra["layout"] = {"key": known_layout, "svg": None}
        else:
            # The JSON is made while dot runs (see `_analysis_and_layout`), and so are the
            # frame's texts and the parts of the drawing that need no coordinates.
            frame = draw.start_frame(analysis.graph, None, options.edge_labels, options.theme)
            pending.prepare()
            layout = pending.result()
            extra["layout"] = {"key": layout.key, "svg": frame(layout)}
    except draw.LayoutError as err:
        extra["layout"] = {"key": None, "svg": None}
        extra["layout_error"] = err.message
    # The cached body is spliced rather than re-encoded: it can be megabytes for big graphs.
    return analysis.body[:-1] + b"," + encode(extra)[1:]


def _analysis_and_layout(
    source: str, options: Options, known_layout: str | None
) -> tuple[Analysis, draw.PendingLayout | None]:
    """The analysis, with dot started as early as it can be (None: the client has the layout).

    For a new program dot starts once the program is evaluated, from the trace's structure:
    it lays the graph out while reverse mode, the step texts and the JSON are worked out.
    """
    key = _cache_key(source, options)
    with _known_or_claimed(key) as analysis:
        other = None if analysis is not None else _other_form(key)
        if other is not None:
            analysis = _store(key, other)
        if analysis is not None:
            graph, labels, direction = analysis.graph, options.edge_labels, options.direction
            numbers = options.numbers
            known = known_layout == draw.structure_key(graph, labels, direction, numbers)
            pending = None if known else draw.start_layout(graph, labels, direction=direction,
                                                           numbers=numbers)
            return analysis, pending
        source, dtype, forward, view, _lang, expand, numbers = key
        traced = trace(source, dtype, expand)
        check_output(traced)  # no layout for a program that has no gradients to show
        check_answer_size(traced, forward is not None)  # before dot and the rest
        s = trace_structure(traced, options.edge_labels, options.direction, numbers)
        pending = None if known_layout == s.key else draw.start_structure_layout(s)
        graph = _in_view(differentiate(traced, forward), view)
        draw.adopt_structure(graph, s)
        return _store(key, graph), pending


PEER_WAIT_S = 20.0
"""How long a request waits for another working out the same program (far longer than any
analysis takes within the limits); then it works it out itself."""
_WORKING: dict[tuple, threading.Event] = {}
"""Programs being analysed, by cache key: set once the analysis is stored (or failed)."""
_WORKING_LOCK = threading.Lock()


@contextmanager
def _known_or_claimed(key: tuple) -> Iterator[Analysis | None]:
    """The stored analysis (after waiting for a request working it out), or None: then the
    block works it out and stores it, and requests waiting for this one go on when it ends."""
    analysis = _analyses.get(key)
    if analysis is not None:
        yield analysis
        return
    mine = _claim(key)
    try:
        yield _analyses.get(key) if mine is None else None
    finally:
        if mine is not None:
            _release(key, mine)


def _claim(key: tuple) -> threading.Event | None:
    """Claim the analysis of a program: an event to `_release` once it is stored, or None
    after waiting for the request that claimed it first (a lecture hall opening one link at
    once makes one analysis and one layout per worker, not one per request)."""
    with _WORKING_LOCK:
        working = _WORKING.get(key)
        if working is None:
            _WORKING[key] = mine = threading.Event()
            return mine
    working.wait(PEER_WAIT_S)
    return None


def _release(key: tuple, mine: threading.Event) -> None:
    with _WORKING_LOCK:
        if _WORKING.get(key) is mine:
            del _WORKING[key]
    mine.set()


PLAIN = Look()
"""A frame as the page shows it: no caption, its background, its natural size."""


def frame_svg(source: str, options: Options, step: int | None, look: Look = PLAIN) -> str:
    """One frame of the stepper as standalone SVG, dressed by `look`."""
    graph = analyse(source, options).graph
    layout = draw.get_layout(graph, options.edge_labels, direction=options.direction,
                             numbers=options.numbers)
    svg = draw.render_frame(layout, graph, step, options.theme)
    return decorate(svg, look, caption_text(graph, step))


def frame_png(source: str, options: Options, step: int | None, look: Look = PLAIN) -> bytes:
    """One frame of the stepper as PNG, dressed by `look`."""
    graph = analyse(source, options).graph
    layout = draw.get_layout(graph, options.edge_labels, direction=options.direction,
                             numbers=options.numbers)
    return draw.render_png(layout, graph, step, theme=options.theme, look=look)


def parse_step(text: str | None) -> int | None:
    """`step` from a request: absent means the final frame; negative or non-numbers are errors."""
    if text is None or text == "":
        return None
    try:
        step = int(text)
    except ValueError:
        raise EvaluationError(_("step must be a whole number, not {given}",
                                given=repr(text[:20]))) from None
    if step < 0:
        raise EvaluationError(N_("step must be 0 or more"))
    return step


HEALTH_TIMEOUT = 0.8
"""Seconds dot may take for the health check's two-node graph: a probe answers within a
second whether dot works now (nothing about it is cached)."""


def health() -> bool:
    """Whether the engine and Graphviz both work now: a tiny program, and dot started afresh."""
    try:
        build("x = 1\nf = 2 * x")
    except AutodiffError:
        return False
    return draw.dot_works(HEALTH_TIMEOUT)


def after_response() -> None:
    """Work that need not delay an answer, done once it is sent: start the next spare dot."""
    draw.refill_spare()
