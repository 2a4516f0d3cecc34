"""Gradient descent on a program's inputs: `w ← w − η · ∂f/∂w`, every point computed afresh.

Each update evaluates the program again at the new point, so the values a lesson shows are
the engine's own, never the page's arithmetic. A learning rate that is too large is a lesson
too: once a value or an input is no longer finite the run says where it diverged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .errors import EvaluationError, LimitError
from .evaluate import evaluate
from .i18n import N_, _
from .limits import MAX_DESCENT_UPDATES, MAX_DESCENT_WORK
from .model import KIND_INPUT, all_finite
from .program import ArrayLit, Assign, Num, Program, is_literal

Array = np.ndarray


@dataclass(frozen=True)
class DescentPoint:
    """One point of a run: the inputs, the output's value there and its gradients."""

    inputs: dict[str, Array]
    value: Array
    gradients: dict[str, Array]

    @property
    def finite(self) -> bool:
        """Whether the value, every input and every gradient are finite numbers."""
        arrays = (self.value, *self.inputs.values(), *self.gradients.values())
        return all(all_finite(np.asarray(a)) for a in arrays)


@dataclass(frozen=True)
class Descent:
    """Steps of gradient descent: `points[0]` is the program's own point; a run that diverges
    stops at its first point that is not finite."""

    learning_rate: float
    points: tuple[DescentPoint, ...]

    @property
    def diverged_at(self) -> int | None:
        """The first point that is not finite (an update too large), or None."""
        return next((k for k, p in enumerate(self.points) if not p.finite), None)


def check_learning_rate(text: str) -> float:
    """A learning rate from what a person typed: a finite number above 0."""
    try:
        rate = float(text)
    except ValueError:
        raise EvaluationError(_("lr must be a number such as 0.1, not {given}",
                                given=repr(text[:20]))) from None
    if not math.isfinite(rate) or rate <= 0:
        raise EvaluationError(N_("lr must be a finite number above 0, such as 0.1"))
    return rate


def descend(program: Program, dtype: str, learning_rate: float, updates: int,
            nodes: int) -> Descent:
    """Run `updates` steps of gradient descent from the program's own inputs.

    `nodes` (the graph's size) bounds the work before any is done: every update evaluates the
    whole program once more.
    """
    if not 0 <= updates <= MAX_DESCENT_UPDATES:
        raise LimitError(_("updates must be from 0 to {limit}", limit=MAX_DESCENT_UPDATES))
    if updates * nodes > MAX_DESCENT_WORK:
        most = max(1, MAX_DESCENT_WORK // max(nodes, 1))
        raise LimitError(
            _("{updates} updates of a graph of {nodes} values is too much work: at most {most} "
              "updates for this program", updates=updates, nodes=nodes, most=most))
    points = [_point(program, dtype)]
    while len(points) <= updates and points[-1].finite:
        here = points[-1]
        with np.errstate(all="ignore"):
            step = {name: here.inputs[name] - learning_rate * here.gradients[name]
                    for name in here.inputs}
        points.append(_point_at(program, dtype, step))
    return Descent(learning_rate, tuple(points))


def _point_at(program: Program, dtype: str, inputs: dict[str, Array]) -> DescentPoint:
    """The point at new inputs; one the dtype cannot hold is a point of divergence."""
    if all(all_finite(v) for v in inputs.values()):
        try:
            return _point(_with_inputs(program, inputs), dtype)
        except EvaluationError:  # a number past float32's range
            pass
    nan = {name: np.full_like(v, np.nan) for name, v in inputs.items()}
    return DescentPoint(inputs, np.array(np.nan), nan)


def _point(program: Program, dtype: str) -> DescentPoint:
    """Evaluate the program and run reverse mode once, for its output value and gradients."""
    trace = evaluate(program, dtype)
    out = trace.entries[trace.output].var
    with np.errstate(all="ignore"):
        out.backward()
    inputs = [t for t in trace.entries if t.kind == KIND_INPUT]
    return DescentPoint(
        {t.name: t.var.value.copy() for t in inputs},
        out.value.copy(),
        {t.name: (np.zeros_like(t.var.value) if t.var.grad is None else t.var.grad)
         for t in inputs},
    )


def _with_inputs(program: Program, values: dict[str, Array]) -> Program:
    """The program with each input's written number replaced by a new value."""
    statements = []
    for s in program.statements:
        if isinstance(s, Assign) and is_literal(s.expr) and s.target in values:
            s = replace(s, expr=_literal(values[s.target], s.expr))
        statements.append(s)
    return Program(tuple(statements))


def _literal(value: Array, written: Num | ArrayLit) -> Num | ArrayLit:
    """A literal holding `value` where `written` stood."""
    if np.ndim(value) == 0:
        return Num(float(value), written.line, written.col)
    return ArrayLit(np.asarray(value, dtype=np.float64), written.line, written.col)
