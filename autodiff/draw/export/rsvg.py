"""Rendering many frames at once with librsvg's `rsvg-convert`: a PDF page per SVG, or PNGs.

cairosvg (the single `/png`) draws in Python; librsvg draws the same SVG in native code,
several times faster, and as a process it can be stopped at a deadline, so an export never
holds a worker past the server's timeout. It runs like `dot`: its own session, an empty
directory, a bare environment, and only the files we wrote.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from ...errors import AutodiffError, LimitError
from ...i18n import N_

INSTALL_HINT = "install librsvg's rsvg-convert (Debian/Ubuntu: apt install librsvg2-bin)"


class ExportTooLarge(LimitError):
    """An export larger than the app makes (413), refused before any work."""

    status = 413


class ExportTimeout(AutodiffError):
    """The renderer ran out of time (the machine was busy): try a shorter range (503)."""

    status = 503


class RendererMissing(RuntimeError):
    """rsvg-convert is not installed: a fault of the installation, not of the program."""


@lru_cache(maxsize=1)
def rsvg_binary() -> str | None:
    """Path of `rsvg-convert`, or None."""
    return shutil.which("rsvg-convert")


Progress = Callable[[int], None] | None
"""Told how many more frames are drawn (the command line's progress bar), or None."""
MEMORY = "/dev/shm"
"""A folder in memory (tmpfs) on Linux, where there is one."""
ROOM_FACTOR = 4
"""The room in memory a renderer's files need over the SVGs' size (the output, the margin)."""
RENDERERS = 2
"""rsvg-convert processes drawing one export at once (the machine's two cores)."""


def render_pdfs(svgs: Sequence[str], deadline: float, chunk: int | None = None
                ) -> Iterator[tuple[int, bytes]]:
    """PDFs of consecutive pieces of `svgs`, a page per SVG (each the size of its SVG, text
    kept as text), drawn by `RENDERERS` processes at once: (SVGs drawn so far, the piece's
    PDF), in order, each as soon as it is drawn. Pieces of `chunk` SVGs, or two pieces a
    renderer (the caller uses the first while the last are drawn)."""
    size = chunk or max(-(-len(svgs) // (2 * RENDERERS)), 1)
    starts = range(0, len(svgs), size)
    pieces = [svgs[start:start + size] for start in starts]
    for start, found in zip(starts, _parallel(lambda piece: _pdf(piece, deadline), pieces)):
        yield min(start + size, len(svgs)), found


def _pdf(svgs: Sequence[str], deadline: float) -> bytes:
    return _run(svgs, ["-f", "pdf", "-o", "out.pdf"], deadline, ["out.pdf"])[0]


def _parallel(work: Callable, items: list) -> Iterator:
    """`work` of each item, `RENDERERS` at once, in order."""
    with ThreadPoolExecutor(RENDERERS) as pool:
        yield from pool.map(work, items)


def render_pngs(svgs: Sequence[str], zoom: float, deadline: float,
                background: str | None = "white", progress: Progress = None) -> list[bytes]:
    """A PNG per SVG at `zoom` pixels per CSS pixel (transparent where `background` is None)."""
    colour = ["-b", background] if background else []
    files = []
    with scratch(svgs) as folder:
        names = _write(folder, svgs)

        def draw(name: str) -> bytes:
            out = name.replace(".svg", ".png")
            _call([*colour, "-f", "png", "-z", f"{zoom:.4f}", "-o", out, name], folder, deadline)
            with open(os.path.join(folder, out), "rb") as f:
                return f.read()

        for png in _parallel(draw, names):
            files.append(png)
            if progress is not None:
                progress(1)
    return files


def _run(svgs: Sequence[str], args: list[str], deadline: float, outs: list[str]) -> list[bytes]:
    with scratch(svgs) as folder:
        names = _write(folder, svgs)
        _call([*args, *names], folder, deadline)
        found = []
        for out in outs:
            with open(os.path.join(folder, out), "rb") as f:
                found.append(f.read())
    return found


def scratch(files: Sequence[str | bytes]) -> tempfile.TemporaryDirectory:
    """A folder for a tool's files: in memory (`MEMORY`) when it has room for them several
    times over, since writing many small files to a disk costs more than drawing them; else
    the system's temporary folder."""
    need = ROOM_FACTOR * sum(len(file) for file in files)
    try:
        roomy = os.access(MEMORY, os.W_OK) and shutil.disk_usage(MEMORY).free > need
    except OSError:
        roomy = False
    return tempfile.TemporaryDirectory(prefix="autodiff-export-", dir=MEMORY if roomy else None)


def _write(folder: str, svgs: Sequence[str]) -> list[str]:
    names = [f"{i:05d}.svg" for i in range(len(svgs))]
    for name, svg in zip(names, svgs):
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(svg)
    return names


def _call(args: list[str], folder: str, deadline: float) -> None:
    """rsvg-convert with `args` in `folder`, killed when `deadline` (monotonic) passes."""
    binary = rsvg_binary()
    if binary is None:
        raise RendererMissing(f"exports need {INSTALL_HINT}")
    run_tool([binary, *args], folder, deadline)


def run_tool(command: list[str], folder: str, deadline: float) -> None:
    """A drawing or encoding tool run in `folder` with its own session and a bare
    environment, killed when `deadline` (monotonic) passes (ExportTimeout)."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": folder}
    proc = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ExportTimeout(N_("the export ran out of time: ask for fewer steps "
                               "(from=..., to=...) or try again")) from None
    if proc.returncode != 0:
        name = os.path.basename(command[0])
        raise RuntimeError(f"{name} failed: {err.decode(errors='replace')[-300:]}")
