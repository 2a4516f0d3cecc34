"""Routes for exports: /pdf, /pptx, /gif, /mp4, /zip, /tex and /standalone (see README,
Exports)."""

from __future__ import annotations

from flask import Blueprint, Response

from autodiff.draw.export import ExportOptions, ExportTimeout, ExportTooLarge
from autodiff.draw.export.formats import FORMATS
from autodiff.errors import EvaluationError
from autodiff.i18n import _

from .exports import export
from .params import options, params, source

exports_views = Blueprint("exports", __name__)

SHOWN = ("pdf", "handout", "gif", "mp4")
"""Exports a browser shows (inline); it saves the others."""
LAYOUTS = ("slides", "handout")
PAPERS = ("a4", "letter")


def export_options(given: dict) -> ExportOptions:
    """The export's own parameters (`from`, `to`, `caption`, `delay`, ...), checked."""
    layout = given.get("layout") or "slides"
    paper = given.get("paper") or "a4"
    if layout not in LAYOUTS:
        raise EvaluationError(_("{name} must be one of {allowed}", name="layout", allowed=", ".join(LAYOUTS)))
    if paper not in PAPERS:
        raise EvaluationError(_("{name} must be one of {allowed}", name="paper", allowed=", ".join(PAPERS)))
    return ExportOptions(
        first=_whole(given, "from", 0),
        last=_whole(given, "to", None),
        caption=given.get("caption", "1") in ("1", "true", "on", "yes"),
        transparent=given.get("transparent", "0") in ("1", "true", "on", "yes"),
        delay=_whole(given, "delay", 1000),
        layout=layout,
        paper=paper,
        theme=options(given).theme,
    )


def _whole(given: dict, name: str, default: int | None) -> int | None:
    text = given.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 9:
        raise EvaluationError(_("{name} must be a whole number of 0 or more, not {given}",
                                name=name, given=repr(text[:20])))
    return int(text)


def _answer(kind: str) -> Response:
    given = params()
    chosen = export_options(given)
    if kind == "pdf" and chosen.layout == "handout":
        kind = "handout"
    body = export(kind, source(given), options(given), chosen)
    found = FORMATS[kind]
    response = Response(body, mimetype=found.mimetype)
    disposition = "inline" if kind in SHOWN else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{found.file}"'
    return response


ROUTES = {
    "/pdf": ("pdf", "A page per step (page p = step p − 1), or `layout=handout`."),
    "/pptx": ("pptx", "A slide per step, the explanation in the speaker notes."),
    "/gif": ("gif", "The step-through animated, `delay` ms a step."),
    "/mp4": ("mp4", "The step-through as an MP4 video, `delay` ms a step."),
    "/zip": ("zip", "Every frame as SVG and PNG, with manifest.json."),
    "/standalone": ("html", "One HTML file that steps through every frame offline."),
    "/tex": ("tex", "A standalone LaTeX/TikZ (Beamer) file, one overlay per step."),
}
"""Each export's route, the export it answers and what it is."""


def _view(kind: str, doc: str):
    def view():
        return _answer(kind)

    view.__name__, view.__doc__ = kind, doc
    return view


for _route, (_kind, _doc) in ROUTES.items():
    exports_views.add_url_rule(_route, view_func=_view(_kind, _doc), methods=["GET", "POST"])


@exports_views.errorhandler(ExportTooLarge)
def too_large(err: ExportTooLarge):
    """An export beyond the bound: 413 with what to ask for instead."""
    return {"error": err.to_dict()}, 413


@exports_views.errorhandler(ExportTimeout)
def out_of_time(err: ExportTimeout):
    """The renderer was stopped at its deadline (a busy machine): 503, try again."""
    return {"error": err.to_dict()}, 503
