"""The page's own files under versioned URLs: kept for good when current, checked otherwise,
and every module reached through the page's import map, which its policy allows by hash."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"
PAGES = ["/", "/embed?src=" + quote("x = 1\nf = x * 2"), "/?mode=practice&example=reuse"]


def import_map_of(html: str) -> str:
    return re.search(r'<script type="importmap">(.*?)</script>', html, re.S).group(1)


@pytest.mark.parametrize("url", PAGES)
def test_every_module_is_mapped_to_the_url_of_its_content(client, url):
    res = client.get(url)
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    imports = json.loads(import_map_of(html))["imports"]
    scripts = sorted(STATIC.glob("*.js"))
    assert sorted(imports) == [f"/static/{p.name}" for p in scripts]
    for path in scripts:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        assert imports[f"/static/{path.name}"] == f"/static/{path.name}?v={digest}"
    module = re.search(r'<script type="module" src="([^"]+)"', html).group(1)
    assert module in imports.values()  # the page's own script by the same URL as its imports
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert css == f"/static/style.css?v={hashlib.sha256((STATIC / 'style.css').read_bytes()).hexdigest()[:12]}"


@pytest.mark.parametrize("url", PAGES)
def test_the_policy_allows_the_import_map_and_no_other_inline_script(client, url):
    res = client.get(url)
    text = import_map_of(res.get_data(as_text=True))
    allowed = re.search(r"script-src ([^;]+)", res.headers["Content-Security-Policy"]).group(1).split()
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert allowed == ["'self'", f"'sha256-{digest}'"]


def test_a_current_version_is_kept_for_good_and_anything_else_is_checked_again(client):
    html = client.get("/").get_data(as_text=True)
    current = json.loads(import_map_of(html))["imports"]["/static/stepper.js"]
    kept = client.get(current)
    assert kept.status_code == 200 and kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for url in ["/static/stepper.js", "/static/stepper.js?v=000000000000", "/static/stepper.js?v="]:
        res = client.get(url)
        assert res.status_code == 200 and "immutable" not in res.headers.get("Cache-Control", ""), url
    assert client.get("/static/nothing.js?v=abc").status_code == 404


def test_the_map_follows_a_script_root(app):
    with app.test_request_context("/", base_url="http://example.org/autodiff/"):
        from web.assets import import_map

        imports = json.loads(import_map())["imports"]
    assert all(k.startswith("/autodiff/static/") and v.startswith(k + "?v=") for k, v in imports.items())


@pytest.mark.browser
@pytest.mark.parametrize("url", PAGES)
def test_the_head_names_every_module_the_page_loads_and_no_other(chromium, live_app, url):
    """`modulepreload`: asked for at once, not level by level as each import is read."""
    context = chromium.new_context()
    page = context.new_page()
    loaded, warned = [], []
    page.on("request", lambda r: ".js?v=" in r.url and loaded.append(r.url))
    page.on("console", lambda m: m.type == "warning" and "preload" in m.text and warned.append(m.text))
    page.goto(live_app + url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    named = page.evaluate("[...document.querySelectorAll('link[rel=modulepreload]')].map(l => l.href)")
    entry = page.evaluate("document.querySelector('script[type=module]').src")
    assert len(named) >= 3 and entry not in named
    assert sorted({*named, entry}) == sorted(set(loaded))
    assert warned == []
    context.close()
