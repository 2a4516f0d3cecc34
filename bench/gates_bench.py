"""A def drawn as one gate against its body expanded and against the same cell written out.

    .venv/bin/python bench/gates_bench.py [steps ...]     # default: 100 300

An unrolled RNN, `h{i} = cell(h{i-1}, x{i})` with `def cell(h, x): return tanh(h * w + x * u)`,
answered whole by the web service (engine, step texts, JSON and the Graphviz layout, every
cache emptied first), three ways in the same run: the cell written out on every line (the
baseline), the def collapsed (one gate per step) and the def with `expand=cell`. Medians of 5.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autodiff import draw, reuse  # noqa: E402
from web import service  # noqa: E402

RUNS = 5


def programs(steps: int) -> dict[str, tuple[str, frozenset[str]]]:
    """The three forms of the same RNN, each with what it expands."""
    head = "w = 0.8\nu = 1.5\nh0 = 0.0\n" + "".join(
        f"x{i} = {0.01 * (i % 7) - 0.03:.2f}\n" for i in range(1, steps + 1))
    tail = f"loss = h{steps} * h{steps}"
    written = "".join(f"h{i} = tanh(h{i - 1} * w + x{i} * u)\n" for i in range(1, steps + 1))
    cell = "def cell(h, x):\n    return tanh(h * w + x * u)\n" + "".join(
        f"h{i} = cell(h{i - 1}, x{i})\n" for i in range(1, steps + 1))
    return {
        "written out (baseline)": (head + written + tail, frozenset()),
        "def, one gate a step": (head + cell + tail, frozenset()),
        "def, expand=cell": (head + cell + tail, frozenset({"cell"})),
    }


def answer_ms(source: str, expand: frozenset[str]) -> float:
    """One whole /api/graph answer for a program never seen, in milliseconds."""
    service._analyses.clear()
    draw.clear_caches()
    start = time.perf_counter()
    service.graph_answer(source, service.Options(expand=expand))
    return (time.perf_counter() - start) * 1000


def main(steps_list: list[int]) -> None:
    reuse.switch_off()  # every answer works its program out afresh
    print("| steps | form | values | answer (ms) | × baseline |")
    print("|---|---|---|---|---|")
    for steps in steps_list:
        base = None
        for name, (source, expand) in programs(steps).items():
            times = [answer_ms(source, expand) for _ in range(RUNS)]
            ms = statistics.median(times)
            base = base or ms
            values = len(service.analyse(source, service.Options(expand=expand)).graph.nodes)
            print(f"| {steps} | {name} | {values} | {ms:.0f} | {ms / base:.2f} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 300])
