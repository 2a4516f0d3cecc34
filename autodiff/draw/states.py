"""What the drawing shows at each step: per node its classes and lines, per edge its classes.

One file on purpose (past 400 lines): it holds the rules twice, as the reference
`frame_state` and as the incremental `timeline` frames are cut from, and a reader checks the
one against the other here.

Steps are those of the public API: 0 shows nothing computed; 1..F are the forward steps
(`graph.steps[k-1]`); then the seed (the first backward step) and the backward steps;
`None` is the last frame (= len(graph.steps)); out-of-range steps are clamped.

The rules at step k (the browser applies the same ones to the same SVG):

- Value lines show `display_rows(value)` for inputs and constants, and for an op once its
  forward step index is ≤ k; until then the node has class `pending` and each line is `·`.
- Gradient lines are empty until the node receives gradient: the seed gives the output
  `display_rows(1)`, and every value the output does not depend on (`graph.unused`) its
  gradient 0 as `display_rows(node.grad)`, final (nothing will ever flow into it); each
  backward contribution sets its target's lines to `display_rows(contribution.total)`,
  class `grad-partial` until the contribution with `final` true arrives, then `grad-final`.
  Constants never get a gradient and have neither class.
- The step's node has class `current`; the step's edges have `active` and its phase,
  `forward` or `backward`.
- `dead`: the output does not depend on the node (edges: into a dead node).
- `nonfinite`: the value shown holds NaN or an infinity; `nonfinite-grad`: the gradient shown.
- Edges into a pending node are `pending` and their local derivative (edge labels) is `·`;
  once the node is computed it is the `local_display` text of the graph's JSON.

`frame_state` applies these rules to every node and edge: the reference. `timeline` applies
them once per graph, step after step, to only what each step touches, and keeps the texts of
the drawing's slots (`slot_order`) as snapshots and changes: a frame then costs a copy and a
few assignments (`Timeline.texts`), whatever the graph's size.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import NamedTuple

import numpy as np

from ..display import displays
from ..format import FORMS, display_height, display_rows
from ..model import KIND_CONST, KIND_OP, Graph, all_finite
from .dot import PLACEHOLDER
from .svg import Slot, escape


class NodeState(NamedTuple):
    """One node in one frame."""

    classes: tuple[str, ...]
    value: tuple[str, ...]
    """One text per display row: numbers, or the placeholder while pending."""
    grad: tuple[str, ...]
    """One text per display row, or () before any gradient arrived."""


class EdgeState(NamedTuple):
    """One edge in one frame."""

    classes: tuple[str, ...]
    local: str
    """The local derivative ∂dst/∂src as the edge label shows it."""


@dataclass(frozen=True)
class FrameState:
    """Everything that changes between frames; the layout holds the rest."""

    step: int
    phase: str | None
    """`forward`, `backward`, or None at step 0."""
    nodes: tuple[NodeState, ...]
    edges: tuple[EdgeState, ...]


@dataclass(frozen=True)
class _Grad:
    """A gradient as a frame shows it."""

    rows: tuple[str, ...]
    final: bool
    finite: bool


@dataclass(frozen=True)
class _Texts:
    """A graph's display texts, computed once: frames only pick from them."""

    values: tuple[tuple[str, ...], ...]
    pending: tuple[tuple[str, ...], ...]
    finite: tuple[bool, ...]
    computed_at: tuple[int, ...]
    """Per node, the first step whose frame shows its value (0 for inputs and constants)."""
    grads: tuple[tuple[tuple[int, _Grad], ...], ...]
    """Per step, the (node, gradient) updates it makes."""
    locals: tuple[str, ...]


class _Node(NamedTuple):
    """What the node rules look at."""

    shown: bool
    current: bool
    live: bool
    finite: bool
    final: bool | None
    """None before any gradient arrived."""
    grad_finite: bool


class _Edge(NamedTuple):
    """What the edge rules look at."""

    active: bool
    phase: str | None
    live: bool
    shown: bool


NODE_RULES: tuple[tuple[str, Callable[[_Node], bool]], ...] = (
    ("pending", lambda n: not n.shown),
    ("current", lambda n: n.current),
    ("dead", lambda n: not n.live),
    ("nonfinite", lambda n: n.shown and not n.finite),
    ("grad-partial", lambda n: n.final is False),
    ("grad-final", lambda n: n.final is True),
    ("nonfinite-grad", lambda n: n.final is not None and not n.grad_finite),
)
"""A node's state classes, in the order they are written."""

EDGE_RULES: tuple[tuple[str, Callable[[_Edge], bool]], ...] = (
    ("active", lambda e: e.active),
    ("forward", lambda e: e.active and e.phase == "forward"),
    ("backward", lambda e: e.active and e.phase == "backward"),
    ("dead", lambda e: not e.live),
    ("pending", lambda e: not e.shown),
)
"""An edge's state classes, in the order they are written."""

_CACHE: weakref.WeakKeyDictionary[Graph, dict[str, _Texts]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def clamp_step(graph: Graph, step: int | None) -> int:
    """The step a frame shows: None is the last, others are clamped to 0..len(steps)."""
    last = len(graph.steps)
    return last if step is None else min(max(int(step), 0), last)


def frame_state(graph: Graph, step: int | None = None, numbers: str = "standard") -> FrameState:
    """The classes and texts of every node and edge at `step`, numbers in the form `numbers`."""
    k = clamp_step(graph, step)
    texts = _texts(graph, numbers)
    grads: dict[int, _Grad] = {}
    for updates in texts.grads[:k]:
        grads.update(updates)
    shown = [k >= at for at in texts.computed_at]
    values = [v if seen else p for v, p, seen in zip(texts.values, texts.pending, shown)]
    return _state(graph, k, grads, shown, values, texts.finite, texts.locals)


def final_state(graph: Graph, numbers: str = "standard") -> FrameState:
    """`frame_state(graph, None)` worked out directly: in the last frame every value is shown
    and every gradient that arrived is complete, so the running totals of the frames before
    it (which `frame_state` collects for any step) are not needed. The tests hold the two
    equal; `/api/graph` sends this frame with a new layout."""
    shown = displays(graph, numbers)
    reached = (graph.nodes[t] for t in {c.target for c in graph.contributions})
    grads = {n.index: _Grad(shown.grads[n.index], True, n.grad_finite) for n in reached}
    for step in graph.steps:
        if step.kind == "seed":
            grads.update(_seed_update(graph, step, numbers))
    return _state(
        graph, len(graph.steps), grads, [True] * len(graph.nodes), shown.values,
        [n.value_finite for n in graph.nodes], shown.locals,
    )


def _state(graph: Graph, k: int, grads: dict[int, _Grad], shown: list[bool],
           values: list[tuple[str, ...]], finite, locals_) -> FrameState:
    """Frame k from what it shows: each node's gradient so far, whether its value is shown,
    its value lines and finiteness, each edge's local-derivative text."""
    current = graph.steps[k - 1] if k else None
    active = set(current.edges) if current else set()
    phase = current.phase if current else None
    now = current.node if current else -1
    nodes = []
    for n in graph.nodes:
        i = n.index
        grad = grads.get(i)
        classes = _node_classes(
            shown[i],
            i == now,
            n.live,
            finite[i],
            None if grad is None else grad.final,
            grad is None or grad.finite,
        )
        nodes.append(NodeState(classes, values[i], () if grad is None else grad.rows))
    edges = tuple(
        EdgeState(
            _edge_classes(e.index in active, phase, graph.nodes[e.dst].live, shown[e.dst]),
            locals_[e.index] if shown[e.dst] else PLACEHOLDER,
        )
        for e in graph.edges
    )
    return FrameState(k, phase, tuple(nodes), edges)


@lru_cache(maxsize=512)
def _node_classes(*facts) -> tuple[str, ...]:
    """The classes NODE_RULES give for `_Node(*facts)` (few distinct facts: cached)."""
    node = _Node(*facts)
    return tuple(name for name, applies in NODE_RULES if applies(node))


@lru_cache(maxsize=512)
def _edge_classes(*facts) -> tuple[str, ...]:
    """The classes EDGE_RULES give for `_Edge(*facts)`."""
    edge = _Edge(*facts)
    return tuple(name for name, applies in EDGE_RULES if applies(edge))


def _texts(graph: Graph, numbers: str) -> _Texts:
    with _LOCK:
        found = _CACHE.get(graph, {}).get(numbers)
    if found is None:
        found = _make_texts(graph, numbers)
        with _LOCK:
            _CACHE.setdefault(graph, {})[numbers] = found
    return found


def _make_texts(graph: Graph, numbers: str) -> _Texts:
    shown, form = displays(graph, numbers), FORMS[numbers]
    totals = iter(shown.totals)  # contributions come step after step, in graph order
    computed_at = [0] * len(graph.nodes)
    grads: list[tuple[tuple[int, _Grad], ...]] = []
    for k, step in enumerate(graph.steps, start=1):
        if step.phase == "forward" and graph.nodes[step.node].kind == KIND_OP:
            computed_at[step.node] = k
        if step.kind == "seed":
            grads.append(_seed_update(graph, step, numbers))
        else:
            grads.append(tuple(
                (c.target, _Grad(next(totals), c.final, all_finite(np.asarray(c.total))))
                for c in step.contributions
            ))
    return _Texts(
        shown.values,
        tuple((PLACEHOLDER,) * display_height(n.shape, form) for n in graph.nodes),
        tuple(n.value_finite for n in graph.nodes),
        tuple(computed_at),
        tuple(grads),
        shown.locals,
    )


def _seed_update(graph: Graph, step, numbers: str) -> tuple[tuple[int, _Grad], ...]:
    """The seed's gradient 1 for the output, and their gradient 0 for the values it does not
    depend on."""
    seed = np.ones(graph.nodes[step.node].shape)
    zeros = displays(graph, numbers).grads
    return ((step.node, _Grad(tuple(display_rows(seed, FORMS[numbers])), True, True)),
            *((i, _Grad(zeros[i], True, True)) for i in graph.unused))


# --- the fast path: every slot's texts over time, computed once per graph ------------------

MAX_SNAPSHOTS = 32
"""Full copies of the slot texts kept per timeline; frames between them replay changes."""
MIN_STRIDE = 8
"""Steps between snapshots, at least."""


def slot_order(graph: Graph, edge_labels: bool, numbers: str = "standard") -> tuple[Slot, ...]:
    """The drawing's slots in document order (`svg.draw` writes them in this order)."""
    # Per node its classes, value and gradient lines; per edge its classes and local derivative.
    slots: list[Slot] = []
    form = FORMS[numbers]
    for n in graph.nodes:
        lines = range(display_height(n.shape, form))
        slots.append(("node", n.index, 0))
        slots += [("val", n.index, j) for j in lines]
        slots += [("grad", n.index, j) for j in lines] if n.kind != KIND_CONST else []
    for e in graph.edges:
        slots.append(("edge", e.index, 0))
        slots += [("local", e.index, 0)] if edge_labels else []
    return tuple(slots)


@lru_cache(maxsize=1024)
def class_attr(classes: tuple[str, ...]) -> str:
    """State classes as they follow the fixed ones in a `class` attribute."""
    return "".join(" " + name for name in classes)


@dataclass(frozen=True)
class Timeline:
    """The texts of every slot (escaped, in `slots` order) at every step of one graph."""

    slots: tuple[Slot, ...]
    last: int
    stride: int
    snapshots: tuple[tuple[str, ...], ...]
    """The texts at steps 0, stride, 2·stride, ..."""
    changes: tuple[tuple[tuple[int, str], ...], ...]
    """Per step k ≥ 1, the (slot position, text) pairs that differ from step k - 1."""

    def texts(self, step: int | None = None) -> list[str]:
        """The slot texts at `step` (None: the last; others clamped like `clamp_step`)."""
        k = self.last if step is None else min(max(int(step), 0), self.last)
        base = k - k % self.stride
        texts = list(self.snapshots[base // self.stride])
        for changes in self.changes[base + 1 : k + 1]:
            for position, text in changes:
                texts[position] = text
        return texts


_TIMELINES: weakref.WeakKeyDictionary[Graph, dict[tuple[bool, str], Timeline]] = (
    weakref.WeakKeyDictionary())


def timeline(graph: Graph, edge_labels: bool = False, numbers: str = "standard") -> Timeline:
    """The graph's timeline, made on first use and kept as long as the graph."""
    with _LOCK:
        found = _TIMELINES.get(graph, {}).get((edge_labels, numbers))
    if found is None:
        found = _Sweep(graph, edge_labels, numbers).run()
        with _LOCK:
            _TIMELINES.setdefault(graph, {})[(edge_labels, numbers)] = found
    return found


class _Sweep:
    """Walks the steps once, re-applying the rules only to what each step touches."""

    def __init__(self, graph: Graph, edge_labels: bool, numbers: str):
        self.graph, self.edge_labels = graph, edge_labels
        self.texts = texts = _texts(graph, numbers)
        self.slots = slot_order(graph, edge_labels, numbers)
        where = {slot: position for position, slot in enumerate(self.slots)}
        self.node_at = [where["node", n.index, 0] for n in graph.nodes]
        self.edge_at = [where["edge", e.index, 0] for e in graph.edges]
        self.into: list[list[int]] = [[] for _ in graph.nodes]
        for e in graph.edges:
            self.into[e.dst].append(e.index)
        self.escaped: dict[str, str] = {}
        self.values = [self.lines(at + 1, rows) for at, rows in zip(self.node_at, texts.values)]
        self.pending = [self.lines(at + 1, rows) for at, rows in zip(self.node_at, texts.pending)]
        self.grad_at = [at + 1 + len(rows) for at, rows in zip(self.node_at, texts.pending)]
        self.grad_lines: dict[int, list[tuple[int, str]]] = {}
        self.grads: dict[int, _Grad] = {}
        self.current = [""] * len(self.slots)

    def run(self) -> Timeline:
        """Every step's changes, and a snapshot every `stride` steps."""
        graph, last = self.graph, len(self.graph.steps)
        stride = max(MIN_STRIDE, -(-(last + 1) // MAX_SNAPSHOTS))
        self.changed(range(len(graph.nodes)), range(len(graph.edges)), 0)
        snapshots, changes = [tuple(self.current)], [()]
        for k in range(1, last + 1):
            self.grads.update(self.texts.grads[k - 1])
            changes.append(tuple(self.changed(*self.touched(k), k)))
            if k % stride == 0:
                snapshots.append(tuple(self.current))
        return Timeline(self.slots, last, stride, tuple(snapshots), tuple(changes))

    def touched(self, k: int) -> tuple[set[int], set[int]]:
        """Nodes and edges whose state may differ between steps k - 1 and k."""
        steps = self.graph.steps
        step = steps[k - 1]
        nodes = {step.node, *(target for target, _ in self.texts.grads[k - 1])}
        edges = set(step.edges)
        if k > 1:
            nodes.add(steps[k - 2].node)
            edges.update(steps[k - 2].edges)
        if self.texts.computed_at[step.node] == k:
            edges.update(self.into[step.node])
        return nodes, edges

    def changed(self, nodes, edges, k: int) -> list[tuple[int, str]]:
        """Set the texts of these nodes and edges at step k; the (position, text) that moved."""
        current, moved = self.current, []
        texts = [*map(self.node_texts, nodes, repeat(k)), *map(self.edge_texts, edges, repeat(k))]
        for pairs in texts:
            for position, text in pairs:
                if current[position] != text:
                    current[position] = text
                    moved.append((position, text))
        return moved

    def node_texts(self, i: int, k: int) -> list[tuple[int, str]]:
        """Node i's slot texts at step k, by position."""
        graph, texts = self.graph, self.texts
        grad = self.grads.get(i)
        shown = k >= texts.computed_at[i]
        current = k > 0 and graph.steps[k - 1].node == i
        final = None if grad is None else grad.final
        grad_finite = grad is None or grad.finite
        facts = (shown, current, graph.nodes[i].live, texts.finite[i], final, grad_finite)
        out = [(self.node_at[i], class_attr(_node_classes(*facts)))]
        out += self.values[i] if shown else self.pending[i]
        if graph.nodes[i].kind != KIND_CONST:
            out += self.gradient(i, grad)
        return out

    def gradient(self, i: int, grad: _Grad | None) -> list[tuple[int, str]]:
        """Node i's gradient lines for `grad` (empty ones before any gradient), by position."""
        key = -1 - i if grad is None else id(grad)
        found = self.grad_lines.get(key)
        if found is None:
            rows = grad.rows if grad is not None else ("",) * len(self.texts.pending[i])
            found = self.grad_lines[key] = self.lines(self.grad_at[i], rows)
        return found

    def edge_texts(self, e: int, k: int) -> list[tuple[int, str]]:
        """Edge e's slot texts at step k, by position."""
        graph, texts = self.graph, self.texts
        dst = graph.edges[e].dst
        step = graph.steps[k - 1] if k else None
        active = step is not None and e in step.edges
        shown = k >= texts.computed_at[dst]
        facts = (active, step.phase if step else None, graph.nodes[dst].live, shown)
        out = [(self.edge_at[e], class_attr(_edge_classes(*facts)))]
        if self.edge_labels:
            local = texts.locals[e] if shown else PLACEHOLDER
            out.append((self.edge_at[e] + 1, self.escape(local)))
        return out

    def lines(self, at: int, rows: tuple[str, ...]) -> list[tuple[int, str]]:
        """Escaped lines by position, the first at `at`."""
        return [(at + j, self.escape(row)) for j, row in enumerate(rows)]

    def escape(self, text: str) -> str:
        """`svg.escape`, remembered: the same few texts recur."""
        found = self.escaped.get(text)
        if found is None:
            found = self.escaped[text] = escape(text)
        return found
