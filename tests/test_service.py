"""web.service: cached analyses and frames, shared by requests that come at once."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import orjson
import pytest
from drawing_support import counted_builds

from autodiff import draw


def test_requests_for_one_new_program_at_once_share_one_analysis(monkeypatch):
    """A lecture hall opening one link: the first request works the program out and lays it
    out; the others wait for it and answer the same."""
    import threading

    from autodiff import parser
    from autodiff.evaluate import clear_known_traces
    from web import service

    service._analyses.clear()
    clear_known_traces()
    parser.clear_known_statements()
    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    traces = []
    real_trace = service.trace
    monkeypatch.setattr(service, "trace", lambda *a: traces.append(a) or real_trace(*a))
    source = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)\nlecture = y * 1"
    start = threading.Barrier(8)

    def open_link(_):
        start.wait()
        return service.graph_answer(source, service.Options())

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(open_link, range(8)))
    assert len(traces) == 1 and len(runs) == 1
    assert all(body == bodies[0] for body in bodies)
    answer = orjson.loads(bodies[0])
    u = 3 * 2.0 + 1.5  # d/dw1 w1 cos(u) = cos(u) - 3 w1 sin(u), d/dw2 = -w1 sin(u)
    assert answer["gradients"]["w1"] == pytest.approx(np.cos(u) - 6 * np.sin(u), rel=1e-14)
    assert answer["gradients"]["w2"] == pytest.approx(-2 * np.sin(u), rel=1e-14)
    assert answer["layout"]["svg"].startswith("<svg")


def test_requests_waiting_for_a_program_that_fails_get_its_error():
    from autodiff.errors import AutodiffError
    from web import service

    service._analyses.clear()
    source = "x = 2\ny = x * nope"

    def open_link(_):
        try:
            service.graph_answer(source, service.Options())
        except AutodiffError as err:
            return err.message, err.line, err.col
        return None

    with ThreadPoolExecutor(6) as pool:
        errors = list(pool.map(open_link, range(6)))
    assert errors == [("name 'nope' has no value; add a line such as 'nope = 1.0'", 2, 9)] * 6
    assert service._WORKING == {}


def test_frames_of_one_new_program_asked_for_at_once_share_one_analysis(monkeypatch):
    """Slides showing one `/svg` frame, opened by many at once: one build, one dot run."""
    import threading

    from web import service

    service._analyses.clear()
    draw.clear_caches()
    runs = counted_builds(monkeypatch)
    builds = []
    real_build = service._build
    monkeypatch.setattr(service, "_build", lambda key: builds.append(key) or real_build(key))
    # Long enough that building it outlasts a thread's turn with the interpreter.
    source = "t0 = 0.5\nt1 = 1.5\n" + "".join(
        f"t{k} = tanh(t{k - 1}) * t{k - 2} + 0.1\n" for k in range(2, 60))
    start = threading.Barrier(8)

    def open_slide(_):
        start.wait()
        return service.frame_svg(source, service.Options(), 3)

    with ThreadPoolExecutor(8) as pool:
        frames_ = list(pool.map(open_slide, range(8)))
    assert len(builds) == 1 and len(runs) == 1
    assert all(frame == frames_[0] for frame in frames_) and frames_[0].startswith("<svg")
