"""A bounded load run of short links against gunicorn on loopback: concurrent stores and reads,
each beside a baseline from the same run, on SQLite (default) or a throwaway PostgreSQL.

    .venv/bin/python bench/links_bench.py [--postgres] [--clients 8] [--requests 400]
        [--limits links://|memory://] [--only POST]

gunicorn runs with the project's `gunicorn.conf.py` (3 gthread workers) bound to 127.0.0.1
only; every scenario sends a fixed number of requests from a fixed number of keep-alive
clients, then stops. Any answer other than the expected status counts as an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

from load_bench import free_port, percentile, run_clients, start_gunicorn  # noqa: E402

READ_PROGRAM = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"


def new_program(run: str, k: int) -> str:
    return f"x = {k}.25\ny = sin(x) * x + {len(run)}  # {run} {k}"


def send(port: int, jobs: list[tuple[str, str, bytes | None, tuple[int, ...]]],
         clients: int) -> tuple[float, list[float], list]:
    """Send each (method, path, body, good statuses) once from `clients` keep-alive threads:
    wall time, sorted latencies, and the answers that were not good (status or exception)."""
    latencies: list[float] = []
    errors: list = []
    lock = threading.Lock()
    todo = iter(jobs)

    def client() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                job = next(todo, None)
            if job is None:
                break
            method, path, body, good = job
            headers = {"Content-Type": "application/json"} if body else {}
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                res = conn.getresponse()
                answer = res.read()
                bad = None if res.status in good else (res.status, answer[:200])
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                bad = repr(err)
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                if bad is not None:
                    errors.append(bad)
        conn.close()

    return run_clients(client, clients), sorted(latencies), errors


def store_job(src: str, good=(201,), **options) -> tuple[str, str, bytes, tuple[int, ...]]:
    return ("POST", "/api/links", json.dumps({"src": src, **options}).encode(), good)


def scenarios(port: int, requests: int) -> dict[str, list]:
    """The jobs of each scenario; ids to read are stored first."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/links", body=json.dumps({"src": READ_PROGRAM, "step": "5"}),
                 headers={"Content-Type": "application/json"})
    link_id = json.loads(conn.getresponse().read())["id"]
    conn.close()
    run = str(time.time_ns())
    src = quote(READ_PROGRAM)
    return {
        "GET /api/examples (baseline: no store)": [("GET", "/api/examples", None, (200,))]
        * requests,
        "POST /api/links, new programs": [store_job(new_program(run, k)) for k in range(requests)],
        "POST /api/links, already stored": [store_job(READ_PROGRAM, (200,), step="5")] * requests,
        "GET /s/<id> (the page)": [("GET", f"/s/{link_id}", None, (200,))] * requests,
        "GET /?src= (baseline: same page)": [("GET", f"/?src={src}&step=5", None, (200,))]
        * requests,
        "GET /svg/<id>": [("GET", f"/svg/{link_id}", None, (200,))] * requests,
        "GET /svg?src= (baseline: same frame)": [("GET", f"/svg?src={src}&step=5", None, (200,))]
        * requests,
        "mixed: 1 store, 3 reads": [
            store_job(new_program(run + "m", k)) if k % 4 == 0
            else ("GET", f"/s/{link_id}", None, (200,)) for k in range(requests)],
    }


def warm_up(jobs: list, clients: int, n: int) -> list:
    """Requests that warm every worker for a scenario without spoiling it: its own reads, or
    stores of other programs."""
    if all(method == "GET" for method, *_ in jobs):
        return jobs[: clients * 2]
    return [store_job(new_program(f"warm {n}", k), (200, 201)) for k in range(clients * 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true",
                        help="a throwaway PostgreSQL server (tests/pg_support) instead of SQLite")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--limits", default="links://",
                        help="where the limit on storing counts (RATELIMIT_STORAGE_URI): "
                             "links:// (the default, shared) or memory:// (per worker)")
    parser.add_argument("--only", default="", help="only the scenarios whose name has this")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.postgres:
            from pg_support import postgres_server

            url = stack.enter_context(postgres_server())
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{folder}/links.sqlite3"
        os.environ.update(DATABASE_URL=url, LINKS_RATE_LIMIT="1000000 per minute",
                          RATELIMIT_STORAGE_URI=args.limits)
        port = free_port()
        proc = start_gunicorn(port)
        stack.callback(proc.wait)
        stack.callback(proc.terminate)
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{backend}, limits in {args.limits}, {args.clients} clients, "
              f"{args.requests} requests a scenario")
        print(f"{'scenario':40} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        failed: list = []
        chosen = {name: jobs for name, jobs in scenarios(port, args.requests).items()
                  if args.only in name}
        for n, (name, jobs) in enumerate(chosen.items()):
            send(port, warm_up(jobs, args.clients, n), args.clients)
            wall, lat, errors = send(port, jobs, args.clients)
            failed += errors
            print(f"{name:40} {len(jobs) / wall:7.0f} {percentile(lat, 0.5) * 1e3:8.1f} "
                  f"{percentile(lat, 0.99) * 1e3:8.1f} {len(errors):6d}")
        print(f"errors in all: {len(failed)}")
        for bad in failed[:5]:
            print("  ", bad)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
