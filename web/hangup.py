"""Requests whose client has hung up: while a request is served, its socket is watched, and
when the other end closes (nginx closes its connection to gunicorn when the client goes),
the request's token trips, so the dot run or PNG drawing it waits for stops
(`autodiff.draw.cancel`). Under gunicorn only (the socket is in `gunicorn.socket`)."""

from __future__ import annotations

import os
import select
import socket
import threading

from flask import Flask, g, request

from autodiff.draw import cancel

POLL_S = 0.2
"""How often the watched sockets are looked at: a hang-up is noticed within this."""
HANGUP = select.POLLRDHUP | select.POLLHUP | select.POLLERR
"""The other end has closed (POLLRDHUP: it will send no more; a request was read whole, so
nothing more was due). A client that half-closes after its request counts as gone."""


class Watcher:
    """One thread per process polling the sockets of the requests in progress."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._watched: dict[int, tuple[socket.socket, cancel.Token]] = {}
        self._pid = 0

    def watch(self, sock: socket.socket, token: cancel.Token) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use in this (forked) worker
                self._pid = os.getpid()
                self._watched = {}
                threading.Thread(target=self._run, name="hangups", daemon=True).start()
            self._watched[sock.fileno()] = (sock, token)
            self._lock.notify()

    def forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._watched.pop(sock.fileno(), None)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._watched:
                    self._lock.wait()
                watched = dict(self._watched)
            poller = select.poll()
            for fd in watched:
                poller.register(fd, select.POLLRDHUP)
            for fd, events in poller.poll(POLL_S * 1000):
                with self._lock:  # still the same request's (a closed fd: forgotten)
                    mine = self._watched.get(fd) == watched[fd]
                    if mine:
                        del self._watched[fd]
                if mine and events & HANGUP:
                    watched[fd][1].trip()


WATCHER = Watcher()


def register_hangups(app: Flask) -> None:
    """Watch each request's socket while it is served; answer a request whose client has
    gone with 499 (nginx's code for it; nobody reads it)."""

    @app.before_request
    def watch() -> None:
        sock = request.environ.get("gunicorn.socket")
        token = cancel.Token()
        g.hangup = (sock, token, cancel.enter(token))
        if isinstance(sock, socket.socket):
            WATCHER.watch(sock, token)

    @app.teardown_request
    def forget(_error: BaseException | None) -> None:
        found = g.pop("hangup", None)
        if found is None:
            return
        sock, token, mark = found
        if isinstance(sock, socket.socket):
            WATCHER.forget(sock)
        token.close()
        cancel.leave(mark)

    @app.errorhandler(cancel.Cancelled)
    def gone(_err: cancel.Cancelled):
        return "", 499
