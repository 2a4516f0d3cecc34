"""Short links on the web: `POST /api/links` stores one, `/s/<id>` opens the page there,
every route that draws takes `/<route>/<id>` (the id is resolved in `web.params`), and `/qr`
is the lecture hall's share: a QR code of the view, through its short link when it is long."""

from __future__ import annotations

import io
import math
import os
import time
from urllib.parse import urlencode

import segno
from flask import Blueprint, Flask, Response, current_app, g, render_template, request
from flask_limiter import Limiter, RateLimitExceeded

from autodiff.errors import AutodiffError
from autodiff.i18n import _

from .links import LinkNotFound, LinkStore, StoreError, content_of, database_url
from .links_cli import links_cli
from .links_limits import LinkStoreLimits  # noqa: F401 (registers links:// with limits)
from .params import options, params, source

bp = Blueprint("links", __name__)

ID_ROUTES = ("/embed", "/svg", "/png", "/pdf", "/pptx", "/gif", "/zip", "/tex", "/standalone")
"""Routes that draw, each of which also answers `<route>/<id>` for a stored link (when the
route exists: `register_links` runs after every other view is registered)."""

PAGE_ENDPOINTS = ("index", "embed")
"""Endpoints that answer with a page, so their errors are pages too."""

DEFAULT_RATE_LIMIT = "30 per minute; 300 per day"
"""Links one client address may store; content-addressed ids make repeats cost nothing."""

DEFAULT_LIMIT_STORAGE = "links://"
"""Where the limit on storing counts: the links database itself (`web.links_limits`), which
every worker and server already shares; `memory://` counts per worker, `redis://...` too."""

RETRY_AFTER_S = 30
"""What a 503 from the store suggests to wait."""

VIEW_PARAMS = (
    "src", "step", "theme", "direction", "edge_labels", "dtype", "forward", "mode", "font",
    "graph_only", "lr", "updates", "level", "given", "lang", "expand",
)  # fmt: skip
"""What of a view a QR code carries to the phone that scans it (the rest is the page's)."""

MAX_PLAIN_QR_VERSION = 10
"""The largest QR code (version 10: 57 × 57 modules) made of a view's own `?src=` address; a
longer address gets the view's short link instead, a small code whatever the program's
length, which a phone reads across a lecture hall."""

MAX_QR_BYTES = 2_331
"""What the largest QR code (version 40) holds at error level M: a longer address is not
tried."""


@bp.post("/api/links")
def store_link():
    """Store a program with its view options: `{"id", "url": "/s/<id>"}` (201 when new)."""
    link, new = links_store().put(content_of(params()))
    return {"id": link.id, "url": f"/s/{link.id}"}, 201 if new else 200


@bp.get("/qr")
def qr():
    """A QR code (SVG) of the page at this view: the same program, step, theme and options;
    for a long program, of its short link (stored now, counted like `POST /api/links`)."""
    address, code = _qr_plan()
    if address is None:
        link, _new = links_store().put(content_of(params()))
        address = f"{request.host_url}s/{link.id}"
        code = _qr_code(address)
    return Response(_qr_svg(code), mimetype="image/svg+xml")


def _qr_plan() -> tuple[str | None, segno.QRCode | None]:
    """The view's own address and its QR code when the code is small enough, else
    (None, None): the view needs a short link. Worked out once a request (the limit on
    storing asks first)."""
    if "qr_plan" not in g:
        given = params()
        source(given)  # a QR code of no program is a mistake, said at once
        options(given)  # and so is one of a view that would not open
        view = {name: given[name] for name in VIEW_PARAMS if given.get(name)}
        address = request.host_url + "?" + urlencode(view)
        code = _qr_code(address) if len(address) <= MAX_QR_BYTES else None
        small = code is not None and code.version <= MAX_PLAIN_QR_VERSION
        g.qr_plan = (address, code) if small else (None, None)
    return g.qr_plan


def _qr_code(text: str) -> segno.QRCode:
    return segno.make(text, error="m", micro=False)


def _qr_svg(code: segno.QRCode) -> bytes:
    """A QR code in SVG: black on white whatever the theme (what phones read best), with the
    standard quiet zone."""
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, xmldecl=False, dark="#000", light="#fff",
              title=_("QR code of this view"))
    return out.getvalue()


def _stores_nothing() -> bool:
    """Whether this request of the links blueprint stores no link (so the limit skips it)."""
    if request.endpoint == "links.qr":
        try:
            return _qr_plan()[0] is not None
        except (AutodiffError, LinkNotFound, StoreError):
            return True  # the view answers it with the reason, and stores nothing
    return False


def links_store() -> LinkStore:
    """The app's link store."""
    return current_app.extensions["links"]


def register_links(app: Flask) -> None:
    """Short links on an app: the store (made on first use), the routes that take an id,
    the limit on storing, the error answers and `flask links ...`."""
    app.config.setdefault("DATABASE_URL", os.environ.get("DATABASE_URL"))
    app.config.setdefault("LINKS_RATE_LIMIT", os.environ.get("LINKS_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    app.config.setdefault("RATELIMIT_STORAGE_URI",
                          os.environ.get("RATELIMIT_STORAGE_URI", DEFAULT_LIMIT_STORAGE))
    store = app.extensions["links"] = LinkStore(database_url(app.instance_path,
                                                             app.config["DATABASE_URL"]))
    app.register_blueprint(bp)
    app.add_url_rule("/s/<link_id>", endpoint="index", methods=["GET"])
    for rule in list(app.url_map.iter_rules()):
        if rule.rule in ID_ROUTES:
            app.add_url_rule(f"{rule.rule}/<link_id>", endpoint=rule.endpoint, methods=["GET"])
    app.url_value_preprocessor(_take_link_id)
    app.context_processor(_base_href)
    in_store = app.config["RATELIMIT_STORAGE_URI"].startswith(DEFAULT_LIMIT_STORAGE)
    limiter = app.extensions["links_limiter"] = Limiter(
        client_address, app=app, storage_options={"store": store} if in_store else None,
        in_memory_fallback_enabled=True)
    limiter.shared_limit(lambda: current_app.config["LINKS_RATE_LIMIT"], scope="links-store",
                         exempt_when=_stores_nothing)(bp)
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
    """`/<route>/<id>`: the link is read and kept for `web.params`, so views need no argument
    for it, and its language is the request's unless the request names one."""
    if values and "link_id" in values:
        g.link_id = values.pop("link_id")
        g.link = links_store().get(g.link_id)
        g.link_lang = g.link.content.get("lang")


def _base_href() -> dict:
    """Pages under /s/ and /embed/ resolve their relative URLs from the app's root."""
    return {"base_href": f"{request.script_root}/" if g.get("link_id") else None}


def _error(message: str, status: int, page_title: str):
    if request.endpoint in PAGE_ENDPOINTS:
        return render_template("message.html", title=page_title, message=message), status
    return {"error": {"message": message, "line": None, "col": None}}, status


def _not_found(err: LinkNotFound):
    return _error(_("There is no link with this id: it may be mistyped or cut short, or it was "
                    "removed."), 404, _("Link not found"))


def _store_error(err: StoreError):
    current_app.logger.error("link store: %s (%r)", err.message, err.__cause__)
    body, status = _error(_(err.message), 503, _("Links unavailable"))
    return body, status, {"Retry-After": str(RETRY_AFTER_S)}


def _too_many(err: RateLimitExceeded):
    limit = err.limit.limit if err.limit else None
    message = (_("too many links stored from your address (at most {limit}); wait a little and "
                 "try again", limit=limit) if limit else
               _("too many links stored from your address; wait a little and try again"))
    body, status = _error(message, 429, _("Too many links"))
    current = current_app.extensions["links_limiter"].current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else RETRY_AFTER_S
    return body, status, {"Retry-After": str(wait)}
