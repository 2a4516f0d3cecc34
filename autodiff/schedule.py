"""The step schedule, a pure function of the graph and its reverse sweep.

Forward steps, one per operation in evaluation order; the seed `g<output> = 1`; then one
backward step per operation in reverse order, each pushing `upstream gradient × local
derivative` into its parents' running totals. Every step explains itself with the numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
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
    words = _Words(graph)
    contributions = _contributions(graph, log, words)
    steps = [_forward_step(graph, n, words) for n in graph.nodes if n.kind == KIND_OP]
    out = graph.nodes[graph.output]
    steps.append(Step("backward", "seed", out.index, (), f"{grad_name(out)} = 1"))
    for child, group in groupby(contributions, key=lambda c: graph.edges[c.edge].dst):
        group = tuple(group)
        text = "\n".join(c.text for c in group)
        # Only edges that carry gradient light up: constants receive none.
        steps.append(Step("backward", "op", child, tuple(c.edge for c in group), text, group))
    return contributions, tuple(steps)


def grad_name(node: Node) -> str:
    """The tutorials' name for a value's adjoint: gw1, gz3."""
    return f"g{node.label}"


class _Words:
    """What a node's template placeholders stand for, by name and by value, made once a node.

    Keys: `a`, `b` (the arguments), `out` (the result), `g` (its gradient).
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self._value_text: dict[int, str] = {}
        self._names: dict[int, dict[str, str]] = {}
        self._values: dict[int, dict[str, str]] = {}

    def value_text(self, index: int) -> str:
        """A node's value as an explanation shows it."""
        if index not in self._value_text:
            self._value_text[index] = fmt.value(self.graph.nodes[index].value)
        return self._value_text[index]

    def names(self, node: Node) -> dict[str, str]:
        """Placeholders filled with labels: `z1`, `w2`, `gz3`."""
        if node.index not in self._names:
            names = {k: self.graph.nodes[p].label for k, p in zip("ab", node.parents)}
            self._names[node.index] = names | {"out": node.label, "g": grad_name(node)}
        return self._names[node.index]

    def values(self, node: Node) -> dict[str, str]:
        """Placeholders filled with numbers."""
        if node.index not in self._values:
            values = {k: self.value_text(p) for k, p in zip("ab", node.parents)}
            grad = "" if node.grad is None else fmt.value(node.grad)
            self._values[node.index] = values | {"out": self.value_text(node.index), "g": grad}
        return self._values[node.index]


def forward_text(graph: Graph, node: Node, words: _Words | None = None) -> str:
    """`z3 = cos(z2) = cos(7.5) = 0.3466`."""
    words = words or _Words(graph)
    template = OPS[node.op].expr
    written = fmt.fill(template, words.names(node))
    with_values = fmt.fill(template, words.values(node))
    parts = [node.label, written, with_values, words.value_text(node.index)]
    if with_values == written:
        del parts[2]
    return " = ".join(parts)


def _forward_step(graph: Graph, node: Node, words: _Words) -> Step:
    return Step("forward", "op", node.index, graph.edges_into(node.index),
                forward_text(graph, node, words))


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


def _contributions(graph: Graph, log: list[LogEntry], words: _Words) -> tuple[Contribution, ...]:
    totals = Counter(graph.nodes[child].parents[arg] for child, arg, _, _ in log)
    seen: dict[int, list[tuple[str, str]]] = defaultdict(list)
    result = []
    for child, arg, amount, total in log:
        edge = graph.edge_between(child, arg)
        target = edge.src
        template = term_template(graph, edge)
        seen[target].append((fmt.fill(template, words.names(graph.nodes[child])),
                             fmt.value(amount)))
        count = len(seen[target])
        with_values = fmt.fill(template, words.values(graph.nodes[child])) if count == 1 else ""
        text = _contribution_text(graph.nodes[target], with_values, seen[target], total)
        result.append(Contribution(edge.index, target, amount, total, count,
                                   count == totals[target], text))
    return tuple(result)


def _contribution_text(target: Node, with_values: str, terms: list[tuple[str, str]],
                       total: Array) -> str:
    g = grad_name(target)
    if len(terms) == 1:
        parts = [f"{g} += {terms[0][0]}", with_values, terms[0][1]]
        if with_values == terms[0][1]:
            del parts[1]
        return " = ".join(parts)
    symbolic = " + ".join(t for t, _ in terms)
    numeric = " + ".join(v if not v.startswith("-") else f"({v})" for _, v in terms)
    return f"{g} = {symbolic} = {numeric} = {fmt.value(total)}"
