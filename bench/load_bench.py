"""A bounded load run against gunicorn on loopback: requests per second and latency percentiles.

gunicorn runs with the project's `gunicorn.conf.py` (several gthread workers) bound to
127.0.0.1 only. Each scenario sends a fixed number of requests from a few client threads
with keep-alive connections, then stops.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from programs import with_nodes

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3
CLIENTS = 8
REQUESTS = 400
UNCACHED_REQUESTS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    """gunicorn with the production settings, on loopback, waiting until /healthz answers."""
    env = dict(os.environ, WEB_CONCURRENCY=str(WORKERS))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def hammer(port: int, paths: list[str], clients: int = CLIENTS,
           together: bool = False) -> tuple[float, list[float], int]:
    """Send every path once from `clients` threads; wall time, latencies, and non-2xx count.
    `together`: each client sends one path, all at the same moment."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    todo = iter(paths)
    start_line = threading.Barrier(clients)

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        if together:
            conn.connect()
            start_line.wait()
        while True:
            with lock:
                path = next(todo, None)
            if path is None:
                break
            start = time.perf_counter()
            conn.request("GET", path)
            res = conn.getresponse()
            res.read()
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                errors += res.status >= 300
        conn.close()

    return run_clients(client, clients), sorted(latencies), errors


def run_clients(client, clients: int) -> float:
    """Run `client` in `clients` threads at once; the wall time until the last one ends."""
    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def _fresh(k: int) -> str:
    """A program no worker has seen: its constants, and so its layout, differ with k."""
    return "/api/graph?src=" + quote(f"x = 0.5\ny = 2\nf = sin(x * {k}) * y + exp(-x) / {k + 1}")


BURST_CLIENTS = 24
BURSTS = 3


def lecture_bursts(port: int) -> tuple[float, list[float], int]:
    """A lecture hall opening one link: BURST_CLIENTS clients ask for the same new 300-node
    program at the same moment, BURSTS times (a new program each time). Total wall time,
    latencies and errors."""
    wall, latencies, errors = 0.0, [], 0
    for k in range(BURSTS):
        source = with_nodes(300).replace("x = 0.5", f"x = 0.5\nlecture{k} = 1", 1)
        took, lat, bad = hammer(port, [f"/api/graph?src={quote(source)}"] * BURST_CLIENTS,
                                BURST_CLIENTS, together=True)
        wall, latencies, errors = wall + took, latencies + lat, errors + bad
    return wall, sorted(latencies), errors


def run(table) -> None:
    """Print the load table for cached /svg, cached /api/graph and uncached programs."""
    src = quote(with_nodes(100))
    scenarios = {
        "cached /svg (100 nodes)": [f"/svg?src={src}&step=40"] * REQUESTS,
        "cached /api/graph (100 nodes)": [f"/api/graph?src={src}"] * REQUESTS,
        "uncached programs (~20 nodes)": [_fresh(k) for k in range(UNCACHED_REQUESTS)],
    }
    port = free_port()
    proc = start_gunicorn(port)
    rows = []
    try:
        for name, paths in scenarios.items():
            # Warm every worker: with the scenario's own URL where it is meant to be cached.
            warm = paths[:CLIENTS * 2] if "uncached" not in name else [_fresh(-k - 1) for k in
                                                                         range(CLIENTS * 2)]
            hammer(port, warm)
            wall, lat, errors = hammer(port, paths)
            rows.append([name, str(len(paths)), f"{len(paths) / wall:.0f}",
                         *(f"{percentile(lat, p) * 1e3:.1f} ms" for p in (0.5, 0.95, 0.99)),
                         str(errors)])
        wall, lat, errors = lecture_bursts(port)
        rows.append([f"one new program (300 nodes), {BURST_CLIENTS} clients at once, "
                     f"{BURSTS} times", str(len(lat)), f"{len(lat) / wall:.0f}",
                     *(f"{percentile(lat, p) * 1e3:.1f} ms" for p in (0.5, 0.95, 0.99)),
                     str(errors)])
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    table(f"Load: gunicorn, {WORKERS} gthread workers, {CLIENTS} keep-alive clients on loopback",
          ["scenario", "requests", "req/s", "p50", "p95", "p99", "errors"], rows)
