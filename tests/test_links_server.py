"""Short links through gunicorn as production runs it: killed mid-store, two servers on one
PostgreSQL, and a 20,000-character program opened from its short link."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from links_long_program import long_program
from test_server import free_port, wait_for_health

from web.links import LinkStore

ROOT = Path(__file__).resolve().parent.parent
STORERS = 8
ACKED_BEFORE_KILL = 60
"""Links the server must have acknowledged before it is killed."""
STORE_LIMIT_S = 60

pytestmark = pytest.mark.slow


@contextmanager
def gunicorn(database_url: str, workers: int = 2, access_log: str = "/dev/null",
             extra_args: tuple[str, ...] = (),
             **env_overrides: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn with the project's config on a free loopback port, in a session of its own
    (so the test can kill master and workers at once). The access log, when asked for, has
    one line a request: the worker's pid, the status and the path."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": str(workers),
           "DATABASE_URL": database_url, "LINKS_RATE_LIMIT": "100000 per minute",
           **env_overrides}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
         "--access-logfile", access_log, "--access-logformat", "%(p)s %(s)s %(U)s",
         *extra_args,
         "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        process.stderr.close()


def post_link(base: str, body: dict, timeout: float = 30) -> dict:
    request = urllib.request.Request(f"{base}/api/links", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as res:
        assert res.status in (200, 201)
        return json.loads(res.read())


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as res:
            return res.status, res.headers.get_content_type(), res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get_content_type(), err.read()


def test_killing_the_server_loses_no_acknowledged_link(database_url):
    """Eight clients store links as fast as they can; the server (master and workers) gets
    SIGKILL mid-way. Every link it answered for is then in the store, whole."""
    acked: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def store_until_killed(client: int) -> None:
        k = 0
        while not stop.is_set():
            src = f"x = {client}.{k}\ny = sin(x) * x  # client {client}, link {k}"
            try:
                answer = post_link(base, {"src": src}, timeout=10)
            except (OSError, http.client.HTTPException):
                return  # the server is gone (an answer cut short is no acknowledgement)
            with lock:
                acked[answer["id"]] = src
            k += 1

    with gunicorn(database_url) as (base, process):
        threads = [threading.Thread(target=store_until_killed, args=(c,)) for c in range(STORERS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + STORE_LIMIT_S
        while len(acked) < ACKED_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(acked) >= ACKED_BEFORE_KILL, "too few links were stored before the kill"
    store = LinkStore(database_url)
    try:
        for link_id, src in acked.items():
            assert store.get(link_id).content == {"src": src}
        if database_url.startswith("sqlite"):
            with store.engine.connect() as conn:
                assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        store.dispose()


def test_a_link_stored_through_one_server_opens_through_another(postgres_url):
    """Two gunicorn servers on one PostgreSQL database, as behind a load balancer."""
    from pg_support import reset

    reset(postgres_url)
    with gunicorn(postgres_url) as (first, _), gunicorn(postgres_url) as (second, _):
        src = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
        link = post_link(first, {"src": src, "step": "4"})
        status, kind, page = get(second + link["url"])
        assert (status, kind) == (200, "text/html") and b"w1 * cos(3*w1 + w2)" in page
        assert post_link(second, {"src": src, "step": "4"}) == link
        status, kind, png = get(f"{second}/png/{link['id']}")
        assert status == 200 and png.startswith(b"\x89PNG")


@pytest.fixture(scope="module")
def long_link(tmp_path_factory):
    """gunicorn on SQLite with the 20,000-character program stored: (base URL, id)."""
    database = tmp_path_factory.mktemp("long") / "links.sqlite3"
    with gunicorn(f"sqlite:///{database}") as (base, _):
        yield base, post_link(base, {"src": long_program(), "step": "5"})["id"]


def test_a_program_of_20000_characters_is_drawn_from_its_id(long_link):
    base, link_id = long_link
    status, kind, png = get(f"{base}/png/{link_id}")
    assert (status, kind) == (200, "image/png") and png.startswith(b"\x89PNG")
    status, kind, page = get(f"{base}/embed/{link_id}")
    assert (status, kind) == (200, "text/html") and b"layer_activation_0099" in page
    status, kind, svg = get(f"{base}/svg/{link_id}?step=3")
    assert (status, kind) == (200, "image/svg+xml")


LIMIT = 10
WORKERS = 3
ATTEMPTS = 40


def store_from_many_connections(base: str) -> list[int]:
    """ATTEMPTS new links posted from 8 threads, each request on a connection of its own (so
    gunicorn's workers take them in turn as they accept): the statuses."""
    def attempt(k: int) -> int:
        body = json.dumps({"src": f"x = {k}.5\ny = x * x  # {time.time_ns()}"}).encode()
        request = urllib.request.Request(f"{base}/api/links", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as res:
                return res.status
        except urllib.error.HTTPError as err:
            assert err.code != 429 or int(err.headers["Retry-After"]) > 0
            return err.code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(attempt, range(ATTEMPTS)))


def pids_by_status(log: Path) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for line in log.read_text().splitlines():
        pid, status, path = line.split()
        if path == "/api/links":
            seen.setdefault(status, set()).add(pid)
    return seen


@pytest.mark.parametrize("storage", ["links://", "memory://"])
def test_the_limit_on_storing_holds_across_gunicorn_workers(database_url, tmp_path, storage):
    """Three workers, one client address, a limit of 10 a minute. Kept in the links database
    (the default) the limit holds whatever worker answers; kept in each worker's memory it
    does not (the control: it shows the requests really were spread over the workers)."""
    log = tmp_path / "access.log"
    # Each worker process is replaced after a few requests, so the attempts are answered by
    # many processes whatever way the kernel hands out connections (one worker may otherwise
    # take them all on a quick machine).
    with gunicorn(database_url, workers=WORKERS, access_log=str(log),
                  extra_args=("--max-requests", "4", "--max-requests-jitter", "0"),
                  LINKS_RATE_LIMIT=f"{LIMIT} per minute", RATELIMIT_STORAGE_URI=storage) as (base, _):
        statuses = store_from_many_connections(base)
    assert set(statuses) <= {201, 429}, statuses
    seen = pids_by_status(log)
    assert len(set().union(*seen.values())) >= 2, seen  # more than one worker answered
    if storage == "links://":
        assert statuses.count(201) == LIMIT
        assert len(seen["201"]) >= 2  # and the links they stored were counted together
    else:
        assert statuses.count(201) > LIMIT
