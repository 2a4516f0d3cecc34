"""The step schedule, a pure function of the graph and its reverse sweep.

Forward steps, one per operation in evaluation order; the seed `g<output> = 1`; then one
backward step per operation in reverse order, each pushing `upstream gradient × local
derivative` into its parents' running totals. Every step explains itself with the numbers.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from . import format as fmt
from .model import KIND_OP, Contribution, Edge, Graph, Node, Step
from .ops import OPS

Array = np.ndarray
LogEntry = tuple[int, int, Array, Array]
"""(child node, argument index, contribution, parent's new total), in sweep order."""


def schedule(graph: Graph, log: list[LogEntry]) -> tuple[tuple[Contribution, ...], tuple]:
    """All contributions with their explanations, and the steps forward, seed and backward."""
    plan = _plan(graph, log)
    words = _Words(graph)
    contributions = _contributions(graph, log, plan, words)
    steps = [Step("forward", "op", index, edges, _forward_text(graph.nodes[index], form, words))
             for index, edges, form in plan.forward]
    steps.append(Step("backward", "seed", graph.output, (), plan.seed_text))
    for child, start, stop, edges in plan.backward:
        # Only edges that carry gradient light up: constants receive none.
        group = contributions[start:stop]
        steps.append(Step("backward", "op", child, edges, "\n".join(c.text for c in group),
                          group))
    return contributions, tuple(steps)


@dataclass(frozen=True)
class _Term:
    """What of one contribution's explanation the values do not change."""

    edge: int
    target: int
    template: str
    """`upstream × local`, e.g. `-sin({a}) · {g}`."""
    count: int
    """This is the target's count-th contribution ..."""
    final: bool
    """... and its last."""
    lead: str
    """The template with labels after `gw1 +=` for a first contribution (`gw1 += -sin(z2) ·
    gz3`), all of the target's terms so far after `gw1 =` for later ones."""


@dataclass(frozen=True)
class _Plan:
    """What of the steps depends on the graph's structure alone (labels, ops, edges, shapes):
    made once per structure, so a new input value only fills in numbers."""

    forward: tuple[tuple[int, tuple[int, ...], tuple[str, str]], ...]
    """Per op in evaluation order: its node, its edges and (template, template with labels)."""
    seed_text: str
    terms: tuple[_Term, ...]
    """Per entry of the reverse sweep's log."""
    backward: tuple[tuple[int, int, int, tuple[int, ...]], ...]
    """Per backward step: the node, its span of `terms` and the edges carrying them."""


PLAN_CACHE_SIZE = 64


def _plan(graph: Graph, log: list[LogEntry]) -> _Plan:
    key = (
        tuple((n.label, n.op, n.parents, n.shape) for n in graph.nodes),
        graph.output,
        tuple((child, arg) for child, arg, _, _ in log),
    )
    with _PLANS_LOCK:
        found = _PLANS.get(key)
    if found is None:
        found = _make_plan(graph, key[2])
        with _PLANS_LOCK:
            _PLANS[key] = found
            while len(_PLANS) > PLAN_CACHE_SIZE:
                del _PLANS[next(iter(_PLANS))]
    return found


_PLANS: dict[tuple, _Plan] = {}
"""Plans by structure, oldest first (a dict keeps insertion order)."""
_PLANS_LOCK = threading.Lock()


def clear_plans() -> None:
    """Forget every plan (benchmarks of programs never seen)."""
    with _PLANS_LOCK:
        _PLANS.clear()


def _make_plan(graph: Graph, sweep: tuple[tuple[int, int], ...]) -> _Plan:
    names = {}
    for n in graph.nodes:
        if n.kind == KIND_OP:
            labels = {k: graph.nodes[p].label for k, p in zip("ab", n.parents)}
            names[n.index] = labels | {"out": n.label, "g": grad_name(n)}
    forward = tuple(
        (n.index, graph.edges_into(n.index),
         (OPS[n.op].expr, fmt.fill(OPS[n.op].expr, names[n.index])))
        for n in graph.nodes if n.kind == KIND_OP
    )
    totals = Counter(graph.nodes[child].parents[arg] for child, arg in sweep)
    written_so_far: dict[int, list[str]] = defaultdict(list)
    terms = []
    for child, arg in sweep:
        edge = graph.edge_between(child, arg)
        template = term_template(graph, edge)
        written = fmt.fill(template, names[child])
        so_far = written_so_far[edge.src]
        so_far.append(written)
        g = grad_name(graph.nodes[edge.src])
        lead = f"{g} += {written}" if len(so_far) == 1 else f"{g} = {' + '.join(so_far)}"
        terms.append(_Term(edge.index, edge.src, template, len(so_far),
                           len(so_far) == totals[edge.src], lead))
    backward = []
    start = 0
    for child, group in groupby(sweep, key=lambda entry: entry[0]):
        stop = start + len(tuple(group))
        backward.append((child, start, stop, tuple(t.edge for t in terms[start:stop])))
        start = stop
    seed = f"{grad_name(graph.nodes[graph.output])} = 1"
    return _Plan(forward, seed, tuple(terms), tuple(backward))


def grad_name(node: Node) -> str:
    """The tutorials' name for a value's adjoint: gw1, gz3."""
    return f"g{node.label}"


class _Words:
    """What a node's template placeholders stand for in numbers, made once a node (the plan
    has them in labels). Keys: `a`, `b` (the arguments), `out` (the result), `g` (its
    gradient)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._value_text: dict[int, str] = {}
        self._values: dict[int, dict[str, str]] = {}

    def value_text(self, index: int) -> str:
        """A node's value as an explanation shows it."""
        if index not in self._value_text:
            self._value_text[index] = fmt.value(self.graph.nodes[index].value)
        return self._value_text[index]

    def values(self, node: Node) -> dict[str, str]:
        """Placeholders filled with numbers."""
        if node.index not in self._values:
            values = {k: self.value_text(p) for k, p in zip("ab", node.parents)}
            grad = "" if node.grad is None else fmt.value(node.grad)
            self._values[node.index] = values | {"out": self.value_text(node.index), "g": grad}
        return self._values[node.index]


def _forward_text(node: Node, form: tuple[str, str], words: _Words) -> str:
    """`z3 = cos(z2) = cos(7.5) = 0.3466`, from the plan's (template, template with labels)."""
    template, written = form
    with_values = fmt.fill(template, words.values(node))
    parts = [node.label, written, with_values, words.value_text(node.index)]
    if with_values == written:
        del parts[2]
    return " = ".join(parts)


def term_template(graph: Graph, edge: Edge) -> str:
    """`upstream × local` for one edge, as a template: `-sin({a}) · {g}`, `{g} @ {b}ᵀ`."""
    child = graph.nodes[edge.dst]
    op = OPS[child.op]
    if not op.elementwise:
        return op.vjp_text[edge.arg]
    local = op.local_text[edge.arg]
    if " + " in local or " - " in local:
        local = f"({local})"  # 1 - tanh²(a) times g needs its brackets
    term = "{g}" if local == "1" else f"{local} · {{g}}"
    if graph.nodes[edge.src].shape != child.shape:
        term = f"sum({term})"  # broadcasting: the gradient is summed back to the parent's shape
    return term


def _contributions(
    graph: Graph, log: list[LogEntry], plan: _Plan, words: _Words
) -> tuple[Contribution, ...]:
    amounts: dict[int, list[str]] = defaultdict(list)
    result = []
    for (child, _, amount, total), term in zip(log, plan.terms):
        shown = amounts[term.target]
        shown.append(fmt.value(amount))
        if term.count == 1:
            with_values = fmt.fill(term.template, words.values(graph.nodes[child]))
            parts = [term.lead, with_values, shown[0]]
            if with_values == shown[0]:
                del parts[1]
            text = " = ".join(parts)
        else:
            numeric = " + ".join(v if not v.startswith("-") else f"({v})" for v in shown)
            text = f"{term.lead} = {numeric} = {fmt.value(total)}"
        result.append(Contribution(term.edge, term.target, amount, total, term.count,
                                   term.final, text))
    return tuple(result)
