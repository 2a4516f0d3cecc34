"""Central finite differences beside every autodiff gradient: the independent check."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .limits import MAX_GRADCHECK_ENTRIES
from .model import KIND_INPUT, KIND_OP, Graph
from .ops import OPS

STEP_SCALE = 6e-6
"""About the cube root of float64's epsilon: the step that balances truncation and rounding."""


@dataclass(frozen=True)
class CheckRow:
    """One input element: the autodiff gradient, the finite-difference estimate, their gap."""

    input: str
    index: tuple[int, ...]
    autodiff: float
    numeric: float

    @property
    def label(self) -> str:
        """`w1`, or `A[0, 1]` for an element of an array."""
        if not self.index:
            return self.input
        return f"{self.input}[{', '.join(str(i) for i in self.index)}]"

    @property
    def rel_error(self) -> float:
        """|autodiff - numeric| / max(|autodiff|, |numeric|); 0 when both are 0."""
        a, n = self.autodiff, self.numeric
        if not (math.isfinite(a) and math.isfinite(n)):
            return 0.0 if a == n or (math.isnan(a) and math.isnan(n)) else math.nan
        scale = max(abs(a), abs(n))
        return 0.0 if scale == 0 else abs(a - n) / scale

    @property
    def ok(self) -> bool:
        """Whether the two agree as well as finite differences can tell."""
        a, n = self.autodiff, self.numeric
        if not (math.isfinite(a) and math.isfinite(n)):
            return self.rel_error == 0.0
        return abs(a - n) <= 1e-5 * max(1.0, abs(a), abs(n))


def gradient_check(graph: Graph, limit: int = MAX_GRADCHECK_ENTRIES) -> tuple[list[CheckRow], int]:
    """Rows for up to `limit` input elements, and how many elements there are in all."""
    order = [n for n in graph.nodes if n.live]
    rows: list[CheckRow] = []
    total = 0
    for node in graph.nodes:
        if node.kind != KIND_INPUT:
            continue
        for index in np.ndindex(*node.shape):
            total += 1
            if len(rows) < limit:
                numeric = _central_difference(graph, order, node.index, index)
                rows.append(CheckRow(node.name, index, float(node.grad[index]), numeric))
    return rows, total


def _central_difference(graph: Graph, order, input_index: int, index: tuple[int, ...]) -> float:
    base = graph.nodes[input_index].value.astype(np.float64)
    h = STEP_SCALE * max(1.0, abs(float(base[index])))
    plus, minus = base.copy(), base.copy()
    with np.errstate(all="ignore"):  # near ±1.8e308 a nudge overflows: the estimate is inf/NaN
        plus[index] += h
        minus[index] -= h
    up = replay(graph, order, {input_index: plus})
    down = replay(graph, order, {input_index: minus})
    with np.errstate(all="ignore"):
        return float((up - down) / (2 * h))


def replay(graph: Graph, order, overrides: dict[int, np.ndarray]) -> float:
    """The output recomputed in float64 from the graph's ops, with some inputs replaced."""
    values: dict[int, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for node in order:
            if node.index in overrides:
                values[node.index] = overrides[node.index]
            elif node.kind == KIND_OP:
                args = [values[p] for p in node.parents]
                values[node.index] = np.asarray(OPS[node.op].forward(*args), dtype=np.float64)
            else:
                values[node.index] = node.value.astype(np.float64)
    return float(values[graph.output])
