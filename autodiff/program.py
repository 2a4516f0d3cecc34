"""The parsed program: a small tree of its own, so nothing downstream ever sees Python's `ast`.

Read-only once parsed (with `reuse` on, the parser hands kept statements to later
programs). Slotted rather than frozen dataclasses: a program has thousands of nodes, and a
frozen dataclass is several times slower to build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class Num:
    """A number written in the program."""

    value: float
    line: int
    col: int
    integer: bool = field(default=False, compare=False)
    """Written without a point (`1`, not `1.0`): `max(v, 1)` may mean an axis."""


@dataclass(eq=False, slots=True)
class ArrayLit:
    """A list literal such as `[[1, 2], [3, 4]]`, already checked to be rectangular."""

    value: np.ndarray
    line: int
    col: int

    def __post_init__(self):
        # Read-only: a parsed statement is kept and shared by later programs (parser.py).
        self.value.flags.writeable = False


@dataclass(slots=True)
class Name:
    """A name: an input, an intermediate, or a constant such as `pi`."""

    id: str
    line: int
    col: int


@dataclass(slots=True)
class Apply:
    """An operator or a function call, by op name (`add`, `neg`, `cos`, `amax`, ...)."""

    op: str
    args: tuple[Expr, ...]
    line: int
    col: int


@dataclass(slots=True)
class Call:
    """A call of a def of the program, by its name (`cell(h0, x1)`)."""

    name: str
    args: tuple[Expr, ...]
    line: int
    col: int


Expr = Num | ArrayLit | Name | Apply | Call


@dataclass(slots=True)
class Assign:
    """`target = expr` (an augmented `x += e` arrives here as `x = x + e`)."""

    target: str
    expr: Expr
    line: int
    col: int
    text: str = field(default="", compare=False, repr=False)
    """The statement as typed (set by the parser): with its position, what it means."""


@dataclass(slots=True)
class Output:
    """A bare expression on a line of its own."""

    expr: Expr
    line: int
    col: int
    text: str = field(default="", compare=False, repr=False)
    """The statement as typed (set by the parser): with its position, what it means."""


@dataclass(slots=True)
class Def:
    """`def name(params):` with assignments and a `return`: a named block, drawn as one gate
    unless expanded (see `blocks`)."""

    name: str
    params: tuple[str, ...]
    body: tuple[Assign, ...]
    result: Expr
    """What `return` gives."""
    line: int
    col: int
    text: str = field(default="", compare=False, repr=False)
    """The def as typed (set by the parser)."""


Statement = Assign | Output | Def


@dataclass(frozen=True)
class Program:
    """The statements of a program, in order."""

    statements: tuple[Statement, ...]

    def assigned_lines(self) -> dict[str, int]:
        """For each assigned name, the line of its first assignment."""
        lines: dict[str, int] = {}
        for s in self.statements:
            if isinstance(s, Assign):
                lines.setdefault(s.target, s.line)
        return lines


def is_literal(expr: Expr) -> bool:
    """Whether assigning this makes an input: a number or an array written out."""
    return isinstance(expr, (Num, ArrayLit))
