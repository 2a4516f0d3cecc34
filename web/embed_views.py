"""What slide decks load from the app: the reveal.js plugin, and the headers that let any
site frame `/embed` and import the plugin as a module."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory

embed_views = Blueprint("embed", __name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
PLUGIN = "reveal-backprop.js"
SHARED_PATHS = ("/embed", f"/plugins/{PLUGIN}")
"""Routes any origin may use: a deck imports the plugin as a module and frames the embed."""


@embed_views.get(f"/plugins/{PLUGIN}")
def reveal_plugin():
    """The reveal.js plugin: an ES module whose default export is the plugin object."""
    return send_from_directory(STATIC, PLUGIN, mimetype="text/javascript", max_age=3600)


@embed_views.after_app_request
def open_to_every_origin(response: Response) -> Response:
    """`Access-Control-Allow-Origin: *` on the routes a deck on another site uses."""
    if request.path in SHARED_PATHS or request.endpoint == "embed":  # and /embed/<link id>
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response
