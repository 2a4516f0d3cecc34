"""The web app: a thin edge that turns requests into calls of `autodiff` and back."""

from __future__ import annotations

import gc
import os

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from autodiff.draw import GraphvizUnavailable
from autodiff.errors import AutodiffError
from autodiff.examples import GALLERY, by_slug, shown
from autodiff.i18n import N_, _
from web.assets import import_map_source, register_assets
from web.embed_views import embed_views
from web.encode import script_json
from web.exports_views import exports_views
from web.first_answer import first_requests
from web.hangup import register_hangups
from web.languages import register_languages
from web.links import LINK_PAGE_OPTIONS
from web.links_views import register_links
from web.look_views import look, page_view
from web.params import descent, errors_in_body, frame_look, mode, options, params, source
from web.practice import practice_answer
from web.practice_views import practice_views
from web.service import after_response, frame_png, frame_svg, graph_answer, health, parse_step

MAX_BODY_BYTES = 128 * 1024
"""Request bodies above this answer 413; a program is at most 20,000 characters."""

DEFAULT_EXAMPLE = "reuse"

RETRY_AFTER_S = 5
"""Seconds a client is told to wait (`Retry-After`) when Graphviz is not working."""

PAGE_CSP = (
    "default-src 'self'; script-src 'self' {import_map}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; form-action 'self'"
)
"""Scripts only from our own files and the page's import map, allowed by its hash
(`web.assets.import_map_source`); inline styles are needed by Graphviz's SVG."""

SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
"""A frame opened on its own can draw, and do nothing else; only our own pages frame it."""

FRAME_CACHE_CONTROL = "public, max-age=86400, immutable"
"""A frame is fixed by its URL (program, step and options): browsers and proxies keep it."""

HTTP_MESSAGES = {
    404: N_("there is nothing at this address"),
    405: N_("this address does not take this method"),
}
"""What the usual HTTP errors say, in the reader's language (others keep werkzeug's words)."""

GC_THRESHOLDS = (100_000, 10, 10)
"""Allocations before a young collection (Python's default is 700), then as the default."""


def tune_gc() -> None:
    """Settle the garbage collector for serving, once the app is loaded (gunicorn.conf.py,
    `python app.py` and the benchmarks call it): what is loaded is frozen out of every scan,
    and young collections are spaced so that an answer, which builds many objects but leaves
    almost no cyclic garbage, is not interrupted by them."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def create_app(test_config: dict | None = None) -> Flask:
    """The application factory (gunicorn: `app:create_app()`)."""
    app = Flask(__name__)
    app.config.from_mapping(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    register_languages(app)
    register_assets(app)
    register_hangups(app)
    _register_views(app)
    app.register_blueprint(practice_views)
    app.register_blueprint(look)
    app.register_blueprint(exports_views)
    app.register_blueprint(embed_views)
    _register_errors(app)
    register_links(app)  # last: it adds `/<route>/<id>` to the routes that draw
    app.after_request(_after_sending)
    return app


def _boot_json(given: dict, embed: bool) -> str:
    boot = {
        "gallery": [shown(e) for e in GALLERY],
        "src": given.get("src") or by_slug(DEFAULT_EXAMPLE).source,
        "step": given.get("step"),
        "embed": embed,
        "dtype": given.get("dtype", "float64"),
        "edge_labels": given.get("edge_labels", "0"),
        # A short link's options, which the page has no query to read from.
        **{name: given.get(name) for name in LINK_PAGE_OPTIONS},
        **page_view(given),
    }
    return script_json(boot)


def _page(template: str, embedded: bool) -> str:
    """The app or the embed, or in practice mode the practice page (both ways)."""
    given = params()
    first = []
    if mode(given) == "practice":
        template = "practice.html"
    else:
        first = first_requests(given, embedded)
    return render_template(template, boot_json=_boot_json(given, embedded), embedded=embedded,
                           first_requests=first)


_FRAME_HEADERS = {"Cache-Control": FRAME_CACHE_CONTROL}


def _register_views(app: Flask) -> None:
    @app.get("/")
    def index():
        """The app; `?src=...&step=k` opens that program at that step (`mode=practice`: a
        lesson where the student finds each number)."""
        return _page("index.html", embedded=False)

    @app.get("/embed")
    def embed():
        """A chrome-less stepper any site may put in an iframe."""
        return _page("embed.html", embedded=True)

    @app.route("/api/graph", methods=["GET", "POST"])
    def api_graph():
        """The program's graph, values, gradients, steps and layout as JSON."""
        given = params()
        in_body = errors_in_body(given)
        try:
            if mode(given) == "practice":
                text = practice_answer(source(given), options(given),
                                       given.get("given") == "values", given.get("level", "values"))
            else:
                text = graph_answer(source(given), options(given), given.get("layout_key"),
                                    descent(given))
        except AutodiffError as err:
            if not in_body:
                raise
            return {"error": err.to_dict()}, 200  # only user errors: 413 and 5xx keep theirs
        return Response(text, mimetype="application/json")

    @app.get("/api/examples")
    def api_examples():
        """The gallery."""
        return {"examples": [shown(e) for e in GALLERY]}

    @app.get("/svg")
    def svg():
        """One frame as standalone SVG."""
        given = params()
        step = parse_step(given.get("step"))
        body = frame_svg(source(given), options(given), step, frame_look(given))
        return Response(body, mimetype="image/svg+xml", headers=_FRAME_HEADERS)

    @app.get("/png")
    def png():
        """One frame as PNG."""
        given = params()
        step = parse_step(given.get("step"))
        body = frame_png(source(given), options(given), step, frame_look(given))
        return Response(body, mimetype="image/png", headers=_FRAME_HEADERS)

    @app.get("/healthz")
    def healthz():
        """200 when the engine and Graphviz work."""
        if health():
            return {"status": "ok"}
        return {"status": "graphviz unavailable"}, 503


def _error(message: str, status: int, line: int | None = None, col: int | None = None):
    return {"error": {"message": message, "line": line, "col": col}}, status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(AutodiffError)
    def user_error(err: AutodiffError):
        """Anything the user typed wrong: 400 with message, line and column (a bound that
        says otherwise keeps its own status: 413 for an answer too large, 503 for a drawing
        a busy server could not finish, with when to ask again)."""
        status = getattr(err, "status", 400)
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else {}
        return {"error": err.to_dict()}, status, headers

    @app.errorhandler(GraphvizUnavailable)
    def graphviz_unavailable(err: GraphvizUnavailable):
        """The server's fault, not the program's: 503, and when to ask again."""
        body, status = _error(err.message, 503)
        return body, status, {"Retry-After": str(RETRY_AFTER_S)}

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        """404, 405, 413 ... as JSON with a readable message (and their headers: `Allow`)."""
        if err.code == 413:
            message = _("the request is larger than {limit} KiB", limit=MAX_BODY_BYTES // 1024)
        else:
            message = _(HTTP_MESSAGES.get(err.code, err.description or err.name))
        body, status = _error(message, err.code)
        headers = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        """A bug of ours: logged in full, answered without a traceback."""
        app.logger.exception("unexpected error")
        return _error(_("internal error: the program could not be processed"), 500)


def _after_sending(response: Response) -> Response:
    # Work that need not delay the answer: done once the server has sent it.
    response.call_on_close(after_response)
    return _security_headers(response)


def _page_csp() -> str:
    return PAGE_CSP.format(import_map=import_map_source())


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if response.mimetype == "image/svg+xml":
        headers.setdefault("Content-Security-Policy", SVG_CSP)
    elif request.endpoint == "embed":
        headers.setdefault("Content-Security-Policy", _page_csp() + "; frame-ancestors *")
    else:
        headers.setdefault("Content-Security-Policy", _page_csp() + "; frame-ancestors 'none'")
        headers.setdefault("X-Frame-Options", "DENY")
    return response


if __name__ == "__main__":
    served = create_app()
    tune_gc()
    served.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")))
