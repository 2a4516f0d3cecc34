"""The look of the app: the themes' colours, the theme menu and the page's text sizes."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, request

from autodiff.draw import DIRECTIONS, THEMES, palettes, theme_name
from autodiff.draw.theme import print_media_css
from autodiff.i18n import N_

look = Blueprint("look", __name__)

THEME_LABELS = {"classic": N_("Classic"), "dark": N_("Dark"), "projector": N_("Projector"),
                "colourblind": N_("Colourblind"), "print": N_("Print")}
THEME_MENU = tuple((name, THEME_LABELS.get(name, name.capitalize())) for name in THEMES)
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
    """The theme the page is drawn in from its first paint (None: the browser's preference),
    and the print theme's frame style sheet its printout uses."""
    return {"page_theme": page_view(dict(request.args))["theme"], "theme_menu": THEME_MENU,
            "print_css": print_css()}


STYLE_CSS = Path(__file__).resolve().parent.parent / "static" / "style.css"


@lru_cache(maxsize=1)
def print_css() -> str:
    """The page's look on paper (`<style media="print">`), whatever theme the screen shows:
    the print theme's custom properties over the defaults, both read from the page's style
    sheet (so they are written once), then the print theme's frame style sheet."""
    sheet = STYLE_CSS.read_text(encoding="utf-8")
    blocks = [re.search(rf"^{re.escape(selector)} \{{\n(.*?)^\}}", sheet, re.S | re.M).group(1)
              for selector in (":root", ":root[data-theme=print]")]
    # Specific as a theme's own block, and later in the page: it wins on paper.
    return ":root:root {\n" + "".join(blocks) + "}\n" + print_media_css()


@look.get("/api/themes")
def api_themes():
    """Every theme's colours as hex: the ones its frames use."""
    return palettes()
