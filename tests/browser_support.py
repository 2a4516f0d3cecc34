"""Helpers for the browser tests: the real app on a free port, and Debian's Chromium.

Chromium is launched from CHROMIUM_PATH (default /usr/bin/chromium); Playwright never
downloads a browser here. A missing browser is an error, not a reason to skip.
"""

from __future__ import annotations

import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

from werkzeug.serving import make_server

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

VIEWPORT = {"width": 1280, "height": 720}

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def chromium_path() -> str:
    """The browser binary; raises (so tests fail, not skip) when it is missing."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(
            f"Chromium not found at {path!r}: install it (apt-get install chromium, or "
            "`make browser-deps`) or point CHROMIUM_PATH at a Chromium/Chrome binary"
        )
    return path


def launch(playwright):
    """Chromium through Playwright with the flags this environment needs."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


@contextmanager
def serving(server, name: str) -> Iterator[str]:
    """Run a WSGI or http.server server on a background thread; yields its base URL."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextmanager
def live_server() -> Iterator[str]:
    """The real app served from a background thread; yields its base URL."""
    from app import create_app

    with serving(make_server("127.0.0.1", 0, create_app(), threaded=True), "browser-test-server") as base:
        yield base


class Console:
    """Console errors and uncaught exceptions of one page (and the frames in it)."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


def page_url(base: str, src: str | None = None, step: int | None = None, **extra) -> str:
    """`base/?src=...&step=k`."""
    params = {}
    if src is not None:
        params["src"] = src
    if step is not None:
        params["step"] = str(step)
    params.update({k: str(v) for k, v in extra.items()})
    return f"{base}/?{urlencode(params)}" if params else f"{base}/"


# --- reading the page ---------------------------------------------------------------------

NODE_IDS_BY_NAME = """() => {
  const out = {};
  for (const g of document.querySelectorAll('#graph svg g.node')) {
    const label = g.querySelector('[id$="-label"]');
    if (label) out[label.textContent.trim()] = g.id;
  }
  return out;
}"""

FRAME_CLASSES = """() => {
  const out = {};
  for (const g of document.querySelectorAll('#graph svg g.node, #graph svg g.edge')) {
    out[g.id] = [...g.classList].sort().join(' ');
  }
  return out;
}"""

FRAME_TEXTS = """() => {
  const out = {};
  for (const t of document.querySelectorAll('#graph svg text[id]')) out[t.id] = t.textContent;
  return out;
}"""

NODE_BOXES = """() => {
  const out = {};
  for (const g of document.querySelectorAll('#graph svg g.node')) {
    const b = g.getBBox();
    const r = g.getBoundingClientRect();
    const outline = g.querySelector('.outline, polygon, path');
    out[g.id] = {
      bbox: [b.x, b.y, b.width, b.height].map((v) => Math.round(v * 100) / 100),
      rect: [r.x, r.y, r.width, r.height].map((v) => Math.round(v * 100) / 100),
      transform: g.getAttribute('transform'),
      outline: outline ? (outline.getAttribute('points') || outline.getAttribute('d')) : null,
    };
  }
  return out;
}"""


GRAPH_DRAWN = "#graph svg g.node:visible, #graph svg.graph-sketch:visible"
"""The picture is on screen: its node groups, or the sketch of one too large to read."""


def wait_for_graph(page, steps: int | None = None, timeout: float = 15_000) -> None:
    """Until the picture is on screen (and, if given, the counter shows `/ steps`)."""
    page.wait_for_selector(GRAPH_DRAWN, timeout=timeout)
    if steps is not None:
        page.wait_for_function(
            "n => document.querySelector('[data-step-counter]').textContent.includes(`/ ${n} ·`)",
            arg=steps,
            timeout=timeout,
        )


def counter(page) -> str:
    return page.inner_text("[data-step-counter]").strip()


def node_ids(page) -> dict[str, str]:
    return page.evaluate(NODE_IDS_BY_NAME)


def classes(page, element_id: str) -> set[str]:
    return set(page.evaluate("id => [...document.getElementById(id).classList]", element_id))


def text(page, element_id: str) -> str:
    return page.evaluate(
        "id => { const e = document.getElementById(id); return e ? e.textContent : null; }",
        element_id,
    )


# --- a second origin: slide decks and host pages ------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"


@contextmanager
def other_origin(pages: dict[str, str]) -> Iterator[str]:
    """A static site on another loopback port (so another origin than the app): `pages` maps
    a path to its HTML, and /reveal.js/... serves the reveal.js that `make test` installs."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    if not (NODE_MODULES / "reveal.js" / "dist" / "reveal.mjs").is_file():
        raise RuntimeError("reveal.js is not installed: run `make node-deps` (npm ci)")

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(NODE_MODULES), **kwargs)

        def do_GET(self):
            page = pages.get(self.path.split("?", 1)[0])
            if page is None:
                return super().do_GET()
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler), "other-origin") as base:
        yield base


def server_frame(server: str, src: str, k: int, **options) -> tuple[dict[str, str], dict[str, str]]:
    """The classes of every node and edge group and the text of every text with an id, in
    the server's `/svg` frame at step k (what FRAME_CLASSES and FRAME_TEXTS read on a page)."""
    with urlopen(f"{server}/svg?{urlencode({'src': src, 'step': k, **options})}") as answer:
        root = ET.fromstring(answer.read())
    found_classes, found_texts = {}, {}
    for el in root.iter():
        ident, tag = el.get("id"), el.tag.rsplit("}", 1)[-1]
        if ident and tag == "g" and {"node", "edge"} & set(el.get("class", "").split()):
            found_classes[ident] = " ".join(sorted(el.get("class").split()))
        elif ident and tag == "text":
            found_texts[ident] = el.text or ""
    return found_classes, found_texts
