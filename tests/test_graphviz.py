"""autodiff.draw.graphviz: running the real `dot`, sandboxed, its spare, its failures."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from drawing_support import PRODUCT_600, PROGRAMS, SLOW, build

import autodiff
from autodiff import draw
from autodiff.draw import (
    GraphvizUnavailable,
    LayoutError,
    dot,
    get_layout,
    graphviz,
    layout,
    layouts,
)


def stand_in_dot(monkeypatch, tmp_path, script: str) -> None:
    """Lay out with a shell script in dot's place (and no spare, which is the real dot)."""
    path = tmp_path / "dot"
    path.write_text("#!/bin/sh\ncat > /dev/null\n" + script + "\n")
    path.chmod(0o755)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(path))
    monkeypatch.setattr(graphviz, "plugin_dir", lambda: None)  # not found by asking the script
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    draw.clear_caches()


START = """printf '<svg><g id="graph0" class="graph"><title>G</title>'; """
"""A stand-in dot's first words: an SVG begun, read piece by piece before dot is done."""


def stand_in_dot_failing_on(monkeypatch, tmp_path, word: str, script: str) -> None:
    """A stand-in dot that is the real one, but runs `script` when its input holds `word`."""
    path = tmp_path / "dot"
    path.write_text(
        f'#!/bin/sh\nin=$(cat)\ncase "$in" in *{word}*) {script};; esac\n'
        f'printf "%s" "$in" | exec {graphviz.dot_binary()} "$@"\n'
    )
    path.chmod(0o755)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(path))
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    draw.clear_caches()


def wait_for_spare() -> None:
    graphviz.refill_spare()  # as the app does once an answer is sent
    deadline = time.monotonic() + 5
    while graphviz._SPARE._dot is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert graphviz._SPARE._dot is not None


def test_layout_returns_svg():
    svg = layout("digraph { a -> b }")
    assert "<svg" in svg and "</svg>" in svg


def test_layout_timeout_is_a_layout_error():
    with pytest.raises(LayoutError, match="too large for Graphviz to lay out in 0.0001 s"):
        layout(dot.dot_source(build(SLOW)), timeout=1e-4)


def test_waiting_for_dot_works_without_pidfds(monkeypatch):
    """Where `os.pidfd_open` is missing (not Linux) dot is waited for by polling."""
    monkeypatch.delattr(os, "pidfd_open", raising=False)
    assert "<svg" in layout("digraph { a -> b }")
    with pytest.raises(LayoutError, match="too large for Graphviz to lay out in 0.0001 s"):
        layout(dot.dot_source(build(SLOW)), timeout=1e-4)


def test_layout_failure_names_graphviz_error():
    with pytest.raises(LayoutError, match="^Graphviz failed: .*syntax error"):
        layout("digraph { a -> }")


def test_layout_cannot_read_files():
    svg = layout('digraph { a [image="/etc/passwd" label="x"] b [shapefile="/etc/hosts"] }')
    assert "<image" not in svg


def test_a_crash_on_this_graph_alone_is_the_graphs_layout_error(monkeypatch, tmp_path):
    stand_in_dot_failing_on(monkeypatch, tmp_path, "n1", START + "kill -SEGV $$")
    with pytest.raises(LayoutError, match=r"^Graphviz crashed \(SIGSEGV\) laying out") as err:
        get_layout(build("x = 1\nf = x * 2"))
    assert not isinstance(err.value, GraphvizUnavailable)


def test_a_crash_on_every_graph_is_graphviz_unavailable(monkeypatch, tmp_path):
    stand_in_dot(monkeypatch, tmp_path, START + "kill -SEGV $$")
    with pytest.raises(GraphvizUnavailable, match=r"Graphviz crashed \(SIGSEGV\) laying out"):
        get_layout(build("x = 1\nf = x * 2"))


def test_a_missing_dot_is_graphviz_unavailable(monkeypatch, tmp_path):
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(tmp_path / "no-dot"))
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    draw.clear_caches()
    with pytest.raises(GraphvizUnavailable, match="could not be started"):
        get_layout(build("x = 1\nf = x * 2"))
    assert not graphviz.dot_works()


def test_a_small_graph_timed_out_is_never_too_large(monkeypatch, tmp_path):
    """A dot that hangs on this graph alone: a 3-node graph is not too large, the server is
    in trouble."""
    stand_in_dot_failing_on(monkeypatch, tmp_path, "n1", "exec sleep 30")
    with pytest.raises(GraphvizUnavailable, match="too busy") as err:
        get_layout(build("x = 1\nf = x * 2"), timeout=0.5)
    assert "too large" not in err.value.message


def test_dot_that_stops_writing_midway_is_timed_out_and_killed(monkeypatch, tmp_path):
    stand_in_dot(monkeypatch, tmp_path, "echo $$ > pid; " + START + "exec sleep 30")
    monkeypatch.setattr(graphviz, "empty_dir", lambda: str(tmp_path))
    started = time.monotonic()
    with pytest.raises(GraphvizUnavailable, match="it did not finish, on a two-node graph too"):
        get_layout(build("x = 1\nf = x * 2"), timeout=0.5)
    assert time.monotonic() - started < 0.5 + graphviz.PROBE_TIMEOUT + 2
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_dot_whose_output_cannot_be_read_is_stopped_at_once(monkeypatch, tmp_path):
    bad_edge = """<g id="e0" class="edge"><title>x</title><path d="M1,1C1,1 1,1 1,1e"/></g>"""
    # The pid first: dot may be stopped as soon as it has printed the unreadable edge.
    script = "echo $$ > pid; " + START + f"printf '{bad_edge}<g id=\"n0\"'; exec sleep 30"
    stand_in_dot(monkeypatch, tmp_path, script)
    monkeypatch.setattr(graphviz, "empty_dir", lambda: str(tmp_path))
    started = time.monotonic()
    with pytest.raises(LayoutError, match="^Graphviz produced an unreadable layout"):
        get_layout(build("x = 1\nf = x * 2"))
    assert time.monotonic() - started < 3
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_dot_that_writes_nothing_is_a_layout_error(monkeypatch, tmp_path):
    stand_in_dot(monkeypatch, tmp_path, "printf '  \\n'")
    with pytest.raises(GraphvizUnavailable, match="Graphviz produced no drawing"):
        get_layout(build("x = 1\nf = x * 2"))


def test_layout_error_is_an_autodiff_error():
    assert issubclass(LayoutError, autodiff.AutodiffError)


@pytest.mark.slow
def test_600_factor_product_through_dot_itself():
    # Plain DOT of this graph crashes Graphviz 2.43 (SIGSEGV); other versions may be slow.
    edges = "\n".join(f"n{e.src} -> n{e.dst}" for e in build(PRODUCT_600).edges)
    started = time.monotonic()
    try:
        layout("digraph {\n" + edges + "\n}", timeout=5)
    except LayoutError as err:
        assert re.match(r"Graphviz crashed|the graph is too large|Graphviz failed", err.message)
    assert time.monotonic() - started < 15


def test_dot_runs_in_one_empty_directory_made_again_if_removed():
    first = graphviz.empty_dir()
    draw.clear_caches()
    layouts.get_layout(build("a = 1\nb = 2\nf = a * b + sin(a)"))
    assert graphviz.empty_dir() == first and os.listdir(first) == []
    os.rmdir(first)
    again = graphviz.empty_dir()
    assert os.path.isdir(again) and again != first
    draw.clear_caches()
    assert layouts.get_layout(build("a = 2\nf = a * a")).nodes == 2


def test_a_dead_spare_is_replaced():
    layouts.get_layout(autodiff.build("p = 1\nf = p + 2"))
    wait_for_spare()
    spare = graphviz._SPARE._dot
    os.killpg(spare.proc.pid, signal.SIGKILL)
    spare.proc.wait()
    draw.clear_caches()
    assert get_layout(autodiff.build("q = 1\nf = q * 2")).nodes == 3
    wait_for_spare()
    assert graphviz._SPARE._dot is not spare and graphviz._SPARE._dot.proc.poll() is None


def test_a_spare_in_a_forked_child_is_let_go():
    layouts.get_layout(autodiff.build("r = 1\nf = r - 2"))
    wait_for_spare()
    pid = os.fork()
    if pid == 0:
        os._exit(0 if graphviz._SPARE._dot is None else 1)
    assert os.waitpid(pid, 0)[1] == 0
    draw.clear_caches()
    assert get_layout(autodiff.build("s = 1\nf = s / 2"), timeout=5).nodes == 3


def test_the_spare_takes_large_dot_texts_and_keeps_itself_for_what_would_not_fit():
    wait_for_spare()
    spare = graphviz._SPARE._dot
    if sys.platform.startswith("linux"):
        assert spare.capacity >= 1 << 20  # a 2,000-node graph's DOT is about 130 KB
    assert graphviz._SPARE.take(spare.capacity + 1) is None
    assert graphviz._SPARE._dot is spare
    assert graphviz._SPARE.take(spare.capacity) is spare and graphviz._SPARE._dot is None
    graphviz._stop(spare)


def test_timeouts_and_failures_on_the_spare_too():
    layouts.get_layout(autodiff.build("u = 1\nf = u + 1"))
    wait_for_spare()
    with pytest.raises(LayoutError, match="too large for Graphviz to lay out in 0.0001 s"):
        graphviz.layout(dot.dot_source(autodiff.build(SLOW)), timeout=1e-4)
    wait_for_spare()
    with pytest.raises(LayoutError, match="^Graphviz failed: .*syntax error"):
        graphviz.layout("digraph { a -> }")


def test_the_needed_plugins_alone_lay_out_the_same():
    assert graphviz.plugin_dir() is not None
    for source in PROGRAMS[::3]:
        text = dot.dot_source(autodiff.build(source), edge_labels=True)
        everything = subprocess.run(
            [graphviz.dot_binary(), "-Tsvg"],
            input=text.encode(),
            capture_output=True,
            env={"PATH": "/usr/bin:/bin"},
            check=True,
        )
        assert graphviz.layout(text) == everything.stdout.decode()
