"""Trace to `Graph`: labels, one reverse-mode sweep, edges with local derivatives, problems.

The reverse sweep records every contribution; `schedule.py` turns them into steps.
"""

from __future__ import annotations

import numpy as np

from . import format as fmt
from .errors import EvaluationError, LimitError
from .evaluate import Trace
from .i18n import _
from .limits import MAX_FORWARD_SWEEPS
from .model import (
    KIND_CONST,
    KIND_INPUT,
    KIND_OP,
    Contribution,
    Edge,
    ForwardMode,
    Graph,
    Node,
    Problem,
    all_finite,
)
from .schedule import schedule, why_not_finite
from .shapes import fmt_shape
from .var import Var, forward_derivative, forward_parts, reverse_pass, shown

Array = np.ndarray

CONSTANT_LABELS = {"pi": "π", "e": "e"}


def build_graph(trace: Trace, need_scalar_output: bool = True) -> Graph:
    """Label the trace, run reverse mode once and collect everything the views need."""
    entries = trace.entries
    vars_ = [t.var for t in entries]
    out_var = vars_[trace.output]
    if need_scalar_output:
        check_output(trace)
    parents = trace.parents
    log: list[tuple[int, int, Array, Array]] = []
    seed = np.ones(out_var.shape, dtype=out_var.dtype)
    grads = reverse_pass(
        vars_, out_var, seed,
        record=lambda child, i, c, total: log.append((trace.index_of[child.serial], i, c, total)),
    )
    live = _ancestors(parents, trace.output)
    labels = trace_labels(trace)
    nodes = tuple(
        Node(i, labels[i], t.name, t.kind, t.var.op.name if t.var.op else t.kind, parents[i],
             t.var.value, _grad_of(t, grads, i in live), t.line, t.col, i in live)
        for i, t in enumerate(entries)
    )
    edges = tuple(_edges(vars_, parents))
    inputs = tuple(n.name for n in nodes if n.kind == KIND_INPUT)
    gradients = {n.name: n.grad for n in nodes if n.kind == KIND_INPUT}
    ops = {n.op: trace.blocks[n.op] for n in nodes if n.op in trace.blocks}
    graph = Graph(nodes, edges, trace.output, inputs, gradients, dtype=str(out_var.dtype),
                  ops=ops)
    contributions, steps = schedule(graph, log)
    forward_step = {s.node: k for k, s in enumerate(steps, start=1) if s.phase == "forward"}
    backward_step = {id(c): k for k, s in enumerate(steps, start=1) for c in s.contributions}
    problems = (tuple(_value_problems(graph, forward_step))
                + tuple(_grad_problems(graph, contributions, backward_step)))
    return Graph(nodes, edges, trace.output, inputs, gradients, steps, problems,
                 graph.dtype, None, contributions, ops=ops)


def check_output(trace: Trace) -> None:
    """An EvaluationError unless the output is a single number (what gradients start from)."""
    shape = trace.entries[trace.output].var.shape
    if shape != ():
        raise EvaluationError(
            _("the output has shape {shape}; gradients need a single number: try sum(...) or "
              "mean(...) of it", shape=fmt_shape(shape)),
            trace.output_line, trace.output_col,
        )


def with_forward_mode(graph: Graph, trace: Trace, name: str) -> Graph:
    """The graph plus forward-mode tangents for the input called `name`."""
    if name not in graph.inputs:
        known = ", ".join(graph.inputs) or "none"
        raise EvaluationError(_("forward mode needs an input's name; '{name}' is not one "
                                "(inputs: {known})", name=name, known=known))
    vars_ = [t.var for t in trace.entries]
    node = graph.input_node(name)
    wrt = vars_[node.index]
    if wrt.value.size > MAX_FORWARD_SWEEPS:
        raise LimitError(
            _("forward mode sweeps the graph once per element of the input: '{name}' has {n} "
              "elements, the limit is {limit}; pick a smaller input (reverse mode gets every "
              "gradient in one sweep)", name=name, n=wrt.value.size, limit=MAX_FORWARD_SWEEPS),
            node.line, node.col)
    root = vars_[graph.output]
    derivative = forward_derivative(vars_, root, wrt)
    tangents = infinite = None
    if wrt.shape == ():
        by_var = forward_parts(vars_, {wrt: np.ones((), dtype=wrt.dtype)})
        with np.errstate(all="ignore"):
            tangents = tuple(None if by_var.get(v) is None else shown(*by_var[v]) for v in vars_)
        infinite = tuple(None if by_var.get(v) is None or by_var[v][1] is None
                         else by_var[v][1][0] for v in vars_)
    mode = ForwardMode(name, derivative, tangents, infinite)
    return Graph(graph.nodes, graph.edges, graph.output, graph.inputs, graph.gradients,
                 graph.steps, graph.problems, graph.dtype, mode, graph.contributions,
                 ops=graph.ops)


def _grad_of(t, grads: dict[Var, Array], live: bool) -> Array | None:
    if t.kind == KIND_CONST:
        return None
    g = grads.get(t.var)
    if g is not None:
        return np.asarray(g)
    if t.kind == KIND_INPUT or not live:
        return np.zeros_like(t.var.value)  # the output does not depend on it
    return None  # not reached: the sweep gives every value the output uses its gradient


def _ancestors(parents: list[tuple[int, ...]], root: int) -> set[int]:
    seen, stack = set(), [root]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(parents[i])
    return seen


def trace_labels(trace: Trace) -> list[str]:
    """Names as given (primed when a name is reused), numbers for constants, z1.. otherwise."""
    taken = {t.name for t in trace.entries if t.name}
    letter = _unnamed_letter(taken)
    labels: list[str] = []
    uses: dict[str, int] = {}  # earlier labels made from each name: one prime per reuse
    counter = 0
    for t in trace.entries:
        if t.kind == KIND_CONST:
            labels.append(_constant_label(t, taken))
            continue
        if t.name:
            label = version_label(t.name, uses.get(t.name, 0))
            uses[t.name] = uses.get(t.name, 0) + 1
        else:
            counter += 1
            while f"{letter}{counter}" in taken:
                counter += 1
            label = f"{letter}{counter}"
        labels.append(label)
    return labels


UNNAMED_LETTERS = ("z", "u", "v", "t", "q")
"""Letters for values the program does not name (z1, z2, ...), in order of preference."""


def _unnamed_letter(taken: set[str]) -> str:
    """z, unless the program names a value z itself (its `gz` would sit beside `gz1`): then
    the first letter it leaves free."""
    return next((c for c in UNNAMED_LETTERS if c not in taken), "z")


PRIMES_SHOWN = 3
"""Reuses of a name written as primes (x′, x′′, x′′′); later ones are numbered (x₄, x₅)."""
SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def version_label(name: str, reuse: int) -> str:
    """The label of a name's value after `reuse` earlier assignments: x, x′, x′′, x′′′, x₄.

    Neither ′ nor subscript digits can be part of a name, so these never collide with one
    the user wrote; numbering keeps labels (and every step text naming them) short when a
    loop-like program reassigns a name hundreds of times.
    """
    if reuse <= PRIMES_SHOWN:
        return name + "′" * reuse
    return name + str(reuse).translate(SUBSCRIPT_DIGITS)


def _constant_label(t, taken: set[str]) -> str:
    """How a constant is written: its number, or π for pi unless the program has a value
    named π of its own (`π = 3; y = π * pi` would read `π · π`)."""
    if t.name:
        return t.name
    if t.constant == "array":
        return fmt.value(t.var.value)
    label = CONSTANT_LABELS.get(t.constant, t.constant)
    return t.constant if label in taken else label


def _edges(vars_: list[Var], parents: list[tuple[int, ...]]):
    index = 0
    for dst, v in enumerate(vars_):
        if v.op is None:
            continue
        locals_ = _edge_locals(v)
        for arg, src in enumerate(parents[dst]):
            yield Edge(index, src, dst, arg, locals_[arg])
            index += 1


def _edge_locals(v: Var) -> tuple[Array | None, ...]:
    """Per argument, ∂v/∂argument where it is one number per element of the argument; None
    for an argument that needs no gradient (a constant's edge: the exponent of `x**2` at
    x < 0 would show ln(x)·x² = NaN, a derivative nobody asked for)."""
    if not v.op.elementwise:
        xs = [p.value for p in v.parents]
        with np.errstate(all="ignore"):
            found = v.op.edge_local(*xs, v.value)
    else:
        found = tuple(
            None if p.shape != v.shape else d if d.shape == v.shape
            else np.broadcast_to(d, v.shape)
            for p, d in zip(v.parents, v.partials)
        )
    return tuple(d if p.requires_grad else None for p, d in zip(v.parents, found))


def _input_ancestors(graph: Graph, index: int) -> tuple[str, ...]:
    found = _ancestors([n.parents for n in graph.nodes], index)
    return tuple(n.name for n in graph.nodes if n.index in found and n.kind == KIND_INPUT)


def _value_problems(graph: Graph, step_of: dict[int, int]):
    for n in graph.nodes:
        if n.kind != KIND_OP or n.value_finite:
            continue
        if all(graph.nodes[p].value_finite for p in n.parents):
            values = {k: fmt.value(graph.nodes[p].value) for k, p in zip("ab", n.parents)}
            op = graph.op_of(n)
            values |= {f"a{i}": fmt.value(graph.nodes[p].value) for i, p in enumerate(n.parents)}
            written = fmt.fill(op.expr, values)
            args = [graph.nodes[p].value for p in n.parents]
            reason = _value_reason(op.base or n.op, args, n.value, graph.dtype)
            yield Problem(n.index, "value",
                          _("{name} = {written} gives {what}", name=n.label, written=written,
                            what=_nonfinite_word(n.value)) + reason,
                          _input_ancestors(graph, n.index), step_of.get(n.index, 0))


def _grad_problems(graph: Graph, contributions: tuple[Contribution, ...],
                   step_of: dict[int, int]):
    reported: set[int] = set()
    for c in contributions:
        if c.target in reported or all_finite(np.asarray(c.amount)):
            continue
        edge = graph.edges[c.edge]
        upstream = graph.nodes[edge.dst].grad
        if upstream is not None and not all_finite(upstream):
            continue  # inherited, not produced here
        reported.add(c.target)
        line = c.text.splitlines()[0]
        said = bool(why_not_finite(graph, edge, c.amount))  # the step's text says why
        reason = "" if said else _grad_reason(edge.local, upstream, graph.dtype)
        yield Problem(c.target, "grad",
                      _("{line}: the gradient becomes {what} here", line=line,
                        what=_nonfinite_word(c.amount)) + reason,
                      _input_ancestors(graph, c.target), step_of.get(id(c), 0))


def _largest(dtype: str) -> str:
    return f"{float(np.finfo(dtype).max):.1e}".replace("e+", "e")


def _value_reason(op: str, args: list[Array], value: Array, dtype: str) -> str:
    """Why an op gave NaN or an infinity from finite arguments, in words (or nothing)."""
    first = np.asarray(args[0])
    if op == "log" and np.any(first == 0):
        return ": " + _("the log of 0 is -∞")
    if op in ("log", "sqrt") and np.any(first < 0):
        return ": " + _("{op} of a negative number has no real value", op=op)
    if op == "div" and np.any(np.asarray(args[1]) == 0):
        return ": " + (_("division by 0") if not np.any(np.isnan(value)) else
                       _("0 / 0 has no value"))
    if op == "pow" and np.any((first < 0) & (np.asarray(args[1]) % 1 != 0)):
        return ": " + _("a negative number to a fractional power has no real value")
    if np.any(np.isinf(value)):
        return ": " + _("overflow, beyond the largest {dtype} number (about {largest})",
                        dtype=dtype, largest=_largest(dtype))
    return ""


def _grad_reason(local: Array | None, upstream: Array | None, dtype: str) -> str:
    """Why `local derivative × upstream gradient` is NaN or infinite, in words (or nothing
    where the local derivative is not one number per element)."""
    if local is None or upstream is None:
        return ""
    local, upstream = np.asarray(local), np.asarray(upstream)
    wild = ~np.isfinite(local)
    try:
        zero_times_wild = np.any(wild & (np.broadcast_to(upstream, local.shape) == 0))
    except ValueError:  # a reduction: its local derivative has the argument's shape
        zero_times_wild = np.any(wild) and np.any(upstream == 0)
    if zero_times_wild:
        return _(", because 0 · ∞ has no value (the gradient arriving is 0, the local "
                 "derivative is not finite)")
    if np.any(np.isnan(local)):
        return _(", because the local derivative is NaN (outside the rule's domain)")
    if np.any(wild):
        return _(", because the local derivative is infinite (a vertical slope)")
    return _(", because the product overflows {dtype} (largest about {largest})", dtype=dtype,
             largest=_largest(dtype))


def _nonfinite_word(a: Array) -> str:
    a = np.asarray(a)
    if np.any(np.isnan(a)):
        return "NaN"
    return "-Infinity" if np.any(a == -np.inf) and not np.any(a == np.inf) else "Infinity"
