"""Drawing in a forked child process, so that it can be stopped: cairosvg draws in Python and
C with no way to interrupt it, but a child is killed at once when its deadline passes or
every request waiting for it has hung up (`cancel.Interest`)."""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable

from ..errors import AutodiffError
from ..i18n import _
from .cancel import Cancelled

CHILD_NAME = b"autodiff-png"
"""The child's process name (`ps`, /proc/<pid>/comm)."""
READ_BYTES = 1 << 20
FIRST_FREE_FD = 4
"""The child keeps stdin, stdout, stderr and its pipe (moved to 3), and closes the rest: a
dot's stdin inherited and held open would keep that dot waiting for more input."""


class DrawingTimeout(AutodiffError):
    """The drawing ran out of time (the machine was busy): the server's, not the user's."""

    status = 503


class DrawingFailed(RuntimeError):
    """The child died without a drawing: a fault of ours, answered 500."""


class Child:
    """The process a drawing runs in; `stop` kills it from any thread, even before it starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self.stopped = False

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            pid = self._pid
        if pid is not None:
            _kill(pid)

    def started(self, pid: int) -> None:
        with self._lock:
            self._pid = pid
            stopped = self.stopped
        if stopped:
            _kill(pid)

    def ended(self) -> None:
        with self._lock:
            self._pid = None  # reaped: the number may soon be another process's


def draw_apart(work: Callable[[], bytes], cpu_seconds: int, timeout: float,
               child: Child) -> bytes:
    """`work()` run in a forked child and its bytes read back; DrawingTimeout once it has
    used `cpu_seconds` of CPU (the kernel stops it) or `timeout` seconds have passed; or
    Cancelled once `child` is stopped (the child is killed in each case)."""
    if not hasattr(os, "fork"):
        return work()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(work, write, cpu_seconds)
    os.close(write)
    child.started(pid)
    try:
        out = _read_all(read, time.monotonic() + timeout)
    except TimeoutError:
        _kill(pid)
        raise DrawingTimeout(_(
            "drawing this PNG ran out of time on a busy server; try again in a few seconds, "
            "or take the SVG (/svg)"
        )) from None
    finally:
        os.close(read)
        status = os.waitpid(pid, 0)[1]
        child.ended()
    code = os.waitstatus_to_exitcode(status)
    if child.stopped:
        raise Cancelled
    if code == -signal.SIGXCPU:
        raise DrawingTimeout(_(
            "drawing this PNG took more than {n} s of CPU; take the SVG (/svg), or a smaller "
            "program", n=cpu_seconds))
    if code != 0:
        raise DrawingFailed(f"the drawing process ended with {code}")
    return out


def _read_all(fd: int, deadline: float) -> bytes:
    """A pipe's bytes until its writer closes it (TimeoutError past the monotonic deadline)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    pieces = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1e3):
            raise TimeoutError
        piece = os.read(fd, READ_BYTES)
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _child(work: Callable[[], bytes], write: int, cpu_seconds: int) -> None:
    """In the forked child: draw, write the bytes to the pipe, and exit without cleanup (the
    parent's threads, files and exit handlers are not the child's)."""
    code = 1
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(sig, signal.SIG_DFL)
        os.dup2(write, 3)
        os.closerange(FIRST_FREE_FD, os.sysconf("SC_OPEN_MAX"))
        with contextlib.suppress(OSError):
            with open("/proc/self/comm", "wb") as comm:
                comm.write(CHILD_NAME)
        # The kernel's bound: SIGXCPU at the soft limit (and SIGKILL at the hard one).
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        data = work()
        view = memoryview(data)
        while view:
            view = view[os.write(3, view):]
        code = 0
    except BaseException:  # a bug of ours: said on stderr (the server's log), then exit 1
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)
