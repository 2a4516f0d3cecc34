"""Reverse- and forward-mode automatic differentiation that explains itself, step by step.

    >>> import autodiff
    >>> g = autodiff.build("w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)")
    >>> round(g.gradients["w1"].item(), 6)
    -5.281365

`build` parses the language (never `eval`), traces every value, runs reverse mode once and
returns a `Graph` of plain data: nodes, edges, gradients, the step schedule and any NaN/Inf
problems. `Var` is the traced value type for use straight from Python.
"""

from __future__ import annotations

from collections.abc import Iterable

from .composites import COMPOSITES, parse_expand
from .errors import AutodiffError, EvaluationError, LimitError, ParseError, ShapeError
from .evaluate import Trace, evaluate
from .gradcheck import CheckRow, gradient_check
from .graph import build_graph, with_forward_mode
from .model import Contribution, Edge, ForwardMode, Graph, Node, Problem, Step
from .ops import CONSTANTS, FUNCTIONS, OPS, Op
from .parser import parse
from .var import Var, apply, call

DTYPES = ("float64", "float32")


def build(source: str, dtype: str = "float64", forward: str | None = None,
          expand: str | Iterable[str] = ()) -> Graph:
    """Parse, evaluate and differentiate a program; `forward` names an input for forward mode,
    `expand` the composite ops drawn as their primitives (`"sigmoid,tanh"`, `"all"`)."""
    return differentiate(trace(source, dtype, expand), forward)


def trace(source: str, dtype: str = "float64", expand: str | Iterable[str] = ()) -> Trace:
    """Parse and evaluate a program: every value and where it came from, not differentiated
    yet (enough to lay the graph out, see `dot.trace_structure`)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, not {dtype!r}")
    names = parse_expand(expand if isinstance(expand, str) else ",".join(expand))
    return evaluate(parse(source), dtype, names)


def differentiate(traced: Trace, forward: str | None = None) -> Graph:
    """The Graph of a trace: reverse mode, steps, problems (and forward mode for an input)."""
    graph = build_graph(traced)
    return graph if forward is None else with_forward_mode(graph, traced, forward)


def _function(fname: str):
    def function(*args, **along) -> Var:
        return call(fname, *args, **along)

    function.__name__ = function.__qualname__ = fname
    function.__doc__ = f"`{fname}` of the language, on Vars or numbers."
    return function


sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu = (
    _function(f) for f in ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu")
)
abs, sum, mean, transpose, max, min, pow = (  # noqa: A001  (the language's own names)
    _function(f) for f in ("abs", "sum", "mean", "transpose", "max", "min", "pow")
)
logsumexp, softmax = _function("logsumexp"), _function("softmax")

__all__ = [
    "AutodiffError", "EvaluationError", "LimitError", "ParseError", "ShapeError",
    "Trace", "evaluate", "CheckRow", "gradient_check", "build_graph", "with_forward_mode",
    "Contribution", "Edge", "ForwardMode", "Graph", "Node", "Problem", "Step",
    "COMPOSITES", "parse_expand", "CONSTANTS", "FUNCTIONS", "OPS", "Op", "parse", "Var", "apply", "call", "build", "DTYPES",
    "trace", "differentiate",
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
    "abs", "sum", "mean", "transpose", "max", "min", "pow", "logsumexp", "softmax",
]
