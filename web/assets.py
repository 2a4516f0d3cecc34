"""The page's own files under URLs that name their content, so browsers keep them for good.

Each file in `static/` is asked for as `/static/<name>?v=<hash of its bytes>`: a changed file
has a new URL, so an answer to a URL with the file's current hash may be kept a year
(`immutable`), and a visitor coming back loads the page's modules without asking again. The
modules import each other by plain relative names (`./stepper.js`); the page's import map
sends each of those to its versioned URL. The map is inline, so the page's Content Security
Policy names its hash (`import_map_source`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import Flask, request, url_for
from werkzeug.wrappers import Response

from .encode import script_json

STATIC = Path(__file__).resolve().parent.parent / "static"
KEPT = "public, max-age=31536000, immutable"
"""How long a versioned file may be kept: a year (its URL changes with its content)."""


@lru_cache(maxsize=256)
def version(name: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of `static/<name>`, or None if there is none.
    Read once per process: a deploy restarts the workers."""
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    """The URL of `static/<name>` with its version."""
    return url_for("static", filename=name, v=version(name))


@lru_cache(maxsize=16)
def _import_map(root: str) -> tuple[str, str]:
    """The import map's text and the CSP source of its hash, for an app served under `root`
    (the script root: the URLs `url_for` makes depend on nothing else)."""
    imports = {url_for("static", filename=path.name): asset_url(path.name)
               for path in sorted(STATIC.glob("*.js"))}
    text = script_json({"imports": imports})
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return text, f"'sha256-{digest}'"


def import_map() -> str:
    """The page's import map (inside `<script type="importmap">`)."""
    return _import_map(request.script_root)[0]


def import_map_source() -> str:
    """The page's import map as a CSP source: the hash of its text."""
    return _import_map(request.script_root)[1]


IMPORT = re.compile(r'^(?:import|export)\b[^;]*?\bfrom\s+"\./([\w-]+\.js)"', re.M)
"""A static import of a sibling module (`import { x } from "./y.js";`), at a line's start."""


@lru_cache(maxsize=16)
def modules(entry: str) -> tuple[str, ...]:
    """`static/<entry>` and every module it imports, directly or not, in the order they are
    first reached: the page names them all in its head (`modulepreload`), so the browser asks
    for them at once instead of level by level as each one's imports are read."""
    found: list[str] = []
    todo = [entry]
    while todo:
        name = todo.pop(0)
        if name in found or version(name) is None:
            continue
        found.append(name)
        todo.extend(IMPORT.findall((STATIC / name).read_text(encoding="utf-8")))
    return tuple(found)


def _keep_versioned(response: Response) -> Response:
    """An answer for a static file's current version may be kept for good; any other
    static answer is checked again each time (Flask's default)."""
    if request.endpoint == "static" and response.status_code == 200:
        name = request.view_args.get("filename", "") if request.view_args else ""
        if request.args.get("v") and request.args.get("v") == version(name):
            response.headers["Cache-Control"] = KEPT
    return response


def register_assets(app: Flask) -> None:
    """Versioned static URLs for the templates, and their caching."""
    app.jinja_env.globals.update(asset_url=asset_url, import_map=import_map, modules=modules)
    app.after_request(_keep_versioned)
