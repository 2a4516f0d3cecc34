"""Graph to the JSON of the public API (plain dicts, lists, floats and strings)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import numpy as np

from autodiff.composites import composite_of
from autodiff.descent import Descent
from autodiff.display import Displays, displays
from autodiff.gradcheck import gradient_check
from autodiff.i18n import _
from autodiff.model import KIND_OP, Edge, Graph, Node, Step, all_finite
from autodiff.schedule import grad_prefix

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
    if type(a) is not np.ndarray:
        a = np.asarray(a)
    if not a.ndim:
        x = a.item()
        return x if x - x == 0.0 else number(x)  # finite, the common case, as it is
    values = a.tolist()
    return values if all_finite(a) else _spell_nonfinite(values)


def _spell_nonfinite(values):
    if isinstance(values, list):
        return [_spell_nonfinite(v) for v in values]
    return number(values)


def graph_json(graph: Graph, check: bool = True, numbers: str = "standard") -> dict:
    """The `/api/graph` body for a graph (without layout, which rendering adds), its display
    lines in the number form `numbers` (the theme's: the picture's boxes hold them)."""
    shown = displays(graph, numbers)
    node_ids = [n.id for n in graph.nodes]
    edge_ids = [e.id for e in graph.edges]
    totals = iter(shown.totals)
    body = {
        "output": node_ids[graph.output],
        "value": array(graph.value),
        "inputs": list(graph.inputs),
        "dtype": graph.dtype,
        "gradient_prefix": grad_prefix(graph),
        "nodes": [_node(n, shown, graph) for n in graph.nodes],
        "edges": [_edge(e, shown, node_ids) for e in graph.edges],
        "steps": [_step(i + 1, s, node_ids, edge_ids, totals)
                  for i, s in enumerate(graph.steps)],
        "counts": {"forward": graph.forward_steps, "backward": graph.backward_steps},
        "gradients": {name: array(g) for name, g in graph.gradients.items()},
        "view": graph.view,
        "composites": composites(graph),
        "problems": [
            {"node": node_ids[p.node], "slot": p.slot, "message": p.message,
             "inputs": list(p.inputs), "step": p.step}
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


def composites(graph: Graph) -> list[str]:
    """The composite ops and defs drawn as one gate in this graph (`expand=` draws them
    expanded)."""
    ops = [graph.op_of(n) for n in graph.nodes if n.kind == "op"]
    found = {c.name for c in map(composite_of, ops) if c is not None}
    return sorted(found | set(graph.ops))


def descent_json(run: Descent) -> dict:
    """The `descent` field of `/api/graph` (and where the run diverged, if it did)."""
    return {
        "descent": [
            {"inputs": {name: array(v) for name, v in p.inputs.items()},
             "value": array(p.value),
             "gradients": {name: array(g) for name, g in p.gradients.items()}}
            for p in run.points
        ],
        "descent_diverged": run.diverged_at,
    }


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


def _node(n: Node, shown: Displays, graph: Graph) -> dict:
    op = graph.op_of(n) if n.kind == KIND_OP else None
    return {
        "id": n.id,
        "name": n.label,
        "given_name": n.name,
        "kind": n.kind,
        "op": n.op,
        "symbol": op.symbol if op else n.kind,
        "formula": _(op.formula) if op else None,
        "value": array(n.value),
        "grad": array(n.grad),
        "shape": list(n.shape),
        "line": n.line,
        "col": n.col,
        "live": n.live,
        "value_finite": n.value_finite,
        "grad_finite": n.grad_finite,
        "display": {"value": list(shown.values[n.index]), "grad": _list(shown.grads[n.index])},
    }


def _list(rows: tuple[str, ...] | None) -> list[str] | None:
    return None if rows is None else list(rows)


def _edge(e: Edge, shown: Displays, node_ids: list[str]) -> dict:
    return {
        "id": e.id,
        "src": node_ids[e.src],
        "dst": node_ids[e.dst],
        "arg": e.arg,
        "local": array(e.local),
        "local_display": shown.locals[e.index],
    }


def _step(index: int, s: Step, node_ids: list[str], edge_ids: list[str],
          totals: Iterator[tuple[str, ...]]) -> dict:
    """Step `index`; `totals` yields the display lines of each contribution in turn."""
    return {
        "index": index,
        "phase": s.phase,
        "kind": s.kind,
        "node": node_ids[s.node],
        "edges": [edge_ids[i] for i in s.edges],
        "text": s.text,
        "contributions": [
            {"edge": edge_ids[c.edge], "target": node_ids[c.target],
             "amount": array(c.amount), "total": array(c.total),
             "total_display": list(next(totals)), "count": c.count,
             "final": c.final, "text": c.text}
            for c in s.contributions
        ],
    }


def script_json(value: object) -> str:
    """JSON to put inside a page's <script type="application/json">: `<`, `>` and `&` written
    as escapes, so no text of the data can end or confuse the block."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
