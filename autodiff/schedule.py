"""The step schedule, a pure function of the graph and its reverse sweep.

Forward steps, one per operation in evaluation order; the seed `g<output> = 1`; then one
backward step per operation in reverse order, each pushing `upstream gradient × local
derivative` into its parents' running totals. Every step explains itself with the numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import groupby

import numpy as np

from . import format as fmt
from .lru import LRU
from .model import KIND_OP, Contribution, Edge, Graph, Node, Step
from .ops import OPS

Array = np.ndarray
LogEntry = tuple[int, int, Array, Array]
"""(child node, argument index, contribution, parent's new total), in sweep order."""


def schedule(graph: Graph, log: list[LogEntry]) -> tuple[tuple[Contribution, ...], tuple]:
    """All contributions with their explanations, and the steps forward, seed and backward."""
    plan = _plan(graph, log)
    texts = _number_texts(graph)
    contributions = _contributions(log, plan, texts)
    nodes = graph.nodes
    steps = [Step("forward", "op", i, edges, _forward_text(nodes[i].label, written, form, texts, i))
             for i, edges, written, form in plan.forward]
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
    form: tuple[str, tuple[int, ...]]
    """`upstream × local` ready for the child's numbers (`format.compile_template` of e.g.
    `-sin({a}) · {g}`, see `_number_texts`)."""
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

    forward: tuple[tuple[int, tuple[int, ...], str, tuple[str, tuple[int, ...]]], ...]
    """Per op in evaluation order: its node, its edges, the op with labels (`cos(z2)`) and with
    places for numbers (`format.compile_template`)."""
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
    found = _PLANS.get(key)
    if found is None:
        found = _make_plan(graph, key[2])
        _PLANS.put(key, found)
    return found


_PLANS = LRU(PLAN_CACHE_SIZE)
"""Plans by structure."""


def clear_plans() -> None:
    """Forget every plan (benchmarks of programs never seen)."""
    _PLANS.clear()


def _make_plan(graph: Graph, sweep: tuple[tuple[int, int], ...]) -> _Plan:
    size = len(graph.nodes)
    names = {}
    keys = {}  # where each op's placeholders find their numbers in `_number_texts`
    for n in graph.nodes:
        if n.kind == KIND_OP:
            labels = {k: graph.nodes[p].label for k, p in zip("ab", n.parents)}
            names[n.index] = labels | {"out": n.label, "g": grad_name(n)}
            keys[n.index] = dict(zip("ab", n.parents)) | {"out": n.index, "g": 2 * size + n.index}
    forward = tuple(
        (n.index, graph.edges_into(n.index),
         fmt.fill(OPS[n.op].expr, names[n.index]),
         fmt.compile_template(OPS[n.op].expr, keys[n.index], size))
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
        form = fmt.compile_template(template, keys[child], size)
        terms.append(_Term(edge.index, edge.src, form, len(so_far),
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


def _number_texts(graph: Graph) -> list[str]:
    """Every number the explanations show, as text, where the plan's templates look for it:
    with n nodes, node i's value is at i and its gradient at 2n + i (ops only), each again n
    places on bracketed when negative."""
    values = [fmt.value(n.value) for n in graph.nodes]
    grads = [fmt.value(n.grad) if n.kind == KIND_OP and n.grad is not None else ""
             for n in graph.nodes]
    return [*values, *map(fmt.bracket, values), *grads, *map(fmt.bracket, grads)]


def _forward_text(label: str, written: str, form: tuple[str, tuple[int, ...]],
                  texts: list[str], index: int) -> str:
    """`z3 = cos(z2) = cos(7.5) = 0.3466`: node `index` from the plan's `cos(z2)` and form."""
    with_values = fmt.fill_compiled(form, texts)
    if with_values == written:  # nothing but numbers: `z1 = 2 · 3 = 6`
        return f"{label} = {written} = {texts[index]}"
    return f"{label} = {written} = {with_values} = {texts[index]}"


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
    log: list[LogEntry], plan: _Plan, texts: list[str]
) -> tuple[Contribution, ...]:
    amounts: dict[int, list[str]] = defaultdict(list)
    result = []
    for (_, _, amount, total), term in zip(log, plan.terms):
        shown = amounts[term.target]
        shown.append(fmt.value(amount))
        if term.count == 1:
            with_values = fmt.fill_compiled(term.form, texts)
            parts = [term.lead, with_values, shown[0]]
            if with_values == shown[0]:
                del parts[1]
            text = " = ".join(parts)
        else:
            numeric = " + ".join(map(fmt.bracket, shown))
            text = f"{term.lead} = {numeric} = {fmt.value(total)}"
        result.append(Contribution(term.edge, term.target, amount, total, term.count,
                                   term.final, text))
    return tuple(result)
