"""Running Graphviz's `dot`: sandboxed, with a spare started ahead, read as it writes.

Each `dot` runs in its own session, an empty directory and a bare environment, with only
the plugins a layout needs; a spare one waits with its plugins loaded, so a request does not
wait for dot to start. `DotRun.as_written` hands out dot's SVG in pieces as dot writes it.

One file on purpose (past 400 lines): starting, feeding, reading, timing out and stopping a
dot share one process's life, and each step's cleanup depends on the ones before it.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import IO

from ..errors import AutodiffError
from ..i18n import N_, _
from .cancel import Cancelled

LAYOUT_TIMEOUT = 10.0
"""Seconds Graphviz may take for one layout."""

MAX_LAYOUT_SIZE = 40_000
"""Nodes plus virtual nodes (`dot.layout_size`) beyond which dot is not even tried: such
graphs (an input used by hundreds of ops far apart) take dot minutes and gigabytes."""

class LayoutError(AutodiffError):
    """Graphviz could not lay the graph out (too large, failed or crashed)."""


class LayoutTimeout(LayoutError):
    """dot ran out of time on a graph large enough to be the reason."""


class GraphvizUnavailable(LayoutError):
    """The server's fault, not the graph's: dot is missing, or fails or hangs on a two-node
    graph too, or timed out on a graph it lays out in milliseconds. Never cached; answered
    503 by the web app."""


SMALL_LAYOUT_SIZE = 200
"""`dot.layout_size` below which dot takes milliseconds: running out of time there is the
server's fault (a hanging dot, a machine overloaded), never the graph's size."""
PROBE_TIMEOUT = 3.0
"""Seconds dot may take for the two-node graph that tells whether a failure was dot's own
(generous: on a busy machine a graph's failure must not be taken for the server's)."""
PROBE_DOT = "digraph { a -> b }"


def dot_works(timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether dot, started afresh (not the spare), lays out a two-node graph in time."""
    try:
        run = DotRun(PROBE_DOT, "svg", timeout, spare=False, probe=True)
        return "<svg" in run.output()
    except LayoutError:
        return False


def blame(err: LayoutError, size: int | None) -> LayoutError:
    """The error to answer for a failed dot run on a graph of `size` (`dot.layout_size`):
    the server's when dot fails on a two-node graph as well, or ran out of time on a small
    graph; otherwise the graph's own."""
    if isinstance(err, GraphvizUnavailable):
        return err
    if not dot_works():
        what = _("it did not finish") if isinstance(err, LayoutTimeout) else err.message
        return GraphvizUnavailable(
            _("Graphviz is not working on the server right now ({what}, on a two-node graph "
              "too); try again in a few seconds", what=what)
        )
    if isinstance(err, LayoutTimeout) and size is not None and size < SMALL_LAYOUT_SIZE:
        return GraphvizUnavailable(
            N_("the server is too busy to lay out this small graph right now; try again in a "
               "few seconds")
        )
    return err


@lru_cache(maxsize=1)
def dot_binary() -> str:
    """Path of Graphviz's `dot`."""
    return shutil.which("dot") or "/usr/bin/dot"


PLUGINS = ("libgvplugin_core", "libgvplugin_dot_layout")
"""The Graphviz plugins a layout needs (the JSON and SVG output, dot's layout): without the
others (pango, cairo, gd, ...) and the libraries they pull in, dot starts in half the time."""


@lru_cache(maxsize=1)
def plugin_dir() -> str | None:
    """A directory holding only PLUGINS and their config, or None to use Graphviz's own."""
    folder = tempfile.mkdtemp(prefix="autodiff-gv-")
    try:
        libdir = _graphviz_libdir()
        for name in os.listdir(libdir):
            if name.startswith(PLUGINS):
                os.symlink(os.path.join(libdir, name), os.path.join(folder, name))
        env = {"PATH": "/usr/bin:/bin", "GVBINDIR": folder}
        run = partial(subprocess.run, capture_output=True, env=env, timeout=10, check=True)
        run([dot_binary(), "-c"], stdin=subprocess.DEVNULL)
        if b"<svg" not in run([dot_binary(), "-Tsvg"], input=b"digraph{a->b}").stdout:
            raise ValueError("no layout with the plugins alone")
    except (OSError, ValueError, subprocess.SubprocessError):
        shutil.rmtree(folder, ignore_errors=True)
        return None
    atexit.register(_remove_if_mine, folder, os.getpid())
    return folder


def _graphviz_libdir() -> str:
    """Where Graphviz keeps its plugins, as `dot -v` says."""
    told = subprocess.run(
        [dot_binary(), "-v"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10
    )
    found = re.search(r'libdir = "([^"]+)"', told.stderr.decode(errors="replace"))
    if found is None:
        raise ValueError("dot -v names no libdir")
    return found[1]


def _remove_if_mine(folder: str, pid: int) -> None:
    """Remove a directory at exit, unless this is a forked child of its maker."""
    if os.getpid() == pid:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Dot:
    """A started `dot` process and the files it writes."""

    proc: subprocess.Popen
    files: tuple[IO[bytes], ...]
    """stderr (and stdin when it reads a file); stdout is a pipe, read as dot writes it."""
    capacity: int = 0
    """Bytes its stdin pipe takes without blocking (a spare's; 0 when it reads a file)."""


_EMPTY: list[str] = []
_EMPTY_LOCK = threading.Lock()


def empty_dir() -> str:
    """The empty directory every dot runs in (its working directory, home and file path):
    made once, and again should something remove it. Making and removing one per run cost
    milliseconds of file system calls while a request waited."""
    with _EMPTY_LOCK:
        if not (_EMPTY and os.path.isdir(_EMPTY[0])):
            folder = tempfile.mkdtemp(prefix="autodiff-dot-")
            atexit.register(_remove_if_mine, folder, os.getpid())
            _EMPTY[:] = [folder]
        return _EMPTY[0]


def _spawn(output: str, source: bytes | None) -> Dot:
    """`dot -T<output>` in its own session, an empty directory and a bare environment,
    reading `source` from a file, or from a pipe when None (a spare, fed later)."""
    empty = empty_dir()
    files = [tempfile.TemporaryFile() for _ in range(1 if source is None else 2)]
    if source is not None:
        files[1].write(source)
        files[1].seek(0)
    # SERVER_NAME makes Graphviz refuse files and images from disk; GV_FILE_PATH is empty.
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": empty,
        "SERVER_NAME": "autodiff",
        "GV_FILE_PATH": empty + os.sep,
    }
    plugins = plugin_dir()
    if plugins is not None:
        env["GVBINDIR"] = plugins
    try:
        proc = subprocess.Popen(
            [dot_binary(), f"-T{output}"],
            stdin=subprocess.PIPE if source is None else files[1],
            stdout=subprocess.PIPE,
            stderr=files[0],
            cwd=empty,
            env=env,
            start_new_session=True,
        )
    except OSError as err:
        for file in files:
            file.close()
        raise GraphvizUnavailable(
            _("Graphviz could not be started on the server ({reason}); try again later",
              reason=err.strerror)
        ) from None
    return Dot(proc, tuple(files), 0 if source is not None else _widen(proc.stdin))


def _widen(pipe: IO[bytes]) -> int:
    """Grow a pipe's buffer to SPARE_PIPE_BYTES where Linux allows; the bytes it now holds."""
    try:
        return fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, SPARE_PIPE_BYTES)
    except (AttributeError, OSError):  # not Linux, or above /proc/sys/fs/pipe-max-size
        return PIPE_BYTES


def _stop(dot: Dot) -> None:
    """Kill a dot's whole process group if it still runs, reap it, close its files."""
    proc = dot.proc
    if proc.returncode is None and proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    _close(dot)


def _close(dot: Dot) -> None:
    """Close our ends of a dot's pipes and its files."""
    for file in (dot.proc.stdin, dot.proc.stdout, *dot.files):
        if file is not None:
            file.close()


def _feed(dot: Dot, source: bytes) -> bool:
    """Give a spare its DOT text; False if it is gone."""
    try:
        dot.proc.stdin.write(source)
        dot.proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        return False
    return True


class Spare:
    """One `dot -Tsvg` started before it is needed, waiting for its input: dot loads its
    plugins before it reads, so its start-up is then off the clock of the request using it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dot: Dot | None = None

    def take(self, size: int) -> Dot | None:
        """The spare, if there is a live one that can read `size` bytes at once (there is
        none then until `refill`)."""
        with self._lock:
            if self._dot is not None and size > self._dot.capacity:
                return None
            dot, self._dot = self._dot, None
        if dot is not None and dot.proc.poll() is not None:
            _stop(dot)
            return None
        return dot

    def refill(self) -> None:
        """Start the next spare, unless there is one (or dot cannot be started)."""
        if self._dot is not None:
            return
        try:
            dot = _spawn(SPARE_OUTPUT, None)
        except LayoutError:
            return
        with self._lock:
            extra, self._dot = self._dot, dot
        if extra is not None:
            _stop(extra)

    def drop(self) -> None:
        """Stop the spare (at exit)."""
        with self._lock:
            dot, self._dot = self._dot, None
        if dot is not None:
            _stop(dot)

    def forget(self) -> None:
        """In a forked child: let go of the parent's spare without stopping it."""
        dot, self._dot, self._lock = self._dot, None, threading.Lock()
        if dot is not None:
            _close(dot)


SPARE_OUTPUT = "svg"
PIPE_BYTES = 65_536
"""A pipe's buffer where it cannot be grown: DOT texts that fit go to the spare without
blocking the request."""
SPARE_PIPE_BYTES = 1 << 20
"""The spare's pipe buffer on Linux (the usual /proc/sys/fs/pipe-max-size): room for the DOT
text of any graph within the limits (about 130 KB at 2,000 nodes)."""
WARM_SPARE = True
"""Keep a spare dot ready (one idle process per worker)."""
_SPARE = Spare()
atexit.register(_SPARE.drop)
os.register_at_fork(after_in_child=_SPARE.forget)


def refill_spare() -> None:
    """Start the spare dot if there is none (the app calls this once a response is sent, so
    the next small layout need not wait for dot to start)."""
    if WARM_SPARE:
        _SPARE.refill()


class DotRun:
    """One dot run: started at once (on the spare when it can), read when `output` is asked."""

    def __init__(
        self,
        dot_source: str,
        output: str,
        timeout: float,
        size: int | None = None,
        spare: bool = True,
        probe: bool = False,
    ):
        source = dot_source.encode()
        warm = spare and WARM_SPARE and output == SPARE_OUTPUT
        dot = _SPARE.take(len(source)) if warm else None
        if dot is not None and not _feed(dot, source):
            _stop(dot)
            dot = None
        self.dot = dot or _spawn(output, source)
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.warm = warm
        self.size = size
        """`dot.layout_size` of the graph, when known: whom a failure is blamed on."""
        self.probe = probe
        """A run of `dot_works`: its failures are reported as they are, not blamed."""
        self.cancelled = False
        """Stopped by `cancel`: no request wants the result (see `cancel.Interest`)."""
        self._finalizer = weakref.finalize(self, _stop, self.dot)

    def cancel(self) -> None:
        """Kill dot now (from any thread): its reader gets Cancelled, not a LayoutError."""
        self.cancelled = True
        proc = self.dot.proc
        if proc.poll() is None:  # not reaped, so its pid is still its own
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def output(self) -> str:
        """dot's whole output once it finishes, or a LayoutError (killed when out of time)."""
        return b"".join(self._written()).decode("utf-8", errors="replace")

    def as_written(self) -> Iterator[str]:
        """dot's SVG as it writes it, cut just before a GROUP_START (each piece but the last
        holds whole groups), then a LayoutError if dot failed. dot writes its SVG at the end
        of its run; a reader that takes in each piece meanwhile is done about when dot is."""
        held = b""
        for chunk in self._written():
            held += chunk
            cut = held.rfind(GROUP_START)
            if cut > 0:
                yield held[:cut].decode("utf-8", errors="replace")
                held = held[cut:]
        if held:
            yield held.decode("utf-8", errors="replace")

    def _written(self) -> Iterator[bytes]:
        """What dot writes to its stdout, as it comes, then a LayoutError if dot failed or
        ran out of time (killed then). Stopping early (or an error) stops dot too."""
        if self.warm and self.dot.proc.poll() is None:
            # The next spare starts in the time this thread would spend waiting for dot (in
            # a thread of its own it would wait for the GIL behind the request's work and
            # often not be ready for the next request). Else `refill_spare` starts it later.
            _SPARE.refill()
        proc = self.dot.proc
        try:
            wrote = False
            for chunk in _chunks(proc.stdout, self.deadline):
                wrote = wrote or bool(chunk.strip())
                yield chunk
            _wait(proc, self.deadline)
            _checked(proc.returncode, wrote, _read(self.dot.files[0]))
        except subprocess.TimeoutExpired:
            self._finalizer()
            raise self._blamed(LayoutTimeout(too_large(self.timeout))) from None
        except LayoutError as err:
            self._finalizer()
            if self.cancelled:
                raise Cancelled from None
            raise self._blamed(err) from None
        finally:
            self._finalizer()

    def _blamed(self, err: LayoutError) -> LayoutError:
        return err if self.probe else blame(err, self.size)


GROUP_START = b'<g id="'
"""Where each group of Graphviz's SVG (the graph, a node, an edge) starts: no group nests
another but the graph, so what comes before one holds only whole nodes and edges."""
READ_BYTES = 1 << 20
"""At most this much of dot's output is read at once. (Its pipe keeps the usual 64 KiB: dot
waits for a reader busy with other work, which cost nothing measurable at 100 to 1,000
nodes, where a wider pipe per run counts against the user's limit on pipe memory.)"""


def _chunks(pipe: IO[bytes], deadline: float) -> Iterator[bytes]:
    """A pipe's bytes as they come until it is closed (TimeoutExpired past the
    `time.monotonic()` deadline). Waiting wakes the moment bytes come or the writer ends."""
    fd = pipe.fileno()
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1e3):
            raise subprocess.TimeoutExpired("dot", 0)
        chunk = os.read(fd, READ_BYTES)
        if not chunk:
            return
        yield chunk


def _wait(proc: subprocess.Popen, deadline: float) -> None:
    """Wait for a process to end, by `time.monotonic()` deadline (else TimeoutExpired).

    `Popen.wait(timeout)` polls with sleeps that grow to 50 ms, so it wakes up to 50 ms
    after dot is done; a pidfd (Linux) is readable the moment the process ends.
    """
    fd = None
    if proc.returncode is None:  # once reaped, its pid may name another process
        try:
            fd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):  # not Linux, or the process is already gone
            fd = None
    if fd is not None:
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            poller.poll(max(0.0, deadline - time.monotonic()) * 1e3)
        finally:
            os.close(fd)
    proc.wait(timeout=max(0.0, deadline - time.monotonic()))


def _read(file: IO[bytes]) -> bytes:
    file.seek(0)
    return file.read()


def layout(dot_source: str, timeout: float = LAYOUT_TIMEOUT, output: str = "svg") -> str:
    """dot's output (`-Tsvg` unless told) for DOT text, killed after `timeout` seconds."""
    return DotRun(dot_source, output, timeout).output()


def too_large(timeout: float) -> str:
    return _("the graph is too large for Graphviz to lay out in {seconds} s",
             seconds=f"{timeout:g}")


def _checked(returncode: int, wrote: bool, err: bytes) -> None:
    """A LayoutError that says what went wrong, if anything did (`wrote`: dot wrote more
    than white space)."""
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else ""
        raise LayoutError(_("Graphviz crashed ({signal}) laying out this graph",
                            signal=name or -returncode))
    if returncode > 0:
        first = next(
            (line.strip() for line in err.decode(errors="replace").splitlines() if line.strip()),
            f"exit status {returncode}",
        )
        raise LayoutError(_("Graphviz failed: {reason}", reason=first))
    if not wrote:
        raise LayoutError(N_("Graphviz produced no drawing"))
