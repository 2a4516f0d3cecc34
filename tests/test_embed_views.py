"""web/embed_views.py: the reveal.js plugin's route, and who may frame or import what."""

from __future__ import annotations

import re
from urllib.parse import quote

from autodiff.examples import by_slug

REUSE = by_slug("reuse").source


def frame_ancestors(response) -> str | None:
    found = re.search(r"frame-ancestors ([^;]+)", response.headers.get("Content-Security-Policy", ""))
    return found.group(1).strip() if found else None


def test_the_plugin_is_an_es_module_any_origin_may_import(client):
    res = client.get("/plugins/reveal-backprop.js")
    assert res.status_code == 200
    assert res.mimetype == "text/javascript"
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    body = res.get_data(as_text=True)
    assert re.search(r"^export default \{ id: \"backprop\", init \};$", body, re.M)
    assert "eval(" not in body and "innerHTML" not in body


def test_any_site_may_frame_the_embed(client):
    res = client.get(f"/embed?src={quote(REUSE)}")
    assert frame_ancestors(res) == "*"
    assert res.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Frame-Options" not in res.headers


def test_no_other_route_may_be_framed_by_another_site(app, client):
    """Every GET route without a path parameter, given a program: 'none' or 'self' only."""
    paths = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and not rule.arguments})
    assert {"/", "/embed", "/svg", "/png", "/plugins/reveal-backprop.js"} <= set(paths)
    for path in paths:
        if path == "/embed":
            continue
        res = client.get(f"{path}?src={quote(REUSE)}")
        assert frame_ancestors(res) in ("'none'", "'self'"), (path, res.status_code)
        if path != "/plugins/reveal-backprop.js":
            assert "Access-Control-Allow-Origin" not in res.headers, path
