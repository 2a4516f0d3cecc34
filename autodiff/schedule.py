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
from .composites import composite_of, gate_text
from .i18n import _
from .model import KIND_CONST, KIND_OP, Contribution, Edge, Graph, Node, Step
from .ops import OPS, chosen_branch, contribution_text, worded

Array = np.ndarray
LogEntry = tuple[int, int, Array, Array]
"""(child node, argument index, contribution, parent's new total), in sweep order."""


def schedule(graph: Graph, log: list[LogEntry]) -> tuple[tuple[Contribution, ...], tuple]:
    """All contributions with their explanations, and the steps forward, seed and backward."""
    names = [n.label for n in graph.nodes]
    values = [fmt.value(n.value) for n in graph.nodes]
    prefix = grad_prefix(graph)
    ops = [n for n in graph.nodes if n.kind == KIND_OP]
    labels = {n.index: _placeholders(graph, n, names, grad_name(n, prefix), symbolic=True)
              for n in ops}
    numbers = {n.index: _placeholders(graph, n, values, _grad_text(n)) for n in ops}
    for n in ops:
        if n.op in graph.ops:
            _block_placeholders(graph, n, labels[n.index], numbers[n.index])
    contributions = _contributions(graph, log, labels, numbers, prefix)
    steps = [Step("forward", "op", n.index, graph.edges_into(n.index),
                  _forward_text(graph, n, labels[n.index], numbers[n.index])) for n in ops]
    steps.append(Step("backward", "seed", graph.output, (),
                      _("{g} = 1: from here back, multiply the edges of a route, add the routes",
                        g=grad_name(graph.nodes[graph.output], prefix))))
    for child, group in groupby(contributions, key=lambda c: graph.edges[c.edge].dst):
        # Only edges that carry gradient light up: constants receive none.
        group = tuple(group)
        gate = _gate_line(graph, graph.nodes[child], labels[child], numbers[child], group)
        lines = [gate] if gate else []
        steps.append(Step("backward", "op", child, tuple(c.edge for c in group),
                          "\n".join(lines + [c.text for c in group]), group))
    return contributions, tuple(steps)


def _gate_line(graph: Graph, node: Node, labels: dict[str, str], numbers: dict[str, str],
               group: tuple[Contribution, ...]) -> str:
    """The line a backward step opens with: how the gate passes gradient back (`add
    distributes`), or for a composite drawn as one gate its combined local derivative."""
    op = graph.op_of(node)
    if node.op in graph.ops:
        return _block_gate(graph, node, graph.ops[node.op], group)
    if composite_of(op) is None:
        return _(op.gate)
    local = graph.edges[group[0].edge].local
    return gate_text(op, labels, numbers, "" if local is None else fmt.value(local))


def _block_gate(graph: Graph, node: Node, block, group: tuple[Contribution, ...]) -> str:
    """A def drawn as one gate (a `blocks.Block`): its combined local derivative into each
    argument, with its number where the result is a single number."""
    first, last = block.lines
    lines = _("line {line}", line=first) if first == last else _(
        "lines {first}–{last}", first=first, last=last)
    if node.shape:
        return _("{name} gate ({lines}) in one step: its Jacobian times the gradient, into "
                 "each argument", name=block.name, lines=lines)
    parts = [f"∂{node.label}/∂{graph.nodes[graph.edges[c.edge].src].label} = "
             f"{fmt.value(graph.edges[c.edge].local)}" for c in group]
    return _("{name} gate ({lines}) in one step, local derivatives {derivatives}",
             name=block.name, lines=lines, derivatives=", ".join(parts))


def _block_placeholders(graph: Graph, node: Node, labels: dict[str, str],
                        numbers: dict[str, str]) -> None:
    """A def's gate in templates: `{a0}`, `{a1}`, ... its arguments, and `{d0}`, ... the
    derivative of its result by each, as `∂h1/∂w` and as its number (where it is one)."""
    for i, p in enumerate(node.parents):
        name = graph.nodes[p].label
        labels[f"a{i}"] = name
        numbers[f"a{i}"] = fmt.value(graph.nodes[p].value)
        local = graph.edge_between(node.index, i).local
        labels[f"d{i}"] = f"∂{node.label}/∂{name}"
        numbers[f"d{i}"] = labels[f"d{i}"] if local is None else fmt.value(local)


def grad_prefix(graph: Graph) -> str:
    """`g`, as the tutorials write gradients (gw1, gz3), unless a name in the program already
    reads as one (`gx` beside `x`): then every gradient is written ∇x, which no name can be."""
    labels = {n.label for n in graph.nodes}
    return "∇" if any(f"g{label}" in labels for label in labels) else "g"


def grad_name(node: Node, prefix: str = "g") -> str:
    """The tutorials' name for a value's adjoint: gw1, gz3 (∇w1 where names collide)."""
    return f"{prefix}{node.label}"


def _grad_text(node: Node) -> str:
    return fmt.value(node.grad) if node.grad is not None else ""


def _placeholders(graph: Graph, node: Node, texts: list[str], g: str,
                  symbolic: bool = False) -> dict[str, str]:
    """What an op's templates put for `{a}`, `{b}`, `{out}`, `{g}` and `{b_1}` (b - 1): its
    arguments', its own and its gradient's text, as labels (`z2`) or as numbers (`7.5`)."""
    found = {k: texts[p] for k, p in zip("ab", node.parents)}
    if len(node.parents) == 2:
        b = graph.nodes[node.parents[1]]
        if symbolic and b.kind != KIND_CONST:
            found["b_1"] = f"({texts[b.index]}-1)"
        else:  # `2·x**1`, not `2·x**(2-1)`
            found["b_1"] = fmt.value(np.asarray(b.value) - 1)
    return found | {"out": texts[node.index], "g": g}


def _forward_text(graph: Graph, node: Node, labels: dict[str, str],
                  numbers: dict[str, str]) -> str:
    """`z3 = cos(z2) = cos(7.5) = 0.3466`, each form once (`z1 = -x = -2`)."""
    expr = _product_sign(graph.op_of(node).expr, _both_arrays(graph, node))
    parts = [node.label, fmt.fill(expr, labels), fmt.fill(expr, numbers), numbers["out"]]
    shown = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
    if parts[3] == "-" + parts[2] or parts[2] == fmt.bracket(parts[3]):
        shown = shown[:-1] if len(shown) > 3 else shown  # `-(2)` is `-2`
    return " = ".join(shown) + _rounding_note(graph, node)


def _rounding_note(graph: Graph, node: Node) -> str:
    """A result many orders of magnitude below its arguments is rounding left over, not a
    value: `0.9 - 0.9 = 1.11e-16 ≈ 0 (rounding)`."""
    value = np.asarray(node.value)
    if value.ndim or not np.isfinite(value) or value == 0:
        return ""
    scale = max((abs(float(graph.nodes[p].value)) for p in node.parents
                 if np.asarray(graph.nodes[p].value).ndim == 0), default=0.0)
    scale = max(scale, 1.0) if node.op in ("sin", "cos", "tan") else scale
    if np.isfinite(scale) and abs(float(value)) < 1e-12 * scale:
        return " ≈ 0 " + _("(rounding)")
    return ""


def _product_sign(template: str, arrays: bool) -> str:
    """`·` where a number is one side, `⊙` (elementwise) where two arrays meet, so `h ⊙ v`
    does not read as a dot product."""
    return template.replace(" · ", " ⊙ ") if arrays else template


def _both_arrays(graph: Graph, node: Node) -> bool:
    return len(node.parents) == 2 and all(graph.nodes[p].shape for p in node.parents)


def term_template(graph: Graph, edge: Edge, numeric: bool = False) -> str:
    """`local × upstream` for one edge, as a template: `-sin({a}) · {g}`, `1 · {g}` (an add's
    edge keeps its 1, so a route reads as a product), `{g} @ {b}ᵀ`, `{g} ⊗ {b}`. With
    `numeric`, a rule with branches is written as the branch taken (`(1 since {a} ≥ {b})`)."""
    child = graph.nodes[edge.dst]
    src = graph.nodes[edge.src]
    op = graph.op_of(child)
    if not op.elementwise:
        return _matmul_text(graph, child, edge.arg) if op.name == "matmul" else contribution_text(op, edge.arg)
    written = op.local_text[edge.arg]
    local = bracketed(written).replace(written, worded(written))
    if numeric:
        local = branch_taken(written, edge.local) or local
    scalar_local = written in ("1", "-1") or (
        op.name == "mul" and graph.nodes[child.parents[1 - edge.arg]].shape == ())
    term = _product_sign(f"{local} · {{g}}", bool(child.shape) and not scalar_local)
    if src.shape != child.shape:  # broadcasting: summed back to the parent's shape
        term = _summed_back(term, src.shape, child.shape)
    return term


def bracketed(local: str) -> str:
    """A local derivative as it reads before `· g`: `(1 - tanh²(a))`, `(1 if a > 0, else 0)`."""
    return f"({local})" if " + " in local or " - " in local or " if " in local else local


def branch_taken(local_text: str, local: Array | None) -> str | None:
    """The numbers of a rule with branches: `(1 since {a} ≥ {b})` for a scalar, the array of
    ones and zeros for an array (a template either way); None for a rule without branches."""
    branches = chosen_branch(local_text)
    if branches is None or local is None:
        return None
    local = np.asarray(local)
    if local.ndim:
        return fmt.value(local).replace("{", "{{")
    return branches[0] if local == 1 else branches[1]


def _matmul_text(graph: Graph, child: Node, arg: int) -> str:
    """A vector's part in a matrix product gets an outer product (⊗), not `@ ...ᵀ`, which
    reads as an inner product."""
    a, b = (graph.nodes[p].shape for p in child.parents)
    if len(a) == 2 and len(b) == 1 and arg == 0:
        return "{g} ⊗ {b}"
    if len(a) == 1 and len(b) == 2 and arg == 1:
        return "{a} ⊗ {g}"
    if len(a) == 1 and len(b) == 1:
        return "{g} · {b}" if arg == 0 else "{a} · {g}"
    return contribution_text(OPS["matmul"], arg)


def _summed_back(term: str, src: tuple[int, ...], out: tuple[int, ...]) -> str:
    """`term` summed over the axes broadcasting added, written as the language writes it."""
    if src == ():
        return f"sum({term})"
    extra = len(out) - len(src)
    axes = [*range(extra), *(extra + i for i, n in enumerate(src) if n == 1 and out[extra + i] != 1)]
    if len(axes) == 1:
        keep = ", keepdims=True" if axes[0] >= extra else ""
        return f"sum({term}, axis={axes[0]}{keep})"
    if len(axes) == len(out) and extra == 0:
        return f"sum({term}, keepdims=True)"
    return _("sum({term}) over the broadcast axes", term=term)


def _contributions(graph: Graph, log: list[LogEntry], labels: dict[int, dict[str, str]],
                   numbers: dict[int, dict[str, str]], prefix: str) -> tuple[Contribution, ...]:
    """Each entry of the sweep with its explanation: `gw1 += 3 · gz1 = … = -5.628 so far` for
    a value's first contribution, its running sum (`gw1 = … + … = …`) for later ones."""
    edges = [graph.edge_between(child, arg) for child, arg, _, _ in log]
    expected = Counter(edge.src for edge in edges)
    written: dict[int, list[str]] = defaultdict(list)  # per target, its terms with labels
    shown: dict[int, list[str]] = defaultdict(list)  # ... and their amounts
    result = []
    for (child, _arg, amount, total), edge in zip(log, edges):
        template = term_template(graph, edge)
        if graph.nodes[child].op == "pow" and labels[child]["b_1"] == "1":
            template = template.replace("**{b_1}", "")  # 2·x, not 2·x**1
        terms = written[edge.src]
        terms.append(fmt.fill(template, labels[child]))
        amounts = shown[edge.src]
        amounts.append(fmt.value(amount))
        g = grad_name(graph.nodes[edge.src], prefix)
        if len(terms) == 1:
            numeric = term_template(graph, edge, numeric=True)
            if graph.nodes[child].op == "pow" and labels[child]["b_1"] == "1":
                numeric = numeric.replace("**{b_1}", "")
            parts = [f"{g} += {terms[0]}", fmt.fill(numeric, numbers[child]), amounts[0]]
            if parts[1] == amounts[0]:
                del parts[1]
            text = " = ".join(parts)
        else:
            numeric = " + ".join(map(fmt.bracket, amounts))
            text = f"{g} = {_sum_of(terms)} = {numeric} = {fmt.value(total)}"
        final = len(terms) == expected[edge.src]
        text += why_not_finite(graph, edge, amount) + ("" if final else " " + _("so far"))
        result.append(Contribution(edge.index, edge.src, amount, total, len(terms), final, text))
    return tuple(result)


def _sum_of(terms: list[str]) -> str:
    """Terms added up, a negative one subtracted: `gy - 1 · gy`, not `gy + -1 · gy`."""
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


def why_not_finite(graph: Graph, edge: Edge, amount: Array) -> str:
    """For a contribution that is NaN or infinite from finite numbers, why: `(exp(100) = ∞ in
    float32, so ∞ · 0 = NaN)`."""
    if edge.local is None or np.all(np.isfinite(amount)):
        return ""
    child = graph.nodes[edge.dst]
    upstream = child.grad
    if upstream is None or not np.all(np.isfinite(upstream)):
        return ""  # inherited from the upstream gradient, explained where it arose
    local = np.asarray(edge.local)
    if local.ndim or np.asarray(upstream).ndim or not graph.op_of(child).elementwise:
        return ""
    written = fmt.fill(worded(OPS[child.op].local_text[edge.arg]),
                       {k: fmt.value(graph.nodes[p].value) for k, p in zip("ab", child.parents)}
                       | {"b_1": ""})
    lv, gv, total = fmt.value(local), fmt.value(upstream), fmt.value(amount)
    if np.isfinite(local):
        return " " + _("({written} = {local}, so {local} · {g} = {total})", written=written,
                       local=lv, g=fmt.bracket(gv), total=total)
    return " " + _("({written} = {local} in {dtype}, so {local} · {g} = {total})",
                   written=written, local=lv, dtype=graph.dtype, g=fmt.bracket(gv), total=total)
