"""autodiff.draw.png: a frame rasterised, with the frame's own style, cached."""

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from drawing_support import REUSE, REUSE_LINES, build

import autodiff
from autodiff import draw
from autodiff.draw import cancel, get_layout, png, render_png
from autodiff.draw.apart import DrawingFailed, DrawingTimeout


def test_png_is_a_png_and_honours_the_frame_css():
    from PIL import Image

    graph = build(REUSE)
    png = render_png(get_layout(graph), graph, graph.forward_steps + 1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    layout_ = get_layout(graph)
    assert image.width == pytest.approx(
        layout_.width * 2 * 4 / 3, rel=0.02
    ) or image.width == pytest.approx(layout_.width * 2, rel=0.02)
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    amber = np.all(np.abs(pixels - [0xD9, 0x77, 0x06]) < 30, axis=1).sum()
    assert amber > 100  # the current node's outline comes from the embedded CSS


def test_png_frames_are_cached(monkeypatch):
    draw.clear_caches()
    graph = autodiff.build(REUSE_LINES)
    layout = get_layout(graph)
    calls = []
    real = png.draw_apart  # each drawing, in its child process
    monkeypatch.setattr(png, "draw_apart", lambda *a: calls.append(a) or real(*a))
    first = png.render_png(layout, graph, 3)
    assert png.render_png(layout, graph, 3) == first
    assert png.render_png(layout, graph, 4) != first
    assert len(calls) == 2


def drawings_counted(monkeypatch) -> list:
    """Each real drawing (a child process started), counted; caches emptied."""
    draw.clear_caches()
    monkeypatch.delenv("AUTODIFF_CACHE_DIR", raising=False)
    calls = []
    real = png.draw_apart

    def counted(*args):
        calls.append(args)
        time.sleep(0.3)  # the others arrive while it draws
        return real(*args)

    monkeypatch.setattr(png, "draw_apart", counted)
    return calls


def test_simultaneous_requests_for_one_png_share_one_drawing(monkeypatch):
    calls = drawings_counted(monkeypatch)
    graph = autodiff.build(REUSE_LINES)
    layout = get_layout(graph)
    with ThreadPoolExecutor(8) as pool:
        pngs = list(pool.map(lambda _: png.render_png(layout, graph, 5), range(8)))
    assert len(calls) == 1
    assert len(set(pngs)) == 1 and pngs[0].startswith(b"\x89PNG")
    with ThreadPoolExecutor(4) as pool:  # different pictures are each drawn
        list(pool.map(lambda step: png.render_png(layout, graph, step), range(4)))
    assert len(calls) == 5


def test_a_drawing_that_fails_fails_for_every_request_waiting_for_it(monkeypatch):
    calls = drawings_counted(monkeypatch)
    graph = autodiff.build(REUSE_LINES)
    layout = get_layout(graph)
    monkeypatch.setattr(png, "_draw_png", lambda *a: 1 / 0)  # in the child: it exits 1
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(png.render_png, layout, graph, 2) for _ in range(4)]
    for future in futures:
        with pytest.raises(DrawingFailed):
            future.result()
    assert len(calls) == 1


def test_a_drawing_past_its_time_is_killed(monkeypatch):
    drawings_counted(monkeypatch)
    monkeypatch.setattr(png, "PNG_TIMEOUT", 0.5)
    monkeypatch.setattr(png, "_draw_png", lambda *a: time.sleep(30))
    graph = autodiff.build(REUSE_LINES)
    started = time.monotonic()
    with pytest.raises(DrawingTimeout):
        png.render_png(get_layout(graph), graph, 2)
    assert time.monotonic() - started < 5
    assert not [p for p in children() if comm(p) == "autodiff-png"]


def test_a_drawing_past_its_cpu_bound_is_stopped_by_the_kernel(monkeypatch):
    drawings_counted(monkeypatch)
    monkeypatch.setattr(png, "PNG_CPU_SECONDS", 1)

    def spin(*_):
        while True:
            pass

    monkeypatch.setattr(png, "_draw_png", spin)
    graph = autodiff.build(REUSE_LINES)
    with pytest.raises(DrawingTimeout, match="more than 1 s of CPU"):
        png.render_png(get_layout(graph), graph, 2)


def test_a_drawing_no_request_waits_for_is_killed(monkeypatch):
    """Every request waiting has hung up (their tokens trip): the child is killed at once
    and each of them gets Cancelled; a request without a token is always waited for."""
    drawings_counted(monkeypatch)
    monkeypatch.setattr(png, "_draw_png", lambda *a: time.sleep(30))
    graph = autodiff.build(REUSE_LINES)
    layout = get_layout(graph)
    tokens = [cancel.Token() for _ in range(3)]

    def ask(token):
        with cancel.serving(token):
            return png.render_png(layout, graph, 3)

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(ask, token) for token in tokens]
        time.sleep(1.0)
        assert [p for p in children() if comm(p) == "autodiff-png"]
        tokens[0].trip()
        tokens[1].trip()
        time.sleep(0.5)
        assert [p for p in children() if comm(p) == "autodiff-png"]  # one still waits
        started = time.monotonic()
        tokens[2].trip()
        for future in futures:
            with pytest.raises(cancel.Cancelled):
                future.result(timeout=5)
    assert time.monotonic() - started < 2
    assert not [p for p in children() if comm(p) == "autodiff-png"]


def children() -> list[int]:
    import os

    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def comm(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "comm").read_text().strip()
    except OSError:
        return ""
