"""Exports beside the naive way, in one run: each format of every step for 20, 100 and
1,000-node programs, against a Graphviz run per frame (as notebook tutorials draw).

    .venv/bin/python bench/exports.py [--sizes 20,100,1000] [--naive-sample 5]

Ours is timed whole (the layout is made first, as the page has made it before anyone asks
for an export). Naive is timed on a sample of frames (`dot -Tpdf` or `-Tpng` per frame,
the PDF pages joined by pypdf) and scaled to the same number of frames. An export beyond
the app's bound is refused up front: then the time to refuse, and the largest range the
app does make, timed the same way.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import naive  # noqa: E402
from programs import with_nodes  # noqa: E402
from pypdf import PdfWriter  # noqa: E402

import autodiff  # noqa: E402
from autodiff import draw  # noqa: E402
from autodiff.draw import export  # noqa: E402
from autodiff.draw.export import (  # noqa: E402
    ExportOptions,
    ExportTooLarge,
    most_frames,
)
from autodiff.draw.export.formats import make  # noqa: E402

KINDS = ("pdf", "handout", "pptx", "gif", "zip", "html")
NAIVE_FORMAT = {"pdf": "pdf", "handout": "pdf", "pptx": "png", "gif": "png", "zip": "png",
                "html": "svg"}


def timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


def naive_seconds(graph, frames: range, fmt: str, sample: int) -> float:
    """A Graphviz run per frame, on `sample` frames spread over the range, scaled up."""
    picked = list(frames)[:: max(1, len(frames) // sample)][:sample]
    start = time.perf_counter()
    pages = [naive.draw_frame(graph, k, fmt) for k in picked]
    if fmt == "pdf":
        joined = PdfWriter()
        for page in pages:
            joined.append(io.BytesIO(page))
        joined.write(io.BytesIO())
    return (time.perf_counter() - start) / len(picked) * len(frames)


def row(size: int, kind: str, sample: int) -> str:
    graph = autodiff.build(with_nodes(size))
    layout = draw.get_layout(graph)
    kind_name, options = kind, ExportOptions()
    if kind == "handout":
        kind_name, options = "pdf", ExportOptions(layout="handout")
    refused = ""
    try:
        ours, data = timed(lambda: make(kind_name, graph, layout, options))
    except ExportTooLarge:
        start = time.perf_counter()
        try:
            make(kind_name, graph, layout, options)
        except ExportTooLarge:
            refused = f"refused in {(time.perf_counter() - start) * 1e3:.1f} ms; "
        last = most_frames(layout, kind) - 1
        options = ExportOptions(last=last, layout=options.layout)
        ours, data = timed(lambda: make(kind_name, graph, layout, options))
    frames = range(0, (options.last if options.last is not None else len(graph.steps)) + 1)
    base = naive_seconds(graph, frames, NAIVE_FORMAT[kind], sample)
    return (f"| {len(graph.nodes)} | {kind} | {refused}{len(frames)} of "
            f"{len(graph.steps) + 1} | {ours:.2f} s | {base:.2f} s | {base / ours:.1f}× | "
            f"{len(data) / 1024:.0f} KiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20,100,1000")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--naive-sample", type=int, default=5)
    args = parser.parse_args()
    export.DEADLINE_SECONDS = 600.0  # measure how long an export takes, however busy the machine
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}")
    print("| nodes | export | frames made | ours | naive (dot per frame) | naive / ours | size |")
    print("|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for kind in args.kinds.split(","):
            print(row(size, kind, args.naive_sample), flush=True)


if __name__ == "__main__":
    main()
