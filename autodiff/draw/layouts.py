"""Layouts: a structure placed once by dot and drawn as a frame template, cached by structure.

A layout depends only on the graph's structure (`dot.Structure`), never on its values, so a
new input value never runs dot again. Requests for a structure whose dot still runs wait for
that run instead of starting another.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from ..lru import LRU
from ..model import Graph
from . import cancel, shared
from .dot import Structure, structure, structure_dot
from .graphviz import (
    LAYOUT_TIMEOUT,
    MAX_LAYOUT_SIZE,
    DotRun,
    GraphvizUnavailable,
    LayoutError,
    too_large,
)
from .placement import Placement, placement
from .svg import Drawer, Pieces, Slot, Template, prepare
from .theme import FRAME_CSS

STYLE = "\x02"
"""Stands for the theme's style sheet in a layout's template (never in escaped text)."""

CACHE_SIZE = 256
"""Layouts (or layout failures) kept, least recently used dropped first."""
CACHE_BYTES = 96_000_000
"""What the kept layouts may weigh in all (a 2,000-node layout's template is a few MB)."""
RETRY_FAILURE_AFTER = 60.0
"""Seconds a graph's own layout failure is answered from the cache before dot may try again
(a failure that is the server's, `GraphvizUnavailable`, is never kept)."""


@dataclass(frozen=True)
class Layout:
    """A laid-out structure: the SVG as static parts with per-frame slots between them."""

    key: str
    parts: tuple[str, ...]
    slots: tuple[Slot, ...]
    nodes: int
    edges: int
    width: float
    """Points, from the viewBox."""
    height: float
    edge_labels: bool = False
    direction: str = "lr"
    numbers: str = "standard"
    """How its boxes write numbers (`format.FORMS`): frames fill them in that form."""

    def fill(self, texts: list[str], css: str = FRAME_CSS) -> str:
        """The SVG with `texts[i]` in slot i and the style sheet `css` (a theme's)."""
        out = [""] * (2 * len(self.parts) - 1)
        out[0::2] = self.parts
        out[0] = out[0].replace(STYLE, css, 1)
        out[1::2] = texts
        return "".join(out)


@dataclass(frozen=True)
class LayoutJob:
    """A layout being made: dot runs; calling waits for it and draws the Layout."""

    s: Structure
    run: DotRun

    @cached_property
    def pieces(self) -> Pieces:
        """What of the drawing needs no coordinates: asked for while dot runs, it is ready
        when dot is done (see `PendingLayout.prepare`)."""
        return prepare(self.s)

    def __call__(self) -> Layout:
        """The Layout, once dot is done (or its LayoutError): each node and edge is read
        and drawn as dot writes it, so little is left to do when dot ends."""
        drawer, written = Drawer(self.s, self.pieces), self.run.as_written()
        try:
            place = placement(written, self.s, drawer)  # finds each node and edge, or raises
        except LayoutError:
            if self.run.cancelled:  # killed part way: what it wrote is no one's failure
                raise cancel.Cancelled from None
            raise
        finally:
            written.close()  # stops dot now if its output could not be read
        return make_layout(self.s, place, drawer.template(place.box, STYLE))


def start_job(s: Structure, timeout: float = LAYOUT_TIMEOUT) -> LayoutJob:
    """Start dot on a structure now; calling the result waits for it and makes the Layout."""
    if s.size > MAX_LAYOUT_SIZE:
        raise LayoutError(too_large(timeout))
    return LayoutJob(s, DotRun(structure_dot(s), "svg", timeout, size=s.size))


def lay_out(s: Structure, timeout: float = LAYOUT_TIMEOUT) -> Layout:
    """Run dot on a structure and draw the frame template."""
    return start_job(s, timeout)()


def make_layout(s: Structure, place: Placement, template: Template) -> Layout:
    """The frame template of a placed structure (drawn by a `Drawer` as it was placed)."""
    return Layout(
        s.key,
        template.parts,
        template.slots,
        len(s.nodes),
        len(s.edges),
        place.box[2],
        place.box[3],
        s.edge_labels,
        s.direction,
        s.numbers,
    )



def _weight(kept: tuple) -> int:
    """About the bytes a kept layout (or failure) holds."""
    layout = kept[0]
    if isinstance(layout, Layout):
        return sum(len(part) for part in layout.parts) + 64 * len(layout.slots)
    return 1_000


_LAYOUTS = LRU(CACHE_SIZE, max_bytes=CACHE_BYTES, weigh=_weight)
"""(A layout or why there is none, when it was made) by structure key."""


def _cached(key: str) -> Layout | LayoutError | None:
    found = _LAYOUTS.get(key)
    if found is None:
        layout = shared.get("layout", key)  # made by another worker process
        if isinstance(layout, Layout):
            _LAYOUTS.put(key, (layout, time.monotonic()))
        return layout if isinstance(layout, Layout) else None
    layout, made = found
    if isinstance(layout, LayoutError) and time.monotonic() - made > RETRY_FAILURE_AFTER:
        _LAYOUTS.discard(key)  # failures expire: the next request tries dot again
        return None
    return layout


def _remember(key: str, found: Layout | LayoutError) -> None:
    # A graph that failed once fails again for a while: do not run dot on every request.
    # A server fault is not the graph's: the next request tries again.
    if not isinstance(found, GraphvizUnavailable):
        _LAYOUTS.put(key, (found, time.monotonic()))
    if isinstance(found, Layout):
        shared.put("layout", key, found)


class PendingLayout:
    """A layout on its way: dot runs in its own process until `result` is asked for. The
    requests that wait for it are its `interest`: when all of them hang up, dot is killed."""

    def __init__(self, key: str, found: Layout | LayoutError | None = None,
                 finish: LayoutJob | None = None):
        self.key = key
        self._found = found
        self._finish: Callable[[], Layout] | None = finish
        self._lock = threading.Lock()
        self._structure: Structure | None = getattr(finish, "s", None)
        run = getattr(finish, "run", None)
        self.interest = cancel.Interest(run.cancel if run is not None else _nothing)

    def prepare(self) -> None:
        """Draw now what can be drawn before dot is done (call while doing other work)."""
        if isinstance(self._finish, LayoutJob):
            self._finish.pieces  # noqa: B018  (made and kept for `result`)

    def result(self) -> Layout:
        """The layout (waiting for dot if it still runs), or its LayoutError. Threads asking
        at once wait for the one that finishes it."""
        with self._lock:
            if self._found is None and self._finish is not None:
                finish, self._finish = self._finish, None
                try:
                    self._found = finish()
                except LayoutError as err:
                    self._found = err.with_traceback(None)  # kept: not its frames too
                except cancel.Cancelled:
                    pass  # every request that waited has gone: nothing to keep
                self.interest.finish()
                if self._found is not None:
                    _remember(self.key, self._found)
                with _STARTING:
                    if _RUNNING.get(self.key) is self:
                        del _RUNNING[self.key]
        if self._found is None:
            cancel.check()  # this request hung up too; else it came after dot was stopped
            return start_structure_layout(self._structure).result()
        if isinstance(self._found, LayoutError):
            raise type(self._found)(self._found.message)
        return self._found


def start_layout(
    graph: Graph,
    edge_labels: bool = False,
    timeout: float = LAYOUT_TIMEOUT,
    *,
    direction: str = "lr",
    numbers: str = "standard",
) -> PendingLayout:
    """Start laying out a graph (a cache hit is ready at once; a miss starts dot now)."""
    return start_structure_layout(_structure(graph, bool(edge_labels), direction, numbers),
                                  timeout)


_RUNNING: weakref.WeakValueDictionary[str, PendingLayout] = weakref.WeakValueDictionary()
"""Layouts whose dot runs, by key: a request for the same structure meanwhile (a lecture
hall opening one link at once) waits for that run instead of starting another. Weak, so a
run no request waits for any more is stopped as before."""
_STARTING = threading.Lock()
"""Held while a dot is started (a millisecond or so), so one structure gets one run."""


def start_structure_layout(s: Structure, timeout: float = LAYOUT_TIMEOUT) -> PendingLayout:
    """`start_layout` from a structure alone (e.g. `dot.trace_structure`, before the graph).
    The request asking joins the run's interest (see `PendingLayout`)."""
    found = _cached(s.key)
    if found is not None:
        return PendingLayout(s.key, found)
    cancel.check()  # a request whose client has gone starts no dot
    with _STARTING:
        running = _RUNNING.get(s.key)
        if running is None:
            found = _cached(s.key)  # finished while this thread waited for the lock
            if found is not None:
                return PendingLayout(s.key, found)
            try:
                running = PendingLayout(s.key, finish=start_job(s, timeout))
            except LayoutError as err:
                _remember(s.key, err)
                return PendingLayout(s.key, err)
            _RUNNING[s.key] = running
    running.interest.join()
    return running


def _nothing() -> None:
    """What stopping a layout that is already made does."""


def get_layout(
    graph: Graph,
    edge_labels: bool = False,
    timeout: float = LAYOUT_TIMEOUT,
    *,
    direction: str = "lr",
    numbers: str = "standard",
) -> Layout:
    """The graph's layout, from the cache when a graph of the same structure was drawn."""
    return start_layout(graph, edge_labels, timeout, direction=direction, numbers=numbers).result()


_STRUCTURES: weakref.WeakKeyDictionary[Graph, dict[tuple[bool, str, str], Structure]] = (
    weakref.WeakKeyDictionary())
"""Each graph's structures, for as long as the graph lives (the app asks for every frame)."""
_STRUCTURES_LOCK = threading.Lock()


def _structure(graph: Graph, edge_labels: bool, direction: str = "lr",
               numbers: str = "standard") -> Structure:
    """`dot.structure`, remembered per graph: the app asks again for every frame."""
    with _STRUCTURES_LOCK:
        known = _STRUCTURES.setdefault(graph, {})
        found = known.get((edge_labels, direction, numbers))
    if found is None:
        found = structure(graph, edge_labels, direction, numbers)
        with _STRUCTURES_LOCK:
            known[(edge_labels, direction, numbers)] = found
    return found


def adopt_structure(graph: Graph, s: Structure) -> None:
    """Remember that `s` is the graph's structure (made from its trace): not worked out again."""
    with _STRUCTURES_LOCK:
        _STRUCTURES.setdefault(graph, {})[(s.edge_labels, s.direction, s.numbers)] = s


def clear_cache() -> None:
    """Forget every layout (and any dot run others would wait for)."""
    _LAYOUTS.clear()
    with _STARTING:
        _RUNNING.clear()

def structure_key(graph: Graph, edge_labels: bool = False, direction: str = "lr",
                  numbers: str = "standard") -> str:
    """The cache key of a graph's layout: equal for graphs that differ only in values."""
    return _structure(graph, bool(edge_labels), direction, numbers).key
