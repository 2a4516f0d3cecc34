"""Graph to the JSON of the public API (plain dicts, lists, floats and strings)."""

from __future__ import annotations

import math

import numpy as np

from . import format as fmt
from .gradcheck import gradient_check
from .model import Graph, Node, Step, all_finite
from .ops import OPS

NONFINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def number(x: float) -> float | str:
    """A float as JSON allows: NaN and infinities become the strings the API names."""
    x = float(x)
    if x - x == 0.0:  # finite (the common case, tested first)
        return x
    if math.isnan(x):
        return "NaN"
    return NONFINITE[x]


def array(a: np.ndarray | None):
    """A value as a number or nested lists of numbers; None stays None."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.ndim == 0:
        return number(a.item())
    values = a.tolist()
    return values if all_finite(a) else _spell_nonfinite(values)


def _spell_nonfinite(values):
    if isinstance(values, list):
        return [_spell_nonfinite(v) for v in values]
    return number(values)


def graph_json(graph: Graph, check: bool = True) -> dict:
    """The `/api/graph` body for a graph (without layout, which rendering adds)."""
    body = {
        "output": graph.output_node.id,
        "value": array(graph.value),
        "inputs": list(graph.inputs),
        "dtype": graph.dtype,
        "nodes": [_node(graph, n) for n in graph.nodes],
        "edges": [_edge(graph, e) for e in graph.edges],
        "steps": [_step(graph, i + 1, s) for i, s in enumerate(graph.steps)],
        "counts": {"forward": graph.forward_steps, "backward": graph.backward_steps},
        "gradients": {name: array(g) for name, g in graph.gradients.items()},
        "problems": [
            {"node": graph.nodes[p.node].id, "slot": p.slot, "message": p.message,
             "inputs": list(p.inputs)}
            for p in graph.problems
        ],
    }
    if check:
        body["check"] = check_json(graph)
    if graph.forward is not None:
        body["forward_mode"] = {
            "input": graph.forward.input,
            "derivative": array(graph.forward.derivative),
            "tangents": None if graph.forward.tangents is None
            else [array(t) if t is not None else 0.0 for t in graph.forward.tangents],
        }
    return body


def check_json(graph: Graph) -> dict:
    """The gradient-check table: autodiff beside central finite differences."""
    rows, total = gradient_check(graph)
    return {
        "total": total,
        "rows": [
            {"input": r.input, "label": r.label, "index": list(r.index),
             "autodiff": number(r.autodiff), "numeric": number(r.numeric),
             "rel_error": number(r.rel_error), "ok": r.ok}
            for r in rows
        ],
    }


def _node(graph: Graph, n: Node) -> dict:
    op = OPS.get(n.op)
    return {
        "id": n.id,
        "name": n.label,
        "given_name": n.name,
        "kind": n.kind,
        "op": n.op,
        "symbol": op.symbol if op else n.kind,
        "formula": op.formula if op else None,
        "value": array(n.value),
        "grad": array(n.grad),
        "shape": list(n.shape),
        "line": n.line,
        "col": n.col,
        "live": n.live,
        "value_finite": n.value_finite,
        "grad_finite": n.grad_finite,
        "display": {
            "value": fmt.display_rows(n.value),
            "grad": None if n.grad is None else fmt.display_rows(n.grad),
        },
    }


def _edge(graph: Graph, e) -> dict:
    return {
        "id": e.id,
        "src": graph.nodes[e.src].id,
        "dst": graph.nodes[e.dst].id,
        "arg": e.arg,
        "local": array(e.local),
        "local_display": _local_display(e.local),
    }


def _local_display(local: np.ndarray | None) -> str:
    if local is None:
        return "—"
    local = np.asarray(local)
    return fmt.fixed(local) if local.ndim == 0 else "⟨" + fmt.shape_text(local.shape) + "⟩"


def _step(graph: Graph, index: int, s: Step) -> dict:
    return {
        "index": index,
        "phase": s.phase,
        "kind": s.kind,
        "node": graph.nodes[s.node].id,
        "edges": [graph.edges[i].id for i in s.edges],
        "text": s.text,
        "contributions": [
            {"edge": graph.edges[c.edge].id, "target": graph.nodes[c.target].id,
             "amount": array(c.amount), "total": array(c.total),
             "total_display": fmt.display_rows(c.total), "count": c.count,
             "final": c.final, "text": c.text}
            for c in s.contributions
        ],
    }
