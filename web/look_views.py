"""The look of the app: the themes' colours and the lecture hall's QR code."""

from __future__ import annotations

from flask import Blueprint

from autodiff.draw import palettes

look = Blueprint("look", __name__)


@look.get("/api/themes")
def api_themes():
    """Every theme's colours as hex: the ones its frames use."""
    return palettes()
