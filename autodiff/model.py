"""The computation graph as plain data: what the views, the JSON and the tests read.

Everything here is read-only once built. Node, Edge, Contribution and Step are slotted
rather than frozen dataclasses because every answer builds hundreds of them and a frozen one
is several times slower to build. They compare by identity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .ops import OPS, Op

Array = np.ndarray

KIND_INPUT, KIND_CONST, KIND_OP = "input", "const", "op"


def all_finite(a: Array) -> bool:
    """Whether every element is a finite number (scalars skip NumPy's slower reductions)."""
    if a.ndim == 0:
        return math.isfinite(a)
    return bool(np.isfinite(a).all())


@dataclass(eq=False, slots=True)
class Node:
    """One value: an input, a constant, or the result of one operation."""

    index: int
    label: str
    """What the picture and explanations call it: its name, z1, z2, ... or the number."""
    name: str | None
    kind: str
    """`input`, `const` or `op`."""
    op: str
    """`input`, `const`, or the op's name (`add`, `cos`, `matmul`, ...)."""
    parents: tuple[int, ...]
    value: Array
    grad: Array | None
    """d(output)/d(this value): zeros where the output does not depend on it; None for
    constants (the numbers written in expressions)."""
    line: int
    col: int
    live: bool
    """Whether the output depends on this value."""

    @property
    def id(self) -> str:
        """Stable id from evaluation order: n0, n1, ..."""
        return f"n{self.index}"

    @property
    def shape(self) -> tuple[int, ...]:
        """The value's array shape; () for a scalar."""
        return self.value.shape

    @property
    def value_finite(self) -> bool:
        """False where the value holds NaN or an infinity."""
        return all_finite(self.value)

    @property
    def grad_finite(self) -> bool:
        """False where the gradient holds NaN or an infinity (True when there is none)."""
        return self.grad is None or all_finite(self.grad)


@dataclass(eq=False, slots=True)
class Edge:
    """One use of a value as an argument: `a * a` has two edges from a."""

    index: int
    src: int
    dst: int
    arg: int
    """Which argument of dst this is (0 or 1)."""
    local: Array | None
    """∂dst/∂src where it is a number or an array of src's shape, else None (e.g. matmul)."""

    @property
    def id(self) -> str:
        """Stable id: e0, e1, ... ordered by destination then argument."""
        return f"e{self.index}"


@dataclass(eq=False, slots=True)
class Contribution:
    """One `upstream gradient × local derivative` pushed into a parent's running total."""

    edge: int
    target: int
    amount: Array
    total: Array
    count: int
    """1 for the target's first contribution, 2 for its second, ..."""
    final: bool
    """Whether the target's gradient is complete after this one."""
    text: str


@dataclass(eq=False, slots=True)
class Step:
    """One step of the stepper: a forward op, the seed, or a backward op."""

    phase: str
    """`forward` or `backward` (the seed is the first backward step)."""
    kind: str
    """`op` or `seed`."""
    node: int
    edges: tuple[int, ...]
    text: str
    contributions: tuple[Contribution, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Where a NaN or infinity first arose, and from which inputs."""

    node: int
    slot: str
    """`value` or `grad`."""
    message: str
    inputs: tuple[str, ...]
    step: int = 0
    """The step that produced it, counted as `?step=` counts (0: none)."""


@dataclass(frozen=True)
class ForwardMode:
    """Forward-mode result for one chosen input."""

    input: str
    derivative: Array
    tangents: tuple[Array | None, ...] | None
    """Per node, d(node)/d(input) for a scalar input (None where it is zero)."""
    infinite: tuple[Array | None, ...] | None = None
    """Per node, how many times one ∞ its tangent holds, element by element, where an infinite
    local derivative took part (None elsewhere): see `var.Infinity`."""


@dataclass(frozen=True, eq=False)
class Graph:
    """A traced program with values, gradients and its step schedule; plain data throughout."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    output: int
    inputs: tuple[str, ...]
    gradients: dict[str, Array]
    steps: tuple[Step, ...] = ()
    problems: tuple[Problem, ...] = ()
    dtype: str = "float64"
    forward: ForwardMode | None = None
    contributions: tuple[Contribution, ...] = field(default=(), repr=False)
    view: str = "reverse"
    """`reverse`, or `forward` for `tangents.forward_view`: the steps are the forward ones and
    the gradient rows hold tangents."""
    ops: dict = field(default_factory=dict, repr=False)
    """The program's own ops outside the op table, by name: its defs drawn as one gate (each a
    `blocks.Block`, whose `op` computed the node)."""

    def op_of(self, node: Node) -> Op:
        """The op that computed a node: a row of the op table, or one of the program's defs."""
        block = self.ops.get(node.op)
        return OPS[node.op] if block is None else block.op

    @property
    def value(self) -> Array:
        """The output's value."""
        return self.nodes[self.output].value

    @property
    def output_node(self) -> Node:
        """The output node."""
        return self.nodes[self.output]

    @property
    def forward_steps(self) -> int:
        """F: the number of forward steps."""
        return sum(1 for s in self.steps if s.phase == "forward")

    @property
    def backward_steps(self) -> int:
        """B: the number of backward steps, the seed included."""
        return len(self.steps) - self.forward_steps

    @cached_property
    def unused(self) -> tuple[int, ...]:
        """The values the output does not depend on, constants aside: their gradient is 0
        from the seed step on, since nothing ever flows into them."""
        return tuple(n.index for n in self.nodes if not n.live and n.kind != KIND_CONST)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """A notebook shows the graph as its final frame (see `notebook`)."""
        from .notebook import mimebundle

        return mimebundle(self)

    def _repr_svg_(self) -> str | None:
        """The final frame as SVG, for front ends that ask for it by name."""
        return self._repr_mimebundle_().get("image/svg+xml")

    def frame(self, step: int | None = None, theme: str = "classic", **look):
        """Step `step` (None: the last) as a picture a notebook shows; `theme`, `direction`,
        `edge_labels`, `caption` as on the page."""
        from .notebook import frame

        return frame(self, step, theme, **look)

    def stepper(self, theme: str = "classic", **look):
        """The interactive stepper inside a notebook, with no server."""
        from .notebook import stepper

        return stepper(self, theme, **look)

    def input_node(self, name: str) -> Node:
        """The input node of that name."""
        return next(n for n in self.nodes if n.kind == KIND_INPUT and n.name == name)

    def edge_between(self, dst: int, arg: int) -> Edge:
        """The edge that feeds argument `arg` of node `dst`."""
        return self.edges[self._edge_index[(dst, arg)]]

    def edges_into(self, dst: int) -> tuple[int, ...]:
        """Indices of the edges into `dst`, in argument order."""
        return self._edges_into[dst]

    @cached_property
    def _edge_index(self) -> dict[tuple[int, int], int]:
        return {(e.dst, e.arg): e.index for e in self.edges}

    @cached_property
    def _edges_into(self) -> list[tuple[int, ...]]:
        into: list[list[int]] = [[] for _ in self.nodes]
        for e in self.edges:  # edges come ordered by destination, then argument
            into[e.dst].append(e.index)
        return [tuple(i) for i in into]
