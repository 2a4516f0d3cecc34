"""Central finite differences beside every autodiff gradient: the independent check."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice

import numpy as np

from .limits import MAX_GRADCHECK_ENTRIES
from .model import KIND_INPUT, KIND_OP, Graph, Node

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
    inputs = [n for n in graph.nodes if n.kind == KIND_INPUT]
    cells = list(islice(((n, index) for n in inputs for index in np.ndindex(*n.shape)), limit))
    replay = Replay(graph)
    with np.errstate(all="ignore"):
        numeric = replay.differences(cells)
    rows = [CheckRow(n.name, index, float(n.grad[index]), d)
            for (n, index), d in zip(cells, numeric)]
    return rows, sum(n.value.size for n in inputs)


def _nudge(x: np.float64) -> tuple[np.float64, np.float64, float]:
    """The two points a central difference at x evaluates, and half their distance.

    At the largest floats a nudge overflows to infinity: the other side alone, then."""
    h = STEP_SCALE * max(1.0, abs(float(x)))
    plus, minus = x + h, x - h
    if np.isfinite(x) and not np.isfinite(plus):
        return x, minus, h / 2
    if np.isfinite(x) and not np.isfinite(minus):
        return plus, x, h / 2
    return plus, minus, h


BATCH_MAX_ELEMENTS = 1 << 20
"""Numbers a batched replay may hold at once (8 MB); larger checks replay point by point."""


class Replay:
    """The graph's output recomputed in float64 from its ops alone (no traced derivative),
    with inputs replaced: the values the output depends on, converted once."""

    def __init__(self, graph: Graph):
        self.values = {
            n.index: n.value.astype(np.float64) for n in graph.nodes if n.kind != KIND_OP
        }
        live = [n for n in graph.nodes if n.live and n.kind == KIND_OP]
        self.ops = [(n.index, graph.op_of(n).forward, n.parents) for n in live]
        self.elementwise = all(
            graph.ops[n.op].elementwise if n.op in graph.ops else graph.op_of(n).elementwise
            for n in live)
        self.elements = sum(v.size for v in self.values.values()) + sum(n.value.size for n in live)
        self.root = graph.output

    def differences(self, cells: list[tuple[Node, tuple[int, ...]]]) -> list[float]:
        """The central difference of the output at each (input node, element index), in one
        replay where that can be done (call under np.errstate)."""
        if not cells:
            return []
        nudges = [_nudge(self.values[n.index][index]) for n, index in cells]
        if self.elementwise and 2 * len(cells) * self.elements <= BATCH_MAX_ELEMENTS:
            return self.batched_differences(cells, nudges)
        return [self.difference(n.index, index, nudge) for (n, index), nudge in zip(cells, nudges)]

    def difference(self, input_index: int, index: tuple[int, ...],
                   nudge: tuple[np.float64, np.float64, float]) -> float:
        """One central difference, replaying the graph once per side."""
        at_plus, at_minus, h = nudge
        base = self.values[input_index]
        plus, minus = base.copy(), base.copy()
        plus[index], minus[index] = at_plus, at_minus
        up, down = self.output(input_index, plus), self.output(input_index, minus)
        return float((up - down) / (2 * h))

    def output(self, input_index: int, value: np.ndarray) -> float:
        """The output with input `input_index` set to `value` (call under np.errstate)."""
        values = dict(self.values)
        values[input_index] = value
        return float(self._run(values))

    def _run(self, values: dict[int, np.ndarray]) -> np.ndarray:
        """Replay the ops from `values` (inputs and constants; filled in as it goes) and
        give the output's value."""
        for index, forward, parents in self.ops:
            values[index] = np.asarray(forward(*[values[p] for p in parents]), dtype=np.float64)
        return values[self.root]

    def batched_differences(self, cells: list[tuple[Node, tuple[int, ...]]],
                            nudges: list[tuple[np.float64, np.float64, float]]) -> list[float]:
        """Every central difference from one replay of a graph of elementwise ops, which
        has a scalar output and so scalar values wherever the output uses them: each value
        becomes a vector, one entry per nudged point (plus and minus of each cell), or of
        length 1 where no nudge reaches it. NumPy's broadcasting then replays them all."""
        points = 2 * len(cells)
        values = {i: v[np.newaxis] for i, v in self.values.items()}
        for k, ((node, index), (plus, minus, _)) in enumerate(zip(cells, nudges)):
            batch = values[node.index]
            if len(batch) != points:
                batch = values[node.index] = np.repeat(batch, points, axis=0)
            batch[(2 * k, *index)], batch[(2 * k + 1, *index)] = plus, minus
        out = np.broadcast_to(self._run(values), (points,))
        return [float((out[2 * k] - out[2 * k + 1]) / (2 * h))
                for k, (_, _, h) in enumerate(nudges)]

