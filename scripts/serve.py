"""The production stack, as `make serve` and the Dockerfile run it: nginx on HOST:PORT in
front of gunicorn on a unix socket. Stops both when either stops or on SIGTERM/SIGINT."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
STOP_GRACE_S = 15


def nginx_config(run: Path, socket: Path, host: str, port: str) -> str:
    """deploy/nginx.conf with this run's directory, gunicorn's socket and the address."""
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    text = NGINX_TEMPLATE.read_text()
    for name, value in {"@RUN@": str(run), "@SOCKET@": str(socket), "@LISTEN@": listen}.items():
        text = text.replace(name, value)
    return text


def nginx_binary() -> str:
    """nginx on PATH, or where Debian puts it (outside a non-root user's PATH)."""
    return shutil.which("nginx") or "/usr/sbin/nginx"


CONTEXT = ", client: "
"""Where nginx's error-log line leaves its message for the request's context: client,
server, request, upstream, host and referrer, always in that order."""
QUERY = re.compile(r"\?[^\s\"]*")
KEPT = re.compile(r'client: [^,]*(, server: [^,]*)?(, request: "\S+ [^?\s"]*)?')


def scrubbed(line: str) -> str:
    """An nginx error-log line without any query or referrer: a query holds a student's whole
    program. nginx has no error-log format, so its context is cut to what may stay, read
    from the start: the client, the server, the request's method and path up to any `?`
    (upstream, host and referrer are dropped)."""
    message, _, context = line.rstrip("\n").partition(CONTEXT)
    message = QUERY.sub("", message)
    if not context:
        return message + "\n"
    kept = KEPT.match("client: " + context)
    return f"{message}, {kept[0]}" + ('"' if kept[2] else "") + "\n"


def copy_scrubbed(source: IO[bytes], sink: IO[str]) -> None:
    """Copy nginx's error log to `sink` line by line, each `scrubbed`, until nginx closes it."""
    for raw in source:
        sink.write(scrubbed(raw.decode("utf-8", errors="replace")))
        sink.flush()


def start(run: Path, host: str, port: str) -> list[subprocess.Popen]:
    """gunicorn, then nginx once gunicorn's socket exists."""
    socket = run / "gunicorn.sock"
    config = run / "nginx.conf"
    run.chmod(0o755)  # started as root, nginx's workers run as nobody and need the socket
    config.write_text(nginx_config(run, socket, host, port))
    env = {
        **os.environ,
        "BIND": f"unix:{socket}",
        "ACCESS_LOG": "",  # nginx logs each request
        "AUTODIFF_CACHE_DIR": os.environ.get("AUTODIFF_CACHE_DIR") or str(run / "cache"),
    }
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while not socket.exists() and gunicorn.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    nginx = subprocess.Popen(
        [nginx_binary(), "-p", str(run), "-e", "stderr", "-c", str(config), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    threading.Thread(target=copy_scrubbed, args=(nginx.stderr, sys.stderr), daemon=True).start()
    return [gunicorn, nginx]


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM to each (gunicorn finishes requests in flight, nginx its connections)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    with tempfile.TemporaryDirectory(prefix="autodiff-serve-") as folder:
        processes = start(Path(folder), host, port)
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.2)
        stop(processes)
        failed = [p.returncode for p in processes if p.returncode not in (0, -signal.SIGTERM)]
        return 0 if stopping and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
