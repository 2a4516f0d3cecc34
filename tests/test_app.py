"""The HTTP contract: routes, JSON shape, errors with positions, headers, limits."""

import json
import math
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest
from hostile import load_hostile

from autodiff.examples import by_slug

REUSE = by_slug("reuse").source


def get_graph(client, src, **params):
    query = "&".join(f"{k}={quote(str(v))}" for k, v in {"src": src, **params}.items())
    return client.get(f"/api/graph?{query}")


def test_graph_json_follows_the_contract(client):
    res = get_graph(client, REUSE)
    assert res.status_code == 200
    body = res.get_json()
    assert body["inputs"] == ["w1", "w2"]
    assert body["output"] == body["nodes"][-1]["id"]
    first = body["nodes"][0]
    assert {"id", "name", "op", "value", "grad", "shape"} <= set(first)
    assert first["op"] == "input" and first["name"] == "w1" and first["shape"] == []
    assert {"src", "dst", "local"} <= set(body["edges"][0])
    assert body["steps"][0]["phase"] == "forward"
    assert body["steps"][0]["text"] == "z1 = 3 · w1 = 3 · 2 = 6"
    assert body["gradients"]["w1"] == -5.2813645428134075
    assert body["gradients"]["w2"] == -1.8759999535494778
    assert body["layout"]["svg"].startswith("<svg")


def test_local_derivative_on_edges(client):
    body = get_graph(client, REUSE).get_json()
    ids = {n["id"]: n["name"] for n in body["nodes"]}
    into_z3 = [e for e in body["edges"] if ids[e["dst"]] == "z3"]
    assert into_z3[0]["local"] == pytest.approx(-math.sin(7.5), rel=1e-15)


def test_post_json_body_matches_get(client):
    res = client.post("/api/graph", json={"src": REUSE})
    assert res.status_code == 200
    assert res.get_json()["gradients"] == get_graph(client, REUSE).get_json()["gradients"]


def test_known_layout_is_not_sent_again(client):
    first = get_graph(client, REUSE).get_json()
    changed = REUSE.replace("w1 = 2.0", "w1 = 2.5")
    again = get_graph(client, changed, layout_key=first["layout"]["key"]).get_json()
    assert again["layout"]["key"] == first["layout"]["key"]
    assert again["layout"]["svg"] is None
    assert again["gradients"]["w1"] != first["gradients"]["w1"]


@pytest.mark.parametrize("w1", [2.5, -1.25, 0.0, 1e-8, -40.0])
def test_a_moving_slider_answers_as_a_new_program_would(client, w1):
    """Moving w1's slider replays the kept trace (only a number changed): the answer must be
    the one evaluating afresh gives, with the hand-derived gradients
    d/dw1 w1·cos(3w1 + w2) = cos(3w1 + w2) - 3·w1·sin(3w1 + w2), d/dw2 = -w1·sin(3w1 + w2)."""
    from autodiff import parser
    from autodiff.evaluate import clear_known_traces
    from web import service

    key = get_graph(client, REUSE).get_json()["layout"]["key"]
    moved = REUSE.replace("w1 = 2.0", f"w1 = {w1!r}")
    replayed = get_graph(client, moved, layout_key=key)
    service._analyses.clear()
    clear_known_traces()
    parser.clear_known_statements()
    fresh = get_graph(client, moved, layout_key=key)
    assert replayed.status_code == fresh.status_code == 200
    assert replayed.data == fresh.data
    body, u = replayed.get_json(), 3 * w1 + 1.5
    assert body["layout"] == {"key": key, "svg": None}
    assert body["gradients"]["w1"] == pytest.approx(math.cos(u) - 3 * w1 * math.sin(u),
                                                    rel=1e-14, abs=1e-300)
    assert body["gradients"]["w2"] == pytest.approx(-w1 * math.sin(u), rel=1e-14, abs=1e-300)


def test_user_error_is_400_with_position(client):
    res = get_graph(client, "w1 = 2\nw2 = 1\ny = w1 * w3")
    assert res.status_code == 400
    error = res.get_json()["error"]
    assert error == {
        "message": "name 'w3' has no value; add a line such as 'w3 = 1.0'",
        "line": 3,
        "col": 10,
    }


TYPO = "w1 = 2\nw2 = 1\ny = w1 * w3"


def test_errors_status_is_the_default(client):
    as_400 = get_graph(client, TYPO)
    assert get_graph(client, TYPO, errors="status").get_json() == as_400.get_json()
    assert get_graph(client, TYPO, errors="status").status_code == 400


@pytest.mark.parametrize("how", ["query", "json", "form"])
def test_errors_body_answers_a_user_error_with_200(client, how):
    """The page's own calls: Chrome logs every 400 as a failed resource in the console."""
    expected = get_graph(client, TYPO).get_json()
    assert expected["error"]["line"] == 3
    if how == "query":
        res = get_graph(client, TYPO, errors="body")
    elif how == "json":
        res = client.post("/api/graph", json={"src": TYPO, "errors": "body"})
    else:
        res = client.post("/api/graph", data={"src": TYPO, "errors": "body"})
    assert res.status_code == 200 and res.mimetype == "application/json"
    assert res.get_json() == expected


@pytest.mark.parametrize("source", ["x = 1\nf = x ^ 2", "f = [[[1]]]", "x = 1e309", ""])
def test_errors_body_carries_the_same_error_for_every_kind(client, source):
    expected = client.post("/api/graph", json={"src": source})
    assert expected.status_code == 400
    res = client.post("/api/graph", json={"src": source, "errors": "body"})
    assert res.status_code == 200 and res.get_json() == expected.get_json()


def test_errors_body_leaves_a_good_answer_alone(client):
    res = get_graph(client, REUSE, errors="body")
    assert res.status_code == 200
    assert res.get_json()["gradients"] == get_graph(client, REUSE).get_json()["gradients"]


def test_errors_body_covers_missing_src_and_bad_options(client):
    res = client.get("/api/graph?errors=body")
    assert res.status_code == 200 and "src" in res.get_json()["error"]["message"]
    res = get_graph(client, REUSE, errors="body", dtype="float16")
    assert res.status_code == 200 and "dtype" in res.get_json()["error"]["message"]


def test_an_unknown_errors_style_is_400(client):
    res = get_graph(client, REUSE, errors="quiet")
    assert res.status_code == 400
    assert res.get_json()["error"]["message"] == "errors must be status or body"


@pytest.mark.parametrize("where", ["query", "json"])
def test_errors_body_cannot_turn_413_into_200(client, where):
    big = {"src": "x = 1\n" * 40_000}
    if where == "query":
        res = client.post("/api/graph?errors=body", json=big)
    else:
        res = client.post("/api/graph", json={**big, "errors": "body"})
    assert res.status_code == 413
    assert "KiB" in res.get_json()["error"]["message"]


@pytest.mark.parametrize("where", ["query", "json"])
def test_errors_body_cannot_turn_500_into_200(app, monkeypatch, where):
    import app as app_module

    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(app_module, "graph_answer", broken)
    client = app.test_client()
    if where == "query":
        res = get_graph(client, REUSE, errors="body")
    else:
        res = client.post("/api/graph", json={"src": REUSE, "errors": "body"})
    assert res.status_code == 500
    assert res.get_json()["error"]["message"].startswith("internal error")


def test_too_many_dimensions_is_a_limit_400_with_position(client):
    res = get_graph(client, "x = 1\nA = [[[1, 2]]]\nf = sum(A)")
    assert res.status_code == 400
    assert res.get_json()["error"] == {
        "message": "this array has more than 2 dimensions; the limit is 2 (rows and columns)",
        "line": 2, "col": 7,
    }


def test_a_negated_list_literal_is_an_input(client):
    body = get_graph(client, "x = -[[1, 2], [3, 4]]\nf = sum(x * x)").get_json()
    assert body["inputs"] == ["x"]
    first = body["nodes"][0]
    assert (first["name"], first["op"], first["shape"]) == ("x", "input", [2, 2])
    assert first["value"] == [[-1.0, -2.0], [-3.0, -4.0]]
    assert body["gradients"]["x"] == [[-2.0, -4.0], [-6.0, -8.0]]  # 2x, by hand
    assert body["check"]["total"] == 4 and all(row["ok"] for row in body["check"]["rows"])


def test_a_negated_list_literal_in_an_expression_is_no_input(client):
    body = get_graph(client, "x = -[1, 2] * 2\nf = sum(x)").get_json()
    assert body["inputs"] == [] and body["value"] == -6
    assert {n["name"]: n["op"] for n in body["nodes"]}["x"] == "mul"


def test_missing_src_is_400(client):
    res = client.get("/api/graph")
    assert res.status_code == 400
    assert "src" in res.get_json()["error"]["message"]


def test_non_finite_numbers_are_strings(client):
    body = get_graph(client, "x = 0\nf = x/x").get_json()
    assert body["value"] == "NaN"
    assert body["gradients"]["x"] == "NaN"
    assert body["problems"]


def test_oversized_body_is_413(client):
    res = client.post("/api/graph", json={"src": "x = 1\n" * 40_000})
    assert res.status_code == 413
    assert "KiB" in res.get_json()["error"]["message"]


@pytest.mark.parametrize("category,source,expected", load_hostile())
def test_hostile_inputs_never_5xx(client, category, source, expected):
    # Encoded here with ASCII escapes: a lone surrogate is valid JSON text but not UTF-8.
    res = client.post("/api/graph", data=json.dumps({"src": source}),
                      content_type="application/json")
    assert res.status_code in (200, 400), res.data[:300]
    body = res.get_json()
    if expected == "error":
        assert res.status_code == 400
    if expected in ("ok", "nan-shown"):
        assert res.status_code == 200
    if res.status_code == 400:
        assert body["error"]["message"]
        assert body["error"]["line"] >= 1 and body["error"]["col"] >= 1
    if expected == "ok":
        assert all(isinstance(v, float) for v in _numbers(body["gradients"]))
    if expected == "nan-shown":
        flat = _numbers([n["value"] for n in body["nodes"]] + [n["grad"] for n in body["nodes"]])
        assert any(v in ("NaN", "Infinity", "-Infinity") for v in flat)


@pytest.mark.parametrize("category,source,expected", load_hostile())
def test_hostile_inputs_with_errors_body_are_200_with_the_same_body(client, category, source,
                                                                   expected):
    data = json.dumps({"src": source})
    plain = client.post("/api/graph", data=data, content_type="application/json")
    data = json.dumps({"src": source, "errors": "body"})
    res = client.post("/api/graph", data=data, content_type="application/json")
    assert res.status_code == 200, res.data[:300]
    if plain.status_code == 400:
        assert res.get_json() == plain.get_json()
    else:
        assert "error" not in res.get_json() and res.get_json()["nodes"]


def _numbers(tree):
    if isinstance(tree, dict):
        tree = list(tree.values())
    if isinstance(tree, list):
        return [x for item in tree for x in _numbers(item)]
    return [] if tree is None else [tree]


def test_svg_frame_is_standalone(client):
    res = client.get(f"/svg?src={quote(REUSE)}&step=0")
    assert res.status_code == 200
    assert res.mimetype == "image/svg+xml"
    text = res.get_data(as_text=True)
    assert text.lstrip().startswith("<svg") and "<style" in text
    assert "<script" not in text.lower()
    assert res.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_png_frame(client):
    res = client.get(f"/png?src={quote(REUSE)}&step=3")
    assert res.status_code == 200
    assert res.mimetype == "image/png"
    assert res.data.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("step", ["abc", "-1", "1.5"])
def test_bad_step_is_400(client, step):
    res = client.get(f"/svg?src={quote(REUSE)}&step={step}")
    assert res.status_code == 400


def test_page_headers(client):
    res = client.get("/")
    assert res.status_code == 200
    csp = res.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Referrer-Policy"] == "no-referrer"


def test_embed_is_frameable(client):
    res = client.get(f"/embed?src={quote(REUSE)}")
    assert res.status_code == 200
    assert "frame-ancestors *" in res.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in res.headers


def test_boot_json_cannot_close_its_script_block(client):
    res = client.get("/?src=" + quote("</script><script>alert(1)</script>"))
    html = res.get_data(as_text=True)
    assert "</script><script>alert(1)" not in html


def test_healthz(client):
    res = client.get("/healthz")
    assert res.status_code == 200
    assert res.get_json() == {"status": "ok"}


def test_unknown_route_is_json_404(client):
    res = client.get("/nope")
    assert res.status_code == 404
    assert res.get_json()["error"]["message"]


def test_gradients_match_finite_differences_in_check_table(client):
    body = get_graph(client, by_slug("dense").source).get_json()
    assert body["check"]["total"] == 15
    for row in body["check"]["rows"]:
        assert row["ok"], row
        assert np.isclose(row["autodiff"], row["numeric"], rtol=1e-5, atol=1e-8)


def test_json_has_no_bare_nan(client):
    res = get_graph(client, "f = sqrt(-1)")
    json.loads(res.get_data(as_text=True), parse_constant=lambda c: pytest.fail(c))


@pytest.mark.slow
def test_a_name_reassigned_at_every_line_keeps_the_answer_small():
    """`x = x*x` on every line names each step's value after x: numbered labels (x₄, ...) keep
    every label, and each step text quoting them, short (primes made this 190 MB)."""
    from web.service import Options, analyse

    source = "x = 1.0001\n" + "x = x*x\n" * 1990 + "f = x"
    body = analyse(source, Options()).body
    assert len(body) < 8_000_000
    answer = json.loads(body)
    assert max(len(node["name"]) for node in answer["nodes"]) <= 6
    assert answer["gradients"]["x"] == "Infinity"


def test_the_spare_dot_starts_once_an_answer_is_sent(client):
    """Starting the next warm `dot` waits until the server has sent the answer (`close`)."""
    from autodiff.draw import graphviz

    graphviz._SPARE.drop()
    response = client.get("/api/examples")
    assert response.status_code == 200 and graphviz._SPARE._dot is None
    response.close()
    assert graphviz._SPARE._dot is not None and graphviz._SPARE._dot.proc.poll() is None


@pytest.mark.parametrize("src", ["1", "x = 2\n3", "pi"])
def test_a_constant_output_answers_with_its_picture(client, src):
    """A program whose output is a constant has only the seed step (found by the fuzzer: the
    last frame once asked the constant for a gradient it does not have)."""
    response = client.post("/api/graph", json={"src": src})
    body = response.get_json()
    assert response.status_code == 200 and body["steps"][-1]["kind"] == "seed"
    assert 'class="node kind-const output current grad-final"' in body["layout"]["svg"]


def test_tune_gc_freezes_what_is_loaded_and_waits_longer_for_young_collections():
    import gc
    import runpy

    from app import GC_THRESHOLDS, tune_gc

    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS and gc.get_freeze_count() > 0
        gc.unfreeze()
        gc.set_threshold(*before)
        conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
        conf["post_worker_init"](None)  # what each gunicorn worker runs once the app is loaded
        assert gc.get_threshold() == GC_THRESHOLDS and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
