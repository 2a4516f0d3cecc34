"""The schedule: the list of steps a learner walks through, from the graph and its reverse sweep.

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
    names = [n.label for n in graph.nodes]
    values = [fmt.value(n.value) for n in graph.nodes]
    ops = [n for n in graph.nodes if n.kind == KIND_OP]
    labels = {n.index: _placeholders(graph, n, names, grad_name(n)) for n in ops}
    numbers = {n.index: _placeholders(graph, n, values, _grad_text(n)) for n in ops}
    contributions = _contributions(graph, log, labels, numbers)
    steps = [Step("forward", "op", n.index, graph.edges_into(n.index),
                  _forward_text(n, labels[n.index], numbers[n.index])) for n in ops]
    steps.append(Step("backward", "seed", graph.output, (),
                      f"{grad_name(graph.nodes[graph.output])} = 1"))
    for child, group in groupby(contributions, key=lambda c: graph.edges[c.edge].dst):
        # Only edges that carry gradient light up: constants receive none.
        group = tuple(group)
        steps.append(Step("backward", "op", child, tuple(c.edge for c in group),
                          "\n".join(c.text for c in group), group))
    return contributions, tuple(steps)


def grad_name(node: Node) -> str:
    """The tutorials' name for a value's adjoint: gw1, gz3."""
    return f"g{node.label}"


def _grad_text(node: Node) -> str:
    return fmt.value(node.grad) if node.grad is not None else ""


def _placeholders(graph: Graph, node: Node, texts: list[str], g: str) -> dict[str, str]:
    """What an op's templates put for `{a}`, `{b}`, `{out}` and `{g}`: its arguments', its
    own and its gradient's text, as labels (`z2`) or as numbers (`7.5`)."""
    found = {k: texts[p] for k, p in zip("ab", node.parents)}
    return found | {"out": texts[node.index], "g": g}


def _forward_text(node: Node, labels: dict[str, str], numbers: dict[str, str]) -> str:
    """`z3 = cos(z2) = cos(7.5) = 0.3466`."""
    expr = OPS[node.op].expr
    written = fmt.fill(expr, labels)
    with_values = fmt.fill(expr, numbers)
    if with_values == written:  # nothing but numbers: `z1 = 2 · 3 = 6`
        return f"{node.label} = {written} = {numbers['out']}"
    return f"{node.label} = {written} = {with_values} = {numbers['out']}"


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


def _contributions(graph: Graph, log: list[LogEntry], labels: dict[int, dict[str, str]],
                   numbers: dict[int, dict[str, str]]) -> tuple[Contribution, ...]:
    """Each entry of the sweep with its explanation: `gw1 += -sin(z2) · gz3 = … = -1.876`
    for a value's first contribution, its running sum (`gw1 = … + … = …`) for later ones."""
    edges = [graph.edge_between(child, arg) for child, arg, _, _ in log]
    expected = Counter(edge.src for edge in edges)
    written: dict[int, list[str]] = defaultdict(list)  # per target, its terms with labels
    shown: dict[int, list[str]] = defaultdict(list)  # ... and their amounts
    result = []
    for (child, _, amount, total), edge in zip(log, edges):
        template = term_template(graph, edge)
        terms = written[edge.src]
        terms.append(fmt.fill(template, labels[child]))
        amounts = shown[edge.src]
        amounts.append(fmt.value(amount))
        g = grad_name(graph.nodes[edge.src])
        if len(terms) == 1:
            parts = [f"{g} += {terms[0]}", fmt.fill(template, numbers[child]), amounts[0]]
            if parts[1] == amounts[0]:
                del parts[1]
            text = " = ".join(parts)
        else:
            numeric = " + ".join(map(fmt.bracket, amounts))
            text = f"{g} = {' + '.join(terms)} = {numeric} = {fmt.value(total)}"
        result.append(Contribution(edge.index, edge.src, amount, total, len(terms),
                                   len(terms) == expected[edge.src], text))
    return tuple(result)
