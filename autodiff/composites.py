"""Composite ops: sigmoid, tanh and softmax, drawn as one gate or expanded into primitives.

Collapsed (the default) a composite is one node whose backward step shows its combined local
derivative, `y·(1 - y)` with its numbers. Expanded it is the primitives it stands for, as the
tutorials draw the sigmoid gate (×-1, exp, +1, 1/x): each recipe below is written in the
language itself, `x` standing for the argument, and evaluated in place of the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .errors import EvaluationError
from .format import fill
from .i18n import _
from .ops import OPS, Op, function_arities
from .parser import parse
from .program import Program


@dataclass(frozen=True)
class Composite:
    """A composite op: its primitives and how its collapsed gate explains itself."""

    name: str
    recipe: str
    """The primitives, in the language: `x` is the argument, `{along}` the axis if any."""
    written: str
    """The primitives as the gate's explanation writes them; `{a}` is the argument."""
    combined: str
    """The combined local derivative in the result `{out}` (elementwise), or the Jacobian's
    rule in words where it is a matrix (softmax)."""
    elementwise: bool = True


COMPOSITES: dict[str, Composite] = {
    c.name: c
    for c in (
        Composite("sigmoid", "1 / (exp(x * -1) + 1)", "1/(1 + exp(-{a}))", "{out}·(1 - {out})"),
        Composite("tanh", "e = exp(2 * x)\n(e - 1) / (e + 1)",
                  "(exp(2·{a}) - 1)/(exp(2·{a}) + 1)", "1 - {out}²"),
        Composite("softmax", "e = exp(x)\ne / sum(e{along})", "exp({a}) / sum(exp({a}){along})",
                  "∂{out}ᵢ/∂{a}ⱼ = {out}ᵢ·(δᵢⱼ - {out}ⱼ)", elementwise=False),
    )
}
"""Every composite op, by the name `expand=` gives it (softmax along any axis included)."""

EXPAND_ALL = "all"


def parse_expand(text: str | None) -> frozenset[str]:
    """`expand=`'s names (comma-separated) as a set: composite ops, defs of the program
    (checked once it is read) or `all`, which stands alone; absent or empty expands nothing."""
    names = {n.strip() for n in (text or "").split(",") if n.strip()}
    if EXPAND_ALL in names:
        return frozenset({EXPAND_ALL})
    for name in sorted(names - set(COMPOSITES)):
        if not name.isidentifier() or function_arities(name) or name in OPS:
            raise EvaluationError(_(
                "expand takes composite ops ({ops}), names of defs of the program, or {all}; "
                "not {name!r}", ops=", ".join(COMPOSITES), all=EXPAND_ALL, name=name[:40]))
    return frozenset(names)


def expands(expand: frozenset[str], name: str) -> bool:
    """Whether `expand` (from `parse_expand`) draws the op or def `name` expanded."""
    return name in expand or EXPAND_ALL in expand


def expands_composite(expand: frozenset[str], op: Op) -> bool:
    """Whether `expand` draws this op of the table as its primitives."""
    c = composite_of(op)
    return c is not None and expands(expand, c.name)


def composite_of(op: Op) -> Composite | None:
    """The composite an op of the table is (softmax along an axis too), or None."""
    return COMPOSITES.get(op.base or op.name)


def _along(op: Op) -> str:
    """What a recipe's sum over the softmax's axis adds: `, axis=1, keepdims=True`."""
    return "" if op.axis is None else f", axis={op.axis}, keepdims=True"


@lru_cache(maxsize=64)
def recipe(op_name: str) -> Program:
    """The primitives a composite op expands into, parsed once per op of the table."""
    op = OPS[op_name]
    return parse(composite_of(op).recipe.replace("{along}", _along(op)))


def gate_text(op: Op, labels: dict[str, str], numbers: dict[str, str], local: str) -> str:
    """The first line of a collapsed gate's backward step: the primitives it stands for and
    its combined local derivative with its numbers (`local`, already written out)."""
    c = composite_of(op)
    along = "" if op.axis is None else f", axis={op.axis}"
    written = c.written.replace("{along}", along).replace("{a}", labels["a"])
    derivative = fill(c.combined, labels)
    if c.elementwise:
        derivative = " = ".join(dict.fromkeys((derivative, fill(c.combined, numbers), local)))
    return _("{name} gate, {written} in one step: local derivative {derivative}",
             name=c.name, written=written, derivative=derivative)

