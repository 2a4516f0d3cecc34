"""Short links on the web: `POST /api/links` stores one, `/s/<id>` opens the page there, and
every route that draws takes `/<route>/<id>` (the id is resolved in `web.params`)."""

from __future__ import annotations

import math
import os
import time

from flask import Blueprint, Flask, current_app, g, render_template, request
from flask_limiter import Limiter, RateLimitExceeded

from .links import LinkNotFound, LinkStore, StoreError, content_of, database_url
from .links_cli import links_cli
from .params import params

bp = Blueprint("links", __name__)

ID_ROUTES = ("/embed", "/svg", "/png", "/pdf", "/pptx", "/gif", "/zip", "/tex", "/standalone")
"""Routes that draw, each of which also answers `<route>/<id>` for a stored link (when the
route exists: `register_links` runs after every other view is registered)."""

PAGE_ENDPOINTS = ("index", "embed")
"""Endpoints that answer with a page, so their errors are pages too."""

DEFAULT_RATE_LIMIT = "30 per minute; 300 per day"
"""Links one client address may store; content-addressed ids make repeats cost nothing."""

RETRY_AFTER_S = 30
"""What a 503 from the store suggests to wait."""


@bp.post("/api/links")
def store_link():
    """Store a program with its view options: `{"id", "url": "/s/<id>"}` (201 when new)."""
    link, new = links_store().put(content_of(params()))
    return {"id": link.id, "url": f"/s/{link.id}"}, 201 if new else 200


def links_store() -> LinkStore:
    """The app's link store."""
    return current_app.extensions["links"]


def register_links(app: Flask) -> None:
    """Short links on an app: the store (made on first use), the routes that take an id,
    the limit on storing, the error answers and `flask links ...`."""
    app.config.setdefault("DATABASE_URL", os.environ.get("DATABASE_URL"))
    app.config.setdefault("LINKS_RATE_LIMIT", os.environ.get("LINKS_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    app.config.setdefault("RATELIMIT_STORAGE_URI",
                          os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
    app.extensions["links"] = LinkStore(database_url(app.instance_path, app.config["DATABASE_URL"]))
    app.register_blueprint(bp)
    app.add_url_rule("/s/<link_id>", endpoint="index", methods=["GET"])
    for rule in list(app.url_map.iter_rules()):
        if rule.rule in ID_ROUTES:
            app.add_url_rule(f"{rule.rule}/<link_id>", endpoint=rule.endpoint, methods=["GET"])
    app.url_value_preprocessor(_take_link_id)
    app.context_processor(_base_href)
    limiter = app.extensions["links_limiter"] = Limiter(client_address, app=app)
    limiter.limit(lambda: current_app.config["LINKS_RATE_LIMIT"], methods=["POST"])(bp)
    app.register_error_handler(LinkNotFound, _not_found)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.cli.add_command(links_cli)


def client_address() -> str:
    """Whom the limit on storing counts against: the peer's address; for a request that came
    over gunicorn's unix socket (only the image's own nginx reaches it, `make serve`) the
    address nginx added last to X-Forwarded-For (the ones before it are the client's word)."""
    if request.remote_addr:
        return request.remote_addr
    forwarded = request.headers.get("X-Forwarded-For", "")
    return forwarded.rsplit(",", 1)[-1].strip() or "unknown"


def _take_link_id(_endpoint, values: dict | None) -> None:
    """`/<route>/<id>`: the id is kept for `web.params`, so views need no argument for it."""
    if values and "link_id" in values:
        g.link_id = values.pop("link_id")


def _base_href() -> dict:
    """Pages under /s/ and /embed/ resolve their relative URLs from the app's root."""
    return {"base_href": f"{request.script_root}/" if g.get("link_id") else None}


def _error(message: str, status: int, page_title: str):
    if request.endpoint in PAGE_ENDPOINTS:
        return render_template("message.html", title=page_title, message=message), status
    return {"error": {"message": message, "line": None, "col": None}}, status


def _not_found(err: LinkNotFound):
    return _error("There is no link with this id: it may be mistyped or cut short, or it was "
                  "removed.", 404, "Link not found")


def _store_error(err: StoreError):
    current_app.logger.error("link store: %s (%r)", err.message, err.__cause__)
    body, status = _error(err.message, 503, "Links unavailable")
    return body, status, {"Retry-After": str(RETRY_AFTER_S)}


def _too_many(err: RateLimitExceeded):
    limit = err.limit.limit if err.limit else None
    rate = f" (at most {limit})" if limit else ""
    body, status = _error(f"too many links stored from your address{rate}; wait a little "
                          "and try again", 429, "Too many links")
    current = current_app.extensions["links_limiter"].current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else RETRY_AFTER_S
    return body, status, {"Retry-After": str(wait)}
