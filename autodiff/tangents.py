"""Forward mode as steps: each operation computes its value and its tangent together.

`forward_view` turns a graph with forward-mode tangents (`Graph.forward`, a scalar input)
into a graph whose steps are the forward steps alone, each carrying the tangent it computes
as a contribution to its own node: `ż3 = -sin(z2) · ż2 = -sin(7.5) · 3 = -2.814`. Every view
of steps (the JSON, the frames, the page's stepper) then shows the tangents in the row where
reverse mode shows gradients, with nothing of its own to learn.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import numpy as np

from . import format as fmt
from .errors import EvaluationError
from .i18n import N_, _
from .model import KIND_INPUT, KIND_OP, Contribution, Graph, Node, Step
from .schedule import bracketed, branch_taken

Array = np.ndarray

DOT = "\u0307"
"""The combining dot above: the tutorials' tangent of z3 is ż3."""

LINEAR = {
    "matmul": ("{da} @ {b}", "{a} @ {db}"),
    "sum": ("sum({da})",),
    "mean": ("mean({da})",),
    "amax": (N_("{da} at argmax"),),
    "amin": (N_("{da} at argmin"),),
    "transpose": ("{da}ᵀ",),
}
"""Per op that is not elementwise, the tangent's term for each argument whose tangent moves."""


def dotted(label: str) -> str:
    """A value's tangent name: a dot over its first letter (`ż3`, `ẇ1`, `ẋ`), as one character
    where Unicode has one."""
    return unicodedata.normalize("NFC", label[:1] + DOT) + label[1:] if label else label


def forward_view(graph: Graph) -> Graph:
    """The graph's forward steps with their tangents, as the steps of a forward-mode view."""
    mode = graph.forward
    if mode is None:
        raise EvaluationError(N_("forward mode needs the input to differentiate by, e.g. "
                                 "forward=x"))
    if mode.tangents is None:
        raise EvaluationError(
            _("forward mode on the graph follows one number: '{name}' is an array (its "
              "derivative comes with reverse mode's answer when mode=forward is left out)",
              name=mode.input))
    tangents = [_tangent(t, n) for t, n in zip(mode.tangents, graph.nodes)]
    nodes = tuple(replace(n, grad=None if n.kind not in (KIND_INPUT, KIND_OP) else tangents[i])
                  for i, n in enumerate(graph.nodes))
    view = replace(graph, nodes=nodes)
    contributions: list[Contribution] = []
    steps: list[Step] = []
    for s in graph.steps:
        if s.phase != "forward":
            continue
        mine = _seeds(view, mode.input) if not steps else []
        mine.append(_step_tangent(view, s, tangents))
        contributions.extend(mine)
        steps.append(Step("forward", "op", s.node, s.edges,
                          "\n".join([s.text, *(c.text for c in mine if c.text)]), tuple(mine)))
    return replace(view, steps=tuple(steps), contributions=tuple(contributions), view="forward")


def _tangent(t: Array | None, node: Node) -> Array:
    return np.zeros_like(node.value) if t is None else np.asarray(t, dtype=node.value.dtype)


def _seeds(graph: Graph, name: str) -> list[Contribution]:
    """The inputs' tangents, given at the first step: 1 for the chosen input, 0 for others
    (one contribution each, the first explaining them all)."""
    inputs = [n for n in graph.nodes if n.kind == KIND_INPUT]
    chosen = next(n for n in inputs if n.name == name)
    others = ", ".join(dotted(n.label) for n in inputs if n is not chosen)
    text = _("{tangent} = 1: forward mode differentiates by {name}",
             tangent=dotted(chosen.label), name=chosen.label)
    if others:
        text += f" ({others} = 0)"
    edge = graph.edges_into(graph.steps[0].node)[0] if graph.edges else 0
    seeds = [Contribution(edge, chosen.index, chosen.grad, chosen.grad, 1, True, text)]
    seeds += [Contribution(edge, n.index, n.grad, n.grad, 1, True, "")
              for n in inputs if n is not chosen]
    return seeds


def _step_tangent(graph: Graph, step: Step, tangents: list[Array]) -> Contribution:
    """`ż3 = -sin(z2) · ż2 = -sin(7.5) · 3 = -2.814` for the node a forward step computes."""
    node = graph.nodes[step.node]
    name = dotted(node.label)
    value = fmt.value(tangents[node.index])
    symbolic, numeric = _rule(graph, node, tangents)
    if symbolic is None:
        text = _("{tangent} = 0: {name} does not depend on {input}", tangent=name,
                 name=node.label, input=graph.forward.input)
    elif numeric == value or symbolic == numeric:
        text = f"{name} = {symbolic} = {value}"
    else:
        text = f"{name} = {symbolic} = {numeric} = {value}"
    text += _multiples_note(graph, node, numeric, value)
    edge = step.edges[0] if step.edges else 0
    t = tangents[node.index]
    return Contribution(edge, node.index, t, t, 1, True, text)


def _multiples_note(graph: Graph, node: Node, numeric: str, value: str) -> str:
    """Where ∞ enters the numbers of a tangent: each ∞ is one same ∞ times a number, and the
    numbers are what is added (so ∞ - ∞ does not make NaN, and reverse mode agrees)."""
    infinite = graph.forward.infinite
    coefficient = infinite[node.index] if infinite else None
    if coefficient is None or not np.any(coefficient != 0) or "∞" not in numeric:
        return ""
    note = _("every ∞ here is the same ∞ times a number, {multiples}: the numbers are added, "
             "not the ∞s, so {value}", multiples=f"{fmt.value(coefficient)} · ∞", value=value)
    return f" ({note})"


def _rule(graph: Graph, node: Node, tangents: list[Array]) -> tuple[str | None, str]:
    """The tangent's rule with names and with numbers (None: every argument's tangent is 0)."""
    op = graph.op_of(node)
    parents = [graph.nodes[p] for p in node.parents]
    moving = [bool(np.any(tangents[p.index])) for p in parents]
    if not any(moving):
        return None, "0"
    if node.op in graph.ops:
        return _block_rule(graph, node, parents, moving, tangents)
    if not op.elementwise:
        terms = tuple(map(_, LINEAR.get(op.name, ()))) or _along_terms(op) or tuple(
            f"∂{op.name}/∂{k} · {{d{k}}}" for k in "ab"[:op.arity])
        labels = _slots([p.label for p in parents], [dotted(p.label) for p in parents])
        numbers = _slots([fmt.value(p.value) for p in parents],
                         [fmt.bracket(fmt.value(tangents[p.index])) for p in parents])
        labels["out"], numbers["out"] = node.label, fmt.value(node.value)
        used = [t for t, moves in zip(terms, moving) if moves]
        return (" + ".join(fmt.fill(t, labels) for t in used),
                " + ".join(fmt.fill(t, numbers) for t in used))
    labels = {k: p.label for k, p in zip("ab", parents)}
    values = {k: fmt.value(p.value) for k, p in zip("ab", parents)}
    if len(parents) == 2:  # `{b_1}`, b - 1 in pow's rule: a number where b is one
        values["b_1"] = fmt.value(np.asarray(parents[1].value) - 1)
        labels["b_1"] = values["b_1"] if parents[1].kind == "const" else f"({parents[1].label}-1)"
    named, numeric = [], []
    for arg, (parent, moves) in enumerate(zip(parents, moving)):
        if not moves:
            continue
        local = bracketed(op.local_text[arg])
        tangent = dotted(parent.label)
        amount = fmt.bracket(fmt.value(tangents[parent.index]))
        # a number's tangent spread over an array (`ẋ for each element`), never 1 = [1, 1]
        spread = " for each element" if local in ("1", "-1") and parent.shape != node.shape else ""
        if local == "1":
            named.append(tangent + spread)
            numeric.append(amount + spread)
        else:
            edge = graph.edges[graph.edges_into(node.index)[arg]]
            taken = branch_taken(op.local_text[arg], edge.local) or local
            named.append(f"{fmt.fill(local, labels)} · {tangent}{spread}")
            numeric.append(f"{fmt.fill(taken, values)} · {amount}{spread}")
    return " + ".join(named), " + ".join(numeric)


def _block_rule(graph: Graph, node: Node, parents: list[Node], moving: list[bool],
                tangents: list[Array]) -> tuple[str, str]:
    """A def's gate: each moving argument's tangent times the result's derivative by it
    (`∂h1/∂w · ẇ`), that derivative's number where it is one."""
    named, numeric = [], []
    for arg, (parent, moves) in enumerate(zip(parents, moving)):
        if not moves:
            continue
        d = f"∂{node.label}/∂{parent.label}"
        local = graph.edge_between(node.index, arg).local
        named.append(f"{d} · {dotted(parent.label)}")
        amount = fmt.bracket(fmt.value(tangents[parent.index]))
        numeric.append(f"{d if local is None else fmt.bracket(fmt.value(local))} · {amount}")
    return " + ".join(named), " + ".join(numeric)


def _along_terms(op) -> tuple[str, ...] | None:
    """The tangent's term of a linear op along an axis: the op applied to the tangent
    (`sum({da}, axis=1)`); max and min pass the tangent at the picked elements."""
    if op.base in ("sum", "mean"):
        return (op.expr.replace("{a}", "{da}"),)
    if op.base in ("amax", "amin"):
        where = "" if op.axis is None else _(" along axis {axis}", axis=op.axis)
        return (_(LINEAR[op.base][0]) + where,)
    along = "" if op.axis is None else f", axis={op.axis}"
    keep = ", keepdims=True" if op.keepdims else ""
    if op.base == "logsumexp":  # the tangent weighted by softmax, summed as the op sums
        return (f"sum(softmax({{a}}{along}) ⊙ {{da}}{along}{keep})",)
    if op.base == "softmax":
        return (f"{{out}} ⊙ ({{da}} - sum({{out}} ⊙ {{da}}{along}, keepdims=True))",)
    return None


def _slots(plain: list[str], dots: list[str]) -> dict[str, str]:
    found = dict(zip("ab", plain))
    found.update({f"d{k}": d for k, d in zip("ab", dots)})
    return found
