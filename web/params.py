"""A request's parameters as the library's arguments: the program, its options, the step."""

from __future__ import annotations

from flask import current_app, g, request

from autodiff import i18n
from autodiff.composites import parse_expand
from autodiff.descent import check_learning_rate
from autodiff.draw import DIRECTIONS, theme_name
from autodiff.draw.decorate import Look
from autodiff.errors import EvaluationError
from autodiff.i18n import N_, _

from .permalink import inflate
from .service import Options

ERROR_STYLES = ("status", "body")
"""How `/api/graph` answers a user error: 400 (the default), or 200 with the same error body
(`errors=body`, for the page: Chrome logs every 400 in the console, and typing makes many)."""


TEXT_FIELDS = ("src", "z", "id", "dtype", "forward", "errors", "layout_key", "expand")
"""JSON body fields that must be strings: `{"src": 5}` is not the program "5"."""


def params() -> dict:
    """Query parameters, overridden by a JSON or form body for POST, with a short link's id
    or a compressed `z=` program resolved (see `resolved`)."""
    params = dict(request.args)
    if request.method == "POST":
        body = _json_body() if request.is_json else request.form
        if isinstance(body, dict):
            params.update(_scalars(body))
        elif request.is_json:
            raise EvaluationError(N_("the request body must be a JSON object such as "
                                     "{\"src\": ...}"))
    return resolved(params)


def _json_body() -> object:
    """The parsed JSON body, None when it is not JSON; nesting too deep is a user's error."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise EvaluationError(N_("the JSON body is nested too deeply")) from None


def _scalars(body: dict) -> dict[str, str]:
    """A JSON object's strings, numbers and booleans as text (other values are left out),
    refusing anything but a string for the TEXT_FIELDS."""
    for name in TEXT_FIELDS:
        if name in body and not isinstance(body[name], str):
            raise EvaluationError(_('"{name}" must be a string, such as "{name}": "..."',
                                    name=name))
    out = {}
    for name, value in body.items():
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            out[name] = str(value)
    return out


def resolved(given: dict) -> dict:
    """The parameters with the program filled in: a stored link's (`/<route>/<id>` or `id=`),
    whose options the request may override but not its program; or the one `z=` holds
    (see `web.permalink`). Any route that draws calls this through `params`."""
    link_id = g.get("link_id") or given.pop("id", None)
    if link_id is not None:
        link = g.get("link")  # read already for its language (`web.languages`), if it is this one
        if link is None or link.id != link_id:
            link = current_app.extensions["links"].get(link_id)
        stored = link.params()
        asked = {k: v for k, v in given.items() if k not in ("src", "z")}
        return {**stored, **asked}
    if "z" in given:
        given["src"] = inflate(given.pop("z"))
    return given


def options(params: dict) -> Options:
    """Everything besides the program that changes an answer, checked."""
    dtype = params.get("dtype", "float64")
    if dtype not in ("float64", "float32"):
        raise EvaluationError(N_("dtype must be float64 or float32"))
    direction = params.get("direction") or "lr"
    if direction not in DIRECTIONS:
        raise EvaluationError(_("{name} must be one of {allowed}", name="direction", allowed=", ".join(DIRECTIONS)))
    view = "forward" if mode(params) == "forward" else "reverse"
    if view == "forward" and not params.get("forward"):
        raise EvaluationError(N_("mode=forward needs the input to differentiate by, "
                                 "e.g. forward=x"))
    return Options(
        dtype=dtype,
        edge_labels=params.get("edge_labels", "0") in ("1", "true", "on", "yes"),
        forward=params.get("forward") or None,
        view=view,
        theme=theme(params),
        direction=direction,
        lang=language(params),
        expand=parse_expand(params.get("expand")),
    )


def language(params: dict) -> str:
    """`lang` (absent: the request's language, from its Accept-Language), checked: the API and
    the exports refuse an unknown one, where a page falls back (`web.languages`)."""
    asked = params.get("lang")
    if not asked:
        return i18n.current()
    found = i18n.known(asked)
    if found is None:
        raise EvaluationError(_("lang must be one of {langs}, not {given!r}",
                              langs=", ".join(i18n.LANGS), given=asked[:20]))
    return found


FLAG_ON = ("1", "true", "on", "yes")
MAX_SCALE = 8.0
WIDTH_RANGE = (16, 8000)
"""`width` in pixels of an image frame."""


def frame_look(params: dict) -> Look:
    """How an image frame is dressed: `caption`, `transparent`, and `scale` or `width`."""
    scale, width = params.get("scale"), params.get("width")
    if scale and width:
        raise EvaluationError(N_("give scale or width, not both"))
    look = Look(caption=params.get("caption", "0") in FLAG_ON,
                transparent=params.get("transparent", "0") in FLAG_ON)
    if scale:
        try:
            value = float(scale)
        except ValueError:
            value = 0.0
        if not 1.0 <= value <= MAX_SCALE:
            raise EvaluationError(_("scale must be a number from 1 to {most}",
                                    most=f"{MAX_SCALE:g}"))
        return Look(look.caption, look.transparent, scale=value)
    if width:
        low, high = WIDTH_RANGE
        if not width.isdigit() or not low <= int(width) <= high:
            raise EvaluationError(_("width must be a whole number of pixels from {low} to {high}",
                                    low=low, high=high))
        return Look(look.caption, look.transparent, width=int(width))
    return look


def theme(params: dict) -> str:
    """The theme the request names (absent: the default), checked."""
    try:
        return theme_name(params.get("theme"))
    except ValueError as err:
        raise EvaluationError(str(err)) from None


def errors_in_body(params: dict) -> bool:
    """Whether a user error answers 200 with the error body (`errors=body`) rather than 400."""
    style = params.get("errors", "status")
    if style not in ERROR_STYLES:
        raise EvaluationError(N_("errors must be status or body"))
    return style == "body"


def source(params: dict) -> str:
    """The program text, which every route that draws needs."""
    src = params.get("src")
    if src is None:
        raise EvaluationError(N_("give the program as ?src=... (or \"src\" in a JSON body)"))
    return src


DEFAULT_UPDATES = 1
"""Updates of gradient descent when a learning rate is given alone."""


def descent(params: dict) -> tuple[float, int] | None:
    """The learning rate and number of updates of gradient descent (`lr`, `updates`), or None
    when the request asks for none."""
    if not params.get("lr"):
        if params.get("updates"):
            raise EvaluationError(N_("updates needs a learning rate too, e.g. lr=0.1"))
        return None
    rate = check_learning_rate(params["lr"])
    text = params.get("updates") or str(DEFAULT_UPDATES)
    if not text.isdigit():
        raise EvaluationError(_("updates must be a whole number, not {given}",
                                given=repr(text[:20])))
    return rate, int(text)


MODES = ("reverse", "forward", "practice")


def mode(params: dict) -> str:
    """`mode`: reverse (the default), forward (with `forward=<input>`: the forward steps with
    their tangents) or practice. `forward=<input>` alone keeps reverse mode's steps and adds
    forward mode's derivative to the answer."""
    found = params.get("mode") or "reverse"
    if found not in MODES:
        raise EvaluationError(_("{name} must be one of {allowed}", name="mode", allowed=", ".join(MODES)))
    return found
