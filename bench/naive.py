"""The baseline the stepper is measured against: redraw every frame from scratch.

This is how notebook tutorials draw a graph (micrograd's `draw_dot`): build a fresh
`graphviz.Digraph` with record-shaped nodes showing value and gradient, an extra node per
op, and run `dot` again for every frame.
"""

from __future__ import annotations

import graphviz
import numpy as np

from autodiff.model import Graph


def _number(a: np.ndarray | None) -> str:
    if a is None:
        return "-"
    a = np.asarray(a)
    return f"{float(a):.4f}" if a.ndim == 0 else f"array{a.shape}"


def draw_frame(graph: Graph, step: int, fmt: str = "svg") -> str | bytes:
    """One frame as SVG (or `fmt`: pdf, png, as bytes), rebuilt and laid out from nothing."""
    shown_values, shown_grads = _visible(graph, step)
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in graph.nodes:
        value = _number(n.value) if n.index in shown_values else "?"
        grad = _number(shown_grads.get(n.index))
        dot.node(n.id, label=f"{{ {n.label} | data {value} | grad {grad} }}", shape="record")
        if n.kind == "op":
            dot.node(n.id + n.op, label=n.op)
            dot.edge(n.id + n.op, n.id)
    for e in graph.edges:
        dst = graph.nodes[e.dst]
        dot.edge(graph.nodes[e.src].id, dst.id + dst.op)
    out = dot.pipe(format=fmt)
    return out.decode("utf-8") if fmt == "svg" else out


def _visible(graph: Graph, step: int) -> tuple[set[int], dict[int, np.ndarray]]:
    values = {n.index for n in graph.nodes if n.kind != "op"}
    grads: dict[int, np.ndarray] = {}
    for s in graph.steps[:step]:
        if s.phase == "forward":
            values.add(s.node)
        elif s.kind == "seed":
            grads[s.node] = np.ones(())
        for c in s.contributions:
            grads[c.target] = c.total
    return values, grads
