"""Lecture-hall figures through the production stack (scripts/serve.py: nginx in front of
gunicorn), on loopback, bounded: a mixed load, the same with 800 idle connections open, and
what a PNG of the issue's amplifier costs against the same picture without transparency."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from load_bench import free_port, hammer, percentile
from programs import with_nodes

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
IDLE = 800


def start_stack(port: int) -> subprocess.Popen:
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY=str(WORKERS))
    proc = subprocess.Popen([sys.executable, "scripts/serve.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the stack did not start")


def scenarios() -> dict[str, list[str]]:
    src = quote(with_nodes(100))
    small = quote("w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)")
    new = [
        "/api/graph?src=" + quote(f"x = 0.5\ny = 2\nf = sin(x * {k}) * y + exp(-x) / {k + 1}"
                                  + "\ng = f * x" * (k % 5))
        for k in range(120)
    ]
    return {
        "new programs (~20 nodes)": new,
        "cached /svg frames (100 nodes)": [f"/svg?src={src}&step={k % 90}" for k in range(400)],
        "cached /png frames (100 nodes)": [f"/png?src={src}&step={k % 4}" for k in range(200)],
        "/pdf export (3 values, 7 pages)": [f"/pdf?src={small}"] * 40,
    }


def row(name: str, wall: float, lat: list[float], errors: int) -> list[str]:
    return [name, str(len(lat)), f"{len(lat) / wall:.0f}",
            *(f"{percentile(lat, p) * 1e3:.0f} ms" for p in (0.5, 0.95, 0.99)), str(errors)]


def run_load(table) -> None:
    port = free_port()
    proc = start_stack(port)
    rows = []
    try:
        for name, paths in scenarios().items():
            hammer(port, paths[:16] if "new" not in name else ["/healthz"])  # warm the workers
            rows.append(row(name, *hammer(port, paths)))
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE)]
        try:
            paths = scenarios()["cached /svg frames (100 nodes)"]
            rows.append(row(f"cached /svg with {IDLE} idle connections open", *hammer(port, paths)))
            rows.append(row(f"/healthz with {IDLE} idle connections open",
                            *hammer(port, ["/healthz"] * 50, clients=2)))
        finally:
            for s in idle:
                s.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    table(f"Stack: nginx + gunicorn ({WORKERS} gthread workers), 8 keep-alive clients, loopback",
          ["scenario", "requests", "req/s", "p50", "p95", "p99", "errors"], rows)


def amplifier(chars: int) -> str:
    """The issue's /png program: chains of ×1.01 that the output never reads."""
    lines, prev, k = ["q = 0.5", "x = 1.5"], "x", 0
    while sum(len(line) + 1 for line in lines) < chars:
        lines.append(f"a{k} = {prev}" + "*1.01" * 8)
        prev, k = f"a{k}", k + 1
    return "\n".join(lines + ["y = q*2"])


def cpu(fn, *args) -> float:
    """CPU seconds of one call."""
    started = time.process_time()
    fn(*args)
    return time.process_time() - started


def run_png(table) -> None:
    """CPU seconds for the final-frame PNG: the whole of `render_png`, then cairo alone on
    the frame faded by colour, without transparency at all (the baseline), and with group
    opacity (how it was drawn before)."""
    sys.path.insert(0, str(ROOT))
    from autodiff import build, draw
    from autodiff.draw.fade import FADE_RULE, faded_css
    from autodiff.draw.png import _draw_png
    from autodiff.draw.theme import frame_css

    rows = []
    for chars in (233, 1033):
        graph = build(amplifier(chars))
        layout = draw.get_layout(graph)
        plain = draw.render_frame(layout, graph, None, css=FADE_RULE.sub("", frame_css()))
        faded = draw.render_frame(layout, graph, None, css=faded_css(frame_css(), "#ffffff"))
        opacity = draw.render_frame(layout, graph, None)
        draw.clear_caches()
        times = [
            cpu(draw.render_png, layout, graph, None),
            cpu(_draw_png, layout, faded, 2.0, "#ffffff"),
            cpu(_draw_png, layout, plain, 2.0, "#ffffff"),
            cpu(_draw_png, layout, opacity, 2.0, "#ffffff"),
        ]
        rows.append([f"{chars} characters, {len(graph.nodes)} values",
                     *(f"{t:.2f} s" for t in times)])
    table("PNG of the final frame, CPU: faded by colour vs no transparency vs group opacity",
          ["program", "/png's whole drawing", "cairo, faded by colour", "cairo, no transparency "
           "(baseline)", "cairo, group opacity (before)"], rows)


def run(table) -> None:
    with tempfile.TemporaryDirectory():
        run_png(table)
        run_load(table)
