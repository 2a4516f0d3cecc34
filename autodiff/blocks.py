"""Named blocks: a `def` of the program (a layer, an RNN cell) drawn as one gate.

A call `h1 = cell(h0, x1)` of `def cell(h, x): return tanh(h * w + x * u)` is, collapsed, one
op whose arguments are the call's and the names its body reads from the program (`w`, `u`),
and whose local derivatives are the body's chain rule, each one number per element where the
result is a single number: ∂h1/∂h0 and ∂h1/∂w as the gate's combined local derivatives.
Expanded (`expand=cell` or `all`), the evaluator runs the body in place, one node per primitive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .errors import AutodiffError, EvaluationError
from .limits import MAX_NODES
from .lru import LRU
from .ops import OPS, Op
from .parser import calls_a_def
from .program import Apply, ArrayLit, Call, Def, Expr, Name, Num
from .var import Var, apply_quietly, forward_pass, reverse_pass, topological_order, zero_wins

Array = np.ndarray


def free_names(d: Def) -> tuple[Name, ...]:
    """The names a def's body reads from the program, each at its first use, in that order."""
    bound = set(d.params)
    found: dict[str, Name] = {}

    def walk(e: Expr) -> None:
        if isinstance(e, Name) and e.id not in bound:
            found.setdefault(e.id, e)
        elif isinstance(e, (Apply, Call)):
            for a in e.args:
                walk(a)

    for s in d.body:
        walk(s.expr)
        bound.add(s.target)
    walk(d.result)
    return tuple(found.values())


@dataclass(frozen=True, eq=False)
class Block:
    """A def of the program as one op: its parameters, then the program's names it reads."""

    definition: Def
    uses: tuple[Name, ...]
    """The program's names the body reads, at their first use (`free_names`)."""
    _locals: LRU = field(default_factory=lambda: LRU(MAX_NODES), repr=False)
    """`edge_local`'s derivatives by the ids of the arguments they were found at, so a
    reverse sweep through a call reuses them (`vjp`) rather than tracing the body again
    (bounded: a kept trace's defs run again each time a slider moves)."""

    @property
    def name(self) -> str:
        """The def's name: the gate's mark and its op name."""
        return self.definition.name

    @property
    def free(self) -> tuple[str, ...]:
        """The program's names the body reads, in order of first use."""
        return tuple(n.id for n in self.uses)

    @property
    def arguments(self) -> tuple[str, ...]:
        """The gate's arguments as the body names them: parameters, then free names."""
        return self.definition.params + self.free

    def run(self, leaves: list[Var]) -> Var:
        """The body applied to Vars (one per argument): the result's Var."""
        local = dict(zip(self.arguments, leaves))
        for s in self.definition.body:
            local[s.target] = self._expr(s.expr, local)
        return self._expr(self.definition.result, local)

    def _expr(self, e: Expr, local: dict[str, Var]) -> Var:
        if isinstance(e, Name):
            return local[e.id]
        if isinstance(e, (Num, ArrayLit)):
            dtype = next(iter(local.values())).dtype
            return Var(e.value, dtype=dtype)
        if isinstance(e, Call):  # refused when the program is read: kept as a plain check
            raise EvaluationError(calls_a_def(self.name, e.name), e.line, e.col)
        try:
            return apply_quietly(e.op, *[self._expr(a, local) for a in e.args])
        except AutodiffError as err:
            raise err.at(e.line, e.col) from None

    def traced(self, xs: tuple[Array, ...]) -> tuple[list[Var], Var, list[Var]]:
        """The body run on these arguments: its leaves, its result and every Var in order."""
        leaves = [Var(x, requires_grad=True, dtype=x.dtype) for x in xs]
        with np.errstate(all="ignore"):
            out = self.run(leaves)
        return leaves, out, topological_order([out])

    def forward(self, *xs: Array) -> Array:
        """The body's value at these arguments, by NumPy alone (each op's own forward, no
        derivatives: what a replay, and the gradient check's finite differences, need)."""
        dtype = np.asarray(xs[0]).dtype
        local = dict(zip(self.arguments, xs))
        with np.errstate(all="ignore"):
            for s in self.definition.body:
                local[s.target] = self._value(s.expr, local, dtype)
            return self._value(self.definition.result, local, dtype)

    def _value(self, e: Expr, local: dict[str, Array], dtype: np.dtype) -> Array:
        if isinstance(e, Name):
            return local[e.id]
        if isinstance(e, (Num, ArrayLit)):
            return np.asarray(e.value, dtype=dtype)
        args = [self._value(a, local, dtype) for a in e.args]
        return np.asarray(OPS[e.op].forward(*args), dtype=dtype)

    @cached_property
    def elementwise(self) -> bool:
        """Whether every op of the body works element by element (a replay may then
        broadcast the gate over many points at once, as it does the table's such ops)."""
        def walk(e: Expr) -> bool:
            if isinstance(e, (Name, Num, ArrayLit)):
                return True
            return isinstance(e, Apply) and OPS[e.op].elementwise and all(map(walk, e.args))

        d = self.definition
        return all(walk(s.expr) for s in d.body) and walk(d.result)

    def vjp(self, g: Array, *xs_and_out: Array) -> tuple[Array, ...]:
        """Per argument, g times the body's Jacobian: reverse mode through the body (for a
        single-number result, g times the local derivatives `edge_local` already found)."""
        xs, out = xs_and_out[:-1], xs_and_out[-1]
        kept = self._locals.get(tuple(map(id, xs)))
        if kept is not None and all(a is b for a, b in zip(kept[0], xs)) and np.shape(out) == ():
            return tuple(zero_wins(d, np.asarray(g, dtype=d.dtype), d) for d in kept[1])
        return self._reverse(g, xs)

    def _reverse(self, g: Array, xs: tuple[Array, ...]) -> tuple[Array, ...]:
        leaves, out, order = self.traced(xs)
        grads = reverse_pass(order, out, np.asarray(g, dtype=out.dtype))
        return tuple(grads.get(v, np.zeros_like(v.value)) for v in leaves)

    def jvp(self, ts: list[Array], *xs_and_out: Array) -> Array:
        """The result's tangent from the arguments' (forward mode through the body)."""
        leaves, out, order = self.traced(xs_and_out[:-1])
        with np.errstate(all="ignore"):
            found = forward_pass(order, dict(zip(leaves, ts))).get(out)
        return np.zeros_like(out.value) if found is None else found

    def edge_local(self, *xs_and_out: Array) -> tuple[Array | None, ...]:
        """∂result/∂argument per argument, of the argument's shape, where the result is a
        single number (else a Jacobian: None)."""
        xs, out = xs_and_out[:-1], xs_and_out[-1]
        if np.shape(out) != ():
            return (None,) * len(self.arguments)
        found = self._reverse(np.ones((), dtype=np.asarray(out).dtype), xs)
        self._locals.put(tuple(map(id, xs)), (xs, found))  # the arguments kept: ids stay theirs
        return found

    @property
    def lines(self) -> tuple[int, int]:
        """The def's first and last lines."""
        return self.definition.line, self.definition.result.line

    @cached_property
    def op(self) -> Op:
        """The op a collapsed call of this def is; its formula is the def itself, on one line
        (`def cell(h, x): return tanh(h * w + x * u)`)."""
        d = self.definition
        head, *body = (line.strip() for line in d.text.splitlines())
        shown = ", ".join(f"{{a{i}}}" for i in range(len(d.params)))
        return Op(
            d.name, len(self.arguments), d.name, f"{d.name}({shown})",
            " ".join([head, "; ".join(body)]).strip(),
            self.forward, vjp=self.vjp, jvp=self.jvp, edge_local=self.edge_local,
            vjp_text=tuple(f"{{d{i}}} · {{g}}" for i in range(len(self.arguments))),
        )
