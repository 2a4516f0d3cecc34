"""What the drawing shows at each step: per node its classes and lines, per edge its classes.

Steps are those of the public API: 0 shows nothing computed; 1..F are the forward steps
(`graph.steps[k-1]`); then the seed (the first backward step) and the backward steps;
`None` is the last frame (= len(graph.steps)); out-of-range steps are clamped.

The rules at step k (the browser applies the same ones to the same SVG):

- Value lines show `display_rows(value)` for inputs and constants, and for an op once its
  forward step index is ≤ k; until then the node has class `pending` and each line is `·`.
- Gradient lines are empty until the node receives gradient: the seed gives the output
  `display_rows(1)`; each backward contribution sets its target's lines to
  `display_rows(contribution.total)`, class `grad-partial` until the contribution with
  `final` true arrives, then `grad-final`. Nodes that never get gradient have neither class.
- The step's node has class `current`; the step's edges have `active` and its phase,
  `forward` or `backward`.
- `dead`: the output does not depend on the node (edges: into a dead node).
- `nonfinite`: the value shown holds NaN or an infinity; `nonfinite-grad`: the gradient shown.
- Edges into a pending node are `pending` and their local derivative (edge labels) is `·`;
  once the node is computed it is the `local_display` text of the graph's JSON.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .dot import PLACEHOLDER
from .format import display_height, display_rows
from .model import KIND_OP, Graph
from .serialize import _local_display as local_display  # the JSON's `local_display` text


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

_CACHE: weakref.WeakKeyDictionary[Graph, _Texts] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def clamp_step(graph: Graph, step: int | None) -> int:
    """The step a frame shows: None is the last, others are clamped to 0..len(steps)."""
    last = len(graph.steps)
    return last if step is None else min(max(int(step), 0), last)


def frame_state(graph: Graph, step: int | None = None) -> FrameState:
    """The classes and texts of every node and edge at `step`."""
    k = clamp_step(graph, step)
    texts = _texts(graph)
    grads: dict[int, _Grad] = {}
    for updates in texts.grads[:k]:
        grads.update(updates)
    current = graph.steps[k - 1] if k else None
    active = set(current.edges) if current else set()
    phase = current.phase if current else None
    now = current.node if current else -1
    shown = [k >= at for at in texts.computed_at]
    nodes = []
    for n in graph.nodes:
        i = n.index
        grad = grads.get(i)
        classes = _node_classes(
            shown[i],
            i == now,
            n.live,
            texts.finite[i],
            None if grad is None else grad.final,
            grad is None or grad.finite,
        )
        nodes.append(
            NodeState(
                classes,
                texts.values[i] if shown[i] else texts.pending[i],
                () if grad is None else grad.rows,
            )
        )
    edges = tuple(
        EdgeState(
            _edge_classes(e.index in active, phase, graph.nodes[e.dst].live, shown[e.dst]),
            texts.locals[e.index] if shown[e.dst] else PLACEHOLDER,
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


def _texts(graph: Graph) -> _Texts:
    with _LOCK:
        found = _CACHE.get(graph)
    if found is None:
        found = _make_texts(graph)
        with _LOCK:
            _CACHE[graph] = found
    return found


def _make_texts(graph: Graph) -> _Texts:
    computed_at = [0] * len(graph.nodes)
    grads: list[tuple[tuple[int, _Grad], ...]] = []
    for k, step in enumerate(graph.steps, start=1):
        if step.phase == "forward" and graph.nodes[step.node].kind == KIND_OP:
            computed_at[step.node] = k
        grads.append(_grad_updates(graph, step))
    return _Texts(
        tuple(tuple(display_rows(n.value)) for n in graph.nodes),
        tuple((PLACEHOLDER,) * display_height(n.shape) for n in graph.nodes),
        tuple(n.value_finite for n in graph.nodes),
        tuple(computed_at),
        tuple(grads),
        tuple(local_display(e.local) for e in graph.edges),
    )


def _grad_updates(graph: Graph, step) -> tuple[tuple[int, _Grad], ...]:
    if step.kind == "seed":
        seed = np.ones(graph.nodes[step.node].shape)
        return ((step.node, _Grad(tuple(display_rows(seed)), True, True)),)
    return tuple(
        (c.target, _Grad(tuple(display_rows(c.total)), c.final, bool(np.all(np.isfinite(c.total)))))
        for c in step.contributions
    )
