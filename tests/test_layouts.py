"""autodiff.draw.layouts: one dot run per structure, cached, shared while it runs."""

import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from drawing_support import (
    PRODUCT_600,
    REUSE,
    REUSE_LINES,
    SLOW,
    build,
    counted_builds,
    svg_root,
    text,
)

import autodiff
from autodiff import draw
from autodiff.draw import (
    GraphvizUnavailable,
    LayoutError,
    dot,
    get_layout,
    graphviz,
    layouts,
    render_frame,
)
from autodiff.examples import by_slug


def test_a_layout_drawn_partly_while_dot_runs_is_the_same_layout():
    graph = build(by_slug("reuse").source)
    draw.clear_caches()
    pending = layouts.start_layout(graph, edge_labels=True)
    pending.prepare()
    early = pending.result()
    draw.clear_caches()
    late = layouts.get_layout(graph, edge_labels=True)
    assert early is not late
    assert (early.parts, early.slots, early.key) == (late.parts, late.slots, late.key)


def test_600_factor_product_is_refused_or_drawn_never_anything_else():
    graph = build(PRODUCT_600)
    started = time.monotonic()
    try:
        result = get_layout(graph, timeout=3)
    except LayoutError as err:
        assert "Graphviz" in err.message
    else:
        assert result.nodes == 600
    assert time.monotonic() - started < 10


def test_too_large_graphs_are_refused_without_running_dot(monkeypatch):
    def no_dot(*args, **kw):
        raise AssertionError("dot was run")

    monkeypatch.setattr(layouts, "DotRun", no_dot)
    # A computed value (not a leaf, which would be drawn with copies) used all along the sum.
    graph = build("x = 1\na = 2 * x\nf = " + " + ".join(["sin(a)"] * 400))
    with pytest.raises(LayoutError, match="too large"):
        layouts.lay_out(dot.structure(graph))


def test_shared_leaves_are_drawn_once_and_their_copies_beside_each_use():
    """An unrolled network: `w` on every line. Its numbers are drawn once; every use has a
    copy of its label nearby, and the gradient arriving from all uses sums on `w` itself."""
    steps = 8
    source = "w = 0.5\nh0 = 0.1\n" + "\n".join(
        f"h{i} = tanh(h{i - 1} * w + 0.1)" for i in range(1, steps + 1)) + f"\nf = h{steps}"
    graph = build(source)
    layout = get_layout(graph)
    root = svg_root(render_frame(layout, graph))
    w = graph.input_node("w")
    copies = [g for g in root.iter("{http://www.w3.org/2000/svg}g")
              if "copy" in g.get("class", "").split()]
    assert len(copies) == steps
    for g in copies:
        assert g.get("id").endswith("-copy") and "w ↗" in "".join(g.itertext())
        assert g.find("{http://www.w3.org/2000/svg}text").get("id") is None  # no number slots
    h = 1e-6
    up, down = (build(source.replace("w = 0.5", f"w = {0.5 + d}")).value for d in (h, -h))
    shown = float(text(root, f"n{w.index}-g0"))
    assert shown == pytest.approx(float((up - down) / (2 * h)), rel=1e-4)


def test_cache_is_keyed_by_structure_and_bounded(monkeypatch):
    draw.clear_caches()
    calls = []
    real = layouts.start_job
    monkeypatch.setattr(layouts, "start_job", lambda s, t: calls.append(s) or real(s, t))
    monkeypatch.setattr(layouts._LAYOUTS, "size", 2)
    a = build("x = 2\nf = x + 1")
    assert get_layout(a) is get_layout(build("x = 2.5\nf = x + 1"))
    assert get_layout(a, edge_labels=True) is not get_layout(a)
    assert len(calls) == 2
    get_layout(build("x = 2\nf = x * 1"))  # drops the least recently used: a with labels
    get_layout(a)
    assert len(calls) == 3
    get_layout(a, edge_labels=True)
    assert len(calls) == 4


def test_cache_is_safe_across_threads():
    draw.clear_caches()
    graph = build(by_slug("gates").source)
    with ThreadPoolExecutor(4) as pool:
        layouts = list(pool.map(lambda _: get_layout(graph), range(8)))
    assert len({layout_.key for layout_ in layouts}) == 1
    assert get_layout(graph) in layouts


@pytest.mark.slow
def test_a_timeout_is_cached_for_a_while_then_tried_again(monkeypatch):
    draw.clear_caches()
    graph = build(SLOW)
    with pytest.raises(LayoutError, match="lay out in 0.0001 s"):
        layouts.start_layout(graph, timeout=1e-4).result()
    with pytest.raises(LayoutError, match="lay out in 0.0001 s"):
        get_layout(graph)  # from the cache: with its 10 s dot would have succeeded
    monkeypatch.setattr(layouts, "RETRY_FAILURE_AFTER", 0.0)
    assert get_layout(graph).nodes == len(graph.nodes)
    draw.clear_caches()


def test_failures_are_cached(monkeypatch):
    draw.clear_caches()
    calls = []

    def fail() -> None:
        raise LayoutError("Graphviz failed: no")

    def failing(s, timeout):
        calls.append(s)
        return fail

    monkeypatch.setattr(layouts, "start_job", failing)
    graph = build(REUSE)
    for _ in range(2):
        with pytest.raises(LayoutError, match="no"):
            get_layout(graph)
    assert len(calls) == 1
    draw.clear_caches()


def test_one_dot_run_for_a_structure_asked_for_while_it_runs(monkeypatch):
    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    graph = autodiff.build(by_slug("gates").source)
    first, second = layouts.start_layout(graph), layouts.start_layout(graph)
    assert first is second
    with ThreadPoolExecutor(4) as pool:  # several requests waiting for the same run
        made = list(pool.map(lambda pending: pending.result(), [first] * 4 + [second] * 4))
    assert all(layout is made[0] for layout in made)
    assert layouts.start_layout(graph).result() is made[0]  # then from the cache
    assert len(runs) == 1


def test_a_run_no_request_waits_for_is_forgotten(monkeypatch):
    import gc

    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    graph = autodiff.build(by_slug("reuse").source)
    pending = layouts.start_layout(graph)
    dot_process = pending._finish.run.dot.proc
    del pending
    gc.collect()
    assert len(layouts._RUNNING) == 0
    assert dot_process.wait(timeout=5) is not None  # stopped, not left running
    assert layouts.get_layout(graph).key == layouts.structure_key(graph)
    assert len(runs) == 2


def test_a_server_fault_is_never_cached(monkeypatch, tmp_path):
    """dot missing, then back: the next request lays the graph out."""
    real = graphviz.dot_binary()
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(tmp_path / "no-dot"))
    draw.clear_caches()
    graph = build(REUSE)
    with pytest.raises(GraphvizUnavailable):
        get_layout(graph)
    monkeypatch.setattr(graphviz, "dot_binary", lambda: real)
    assert get_layout(graph).nodes == len(graph.nodes)


def test_a_graphs_own_failure_expires(monkeypatch):
    draw.clear_caches()
    runs = []

    def failing(s, timeout):
        runs.append(s)
        raise LayoutError("Graphviz failed: no")

    monkeypatch.setattr(layouts, "start_job", failing)
    graph = build(REUSE)
    for _ in range(2):
        with pytest.raises(LayoutError):
            get_layout(graph)
    assert len(runs) == 1
    monkeypatch.setattr(layouts, "RETRY_FAILURE_AFTER", 0.0)
    with pytest.raises(LayoutError):
        get_layout(graph)
    assert len(runs) == 2
    draw.clear_caches()


def test_pending_layout_is_cached_and_shared():
    draw.clear_caches()
    graph = autodiff.build(REUSE_LINES)
    pending = layouts.start_layout(graph)
    layout = pending.result()
    assert pending.result() is layout
    assert layouts.start_layout(autodiff.build(REUSE_LINES.replace("2.0", "3"))).result() is layout


def test_an_abandoned_pending_layout_stops_its_dot():
    draw.clear_caches()
    pending = layouts.start_layout(autodiff.build(SLOW))
    run = pending._finish.run
    proc, files = run.dot.proc, (run.dot.proc.stdout, *run.dot.files)
    del pending, run
    assert proc.returncode == -signal.SIGKILL and all(f.closed for f in files)


def big_structure():
    """A structure dot takes a second or more for (600 values with edge labels)."""
    from autodiff.draw.dot import structure

    graph = autodiff.build("\n".join(
        ["x = 0.5", "y = 1.5", "t0 = x * y", "t1 = sin(x) + y"]
        + [f"t{k} = tanh(t{k - 1}) * t{k - 2} + 0.{k}" for k in range(2, 150)]))
    return structure(graph, True, "lr")


def test_dot_stops_once_every_request_waiting_for_it_has_hung_up():
    """Two requests share one dot run; when the first hangs up dot goes on for the second,
    when the second does too it is killed and both get Cancelled, and nothing is cached."""
    from autodiff.draw import cancel

    draw.clear_caches()
    s = big_structure()
    tokens = [cancel.Token(), cancel.Token()]
    pendings = []
    for token in tokens:
        with cancel.serving(token):
            pendings.append(layouts.start_structure_layout(s))
    assert pendings[0] is pendings[1]
    proc = pendings[0]._finish.run.dot.proc
    tokens[0].trip()
    time.sleep(0.2)
    assert proc.poll() is None  # still wanted by the second
    tokens[1].trip()
    for pending, token in zip(pendings, tokens):
        with cancel.serving(token), pytest.raises(cancel.Cancelled):
            pending.result()
    assert proc.poll() == -signal.SIGKILL
    assert layouts._cached(s.key) is None
    # A request that comes afterwards gets its layout from a run of its own.
    assert layouts.start_structure_layout(s).result().key == s.key
    draw.clear_caches()


def test_a_request_that_has_hung_up_starts_no_dot():
    from autodiff.draw import cancel

    draw.clear_caches()
    token = cancel.Token()
    token.trip()
    with cancel.serving(token), pytest.raises(cancel.Cancelled):
        layouts.start_structure_layout(big_structure())
    assert layouts._RUNNING.get(big_structure().key) is None
