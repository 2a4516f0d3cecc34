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
    replay = Replay(graph)
    rows: list[CheckRow] = []
    total = 0
    for node in graph.nodes:
        if node.kind != KIND_INPUT:
            continue
        for index in np.ndindex(*node.shape):
            total += 1
            if len(rows) < limit:
                numeric = _central_difference(replay, node.index, index)
                rows.append(CheckRow(node.name, index, float(node.grad[index]), numeric))
    return rows, total


def _central_difference(replay: Replay, input_index: int, index: tuple[int, ...]) -> float:
    base = replay.values[input_index]
    h = STEP_SCALE * max(1.0, abs(float(base[index])))
    plus, minus = base.copy(), base.copy()
    with np.errstate(all="ignore"):
        plus[index] += h
        minus[index] -= h
        # At the largest floats a nudge overflows to infinity: the other side alone, then.
        if not np.isfinite(plus[index]) and np.isfinite(base[index]):
            plus, h = base, h / 2
        elif not np.isfinite(minus[index]) and np.isfinite(base[index]):
            minus, h = base, h / 2
        up, down = replay.output(input_index, plus), replay.output(input_index, minus)
        return float((up - down) / (2 * h))


class Replay:
    """The graph's output recomputed in float64 from its ops alone (no traced derivative),
    with one input replaced: the values the output depends on, converted once."""

    def __init__(self, graph: Graph):
        self.values = {
            n.index: n.value.astype(np.float64) for n in graph.nodes if n.kind != KIND_OP
        }
        self.ops = [
            (n.index, OPS[n.op].forward, n.parents)
            for n in graph.nodes if n.live and n.kind == KIND_OP
        ]
        self.root = graph.output

    def output(self, input_index: int, value: np.ndarray) -> float:
        """The output with input `input_index` set to `value` (call under np.errstate)."""
        values = dict(self.values)
        values[input_index] = value
        for index, forward, parents in self.ops:
            values[index] = np.asarray(forward(*[values[p] for p in parents]), dtype=np.float64)
        return float(values[self.root])
