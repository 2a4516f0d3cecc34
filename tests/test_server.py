"""The production server as the Dockerfile starts it: gunicorn with `gunicorn.conf.py`."""

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hostile import load_hostile

pytestmark = pytest.mark.slow  # the module starts gunicorn and waits for its workers

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as res:
                if res.status == 200:
                    return
        except OSError:  # refused, reset, or a read that timed out on a busy machine
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer /healthz within {START_TIMEOUT_S} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn as in the image: the project's config and the Dockerfile's app spec, with a
    home directory that cannot be written (the image's user has none)."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    home = tmp / "home"
    home.write_text("a file, so that nothing can be made under it, even by root\n")
    log = tmp / "log.txt"
    port = free_port()
    env = {**os.environ, "HOME": str(home), "PORT": str(port), "WEB_CONCURRENCY": "2"}
    env.pop("XDG_RUNTIME_DIR", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_serves_the_app_with_the_project_config(server):
    base, _ = server
    body = json.dumps({"src": "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"}).encode()
    request = urllib.request.Request(f"{base}/api/graph", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as res:
        answer = json.loads(res.read())
    u = 3 * 2.0 + 1.5  # y = w1 cos(u): dy/dw1 = cos(u) - 3 w1 sin(u), dy/dw2 = -w1 sin(u)
    assert answer["gradients"]["w1"] == pytest.approx(math.cos(u) - 6.0 * math.sin(u), rel=1e-12)
    assert answer["gradients"]["w2"] == pytest.approx(-2.0 * math.sin(u), rel=1e-12)
    assert answer["layout"]["svg"].startswith("<svg")
    with urllib.request.urlopen(f"{base}/svg?src=x%3D1%0Af%3D2*x&step=1", timeout=20) as res:
        assert res.headers["Content-Type"].startswith("image/svg+xml")


def test_the_access_log_keeps_no_program(server):
    """Queries and referers hold students' programs: the log has the path alone."""
    base, log = server
    secret = "secret_name_42 = 2.0"
    request = urllib.request.Request(
        f"{base}/svg?src={secret.replace(' ', '%20')}", headers={"Referer": f"{base}/?src={secret}"}
    )
    urllib.request.urlopen(request, timeout=20).close()
    time.sleep(0.5)  # the access log is written after the answer
    text = log.read_text()
    assert '"GET /svg HTTP/1.1" 200' in text
    assert "secret_name_42" not in text


def test_gunicorn_logs_no_error_without_a_writable_home(server):
    """The image's user has no home; gunicorn's control socket would be made under it."""
    _, log = server
    errors = [line for line in log.read_text().splitlines() if "[ERROR]" in line]
    assert errors == []


def test_every_hostile_input_through_gunicorn_gets_an_answer(server):
    """The hostile sample sent to the real server, where requests run in gunicorn's worker
    threads (deep nesting recurses there, not in a test's main thread): each gets 200 or a
    400 with a message, none a 5xx or a dropped connection, and no worker is restarted."""
    base, log = server

    def send(row: tuple[str, str, str]) -> tuple[str, int, dict]:
        category, source, _ = row
        body = json.dumps({"src": source}).encode()
        request = urllib.request.Request(f"{base}/api/graph", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as res:
                return category, res.status, json.loads(res.read())
        except urllib.error.HTTPError as err:
            return category, err.code, json.loads(err.read())

    with ThreadPoolExecutor(max_workers=8) as clients:  # several at once in each worker
        answers = list(clients.map(send, load_hostile()))
    for category, status, answer in answers:
        assert status in (200, 400), (category, status)
        if status == 400:
            assert answer["error"]["message"], category
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as res:
        assert res.status == 200
    lines = log.read_text().splitlines()
    assert [line for line in lines if "[ERROR]" in line or "WORKER TIMEOUT" in line] == []
    assert sum("Booting worker" in line for line in lines) == 2  # WEB_CONCURRENCY, no restart


def test_worker_threads_get_a_stack_for_the_deepest_program():
    """The config sets the threads' stack size rather than trusting the platform's default
    (musl's 128 KiB would crash on deep nesting: 512 KiB did, here)."""
    import runpy
    import threading

    before = threading.stack_size()
    try:
        config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
        assert threading.stack_size() == config["THREAD_STACK_BYTES"] >= 4 * 1024 * 1024
    finally:
        threading.stack_size(before)
