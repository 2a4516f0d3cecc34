"""Helpers for the browser tests: the real app on a free port, and Debian's Chromium.

Chromium is launched from CHROMIUM_PATH (default /usr/bin/chromium); Playwright never
downloads a browser here. A missing browser is an error, not a reason to skip.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

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
def live_server() -> Iterator[str]:
    """The real app served from a background thread; yields its base URL."""
    from app import create_app

    app = create_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


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


def wait_for_graph(page, steps: int | None = None, timeout: float = 15_000) -> None:
    """Until the picture is on screen (and, if given, the counter shows `/ steps`)."""
    page.wait_for_selector("#graph svg g.node", timeout=timeout)
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
