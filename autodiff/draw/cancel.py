"""Work no request wants any more: a request's `Token` trips when its client hangs up (the web
app watches the socket), and a dot run or PNG drawing that requests share stops once every
request waiting for it is gone. Work asked for outside a request (tests, the command line)
has no token and is always wanted."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Cancelled(Exception):
    """The client that asked is gone: the work stopped and nothing is answered."""


class Token:
    """One request's: tripped once when its client hangs up, running what waits for that."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tripped = False
        self._then: list[Callable[[], None]] = []

    @property
    def tripped(self) -> bool:
        return self._tripped

    def trip(self) -> None:
        """The client is gone: run each `on_trip` callback once (in this thread)."""
        with self._lock:
            if self._tripped:
                return
            self._tripped, then, self._then = True, self._then, []
        for callback in then:
            callback()

    def on_trip(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the token trips (at once if it has)."""
        with self._lock:
            if not self._tripped:
                self._then.append(callback)
                return
        callback()

    def close(self) -> None:
        """The request is answered: nothing waits for its client any more."""
        with self._lock:
            self._then = []


_CURRENT: ContextVar[Token | None] = ContextVar("autodiff_cancel_token", default=None)


def current() -> Token | None:
    """The token of the request this thread serves, or None outside a request."""
    return _CURRENT.get()


@contextmanager
def serving(token: Token | None) -> Iterator[None]:
    """Work done in this block is for the request whose token this is."""
    reset = _CURRENT.set(token)
    try:
        yield
    finally:
        _CURRENT.reset(reset)


def enter(token: Token | None) -> object:
    """`serving` in two halves, for hooks that start and end a request apart: pass the
    result to `leave`."""
    return _CURRENT.set(token)


def leave(mark: object) -> None:
    _CURRENT.reset(mark)  # type: ignore[arg-type]


def check() -> None:
    """Raise Cancelled if this thread's request has hung up (before starting costly work)."""
    token = _CURRENT.get()
    if token is not None and token.tripped:
        raise Cancelled


class Interest:
    """The requests waiting for one piece of shared work: `stop` is called once each of them
    has hung up, unless the work is done first or is wanted outside any request."""

    def __init__(self, stop: Callable[[], None]) -> None:
        self._stop = stop
        self._lock = threading.Lock()
        self._waiting = 0
        self._always = False
        self._over = False
        self.stopped = False
        """Whether `stop` was called (the work's result is not to be trusted)."""

    def join(self) -> None:
        """The current request waits for the work too (outside a request: always wanted)."""
        token = _CURRENT.get()
        with self._lock:
            if token is None:
                self._always = True
                return
            self._waiting += 1
        token.on_trip(self._leave)

    def _leave(self) -> None:
        with self._lock:
            self._waiting -= 1
            stop = not (self._always or self._over or self.stopped) and self._waiting <= 0
            self.stopped = self.stopped or stop
        if stop:
            self._stop()

    def finish(self) -> None:
        """The work is done: nothing is stopped any more."""
        with self._lock:
            self._over = True
