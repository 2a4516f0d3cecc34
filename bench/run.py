"""Speed figures, each measured side by side with its baseline in this one run.

    make bench                 # everything (a few minutes on 2 cores)
    .venv/bin/python bench/run.py --only steps,input

Sections: new program vs bare `dot`; a step vs the naive redraw; changing an input; scale;
shared weights (an unrolled RNN vs a plain chain); the browser (Playwright, key press to painted frame);
time to graph (a link or a keystroke to the new graph painted, in Chromium); load on gunicorn over loopback.
"""

from __future__ import annotations

import argparse
import io
import json as jsonlib
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import naive  # noqa: E402
from programs import chain, faded_chains, layered, product, rnn, with_nodes  # noqa: E402

import autodiff  # noqa: E402
from app import create_app, tune_gc  # noqa: E402
from autodiff import draw, reuse  # noqa: E402
from autodiff.draw import graphviz, layouts, svg  # noqa: E402
from autodiff.draw.dot import dot_source  # noqa: E402
from web import service  # noqa: E402


class Server:
    """The app called as a WSGI server calls it: requests are built before the clock starts.

    Flask's test client spends longer building a request with a long `?src=` than the app
    spends answering it, so timing through it would measure the client.
    """

    def __init__(self, app):
        self.app = app

    def request(self, path: str, json: dict | None = None) -> tuple[dict, bytes]:
        """A ready environ (and body) for GET `path`, or POST `path` with a JSON body."""
        builder = EnvironBuilder(path=path, method="POST" if json else "GET", json=json)
        environ = builder.get_environ()
        return environ, environ["wsgi.input"].read()

    def call(self, request: tuple[dict, bytes]) -> tuple[int, bytes]:
        """Answer one prepared request; the status code and the body."""
        code, data, _ = self.timed_call(request)
        return code, data

    def timed_call(self, request: tuple[dict, bytes]) -> tuple[int, bytes, float]:
        """`call`, with the seconds until the body was complete: what the app does after it
        (`close`, as a server calls it once the answer is sent) is done off the clock."""
        environ, body = request
        environ = dict(environ, **{"wsgi.input": io.BytesIO(body)})
        status = []
        start = time.perf_counter()
        chunks = self.app(environ, lambda s, headers, exc=None: status.append(s))
        data = b"".join(chunks)
        took = time.perf_counter() - start
        chunks.close()
        return int(status[0].split()[0]), data, took

    def get(self, path: str) -> tuple[int, bytes]:
        """Build and answer a GET (for set-up, not for timing)."""
        return self.call(self.request(path))

    def post(self, path: str, json: dict) -> tuple[int, dict]:
        """Build and answer a POST with a JSON body (for set-up, not for timing)."""
        code, data = self.call(self.request(path, json))
        return code, jsonlib.loads(data)


def median_time(fn, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def clear_caches() -> None:
    """Forget analyses, converted statements, kept traces, layouts and node drawings, as
    for a program never seen."""
    service._analyses.clear()
    reuse.clear()
    draw.clear_caches()
    svg.node_template.cache_clear()
    svg.node_body.cache_clear()


def uncached_time(client: Server, request, repeat: int) -> float:
    """Median time of answering a request as if never seen (caches cleared off the clock)."""
    times = []
    for _ in range(repeat):
        clear_caches()
        code, _, took = client.timed_call(request)
        times.append(took)
        assert code == 200
    return statistics.median(times)


def bare_dot(dot_text: str) -> None:
    """The floor: one `dot -Tsvg` of the same DOT text, nothing else."""
    subprocess.run([graphviz.dot_binary(), "-Tsvg"], input=dot_text.encode(), check=True,
                   capture_output=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def section_new_program(client, repeat: int) -> None:
    rows = []
    for n in (20, 100, 1000):
        src = with_nodes(n)
        graph = autodiff.build(src)
        dot_text = dot_source(graph)
        request = client.request("/api/graph", {"src": src})
        uncached_time(client, request, 1)  # warm: the first answer also starts the spare dot
        # Floor and answer alternate, so a busy moment of the machine falls on both alike;
        # the ratio is the median of each answer over the floor run just before it (one
        # pair's ratio swings by ±0.3 on a shared machine; the ratio of the two medians
        # swung twice as much between runs as this).
        floors, wholes = [], []
        for _ in range(repeat):
            floors.append(median_time(lambda text=dot_text: bare_dot(text), 1))
            wholes.append(uncached_time(client, request, 1))
        ratios = sorted(whole / floor for whole, floor in zip(wholes, floors))
        quarter = len(ratios) // 4
        rows.append([
            str(len(graph.nodes)),
            ms(statistics.median(floors)),
            ms(statistics.median(wholes)),
            f"{statistics.median(ratios):.2f}",
            f"{ratios[quarter]:.2f}–{ratios[-1 - quarter]:.2f}",
        ])
    table("New program: whole /api/graph answer vs one bare `dot -Tsvg` (target ≤ 1.3)",
          ["nodes", "bare dot", "/api/graph (uncached)", "ratio", "middle half of pairs"], rows)


def section_steps(client, repeat: int) -> None:
    src = with_nodes(100)
    graph = autodiff.build(src)
    n_frames = len(graph.steps) + 1
    url = "/svg?src=" + quote(src) + "&step="
    requests = [client.request(url + str(k)) for k in range(n_frames)]
    client.get(url + "0")  # the layout is made once, as when the page first opens

    def cached_walk():
        for request in requests:
            assert client.call(request)[0] == 200

    walk = median_time(cached_walk, repeat)
    naive_frames = list(range(0, n_frames, max(1, n_frames // 12)))
    naive_each = median_time(lambda: [naive.draw_frame(graph, k) for k in naive_frames], 1)
    naive_each /= len(naive_frames)
    naive_walk = median_time(lambda: [naive.draw_frame(graph, k) for k in range(n_frames)], 1)
    layout = layouts.get_layout(graph)
    in_process = median_time(lambda: draw.render_frame(layout, graph, n_frames // 2), 50)
    rows = [
        ["one frame", ms(walk / n_frames), ms(naive_each), f"{naive_each / (walk / n_frames):.0f}×"],
        [f"whole step-through ({n_frames} frames)", ms(walk), ms(naive_walk),
         f"{naive_walk / walk:.0f}×"],
        ["one frame, render_frame() alone", ms(in_process), "", ""],
    ]
    table(f"A step, {len(graph.nodes)} nodes: cached /svg frames vs the naive redraw "
          "(Digraph + dot per frame; target ≥ 100×)",
          ["what", "cached", "naive", "speed-up"], rows)


INPUT_CHANGES_PER_REPEAT = 24
"""New values per `--repeat`: 120 answers (over a second) by default, because this machine's
speed moves in phases of a few seconds and a short sample lands in just one of them."""


def section_input(client, repeat: int) -> None:
    src = with_nodes(100)
    changes = repeat * INPUT_CHANGES_PER_REPEAT
    key = client.post("/api/graph", {"src": src})[1]["layout"]["key"]
    moves = iter([client.request("/api/graph", {"src": src.replace("x = 0.5", f"x = 0.5{k}", 1),
                                                "layout_key": key})
                  for k in range(1, changes + 1)])

    cpu = time.process_time()
    answers = [client.timed_call(next(moves)) for _ in range(changes)]
    cpu = (time.process_time() - cpu) / changes  # this process's own work, whatever else runs
    times = sorted(took for _, _, took in answers)
    t = statistics.median(times)
    # Checked off the clock: reading the JSON is the client's time, not the server's.
    assert all(code == 200 and jsonlib.loads(data)["layout"]["svg"] is None
               for code, data, _ in answers)
    before = layouts.get_layout(autodiff.build(src))
    after = layouts.get_layout(autodiff.build(src.replace("x = 0.5", "x = 2.5")))
    table("Changing an input value, 100 nodes (target ≤ 10 ms server time)",
          ["what", "time"],
          [["/api/graph with a new value, layout known", ms(t)],
           ["the same, 10th and 90th percentiles",
            f"{ms(times[len(times) // 10])} / {ms(times[len(times) * 9 // 10])}"],
           ["the same, CPU time of the app's process (mean per answer)", ms(cpu)],
           ["layout re-used (same key, no dot run)", str(before is after)]])


def section_scale(client, repeat: int) -> None:
    rows = []
    # The first answer of a process also starts the spare dot: not any size's figure.
    uncached_time(client, client.request("/api/graph", {"src": with_nodes(30)}), 1)
    for n in (10, 50, 100, 200, 500, 1000, 2000):
        src = with_nodes(n)
        graph = autodiff.build(src)
        build = median_time(lambda src=src: autodiff.build(src), repeat)
        floor = median_time(lambda graph=graph: bare_dot(dot_source(graph)), 3)
        whole = uncached_time(client, client.request("/api/graph", {"src": src}), 3)
        rows.append([str(len(graph.nodes)), ms(build), ms(floor), ms(whole)])
    code, body = client.post("/api/graph", {"src": layered(505)})
    rows.append(["~2,020 (over the cap)", "", "", f"{code}: " + body["error"]["message"][:70]])
    start = time.perf_counter()
    code, body = client.post("/api/graph", {"src": product(600)})
    took = ms(time.perf_counter() - start).strip()
    rows.append(["600-factor product", "", "", f"{code} in {took}: "
                 + (body.get("layout_error") or "laid out")[:70]])
    table("Scale: engine, bare dot and the whole answer by node count",
          ["nodes", "engine (build)", "bare dot", "/api/graph uncached"], rows)


def section_effort(repeat: int) -> None:
    from autodiff.draw import dot as dotmod

    rows = []
    for n in (100, 1000, 2000):
        graph = autodiff.build(with_nodes(n))
        tuned = dot_source(graph)
        saved = dotmod.EFFORT
        dotmod.EFFORT = ((0, {}),)
        try:
            plain = dot_source(graph)
        finally:
            dotmod.EFFORT = saved
        t_plain = median_time(lambda text=plain: bare_dot(text), 1)
        t_tuned = median_time(lambda text=tuned: bare_dot(text), repeat)
        rows.append([str(len(graph.nodes)), ms(t_plain), ms(t_tuned), f"{t_plain / t_tuned:.1f}×"])
    table("Graphviz effort limits: dot time without and with them",
          ["nodes", "default effort", "bounded effort", "gain"], rows)


def section_shared(repeat: int) -> None:
    rows = []
    for steps, inputs in ((100, False), (300, False), (100, True), (300, True)):
        graph = autodiff.build(rnn(steps, inputs))
        plain = autodiff.build(chain(len(graph.nodes)))
        t_rnn = median_time(lambda g=graph: draw.lay_out(draw.dot.structure(g)), repeat)
        t_chain = median_time(lambda g=plain: draw.lay_out(draw.dot.structure(g)), repeat)
        name = f"{steps} steps" + (", an input per step" if inputs else "")
        rows.append([name, f"{len(graph.nodes)} / {len(plain.nodes)}", ms(t_rnn), ms(t_chain),
                     f"{t_rnn / t_chain:.2f}×"])
    table("Shared weights: an unrolled RNN (w on every line) against a plain chain, layout time",
          ["program", "values (RNN / chain)", "RNN", "chain", "ratio (target ≤ 2×)"], rows)


def section_worst_png(client, repeat: int) -> None:
    """The costliest /png the bounds allow: for three kinds of program, the largest under
    the 14,000-element cap, at the largest scale (scale=8, held to 12 megapixels), its final
    frame (every value drawn, unused ones faded). Beside it the same frame as /svg."""
    import os
    import resource

    from autodiff.draw.decorate import Look
    from autodiff.draw.png import MAX_PNG_ELEMENTS, _check_elements
    from autodiff.errors import LimitError

    def vectors(lines: int) -> str:
        body = ["x = [0.5, 1.5, -2.0, 0.25, 3.0]", "y = [1.0, 2.0, 3.0, 4.0, 5.0]",
                "t0 = x * y", "t1 = sin(x) + y"]
        body += [f"t{k} = tanh(t{k - 1}) * t{k - 2} + 0.1" for k in range(2, lines)]
        return "\n".join(body + [f"f = sum(t{lines - 1})"])

    def elements(src: str) -> bool:
        graph = autodiff.build(src)
        layout = draw.get_layout(graph)
        svg = draw.render_frame(layout, graph, None)
        try:
            _check_elements(svg)
        except LimitError:
            return False
        return True

    def largest(make, low: int, high: int) -> int:
        while high - low > max(2, low // 50):
            mid = (low + high) // 2
            low, high = (mid, high) if elements(make(mid)) else (low, mid)
        return low

    def child_cpu() -> float:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    draw.png.PNG_TIMEOUT = 600.0  # measured, not cut short on a loaded machine (CPU is bound)
    rows = []
    kinds = [("faded chains (the issue's)", faded_chains, 100, 1400),
             ("layered scalars", with_nodes, 100, 1400),
             ("layered 5-vectors", vectors, 20, 400)]
    for name, make, low, high in kinds:
        src = make(largest(make, low, high))
        options = service.Options()
        graph = service.analyse(src, options).graph
        svg_times, png_times, cpus = [], [], []
        for _ in range(max(1, repeat // 2)):
            started = time.perf_counter()
            service.frame_svg(src, options, None)
            svg_times.append(time.perf_counter() - started)
            draw.png.clear_cache()
            os.environ.pop("AUTODIFF_CACHE_DIR", None)
            cpu, started = child_cpu(), time.perf_counter()
            png = service.frame_png(src, options, None, Look(scale=8.0))
            png_times.append(time.perf_counter() - started)
            cpus.append(child_cpu() - cpu)
        from PIL import Image

        width, height = Image.open(io.BytesIO(png)).size
        svg = draw.render_frame(draw.get_layout(graph), graph, None)
        count = svg.count("<") - svg.count("</")
        print(f"  {name}: {len(graph.nodes)} values, png {png_times}, cpu {cpus}", file=sys.stderr)
        rows.append([name, f"{len(graph.nodes)}", f"{count:,} (cap {MAX_PNG_ELEMENTS:,})",
                     f"{width * height / 1e6:.1f} Mpx", f"{max(png_times):.2f} s",
                     f"{max(cpus):.2f} s", f"{statistics.median(svg_times) * 1e3:.0f} ms"])
    load = os.getloadavg()[0]
    table(f"The costliest /png allowed (scale=8), final frame; load average {load:.1f}",
          ["program", "values", "SVG elements", "pixels", "/png wall (worst)",
           "/png CPU, drawing process (worst)", "/svg of the same frame (baseline)"], rows)


SECTIONS = {
    "new": lambda c, r: section_new_program(c, r),
    "steps": lambda c, r: section_steps(c, r),
    "input": lambda c, r: section_input(c, r),
    "scale": lambda c, r: section_scale(c, r),
    "effort": lambda c, r: section_effort(r),
    "shared": lambda c, r: section_shared(r),
    "png": lambda c, r: section_worst_png(c, r),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated sections: "
                        + ", ".join(list(SECTIONS) + ["browser", "graph", "load", "stack"]))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(SECTIONS) + ["browser", "graph", "load", "stack"]
    client = Server(create_app())
    tune_gc()  # as each gunicorn worker does once it has loaded the app (gunicorn.conf.py)
    print(f"# autodiff benchmarks ({time.strftime('%Y-%m-%d')}, Graphviz "
          f"{subprocess.run(['dot', '-V'], capture_output=True, text=True).stderr.strip()})")
    for name in chosen:
        if name in SECTIONS:
            SECTIONS[name](client, args.repeat)
        elif name == "browser":
            import browser_bench

            browser_bench.run(table)
        elif name == "graph":
            import time_to_graph

            time_to_graph.run(table, args.repeat)
        elif name == "load":
            import load_bench

            load_bench.run(table)
        elif name == "stack":
            import stack_bench

            stack_bench.run(table)


if __name__ == "__main__":
    main()
