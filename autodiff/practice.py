"""Practice mode: what each step asks a student, and whether an answer is right.

A forward step asks for the value it computes; the seed asks for the output's own gradient;
a backward step asks for each contribution `upstream × local` it pushes into a parent. A
gentler level asks instead which local-derivative rule applies, from a few choices. A wrong
answer gets a hint that names the rule to use, never the number.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .errors import EvaluationError
from .i18n import N_, _
from .model import KIND_CONST, Edge, Graph, Node, Step
from .ops import OPS, rule_texts
from .schedule import grad_name, grad_prefix
from .shapes import fmt_shape

Array = np.ndarray

RELATIVE_TOLERANCE = 1e-3
"""An answer this close counts as right: the 4 significant digits shown elsewhere are."""
ABSOLUTE_TOLERANCE = 1e-9
"""For true values of 0 (and rounding residue next to it)."""
CHOICES = 4
"""Rules offered at the gentler level, the right one among them."""
LEVELS = ("values", "rules")
"""`values`: type each number; `rules`: pick each backward step's local-derivative rule."""


@dataclass(frozen=True)
class Ask:
    """One blank of a step: what it is called and the shape of the number it wants."""

    label: str
    """`z1`, or `gw1 +=` for a contribution into w1's gradient."""
    shape: tuple[int, ...]
    answer: Array
    rule: str | None = None
    """The local-derivative rule of a contribution (backward steps of an op)."""


@dataclass(frozen=True)
class Verdict:
    """What a check found: per blank right or not, and a hint for each wrong one."""

    correct: tuple[bool, ...]
    hints: tuple[str | None, ...]

    @property
    def all_correct(self) -> bool:
        """Whether every blank of the step was answered right."""
        return all(self.correct)


def asks(graph: Graph, step: int) -> tuple[Ask, ...]:
    """The blanks of step `step` (1-based, as in the API)."""
    s = _step(graph, step)
    node = graph.nodes[s.node]
    if s.phase == "forward":
        return (Ask(node.label, node.shape, node.value),)
    if s.kind == "seed":
        return (Ask(_g(graph, node), node.shape, np.ones_like(node.value)),)
    return tuple(
        Ask(f"{_g(graph, graph.nodes[c.target])} +=", np.shape(c.amount), np.asarray(c.amount),
            rule_text(graph, graph.edges[c.edge]))
        for c in s.contributions
    )


def prompt(graph: Graph, step: int) -> str:
    """The question of a step in the explanations' notation, with its numbers left blank."""
    s = _step(graph, step)
    node = graph.nodes[s.node]
    names = [graph.nodes[p].label for p in node.parents]
    if s.phase == "forward":
        return f"{node.label} = {_fill(graph.op_of(node).expr, names, '')} = ?"
    if s.kind == "seed":
        return _("{g} = ?  (the gradient of {name} with respect to itself)", g=_g(graph, node),
                 name=node.label)
    written = _fill(graph.op_of(node).expr, names, "")
    parents = ", ".join(dict.fromkeys(graph.nodes[graph.edges[c.edge].src].label
                                      for c in s.contributions))
    return _("back through {name} = {written}: upstream {g} × local, into {parents}",
             name=node.label, written=written, g=_g(graph, node), parents=parents)


def rule_text(graph: Graph, edge: Edge) -> str:
    """The local derivative of an edge as a rule in the graph's own names: `-sin(z2)`."""
    node = graph.nodes[edge.dst]
    op = graph.op_of(node)
    texts = rule_texts(op)
    names = [graph.nodes[p].label for p in node.parents]
    return _fill(texts[edge.arg], names, _g(graph, node), node.label)


def choices(graph: Graph, step: int, blank: int) -> tuple[str, ...]:
    """Rules to pick from for a backward blank: the right one and others of the op table,
    in an order fixed by the step (so a page reload asks the same question)."""
    ask = asks(graph, step)[blank]
    if ask.rule is None:
        raise EvaluationError(N_("this step has no rule to choose: type its number"))
    s = _step(graph, step)
    node = graph.nodes[s.node]
    names = [graph.nodes[p].label for p in node.parents] or [node.label]
    others = sorted({
        _fill(text, names + names, _g(graph, node), node.label)
        for op in OPS.values() for text in rule_texts(op)
        if op.arity <= max(len(names), 1)
    } - {ask.rule})
    seed = zlib.crc32(f"{step}:{blank}:{ask.rule}".encode())
    picked = [others[(seed + 7 * k) % len(others)] for k in range(len(others))]
    offered = list(dict.fromkeys(picked))[: CHOICES - 1]
    offered.insert(seed % CHOICES, ask.rule)
    return tuple(offered)


def check(graph: Graph, step: int, answers: list, level: str = "values") -> Verdict:
    """Compare a student's answers for a step with the engine's numbers (or rules)."""
    blanks = asks(graph, step)
    if len(answers) != len(blanks):
        raise EvaluationError(_("this step has {blanks} blank(s); got {answers} answer(s)",
                                blanks=len(blanks), answers=len(answers)))
    if level == "rules" and _step(graph, step).phase == "backward" and blanks[0].rule:
        right = tuple(a == b.rule for a, b in zip(answers, blanks))
        hints = tuple(None if ok else _rule_hint(graph, step) for ok in right)
        return Verdict(right, hints)
    found = [_numbers(a, b) for a, b in zip(answers, blanks)]
    right = tuple(close(f, b.answer) for f, b in zip(found, blanks))
    hints = tuple(None if ok else hint(graph, step, i, f) for i, (ok, f) in
                  enumerate(zip(right, found)))
    return Verdict(right, hints)


def close(found: Array, true: Array) -> bool:
    """Whether an answer matches the engine's number to the digits shown (NaN matches NaN)."""
    if found.shape != true.shape:
        return False
    true = true.astype(np.float64)
    both_nan = np.isnan(found) & np.isnan(true)
    same_inf = np.isinf(true) & (found == true)
    near = np.abs(found - true) <= RELATIVE_TOLERANCE * np.abs(true) + ABSOLUTE_TOLERANCE
    return bool(np.all(both_nan | same_inf | near))


def hint(graph: Graph, step: int, blank: int, found: Array) -> str:
    """Why an answer may be wrong, in the words of the rule to use (never the number)."""
    s = _step(graph, step)
    node = graph.nodes[s.node]
    if found.shape != np.shape(asks(graph, step)[blank].answer):
        return _("this value has shape {shape}: give one number per element, as a list such "
                 "as [1, 2]", shape=fmt_shape(asks(graph, step)[blank].shape))
    if s.phase == "forward":
        return _forward_hint(graph, node)
    if s.kind == "seed":
        return _("the seed: the gradient of {name} with respect to itself", name=node.label)
    c = s.contributions[blank]
    edge = graph.edges[c.edge]
    upstream = _g(graph, node)
    if close(found, np.asarray(-np.asarray(c.amount))) and np.any(np.asarray(c.amount) != 0):
        return _("check the sign of the local derivative")
    if node.grad is not None and close(found, np.asarray(node.grad)):
        return _("that is the upstream gradient {upstream} alone: multiply it by the local "
                 "derivative of {op}", upstream=upstream, op=_op_words(graph, node))
    if edge.local is not None and close(found, np.asarray(edge.local)):
        return _("that is the local derivative alone: multiply it by the upstream gradient "
                 "{upstream}", upstream=upstream)
    return _("upstream × local: {upstream} times the local derivative of {op} with respect to "
             "{name}", upstream=upstream, op=_op_words(graph, node), name=graph.nodes[edge.src].label)


def _forward_hint(graph: Graph, node: Node) -> str:
    names = [graph.nodes[p].label for p in node.parents]
    known = [graph.nodes[p].label for p in node.parents if graph.nodes[p].kind != KIND_CONST]
    rule = f"{node.label} = {_fill(graph.op_of(node).expr, names, '')}"
    if not known:
        return _("{rule}: work it out from the numbers written", rule=rule)
    return _("{rule}: put in the values of {names}", rule=rule,
             names=", ".join(dict.fromkeys(known)))


def _rule_hint(graph: Graph, step: int) -> str:
    node = graph.nodes[_step(graph, step).node]
    return _("the rule of {op}: {formula}", op=_op_words(graph, node),
             formula=_(graph.op_of(node).formula))


def _op_words(graph: Graph, node: Node) -> str:
    """An op as a student reads it: `cos(z2)`, `w1 · z3`."""
    names = [graph.nodes[p].label for p in node.parents]
    return _fill(graph.op_of(node).expr, names, "")


def _fill(template: str, names: list[str], upstream: str, out: str = "out") -> str:
    a = names[0] if names else "a"
    b = names[1] if len(names) > 1 else a
    for i, name in enumerate(names):  # a def's gate: `{a0}`, ... and `{d0}` = ∂out/∂a0, ...
        template = template.replace(f"{{a{i}}}", name).replace(f"{{d{i}}}", f"∂{out}/∂{name}")
    return (template.replace("{a}", a).replace("{b}", b).replace("{g}", upstream)
            .replace("{b_1}", f"({b}-1)").replace("{out}", out))


def _numbers(answer, blank: Ask) -> Array:
    """An answer as an array of floats: a number, a numeric string or nested lists of them."""
    if not _numeric(answer):
        raise EvaluationError(_("the answer for {name} must be a number (or a list of numbers "
                                "for an array)", name=blank.label))
    try:
        found = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise EvaluationError(_("the answer for {name} must be a number (or a list of numbers "
                                "for an array)", name=blank.label)) from None
    if found.size > max(blank.answer.size, 1) * 4 or found.ndim > 2:
        raise EvaluationError(_("the answer for {name} has too many numbers", name=blank.label))
    return found


def _numeric(answer) -> bool:
    """Whether an answer is made of numbers and numeric strings only (no None, no booleans)."""
    if isinstance(answer, list):
        return all(_numeric(a) for a in answer)
    return isinstance(answer, (int, float, str)) and not isinstance(answer, bool)


def _step(graph: Graph, step: int) -> Step:
    if not 1 <= step <= len(graph.steps):
        raise EvaluationError(_("step must be from 1 to {n} in practice mode",
                                n=len(graph.steps)))
    return graph.steps[step - 1]


def _g(graph: Graph, node: Node) -> str:
    """A value's gradient as the step texts name it (`gx`, or `∇x` beside a name `gx`)."""
    return grad_name(node, grad_prefix(graph))
