"""The look of the app (the themes' colours) and the lecture hall's share (a QR code)."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from flask import Blueprint, Response, request

from autodiff.draw import DIRECTIONS, THEMES, palettes, theme_name
from autodiff.errors import EvaluationError

from .params import options, params, source

look = Blueprint("look", __name__)

VIEW_PARAMS = (
    "src", "step", "theme", "direction", "edge_labels", "dtype", "forward", "mode", "font",
    "graph_only",
)  # fmt: skip
"""What of a view a QR code carries to the phone that scans it (the rest is the page's)."""
MAX_QR_BYTES = 2_000
"""The longest address a QR code is made for: larger ones (version 40 holds 2,331 bytes at
error level M) are too dense for a phone across a lecture hall."""


THEME_MENU = tuple((name, name.capitalize()) for name in THEMES)
"""The page's theme menu: (URL name, what it reads)."""
FONT_SCALES = (75, 90, 100, 115, 130, 150, 175, 200)
"""The page's text sizes in percent (`font=`), the font-size control's steps."""


def page_view(given: dict) -> dict:
    """The page's view options from its URL; one it cannot use is left to the page's default
    (a page always opens: a shared link with a typo still shows the program)."""
    try:
        theme = theme_name(given.get("theme")) if given.get("theme") else None
    except ValueError:
        theme = None
    font = given.get("font", "")
    return {
        "theme": theme,
        "direction": given.get("direction") if given.get("direction") in DIRECTIONS else None,
        "font": int(font) if font.isdigit() and int(font) in FONT_SCALES else 100,
        "graph_only": given.get("graph_only") in ("1", "true", "on", "yes"),
    }


@look.app_context_processor
def page_theme() -> dict:
    """The theme the page is drawn in from its first paint (None: the browser's preference)."""
    return {"page_theme": page_view(dict(request.args))["theme"], "theme_menu": THEME_MENU}


@look.get("/api/themes")
def api_themes():
    """Every theme's colours as hex: the ones its frames use."""
    return palettes()


@look.get("/qr")
def qr():
    """A QR code (SVG) of the page at this view: the same program, step, theme and options."""
    given = params()
    source(given)  # a QR code of no program is a mistake, said at once
    options(given)  # and so is one of a view that would not open
    view = {name: given[name] for name in VIEW_PARAMS if given.get(name)}
    address = request.host_url + "?" + urlencode(view)
    if len(address.encode()) > MAX_QR_BYTES:
        raise EvaluationError(
            f"the program is too long for a QR code ({len(address.encode()):,} bytes of "
            f"address, at most {MAX_QR_BYTES:,}): share the link instead"
        )
    return Response(qr_svg(address), mimetype="image/svg+xml")


def qr_svg(text: str) -> bytes:
    """`text` as a QR code in SVG: black on white whatever the theme (what phones read best),
    with the standard quiet zone, at the highest error correction that fits."""
    out = io.BytesIO()
    code = segno.make(text, error="m", micro=False)
    code.save(out, kind="svg", scale=4, xmldecl=False, dark="#000", light="#fff",
              title="QR code of this view")
    return out.getvalue()
