"""Program to traced values: each value the program computes becomes one `Traced` entry."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import reuse
from .blocks import Block, free_names
from .composites import COMPOSITES, EXPAND_ALL, expands, expands_composite, recipe
from .errors import AutodiffError, EvaluationError, LimitError
from .i18n import _
from .limits import MAX_NODES, MAX_TOTAL_ELEMENTS
from .model import KIND_CONST, KIND_INPUT, KIND_OP, all_finite
from .ops import CONSTANTS, OPS, function_arities
from .parser import takes_message
from .program import (
    Apply,
    ArrayLit,
    Assign,
    Call,
    Def,
    Expr,
    Name,
    Num,
    Output,
    Program,
    is_literal,
)
from .var import Var, apply_quietly, run_op


@dataclass
class Traced:
    """A value with where it came from: its kind, the name it was given, its position."""

    var: Var
    kind: str
    name: str | None
    line: int
    col: int
    constant: str | None = None
    """How a constant is written: `3`, `pi`."""


@dataclass
class Trace:
    """Everything a program computed, in evaluation order, and which entry is the output."""

    entries: list[Traced]
    index_of: dict[int, int]
    """Entry index by `Var.serial`."""
    output: int
    output_line: int
    output_col: int
    blocks: dict[str, Block] = field(default_factory=dict)
    """The program's defs, by name (a call drawn as one gate runs its def's `Block.op`)."""

    @cached_property
    def parents(self) -> list[tuple[int, ...]]:
        """Per entry, the entry indices of its arguments, in argument order."""
        index_of = self.index_of
        return [tuple(index_of[p.serial] for p in t.var.parents) for t in self.entries]


class _Evaluator:
    def __init__(self, program: Program, dtype: np.dtype, expand: frozenset[str] = frozenset()):
        self.program = program
        self.dtype = dtype
        self.expand = expand
        self.entries: list[Traced] = []
        self.index_of: dict[int, int] = {}  # Var.serial -> entry index
        self.env: dict[str, int] = {}
        self.constants: dict[str, int] = {}
        self.elements = 0
        self.hidden = 0  # values computed inside gates drawn as one (see `count_body`)
        self.current = 0  # index of the statement being evaluated
        self.blocks: dict[str, Block] = {}  # the defs so far, by name

    def run(self) -> Trace:
        last = None
        for index, statement in enumerate(self.program.statements):
            self.current = index
            if isinstance(statement, Def):
                self.define(statement)
            else:
                last = self.statement(statement)
        self.check_expand()
        d = self.program.statements[-1]
        if isinstance(d, Def):
            raise EvaluationError(_("the program ends with the def of {name}: call it on a "
                                    "line after it, e.g. y = {name}(...)", name=d.name),
                                  d.line, d.col)
        return Trace(self.entries, self.index_of, last, self.program.statements[-1].line,
                     self.program.statements[-1].col, self.blocks)

    def statement(self, s: Assign | Output) -> int:
        if isinstance(s, Output):
            return self.expr(s.expr)
        if is_literal(s.expr):
            return self.assign_input(s)
        index = self.named(s.target, self.expr(s.expr))
        self.env[s.target] = index
        return index

    def define(self, d: Def) -> None:
        if d.name in self.env:
            raise EvaluationError(_("'{name}' already names a value: give the def another "
                                    "name", name=d.name), d.line, d.col)
        self.blocks[d.name] = Block(d, free_names(d))

    def check_expand(self) -> None:
        """Every name `expand` gives is a composite op (checked before) or a def here."""
        unknown = sorted(self.expand - {EXPAND_ALL} - set(COMPOSITES) - set(self.blocks))
        if unknown:
            defs = ", ".join(self.blocks) or "none"
            raise EvaluationError(_(
                "expand names composite ops ({ops}), defs of the program (here: {defs}) or "
                "all; '{name}' is none of them", ops=", ".join(COMPOSITES), defs=defs,
                name=unknown[0]))

    def call(self, e: Call) -> int:
        """A def called: one gate (its body's combined local derivatives), or its body run in
        place, one node per primitive, when `expand` names it."""
        block = self.blocks.get(e.name)
        if block is None:
            raise EvaluationError(self.unknown_def_message(e), e.line, e.col)
        params = block.definition.params
        if len(e.args) != len(params):
            raise EvaluationError(takes_message(e.name, params, len(e.args)),
                                  e.line, e.col)
        args = [self.expr(a) for a in e.args]
        if expands(self.expand, e.name):
            return self.inline(block, args, e)
        outer = [self.expr(name) for name in block.uses]
        var = self.block_var(block, [self.entries[i].var for i in args + outer], e)
        return self.add(var, KIND_OP, e)

    def block_var(self, block: Block, args: list[Var], e: Call) -> Var:
        leaves, out, order = block.traced(tuple(a.value for a in args))
        if out in leaves:
            raise _unchanged(block)
        self.count_body([v for v in order if v not in leaves], e)
        var = Var._result(block.op, tuple(args), np.asarray(out.value, dtype=self.dtype), None)
        var.requires_grad = any(a.requires_grad for a in args)
        return var

    def count_body(self, body: list[Var], at: Call) -> None:
        """A gate's body counts as the values it computes, as it would expanded: drawing a
        def as one gate never lets a program compute more than the limits allow."""
        self.hidden += len(body)
        self.elements += sum(max(v.value.size, 1) for v in body)
        if len(self.entries) + self.hidden > MAX_NODES or self.elements > MAX_TOTAL_ELEMENTS:
            raise LimitError(_("with the bodies of its defs the program computes more than "
                               "{nodes} values or {elements} numbers (the limits of a graph)",
                               nodes=MAX_NODES, elements=MAX_TOTAL_ELEMENTS), at.line, at.col)

    def inline(self, block: Block, args: list[int], e: Call) -> int:
        """A def's body evaluated in place: its names first, then the program's."""
        outer = self.env
        self.env = {**outer, **dict(zip(block.definition.params, args))}
        try:
            for s in block.definition.body:
                self.env[s.target] = self.named(s.target, self.expr(s.expr))
            result = self.expr(block.definition.result)
        finally:
            self.env = outer
        if result in args or self.entries[result].kind != KIND_OP:
            raise _unchanged(block)
        if self.entries[result].name in {s.target for s in block.definition.body}:
            self.entries[result].name = None  # the calling line names the result
        return result

    def named(self, target: str, index: int) -> int:
        entry = self.entries[index]
        if entry.name is None and entry.kind == KIND_OP:
            entry.name = target  # the value computed on this line takes the line's name
        return index

    def unknown_def_message(self, e: Call) -> str:
        later = next((s.line for s in self.program.statements[self.current + 1:]
                      if isinstance(s, Def) and s.name == e.name), None)
        if later is not None:
            return _("{name} is defined on line {line}, after this call: move the def up",
                     name=e.name, line=later)
        return _("unknown function '{name}'", name=e.name)

    def assign_input(self, s: Assign) -> int:
        if s.target in self.env:
            earlier = next(st.line for st in reversed(self.program.statements[:self.current])
                           if isinstance(st, Assign) and st.target == s.target)
            raise EvaluationError(
                _("'{name}' already has a value (line {earlier}); a number gets a name of its "
                  "own: an input is assigned once", name=s.target, earlier=earlier), s.line, s.col)
        index = self.add(self.literal(s.expr, requires_grad=True), KIND_INPUT, s)
        self.entries[index].name = s.target
        self.env[s.target] = index
        return index

    def expr(self, e: Expr) -> int:
        try:
            return _EXPR_HANDLERS[type(e)](self, e)
        except AutodiffError as err:
            raise err.at(e.line, e.col) from None

    def number(self, e: Num | ArrayLit) -> int:
        text = _number_text(e.value) if isinstance(e, Num) else "array"
        return self.add(self.literal(e), KIND_CONST, e, constant=text)

    def literal(self, e: Num | ArrayLit, requires_grad: bool = False) -> Var:
        return _literal(e, self.dtype, requires_grad)

    def name(self, e: Name) -> int:
        if e.id in self.env:
            return self.env[e.id]
        if e.id in CONSTANTS and e.id not in self.program.assigned_lines():
            if e.id not in self.constants:
                var = Var(CONSTANTS[e.id], dtype=self.dtype)
                self.constants[e.id] = self.add(var, KIND_CONST, e, constant=e.id)
            return self.constants[e.id]
        raise EvaluationError(self.unknown_name_message(e), e.line, e.col)

    def unknown_name_message(self, e: Name) -> str:
        # Only a later statement counts: in `y = y + 1` (or `y += 1`) y is never given a value.
        later = next((s.line for s in self.program.statements[self.current + 1:]
                      if isinstance(s, Assign) and s.target == e.id), None)
        if later == e.line:
            return _("name '{name}' is used before it has a value: it is assigned later on line "
                     "{later}; assign it first", name=e.id, later=later)
        if later is not None:
            return _("name '{name}' is used before it has a value: it is assigned on line "
                     "{later}; move that line above line {line}", name=e.id, later=later,
                     line=e.line)
        if function_arities(e.id):
            return _("'{name}' is a function: call it with an argument, e.g. {name}(x)",
                     name=e.id)
        return _("name '{name}' has no value; add a line such as '{name} = 1.0'", name=e.id)

    def apply(self, e: Apply) -> int:
        indices = [self.expr(a) for a in e.args]
        if self.expand and expands_composite(self.expand, OPS[e.op]):
            return self.expanded(e, indices[0])
        args = [self.entries[i].var for i in indices]
        if e.op in _AXIS_LOOKALIKES and args[0].shape != () and _whole_number(e.args[1]):
            raise EvaluationError(_axis_lookalike_message(e), e.line, e.col)
        # A value made of written numbers alone (`2 * pi`, `1 + 1`) is a constant too: like
        # them it needs no gradient, so no rule is run for it (ln of a negative base for
        # the exponent of `x**(1 + 1)` was NaN, shown where nobody asked for it).
        var = apply_quietly(e.op, *args)
        return self.add(var, KIND_OP, e)

    def expanded(self, e: Apply, x: int) -> int:
        """A composite op's call as the primitives of its recipe, each placed at the call."""
        local = {"x": x}
        last = x
        for s in recipe(e.op).statements:
            last = self.primitive(s.expr, local, e)
            if isinstance(s, Assign):
                local[s.target] = last
        return last

    def primitive(self, r: Expr, local: dict[str, int], at: Apply) -> int:
        """One expression of a recipe: its names are the recipe's own, never the program's."""
        if isinstance(r, Name):
            return local[r.id]
        if isinstance(r, Num):
            return self.add(self.literal(r), KIND_CONST, at, constant=_number_text(r.value))
        args = [self.entries[self.primitive(a, local, at)].var for a in r.args]
        return self.add(apply_quietly(r.op, *args), KIND_OP, at)

    def add(self, var: Var, kind: str, at, constant: str | None = None) -> int:
        if len(self.entries) + self.hidden >= MAX_NODES:
            raise LimitError(_("the graph would have more than {limit} values", limit=MAX_NODES),
                             at.line, at.col)
        self.elements += max(var.value.size, 1)
        if self.elements > MAX_TOTAL_ELEMENTS:
            raise LimitError(
                _("the values together would hold more than {limit} numbers",
                  limit=MAX_TOTAL_ELEMENTS),
                at.line, at.col)
        self.entries.append(Traced(var, kind, None, at.line, at.col, constant))
        self.index_of[var.serial] = len(self.entries) - 1
        return len(self.entries) - 1


def _unchanged(block: Block) -> EvaluationError:
    d = block.definition
    return EvaluationError(_("{name} gives back one of its arguments unchanged: a def computes "
                             "its result (one operation at least)", name=d.name), d.line, d.col)



_AXIS_LOOKALIKES = frozenset({"max", "min"})
"""Elementwise ops whose second argument, a whole number, reads as an axis to a PyTorch user."""


def _whole_number(e: Expr) -> bool:
    return isinstance(e, Num) and e.integer


def _axis_lookalike_message(e: Apply) -> str:
    """`max(v, 1)` of an array: in PyTorch the maximum along dimension 1, here elementwise.
    Refused rather than guessed; both meanings stay one edit away."""
    name, k = e.op, int(e.args[1].value)
    if name == "max":
        return _("max(a, {k}) with an array a: for the maximum along an axis write "
                 "max(a, axis={k}); for the elementwise maximum with {k} write max(a, {k}.0)", k=k)
    return _("min(a, {k}) with an array a: for the minimum along an axis write "
             "min(a, axis={k}); for the elementwise minimum with {k} write min(a, {k}.0)", k=k)


_EXPR_HANDLERS = {
    Num: _Evaluator.number,
    ArrayLit: _Evaluator.number,
    Name: _Evaluator.name,
    Apply: _Evaluator.apply,
    Call: _Evaluator.call,
}


def _literal(e: Num | ArrayLit, dtype: np.dtype, requires_grad: bool = False) -> Var:
    """A written number as a Var; one that overflows the dtype (float32) is refused."""
    var = Var(e.value, requires_grad=requires_grad, dtype=dtype)
    if not all_finite(var.value):
        largest = f"{float(np.finfo(dtype).max):.1e}".replace("e+", "e")
        raise EvaluationError(
            _("this number is too large for {dtype} (about {largest} at most)", dtype=str(dtype),
              largest=largest), e.line, e.col)
    return var


def _number_text(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def evaluate(program: Program, dtype: str = "float64",
             expand: frozenset[str] = frozenset()) -> Trace:
    """Run the program forward, tracing every value it computes; the composite ops named in
    `expand` (see `composites`) as the primitives they stand for.

    With `reuse` on, a program back with only input numbers changed (a slider moving) is
    replayed from the kept trace: the same entries, names and ops, the ops applied again to
    the new numbers (checked in tests against evaluating afresh).
    """
    dtype = np.dtype(dtype)
    key = skeleton(program, dtype, expand) if reuse.is_on() else None
    with np.errstate(all="ignore"):  # NaN and infinities are values to show, not warnings
        kept = None if key is None else reuse.traces.get(key)
        if kept is not None:
            replayed = _replay(kept, program, dtype)
            if replayed is not None:
                return replayed
        trace = _Evaluator(program, dtype, expand).run()
    if key is not None:
        reuse.traces.put(key, trace)
    return trace


def skeleton(program: Program, dtype: np.dtype,
             expand: frozenset[str] = frozenset()) -> tuple | None:
    """What a trace's structure depends on: each statement's text and position, except that
    an input's number counts only by its shape, and the ops expanded. None for a program not
    read from text."""
    key: list = [tuple(sorted(expand))]
    for s in program.statements:
        if _is_input(s):
            key.append((s.target, s.line, s.col, np.shape(s.expr.value)))
        elif s.text:
            key.append((s.line, s.col, s.text))
        else:
            return None
    return (dtype, *key)


def _is_input(s: Assign | Output) -> bool:
    """Whether a statement assigns a written number to a name: an input."""
    return isinstance(s, Assign) and is_literal(s.expr)


def _replay(kept: Trace, program: Program, dtype: np.dtype) -> Trace | None:
    """The trace of `program`, whose skeleton is `kept`'s: new input Vars, the same
    constants, each op applied again. None when a number does not fit the dtype (evaluating
    afresh then says where)."""
    numbers = {s.target: s.expr for s in program.statements if _is_input(s)}
    fresh: dict[int, Var] = {}  # by the kept Var's serial
    entries: list[Traced] = []
    try:
        for t in kept.entries:
            old = t.var
            if t.kind == KIND_INPUT:
                var = _literal(numbers[t.name], dtype, requires_grad=True)
            elif t.kind == KIND_OP:
                parents = tuple([fresh.get(p.serial, p) for p in old.parents])
                var = run_op(old.op, parents, dtype, old.value.shape)
                var.requires_grad = old.requires_grad  # as traced: an op on constants needs none
            else:
                var = old
            fresh[old.serial] = var
            entries.append(Traced(var, t.kind, t.name, t.line, t.col, t.constant))
    except AutodiffError:
        return None
    return Trace(entries, {t.var.serial: i for i, t in enumerate(entries)}, kept.output,
                 kept.output_line, kept.output_col, kept.blocks)


def clear_known_traces() -> None:
    """Forget every kept trace (see `reuse`)."""
    reuse.traces.clear()
