"""Drawing a graph: placed once per structure by a sandboxed Graphviz, frames by string joins.

    layout = get_layout(graph)                 # cached by structure: values never re-run dot
    svg = render_frame(layout, graph, step)    # standalone SVG text of one step
    png = render_png(layout, graph, step)      # the same frame as PNG, at 2× scale

    pending = start_layout(graph)              # dot starts now and runs on its own ...
    frame = start_frame(graph, None)           # ... while the caller does other work
    svg = frame(pending.result())

Graphviz only places fixed-size boxes and routes the edges (`dot -Tsvg`, read for its
coordinates alone as it writes them, in its own session, an empty directory and a bare
environment; a spare one waits with its plugins loaded); `svg.py` draws the SVG from those
coordinates, each node and edge as soon as it is read. The SVG
contract, shared with the browser (which applies the rules of `autodiff.frames` to this
same SVG in JS; the class names there are the state classes below):

    <svg class="adgraph" viewBox="…">     first child <style>: FRAME_CSS, then a background
    <g id="nK" class="node kind-input|kind-const|kind-op [output] STATE…">
        <title>             the node's label
        <path|polygon class="outline">       the node's border
        <text id="nK-label" class="label">   header: the label (cut to 20 characters)
        <text id="nK-shape" class="shape">   arrays only: `⟨2×3⟩`, `⟨3⟩`
        <text id="nK-op" class="op">         ops only: `×`, `cos`, `@`
        <polygon class="slot-val">           value-row background (cue and numbers)
        <polygon class="slot-grad">          gradient-row background (not for constants)
        <polygon class="rule">               row separators
        <text class="cue-val">=</text>
        <text id="nK-v0" class="val">        one per display row: nK-v0, nK-v1, …
        <text class="cue-grad">∇</text>
        <text id="nK-g0" class="grad">       one per display row: nK-g0, nK-g1, …
    <g id="eK" class="edge arg0|arg1 STATE…">
        <title>             `src → dst`
        <path>                               the edge, from src to dst
        <polygon class="head">               arrowhead at dst
        <polygon class="back-head">          arrowhead at src pointing back to it (hidden)
        <polygon class="local-bg">           with edge labels: the label's background
        <text id="eK-local" class="local">   with edge labels: ∂dst/∂src

Node groups are moved into place by `transform="translate(x,y)"` (what is inside them is
relative to the box's top-left corner); the viewBox need not start at 0 0.
Number texts (`val`, `grad`, `local`) keep their spaces (xml:space="preserve"); `val` and
`grad` are anchored at their cell's right edge (text-anchor="end"), `local` at its centre.
Node STATE classes: pending, current, dead, nonfinite, grad-partial, grad-final,
nonfinite-grad. Edge STATE classes: active, forward, backward, dead, pending.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import math
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
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from typing import IO

from .dot import Structure, structure, structure_dot
from .errors import AutodiffError
from .frames import FrameState, class_attr, final_state, frame_state, slot_order, timeline
from .model import Graph
from .svg import (
    Drawer,
    Pieces,
    Placement,
    Route,
    Slot,
    Template,
    bounds,
    centre,
    escape,
    prepare,
    route,
)

LAYOUT_TIMEOUT = 10.0
"""Seconds Graphviz may take for one layout."""

MAX_LAYOUT_SIZE = 40_000
"""Nodes plus virtual nodes (`dot.layout_size`) beyond which dot is not even tried: such
graphs (an input used by hundreds of ops far apart) take dot minutes and gigabytes."""

CACHE_SIZE = 256
"""Layouts (or layout failures) kept, least recently used dropped first."""

PNG_SCALE = 2.0
PX_PER_PT = 96 / 72
"""cairosvg draws the SVG's points at 96 pixels per inch before scaling."""
MAX_PNG_PIXELS = 40_000_000
"""A PNG larger than this is drawn at a smaller scale, so memory stays bounded."""
MAX_PNG_SIDE = 30_000
"""Cairo's surfaces stop at 32767 pixels a side."""
PNG_GLYPHS = {"&#8942;": "&#8758;"}
"""Stand-ins (`⋮` by `∶`) for glyphs DejaVu Sans Mono lacks: cairo has no fallback font."""
PNG_CACHE_SIZE = 32
"""PNG frames kept (a 2,000-node frame takes cairo seconds), least recently used dropped."""
PNG_CACHE_MAX_BYTES = 16_000_000
"""Larger PNGs are not kept."""

VALUE_GREEN = "#1a7f37"
"""5.1:1 on white."""
GRAD_RED = "#c62828"
"""5.6:1 on white."""
INK = "#24292f"
EDGE_INK = "#57606a"

FRAME_CSS = f"""
.adgraph .outline {{ fill: #ffffff; stroke: {INK}; stroke-width: 1.5; }}
.adgraph .kind-input .outline {{ fill: #dbeafe; stroke-width: 2.5; }}
.adgraph .kind-const .outline {{ fill: #e8e8e8; stroke-dasharray: 5 2; }}
.adgraph .slot-val {{ fill: #fbfefb; }}
.adgraph .slot-grad {{ fill: #fefbfb; }}
.adgraph .rule {{ fill: none; stroke: {INK}; stroke-width: 1; }}
.adgraph .edge path {{ fill: none; stroke: {EDGE_INK}; stroke-width: 1.6; }}
.adgraph .edge .head {{ fill: {EDGE_INK}; stroke: {EDGE_INK}; stroke-width: 1.6; }}
.adgraph .back-head {{ fill: {GRAD_RED}; stroke: {GRAD_RED}; stroke-width: 1.6; }}
.adgraph text {{ font-family: "DejaVu Sans", sans-serif; font-size: 14px; fill: #1f2328; }}
.adgraph .label {{ font-weight: bold; }}
.adgraph .kind-const .label {{ font-weight: normal; }}
.adgraph .shape, .adgraph .op {{ font-size: 11px; }}
.adgraph .val, .adgraph .grad, .adgraph .local {{
  font-family: "DejaVu Sans Mono", monospace; white-space: pre; }}
.adgraph .local {{ font-size: 12px; }}
.adgraph .val, .adgraph .cue-val {{ fill: {VALUE_GREEN}; }}
.adgraph .grad, .adgraph .cue-grad {{ fill: {GRAD_RED}; }}
.adgraph .cue-val, .adgraph .cue-grad {{ font-weight: bold; }}
.adgraph .op, .adgraph .shape {{ fill: #57606a; }}
.adgraph .local {{ fill: #1f2328; }}
.adgraph .local-bg {{ fill: none; }}
.adgraph .pending .val, .adgraph .edge.pending .local {{ fill: #8c959f; }}
.adgraph .grad-partial .grad {{ font-style: italic; fill-opacity: 0.85; }}
.adgraph .grad-partial .slot-grad {{
  fill: #fff5f5; stroke: {GRAD_RED}; stroke-width: 1.2; stroke-dasharray: 2 2; }}
.adgraph .grad-final .grad {{ font-weight: bold; }}
.adgraph .grad-final .slot-grad {{ fill: #fdecec; }}
.adgraph .nonfinite .slot-val, .adgraph .nonfinite-grad .slot-grad {{
  fill: #fff1c2; stroke: #9a6700; stroke-width: 2; }}
.adgraph .nonfinite .val, .adgraph .nonfinite-grad .grad {{ fill: #9a6700; font-weight: bold; }}
.adgraph .current .outline {{ stroke: #d97706; stroke-width: 5; }}
.adgraph .dead {{ opacity: 0.4; }}
.adgraph .back-head {{ visibility: hidden; }}
.adgraph .edge.active path {{ stroke-width: 4; }}
.adgraph .edge.active.forward path {{ stroke: {VALUE_GREEN}; }}
.adgraph .edge.active.forward .head {{ fill: {VALUE_GREEN}; stroke: {VALUE_GREEN}; }}
.adgraph .edge.active.backward path {{ stroke: {GRAD_RED}; stroke-dasharray: 9 5; }}
.adgraph .edge.active.backward .head {{ visibility: hidden; }}
.adgraph .edge.active.backward .back-head {{
  visibility: visible; fill: {GRAD_RED}; stroke: {GRAD_RED}; }}
"""
"""The look of a frame, embedded in every SVG so a frame stands alone (also in an <img>):
first every element's own look by its class, then the state classes' changes to it."""


class LayoutError(AutodiffError):
    """Graphviz could not lay the graph out (too large, failed or crashed)."""


class LayoutTimeout(LayoutError):
    """dot ran out of time: perhaps only because the machine was busy, so it is tried again
    once `RETRY_TIMEOUT_AFTER` seconds have passed (other failures are kept for good)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.when = time.monotonic()


RETRY_TIMEOUT_AFTER = 60.0
"""Seconds a layout that timed out is answered from the cache before dot may try again."""


# --- running dot --------------------------------------------------------------------------


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
        raise LayoutError(f"Graphviz could not be started: {err.strerror}") from None
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

    def __init__(self, dot_source: str, output: str, timeout: float):
        source = dot_source.encode()
        warm = WARM_SPARE and output == SPARE_OUTPUT
        dot = _SPARE.take(len(source)) if warm else None
        if dot is not None and not _feed(dot, source):
            _stop(dot)
            dot = None
        self.dot = dot or _spawn(output, source)
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.warm = warm
        self._finalizer = weakref.finalize(self, _stop, self.dot)

    def output(self) -> str:
        """dot's whole output once it finishes, or a LayoutError (killed when out of time)."""
        return b"".join(self._written()).decode("utf-8", errors="replace")

    def as_written(self, start: bytes = b'<g id="') -> Iterator[str]:
        """dot's output as it writes it, cut just before a `start` (by default where an SVG
        group starts: each piece but the last holds whole groups), then a LayoutError if dot
        failed. dot writes a 1,000-node SVG over ~30 ms at the end of its run; a reader that
        takes in each piece meanwhile is done about when dot is."""
        held = b""
        for chunk in self._written():
            held += chunk
            cut = held.rfind(start)
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
            raise LayoutTimeout(_too_large(self.timeout)) from None
        finally:
            self._finalizer()


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


def _too_large(timeout: float) -> str:
    return f"the graph is too large for Graphviz to lay out in {timeout:g} s"


def _checked(returncode: int, wrote: bool, err: bytes) -> None:
    """A LayoutError that says what went wrong, if anything did (`wrote`: dot wrote more
    than white space)."""
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else ""
        raise LayoutError(f"Graphviz crashed ({name or -returncode}) laying out this graph")
    if returncode > 0:
        first = next(
            (line.strip() for line in err.decode(errors="replace").splitlines() if line.strip()),
            f"exit status {returncode}",
        )
        raise LayoutError(f"Graphviz failed: {first}")
    if not wrote:
        raise LayoutError("Graphviz produced no drawing")


# --- Graphviz's coordinates -----------------------------------------------------------------


NUMBER = r"([-+.0-9eE]+)"
"""One coordinate in Graphviz's SVG (float() checks it)."""
NUMBERS = r"[-+.0-9eE, ]*"
"""Coordinates; captured text holds nothing else, so it may be copied into our SVG."""
GRAPHVIZ_BOX = re.compile(
    rf'<g id="graph0" class="graph"[^>]*>\s*<title>[^<]*</title>\s*<polygon[^>]* points="({NUMBERS})"'
)
"""The background of Graphviz's SVG: its padded bounding box."""
GRAPHVIZ_NODE = re.compile(
    rf'<g id="[^"]*" class="node">\s*<title>n(\d+)</title>\s*'
    rf'<polygon[^>]* points="{NUMBER},{NUMBER} [^ "]+ {NUMBER},{NUMBER}{NUMBERS}"'
)
"""A node's id and two opposite corners of its box."""
GRAPHVIZ_EDGE = re.compile(
    rf'<g id="e(\d+)" class="edge">\s*<title>[^<]*</title>\s*'
    rf'<path[^>]* d="(M{NUMBER},{NUMBER}C{NUMBER},{NUMBER}{NUMBERS} {NUMBER},{NUMBER})"[^>]*/>\s*'
    rf'(?:<polygon fill="black"[^>]* points="({NUMBERS})"[^>]*/>\s*)?'  # the arrowhead
    rf'(?:<polygon fill="white"[^>]* points="({NUMBERS})"[^>]*/>\s*)?'  # the label's box
    r"</g>"
)
"""An edge's id, its path data with its first two and last points, then the arrowhead and
the label's box when it has them."""


def placement(pieces: Iterable[str], s: Structure, drawer: Drawer | None = None) -> Placement:
    """Node corners and edge routes from Graphviz's own SVG (`dot -Tsvg`: its coordinates
    keep two decimals everywhere, where `-Tjson0` rounds positions to five digits, a few
    points off beyond 100,000), read piece by piece as dot writes it (see
    `DotRun.as_written`: no node or edge is cut between two pieces); `drawer` draws each
    node and edge as soon as it is read."""
    box: tuple[float, float, float, float] | None = None
    corners: dict[str, tuple[float, float]] = {}
    routes: dict[str, Route] = {}
    try:
        for text in pieces:
            if box is None and (found := GRAPHVIZ_BOX.search(text)):
                box = bounds(found[1])
            for k, *xy in GRAPHVIZ_NODE.findall(text):
                corners[k] = corner = _corner(*xy)
                if drawer is not None:
                    drawer.node(int(k), corner)
            for k, *found_route in GRAPHVIZ_EDGE.findall(text):
                routes[k] = way = _route(*found_route)
                if drawer is not None:
                    drawer.edge(int(k), way)
        left, top, right, bottom = box  # type: ignore[misc]  (None: TypeError, unreadable)
        return Placement(
            (left, top, right - left, bottom - top),
            tuple(corners[str(k)] for k in range(len(s.nodes))),
            tuple(routes[str(k)] for k in range(len(s.edges))),
        )
    except (ValueError, KeyError, TypeError, IndexError) as err:
        raise LayoutError(f"Graphviz produced an unreadable layout ({err!r})") from None


def _corner(x0: str, y0: str, x1: str, y1: str) -> tuple[float, float]:
    """The top-left corner of a box from two opposite ones."""
    return min(float(x0), float(x1)), min(float(y0), float(y1))


def _route(*found: str) -> Route:
    """An edge from what GRAPHVIZ_EDGE found (thousands per layout: the usual case is made
    here from the numbers found; `svg.route` works through the rest)."""
    d, x0, y0, x1, y1, x2, y2, head, label = found
    start, leaving = (float(x0), float(y0)), (float(x1), float(y1))
    if leaving == start or not head:
        return route(d, head or None, label or None)
    return Route(d, start, leaving, (float(x2), float(y2)), head, centre(label) if label else None)


# --- the layout: our SVG as a frame template -----------------------------------------------


@dataclass(frozen=True)
class Layout:
    """A laid-out structure: the SVG as static parts with per-frame slots between them."""

    key: str
    parts: tuple[str, ...]
    slots: tuple[Slot, ...]
    nodes: int
    edges: int
    width: float
    """Points, from the viewBox."""
    height: float
    edge_labels: bool = False

    def fill(self, texts: list[str]) -> str:
        """The SVG with `texts[i]` in slot i."""
        out = [""] * (2 * len(self.parts) - 1)
        out[0::2] = self.parts
        out[1::2] = texts
        return "".join(out)


@dataclass(frozen=True)
class Build:
    """A layout being made: dot runs; calling waits for it and draws the Layout."""

    s: Structure
    run: DotRun

    @cached_property
    def pieces(self) -> Pieces:
        """What of the drawing needs no coordinates: asked for while dot runs, it is ready
        when dot is done (see `PendingLayout.prepare`)."""
        return prepare(self.s)

    def __call__(self) -> Layout:
        """The Layout, once dot is done (or its LayoutError): each node and edge is read
        and drawn as dot writes it, so little is left to do when dot ends."""
        drawer, written = Drawer(self.s, self.pieces), self.run.as_written()
        try:
            place = placement(written, self.s, drawer)  # finds each node and edge, or raises
        finally:
            written.close()  # stops dot now if its output could not be read
        return make_layout(self.s, place, drawer.template(place.box, FRAME_CSS))


def start_build(s: Structure, timeout: float = LAYOUT_TIMEOUT) -> Build:
    """Start dot on a structure now; calling the result waits for it and makes the Layout."""
    if s.size > MAX_LAYOUT_SIZE:
        raise LayoutError(_too_large(timeout))
    return Build(s, DotRun(structure_dot(s), "svg", timeout))


def build_layout(s: Structure, timeout: float = LAYOUT_TIMEOUT) -> Layout:
    """Run dot on a structure and draw the frame template."""
    return start_build(s, timeout)()


def make_layout(s: Structure, place: Placement, template: Template) -> Layout:
    """The frame template of a placed structure (drawn by a `Drawer` as it was placed)."""
    return Layout(
        s.key,
        template.parts,
        template.slots,
        len(s.nodes),
        len(s.edges),
        place.box[2],
        place.box[3],
        s.edge_labels,
    )


# --- the cache ------------------------------------------------------------------------------

_CACHE: OrderedDict[str, Layout | LayoutError] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _cached(key: str) -> Layout | LayoutError | None:
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if isinstance(found, LayoutTimeout) and time.monotonic() - found.when > RETRY_TIMEOUT_AFTER:
            del _CACHE[key]
            return None
        if found is not None:
            _CACHE.move_to_end(key)
    return found


def _remember(key: str, found: Layout | LayoutError) -> None:
    # A graph that failed once fails again: do not run dot on every request (a timeout is
    # retried after a while, see `_cached`).
    with _CACHE_LOCK:
        _CACHE[key] = found
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)


class PendingLayout:
    """A layout on its way: dot runs in its own process until `result` is asked for."""

    def __init__(self, key: str, found: Layout | LayoutError | None = None, finish=None):
        self.key = key
        self._found = found
        self._finish: Callable[[], Layout] | None = finish
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Draw now what can be drawn before dot is done (call while doing other work)."""
        if isinstance(self._finish, Build):
            self._finish.pieces  # noqa: B018  (made and kept for `result`)

    def result(self) -> Layout:
        """The layout (waiting for dot if it still runs), or its LayoutError. Threads asking
        at once wait for the one that finishes it."""
        with self._lock:
            if self._found is None and self._finish is not None:
                try:
                    self._found = self._finish()
                except LayoutError as err:
                    self._found = err.with_traceback(None)  # kept: not its frames too
                self._finish = None
                _remember(self.key, self._found)
                with _STARTING:
                    if _RUNNING.get(self.key) is self:
                        del _RUNNING[self.key]
        if isinstance(self._found, LayoutError):
            raise LayoutError(self._found.message)
        return self._found


def start_layout(
    graph: Graph, edge_labels: bool = False, timeout: float = LAYOUT_TIMEOUT
) -> PendingLayout:
    """Start laying out a graph (a cache hit is ready at once; a miss starts dot now)."""
    return start_structure_layout(_structure(graph, bool(edge_labels)), timeout)


_RUNNING: weakref.WeakValueDictionary[str, PendingLayout] = weakref.WeakValueDictionary()
"""Layouts whose dot runs, by key: a request for the same structure meanwhile (a lecture
hall opening one link at once) waits for that run instead of starting another. Weak, so a
run no request waits for any more is stopped as before."""
_STARTING = threading.Lock()
"""Held while a dot is started (a millisecond or so), so one structure gets one run."""


def start_structure_layout(s: Structure, timeout: float = LAYOUT_TIMEOUT) -> PendingLayout:
    """`start_layout` from a structure alone (e.g. `dot.trace_structure`, before the graph)."""
    found = _cached(s.key)
    if found is not None:
        return PendingLayout(s.key, found)
    with _STARTING:
        running = _RUNNING.get(s.key)
        if running is not None:
            return running
        found = _cached(s.key)  # finished while this thread waited for the lock
        if found is not None:
            return PendingLayout(s.key, found)
        try:
            pending = PendingLayout(s.key, finish=start_build(s, timeout))
        except LayoutError as err:
            _remember(s.key, err)
            return PendingLayout(s.key, err)
        _RUNNING[s.key] = pending
        return pending


def get_layout(graph: Graph, edge_labels: bool = False, timeout: float = LAYOUT_TIMEOUT) -> Layout:
    """The graph's layout, from the cache when a graph of the same structure was drawn."""
    return start_layout(graph, edge_labels, timeout).result()


_STRUCTURES: weakref.WeakKeyDictionary[Graph, dict[bool, Structure]] = weakref.WeakKeyDictionary()


def _structure(graph: Graph, edge_labels: bool) -> Structure:
    """`dot.structure`, remembered per graph: the app asks again for every frame."""
    with _CACHE_LOCK:
        known = _STRUCTURES.setdefault(graph, {})
        found = known.get(edge_labels)
    if found is None:
        found = structure(graph, edge_labels)
        with _CACHE_LOCK:
            known[edge_labels] = found
    return found


def adopt_structure(graph: Graph, s: Structure) -> None:
    """Remember that `s` is the graph's structure (made from its trace): not worked out again."""
    with _CACHE_LOCK:
        _STRUCTURES.setdefault(graph, {})[s.edge_labels] = s


def clear_cache() -> None:
    """Forget every layout and PNG (and any dot run others would wait for)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _PNGS.clear()
    with _STARTING:
        _RUNNING.clear()


# --- frames ---------------------------------------------------------------------------------


def _lines(lines: tuple[str, ...], count: int) -> list[str]:
    """The lines escaped, or `count` empty ones when there are none (no gradient yet)."""
    return [escape(line) for line in lines] if lines else [""] * count


SLOT_TEXTS: dict[str, Callable[[FrameState], list[list[str]]]] = {
    "node": lambda st: [[class_attr(n.classes)] for n in st.nodes],
    "val": lambda st: [_lines(n.value, len(n.value)) for n in st.nodes],
    "grad": lambda st: [_lines(n.grad, len(n.value)) for n in st.nodes],
    "edge": lambda st: [[class_attr(e.classes)] for e in st.edges],
    "local": lambda st: [_lines((e.local,), 1) for e in st.edges],
}
"""Per kind of slot, its texts by node or edge index and line."""


def state_texts(state: FrameState, slots: tuple[Slot, ...]) -> list[str]:
    """The slot texts of a frame state, one per slot."""
    tables = {kind: texts(state) for kind, texts in SLOT_TEXTS.items()}
    return [tables[kind][i][k] for kind, i, k in slots]


def render_state(layout: Layout, state: FrameState) -> str:
    """SVG text of a frame state (the reference `render_frame` is checked against)."""
    return layout.fill(state_texts(state, layout.slots))


def start_frame(
    graph: Graph, step: int | None = None, edge_labels: bool = False
) -> Callable[[Layout], str]:
    """Work a frame's texts out now (e.g. while dot runs); the call returned puts them into
    the graph's layout (made for one frame: `render_frame` serves many)."""
    state = final_state(graph) if step is None else frame_state(graph, step)
    texts = state_texts(state, slot_order(graph, bool(edge_labels)))
    return lambda layout: _checked_layout(layout, graph).fill(texts)


def render_frame(layout: Layout, graph: Graph, step: int | None = None) -> str:
    """SVG text of the graph at `step` (None: the last frame)."""
    _checked_layout(layout, graph)
    return layout.fill(timeline(graph, layout.edge_labels).texts(step))


def _checked_layout(layout: Layout, graph: Graph) -> Layout:
    """The layout, if it was made for this graph's structure."""
    if layout.key != structure_key(graph, layout.edge_labels):
        raise ValueError("the layout was made for a graph of another structure")
    return layout


_PNGS: OrderedDict[tuple[bytes, float], bytes] = OrderedDict()


def render_png(
    layout: Layout, graph: Graph, step: int | None = None, scale: float = PNG_SCALE
) -> bytes:
    """PNG bytes of the graph at `step`, drawn at `scale` (less for very large graphs)."""
    svg = render_frame(layout, graph, step)
    for glyph, stand_in in PNG_GLYPHS.items():
        svg = svg.replace(glyph, stand_in)
    key = (hashlib.sha256(svg.encode()).digest(), scale)
    with _CACHE_LOCK:
        found = _PNGS.get(key)
        if found is not None:
            _PNGS.move_to_end(key)
            return found
    png = _draw_png(layout, svg, scale)
    if len(png) <= PNG_CACHE_MAX_BYTES:
        with _CACHE_LOCK:
            _PNGS[key] = png
            while len(_PNGS) > PNG_CACHE_SIZE:
                _PNGS.popitem(last=False)
    return png


def _draw_png(layout: Layout, svg: str, scale: float) -> bytes:
    """cairosvg's PNG of a frame, scaled down to stay within cairo's and memory's limits."""
    import cairosvg  # imported here: only PNG needs cairo

    width, height = layout.width * PX_PER_PT, layout.height * PX_PER_PT
    fit = math.sqrt(MAX_PNG_PIXELS / max(width * height, 1.0))
    side = MAX_PNG_SIDE / max(width, height, 1.0)
    return cairosvg.svg2png(
        bytestring=svg.encode(), scale=min(scale, fit, side), background_color="white"
    )


def structure_key(graph: Graph, edge_labels: bool = False) -> str:
    """The cache key of a graph's layout: equal for graphs that differ only in values."""
    return _structure(graph, bool(edge_labels)).key


__all__ = [
    "FRAME_CSS",
    "LAYOUT_TIMEOUT",
    "Layout",
    "LayoutError",
    "LayoutTimeout",
    "PendingLayout",
    "adopt_structure",
    "build_layout",
    "clear_cache",
    "frame_state",
    "get_layout",
    "layout",
    "refill_spare",
    "render_frame",
    "render_png",
    "render_state",
    "start_frame",
    "start_layout",
    "start_structure_layout",
    "structure_key",
]
