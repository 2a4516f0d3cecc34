"""Programs of a chosen size for the benchmarks: layered, with reuse, like a small network."""

from __future__ import annotations

import autodiff


def layered(lines: int) -> str:
    """`lines` assignments after two inputs; each reuses the two values before it."""
    body = ["x = 0.5", "y = 1.5", "t0 = x * y", "t1 = sin(x) + y"]
    for k in range(2, lines):
        body.append(f"t{k} = tanh(t{k - 1}) * t{k - 2} + 0.1")
    body.append(f"f = t{lines - 1} * t{lines - 2}")
    return "\n".join(body)


def with_nodes(target: int) -> str:
    """A layered program with about `target` graph nodes (inputs and constants included)."""
    lines = max(2, (target - 8) // 4 + 2)
    source = layered(lines)
    while node_count(source) > target and lines > 2:
        lines -= 1
        source = layered(lines)
    return source


def node_count(source: str) -> int:
    """Nodes in the program's graph."""
    return len(autodiff.build(source).nodes)


def product(factors: int) -> str:
    """`x*x*...*x`: one value used `factors` times (a hard case for Graphviz 2.43)."""
    return "x = 1.001\nf = " + "*".join(["x"] * factors)


def rnn(steps: int, inputs: bool = False) -> str:
    """Backpropagation through time: `h{i} = tanh(h{i-1} * w + 0.1)` with one shared `w`
    (with `inputs`, an input per step: `tanh(h{i-1} * w + x{i} * u)`)."""
    lines = ["w = 0.5", "u = 0.3", "h0 = 0.1"] if inputs else ["w = 0.5", "h0 = 0.1"]
    for i in range(1, steps + 1):
        if inputs:
            lines += [f"x{i} = {0.01 * i:g}", f"h{i} = tanh(h{i - 1} * w + x{i} * u)"]
        else:
            lines.append(f"h{i} = tanh(h{i - 1} * w + 0.1)")
    return "\n".join(lines + [f"f = h{steps}"])


def chain(nodes: int) -> str:
    """A plain chain of about `nodes` values, nothing shared: `h{i} = tanh(h{i-1}) * 0.5`."""
    lines = ["h0 = 0.1"]
    for i in range(1, max(1, (nodes - 1) // 3) + 1):
        lines.append(f"h{i} = tanh(h{i - 1}) * 0.5")
    return "\n".join(lines)


def faded_chains(values: int) -> str:
    """The issue's costly /png program: chains of x1.01 the output never reads (drawn faded),
    about `values` values."""
    lines, prev, k = ["q = 0.5", "x = 1.5"], "x", 0
    while 3 + 17 * k < values:
        lines.append(f"a{k} = {prev}" + "*1.01" * 8)
        prev, k = f"a{k}", k + 1
    return "\n".join(lines + ["y = q*2"])
