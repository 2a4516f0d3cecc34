"""The lines a graph's numbers are shown as: the same in the JSON, the picture and the texts."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from . import format as fmt
from .model import Graph


@dataclass(frozen=True)
class Displays:
    """The lines a graph's numbers are shown as, in the JSON and in the picture alike."""

    values: tuple[tuple[str, ...], ...]
    """Per node, its value's lines."""
    grads: tuple[tuple[str, ...] | None, ...]
    """Per node, its gradient's lines (None: it has no gradient)."""
    locals: tuple[str, ...]
    """Per edge, its local derivative's text."""
    totals: tuple[tuple[str, ...], ...]
    """Per contribution (in `graph.contributions` order), its target's new total's lines."""


_DISPLAYS: weakref.WeakKeyDictionary[Graph, dict[str, Displays]] = weakref.WeakKeyDictionary()
_DISPLAYS_LOCK = threading.Lock()


def displays(graph: Graph, numbers: str = "standard") -> Displays:
    """The graph's display lines in the number form `numbers` (a key of `format.FORMS`),
    worked out once: a new program's JSON and its first frame both show every one of them."""
    with _DISPLAYS_LOCK:
        found = _DISPLAYS.get(graph, {}).get(numbers)
    if found is None:
        form = fmt.FORMS[numbers]
        found = Displays(
            tuple(tuple(fmt.display_rows(n.value, form)) for n in graph.nodes),
            tuple(None if n.grad is None else tuple(fmt.display_rows(n.grad, form))
                  for n in graph.nodes),
            tuple(local_display(e.local) for e in graph.edges),
            tuple(tuple(fmt.display_rows(c.total, form)) for c in graph.contributions),
        )
        with _DISPLAYS_LOCK:
            _DISPLAYS.setdefault(graph, {})[numbers] = found
    return found


def local_display(local: np.ndarray | None) -> str:
    if local is None:
        return "—"
    local = np.asarray(local)
    if local.ndim:
        return "⟨" + fmt.shape_text(local.shape) + "⟩"
    short = fmt.number(local)  # four significant digits, as in the step texts
    return short if len(short) <= fmt.FIXED_WIDTH else fmt.fixed(local)
