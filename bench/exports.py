"""Exports beside the naive way, in one run: each format of every step for 20, 100 and
1,000-node programs, against a Graphviz run per frame (as notebook tutorials draw); and the
largest export each format allows, as a whole request, against the 10 s it must stay within.

    .venv/bin/python bench/exports.py [--sizes 20,100,1000] [--naive-sample 12]
    .venv/bin/python bench/exports.py --largest [--largest-sizes 100,1000,2000]

Ours is timed whole (the layout is made first, as the page has made it before anyone asks
for an export), as the median of `--repeat` runs. Naive is timed on a sample of frames
(`dot -Tpdf` or `-Tpng` per frame, the PDF pages joined by pypdf), between our runs, and
scaled to the same number of frames. Both are given as wall time and as CPU time (this
process and the processes it waited for): on a shared machine the wall times move with the
load, the CPU times much less. An export beyond the app's bound is refused up front: then
the time to refuse, and the largest range the app does make, timed the same way.

`--largest`: for programs of each size, the longest range from step 0 each format makes
(found by the app's up-front check alone), asked for as a request through the app with every
cache empty (analysis, layout and export included), beside the app's own estimate.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import naive  # noqa: E402
from programs import with_nodes  # noqa: E402
from pypdf import PdfWriter  # noqa: E402

import autodiff  # noqa: E402
from app import create_app  # noqa: E402
from autodiff import draw, reuse  # noqa: E402
from autodiff.draw import LayoutError, export  # noqa: E402
from autodiff.draw.export import (  # noqa: E402
    ExportOptions,
    ExportTooLarge,
    check_export,
    export_seconds,
    most_frames,
    work_seconds,
)
from autodiff.draw.export.formats import make  # noqa: E402
from web import service  # noqa: E402
from web.exports import clear_cache  # noqa: E402
from web.exports_views import ROUTES  # noqa: E402

KINDS = ("pdf", "handout", "pptx", "gif", "mp4", "zip", "html")
NAIVE_FORMAT = {"pdf": "pdf", "handout": "pdf", "pptx": "png", "gif": "png", "mp4": "png",
                "zip": "png", "html": "svg", "tex": "pdf"}
TARGET_SECONDS = 10.0


class Clock:
    """Wall and CPU seconds of what runs inside `with` (CPU: this process's threads and the
    child processes it waited for)."""

    def __enter__(self) -> Clock:
        self.start = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.start[0]
        self.cpu = self._cpu() - self.start[1]

    @staticmethod
    def _cpu() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime


def naive_seconds(graph, frames: range, fmt: str, picked: list[int]) -> tuple[float, float]:
    """A Graphviz run per frame on the `picked` frames, scaled up to `frames`: wall, CPU."""
    with Clock() as clock:
        pages = [naive.draw_frame(graph, k, fmt) for k in picked]
        if fmt == "pdf":
            joined = PdfWriter()
            for page in pages:
                joined.append(io.BytesIO(page))
            joined.write(io.BytesIO())
    scale = len(frames) / len(picked)
    return clock.wall * scale, clock.cpu * scale


def row(size: int, kind: str, sample: int, repeat: int) -> str:
    graph = autodiff.build(with_nodes(size))
    layout = draw.get_layout(graph)
    kind_name, options = kind, ExportOptions()
    if kind == "handout":
        kind_name, options = "pdf", ExportOptions(layout="handout")
    refused = ""
    try:
        check_export(graph, layout, options, kind)
    except ExportTooLarge:
        with Clock() as clock:
            try:
                make(kind_name, graph, layout, options)
            except ExportTooLarge:
                pass
        refused = f"refused in {clock.wall * 1e3:.1f} ms; "
        options = largest_range(graph, layout, kind, options)
    frames = range(0, (options.last if options.last is not None else len(graph.steps)) + 1)
    picked = list(frames)[:: max(1, len(frames) // sample)][:sample]
    ours, naive_runs, data = [], [], b""
    for i in range(repeat):  # ours and naive in turn, so both meet the same load
        with Clock() as clock:
            data = make(kind_name, graph, layout, options)
        ours.append(clock)
        share = picked[i::repeat] or picked
        naive_runs.append(naive_seconds(graph, frames, NAIVE_FORMAT[kind], share))
    wall = statistics.median(c.wall for c in ours)
    cpu = statistics.median(c.cpu for c in ours)
    base_wall = statistics.median(n[0] for n in naive_runs)
    base_cpu = statistics.median(n[1] for n in naive_runs)
    return (f"| {len(graph.nodes)} | {kind} | {refused}{len(frames)} of {len(graph.steps) + 1} "
            f"| {wall:.2f} s | {base_wall:.2f} s | **{base_wall / wall:.1f}×** "
            f"| {cpu:.2f} s | {base_cpu:.2f} s | {base_cpu / cpu:.1f}× | {len(data) / 1024:.0f} KiB |")


def largest_range(graph, layout, kind: str, options: ExportOptions) -> ExportOptions:
    """The longest range from step 0 the app makes, found by its up-front check alone."""
    return replace(options, last=max(most_frames(graph, layout, options, kind) - 1, 0))


def estimate(graph, layout, kind: str, options: ExportOptions) -> float:
    """The app's own estimate of an export's seconds on an idle machine."""
    if kind == "html":
        return work_seconds(layout, 1, kind)
    return export_seconds(graph, layout, export.steps_of(graph, options), kind)


def forget_everything() -> None:
    """Empty every cache, as for a program never seen."""
    clear_cache()
    service._analyses.clear()
    reuse.clear()
    draw.clear_caches()


def largest_row(client, size: int, kind: str) -> str:
    """The largest `kind` export of a `size`-node program, as one request."""
    source = with_nodes(size)
    graph = autodiff.build(source)
    try:
        layout = draw.get_layout(graph)
    except LayoutError as err:
        return f"| {len(graph.nodes)} | {kind} | no layout: {err.message} |"
    options = ExportOptions(layout="handout") if kind == "handout" else ExportOptions()
    chosen = largest_range(graph, layout, kind, options)
    route = next(r for r, (k, _) in ROUTES.items() if k == kind.replace("handout", "pdf"))
    extra = "&layout=handout" if kind == "handout" else ""
    forget_everything()
    with Clock() as clock:
        answer = client.post(f"{route}?to={chosen.last}{extra}", data={"src": source})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    frames = chosen.last + 1
    refused_text = "—"
    if chosen.last < len(graph.steps):
        with Clock() as refusal:
            refused = client.post(f"{route}?to={chosen.last + 1}{extra}", data={"src": source})
        refused_text = f"{refused.status_code} in {refusal.wall * 1e3:.0f} ms"
    return (f"| {len(graph.nodes)} | {kind} | {frames} of {len(graph.steps) + 1} "
            f"| {estimate(graph, layout, kind, chosen):.1f} s | {clock.wall:.2f} s "
            f"| {clock.cpu:.2f} s | {TARGET_SECONDS:.0f} s | {refused_text} "
            f"| {len(answer.data) / 1024:.0f} KiB |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20,100,1000")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--naive-sample", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--largest", action="store_true",
                        help="the largest export each format allows, as a whole request")
    parser.add_argument("--largest-sizes", default="100,1000,2000")
    args = parser.parse_args()
    export.DEADLINE_SECONDS = 600.0  # measure how long an export takes, however busy the machine
    print(f"cores: {os.cpu_count()}, load: {os.getloadavg()[0]:.1f}")
    kinds = args.kinds.split(",")
    if args.largest:
        client = create_app({"TESTING": True}).test_client()
        print("| nodes | export | frames (most allowed) | app's estimate | request, wall "
              "| request, CPU | target | one step more | size |")
        print("|---|---|---|---|---|---|---|---|---|")
        for size in (int(s) for s in args.largest_sizes.split(",")):
            for kind in [*kinds, "tex"] if "tex" not in kinds else kinds:
                print(largest_row(client, size, kind), flush=True)
        return
    print("| nodes | export | frames made | ours | naive (dot per frame) | naive / ours "
          "| ours, CPU | naive, CPU | CPU ratio | size |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for kind in kinds:
            print(row(size, kind, args.naive_sample, args.repeat), flush=True)


if __name__ == "__main__":
    main()
