"""Faults of the server and hostile requests, through the app: the right status, a clear
message, and nothing a fault leaves behind (a missing or broken Graphviz is never the
program's fault, and is recovered from as soon as it is fixed)."""

import json

import pytest

from autodiff import draw
from autodiff.draw import graphviz

REUSE = "w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)"
REAL_DOT = graphviz.dot_binary()


@pytest.fixture
def stand_in(monkeypatch, tmp_path):
    """A script in dot's place that the test rewrites: missing, crashing, hanging, restored."""
    path = tmp_path / "dot"
    monkeypatch.setattr(graphviz, "dot_binary", lambda: str(path))
    monkeypatch.setattr(graphviz, "WARM_SPARE", False)
    draw.clear_caches()

    def become(state: str) -> None:
        scripts = {
            "crashing": "cat > /dev/null; kill -SEGV $$",
            "hanging": "exec sleep 30",
            "restored": f'exec {REAL_DOT} "$@"',
        }
        if state == "missing":
            path.unlink(missing_ok=True)
            return
        path.write_text("#!/bin/sh\n" + scripts[state] + "\n")
        path.chmod(0o755)

    yield become
    draw.clear_caches()


@pytest.mark.parametrize("route", ["/svg", "/png"])
@pytest.mark.parametrize("state", ["missing", "crashing"])
def test_a_broken_graphviz_is_a_503_with_retry_after_then_recovered(client, stand_in, route, state):
    stand_in(state)
    res = client.get(route, query_string={"src": REUSE})
    assert res.status_code == 503
    assert int(res.headers["Retry-After"]) > 0
    assert "Graphviz" in res.get_json()["error"]["message"]
    assert client.get("/healthz").status_code == 503
    stand_in("restored")
    assert client.get("/healthz").status_code == 200
    res = client.get(route, query_string={"src": REUSE})
    assert res.status_code == 200  # the failure was not kept as the program's


@pytest.mark.slow
def test_a_hanging_graphviz_is_not_a_too_large_graph(client, stand_in):
    """(Waits for dot's whole time limit.)"""
    stand_in("hanging")
    res = client.get("/svg", query_string={"src": "x = 1.0\ny = 2 * x"})
    assert res.status_code == 503
    assert "too large" not in res.get_json()["error"]["message"]


def test_api_graph_keeps_values_and_says_graphviz_is_unavailable(client, stand_in):
    stand_in("missing")
    res = client.get("/api/graph", query_string={"src": REUSE})
    body = res.get_json()
    assert res.status_code == 200 and body["gradients"]["w1"] == pytest.approx(-5.2813645428)
    assert "could not be started" in body["layout_error"]
    stand_in("restored")
    assert client.get("/api/graph", query_string={"src": REUSE}).get_json()["layout"]["svg"]


def test_json_nested_5000_levels_is_a_clean_400(client, caplog):
    res = client.post("/api/graph", data="[" * 5000 + "]" * 5000, content_type="application/json")
    assert res.status_code == 400
    assert "nested too deeply" in res.get_json()["error"]["message"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("field", ["src", "dtype", "forward", "errors", "layout_key"])
@pytest.mark.parametrize("value", [5, None, ["float32"], {"a": 1}, True])
def test_a_text_field_that_is_not_a_string_is_refused(client, field, value):
    body = {"src": "x = 2.0\ny = x * x", field: value}
    res = client.post("/api/graph", data=json.dumps(body), content_type="application/json")
    assert res.status_code == 400
    assert res.get_json()["error"]["message"].startswith(f'"{field}" must be a string')


def test_a_boolean_edge_labels_in_json_is_read_as_meant(client):
    body = {"src": "x = 2.0\ny = x * x", "edge_labels": True}
    res = client.post("/api/graph", json=body)
    assert 'class="local"' in res.get_json()["layout"]["svg"]


def test_405_says_which_methods_are_allowed(client):
    res = client.delete("/svg")
    assert res.status_code == 405
    assert set(res.headers["Allow"].split(", ")) >= {"GET", "HEAD"}
    assert res.is_json


@pytest.mark.parametrize("route", ["/svg", "/png"])
def test_frames_may_be_kept_and_framed_only_by_our_pages(client, route):
    res = client.get(route, query_string={"src": REUSE, "step": 3})
    assert res.status_code == 200
    assert "immutable" in res.headers["Cache-Control"]
    if route == "/svg":
        assert "frame-ancestors 'self'" in res.headers["Content-Security-Policy"]


def test_static_svgs_are_not_framed_by_other_sites(client):
    res = client.get("/static/favicon.svg")
    assert "frame-ancestors 'self'" in res.headers["Content-Security-Policy"]


def test_errors_are_never_kept_by_caches(client):
    res = client.get("/svg", query_string={"src": "x = "})
    assert res.status_code == 400 and "Cache-Control" not in res.headers


def amplifier(lines: int, tag: str = "") -> str:
    """Finding 2: lines over one 64-element vector; every step prints the arrays it reads."""
    v = "[" + ", ".join(str(i % 7 + 1) for i in range(64)) + "]"
    body = [f"a{k}=a{k - 1}" + ("*v" if k % 2 else "+v") for k in range(1, lines)]
    return "\n".join([f"v = {v}", "a0 = v*0.5", *body, f"y = sum(a{lines - 1})  # {tag}"])


def test_a_small_program_with_a_huge_answer_is_refused_naming_the_bound(client, monkeypatch):
    """413 before reverse mode, the texts, the JSON or dot: the bound comes from the
    evaluated program alone."""
    from web import service

    def never(*_):
        raise AssertionError("worked on a program it refuses")

    monkeypatch.setattr(service, "differentiate", never)
    monkeypatch.setattr(service, "trace_structure", never)
    src = amplifier(1450)
    assert len(src) < 20_000
    for body in ({"src": src}, {"src": src, "layout_key": "known"}):
        res = client.post("/api/graph", json=body)
        assert res.status_code == 413
        message = res.get_json()["error"]["message"]
        assert "MB of JSON; the limit is 32 MB" in message and "smaller arrays" in message
    assert client.get("/svg", query_string={"src": src}).status_code == 413
    said = client.post("/api/graph", json={"src": src, "errors": "body"})
    assert said.status_code == 200 and "32 MB" in said.get_json()["error"]["message"]


def test_a_descent_whose_points_would_be_too_large_is_refused_before_it_runs(client):
    """Every point of a descent lists every input and its gradient: 500 updates of a 64 x 64
    input would answer about 80 MB; refused up front, saying how many updates fit."""
    matrix = "[" + ",".join(["[" + ",".join(["1"] * 64) + "]"] * 64) + "]"
    src = f"A = {matrix}\ny = sum(A*A)"
    res = client.post("/api/graph", json={"src": src, "lr": "0.01", "updates": "500"})
    assert res.status_code == 413
    message = res.get_json()["error"]["message"]
    most = int(message.rsplit("at most ", 1)[1].split()[0])
    assert "the limit is 32 MB" in message and 100 < most < 500
    fits = client.post("/api/graph", json={"src": src, "lr": "0.01", "updates": str(most)})
    assert fits.status_code == 200 and len(fits.data) < 32_000_000


def test_kept_analyses_are_bounded_in_bytes(client, monkeypatch):
    from web import service

    monkeypatch.setattr(service._analyses, "max_bytes", 3_000_000)
    service._analyses.clear()
    for k in range(6):
        assert client.post("/api/graph", json={"src": amplifier(60, str(k))}).status_code == 200
        assert service._analyses.bytes <= 3_000_000
    assert 1 <= len(service._analyses) < 6
    service._analyses.clear()
