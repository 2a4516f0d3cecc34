"""The on-disk cache the server's worker processes share (autodiff.draw.shared)."""

import pytest

from autodiff import build, draw
from autodiff.draw import layouts, png, shared

REUSE = "w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)"


@pytest.fixture
def shared_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTODIFF_CACHE_DIR", str(tmp_path / "cache"))
    shared._OPENED.clear()
    draw.clear_caches()
    yield tmp_path / "cache"
    shared._OPENED.clear()
    draw.clear_caches()


def no_dot(*args, **kw):
    raise AssertionError("dot was run")


def test_a_layout_made_by_one_worker_is_read_by_another(shared_dir, monkeypatch):
    graph = build(REUSE)
    made = draw.get_layout(graph)
    draw.clear_caches()  # another process: nothing in its memory
    monkeypatch.setattr(layouts, "start_job", no_dot)
    again = draw.get_layout(build("w1 = 3.0; w2 = 1.0; y = w1 * cos(3*w1 + w2)"))
    assert again == made and again is not made


def test_a_png_drawn_by_one_worker_is_read_by_another(shared_dir, monkeypatch):
    graph = build(REUSE)
    first = draw.render_png(draw.get_layout(graph), graph, 3)
    draw.clear_caches()
    monkeypatch.setattr(png, "_draw_png", no_dot)
    assert draw.render_png(draw.get_layout(graph), graph, 3) == first


def test_failures_are_not_shared(shared_dir, monkeypatch):
    def failing(s, timeout):
        raise draw.LayoutError("Graphviz failed: no")

    monkeypatch.setattr(layouts, "start_job", failing)
    with pytest.raises(draw.LayoutError):
        draw.get_layout(build(REUSE))
    assert shared.get("layout", draw.structure_key(build(REUSE))) is None


def test_a_cache_that_cannot_be_used_is_only_a_miss(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("AUTODIFF_CACHE_DIR", str(blocker / "cache"))
    shared._OPENED.clear()
    draw.clear_caches()
    graph = build(REUSE)
    assert draw.get_layout(graph).nodes == len(graph.nodes)
    shared._OPENED.clear()


def test_without_a_directory_nothing_is_written(monkeypatch):
    monkeypatch.delenv("AUTODIFF_CACHE_DIR", raising=False)
    shared.put("layout", "k", "v")
    assert shared.get("layout", "k") is None
