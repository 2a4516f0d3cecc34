"""web.service: cached analyses and frames, shared by requests that come at once."""

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import orjson
import pytest
from drawing_support import counted_builds

from autodiff import draw
from autodiff.errors import EvaluationError
from web import service
from web.service import Options, analyse, frame_svg, graph_answer, normalise, parse_step


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


def test_the_cache_sees_one_program_however_its_lines_end():
    assert normalise("\r\nx = 1  \r\ny = x * 2\t\r\n\n") == "x = 1\ny = x * 2"
    assert normalise("x = 1\n\n\ny = x") == "x = 1\n\n\ny = x"  # blank lines inside stay


def test_analyses_are_cached_by_program_and_by_what_changes_the_numbers():
    service._analyses.clear()
    first = analyse("x = 2\nf = x * x\n", Options())
    assert analyse("x = 2  \r\nf = x * x", Options()) is first
    assert analyse("x = 2\nf = x * x", Options(edge_labels=True)) is first  # drawing only
    assert analyse("x = 2\nf = x * x", Options(dtype="float32")) is not first
    assert analyse("x = 2\nf = x * x", Options(forward="x")) is not first
    assert orjson.loads(first.body)["gradients"] == {"x": 4.0}


def test_an_answer_leaves_out_a_layout_the_page_already_has():
    source = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
    first = orjson.loads(graph_answer(source, Options()))
    key = first["layout"]["key"]
    assert first["layout"]["svg"].startswith("<svg")
    moved = orjson.loads(graph_answer(source.replace("2.0", "2.5"), Options(), key))
    assert moved["layout"] == {"key": key, "svg": None}
    u = 3 * 2.5 + 1.5  # hand-derived: d/dw1 w1 cos(3 w1 + w2) = cos(u) - 3 w1 sin(u)
    assert moved["gradients"]["w1"] == pytest.approx(math.cos(u) - 7.5 * math.sin(u), rel=1e-14)
    other = orjson.loads(graph_answer("a = 1\nf = a + 2", Options(), key))
    assert other["layout"]["svg"].startswith("<svg") and other["layout"]["key"] != key


def test_frames_differ_by_step_and_the_last_is_the_default():
    source = "x = 3\nf = x * x"
    first, last = frame_svg(source, Options(), 0), frame_svg(source, Options(), None)
    assert first.startswith("<svg") and first != last
    assert frame_svg(source, Options(), 10**6) == last  # out-of-range steps are clamped


@pytest.mark.parametrize("text, step", [(None, None), ("", None), ("0", 0), ("12", 12)])
def test_step_parameters(text, step):
    assert parse_step(text) == step


@pytest.mark.parametrize("text, message", [
    ("-1", "step must be 0 or more"),
    ("two", "step must be a whole number, not 'two'"),
    ("1.5", "step must be a whole number, not '1.5'"),
])
def test_bad_step_parameters_say_what_is_wrong(text, message):
    with pytest.raises(EvaluationError) as caught:
        parse_step(text)
    assert caught.value.message == message


def test_health_runs_the_engine_and_graphviz():
    assert service.health() is True
