"""Every theme is legible: WCAG contrast of its colours, and value against gradient under
colour-vision deficiency. The colours are read from the theme table the frames are made from
and from the page's style sheet."""

import re
from pathlib import Path

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from autodiff.draw.theme import THEMES

STYLE_CSS = Path(__file__).resolve().parent.parent / "static" / "style.css"

BODY_TEXT = 4.5
"""WCAG 2 AA for body text."""
GRAPHICS = 3.0
"""WCAG 2 AA for large text and graphical objects (strokes, the value and gradient text)."""

FRAME_PAIRS = [
    ("text", "background", BODY_TEXT),
    ("text", "node", BODY_TEXT),
    ("text", "input_fill", BODY_TEXT),
    ("text", "const_fill", BODY_TEXT),
    ("muted", "node", BODY_TEXT),
    ("value", "background", GRAPHICS),
    ("value", "value_fill", GRAPHICS),
    ("gradient", "background", GRAPHICS),
    ("gradient", "gradient_fill", GRAPHICS),
    ("gradient", "partial_fill", GRAPHICS),
    ("gradient", "final_fill", GRAPHICS),
    ("tangent", "background", GRAPHICS),
    ("stroke", "background", GRAPHICS),
    ("pending", "value_fill", GRAPHICS),
    ("current", "background", GRAPHICS),
    ("warn", "warn_fill", GRAPHICS),
]
"""(foreground, background, least contrast) of what the frames draw on what."""

CVD_TYPES = ("protanomaly", "deuteranomaly", "tritanomaly")
"""Machado et al. (2009) simulations, at severity 100: protanopia, deuteranopia, tritanopia."""
DISTINCT = 12.0
"""Least ΔE' (CAM02-UCS) between a theme's simulated value and gradient colours: clearly
different side by side (1 is barely noticeable)."""
DISTINCT_COLOURBLIND = 40.0
"""The colour-blind theme keeps the pair as far apart as two unrelated hues."""


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance."""
    c = rgb(hex_colour)
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_known_ratios():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize(("fore", "back", "least"), FRAME_PAIRS)
def test_frame_colours_keep_their_contrast(name, fore, back, least):
    theme = THEMES[name]
    ratio = contrast(getattr(theme, fore), getattr(theme, back))
    assert ratio >= least, f"{name}: {fore} on {back} is {ratio:.2f}:1"


def simulated(hex_colour: str, cvd_type: str) -> np.ndarray:
    space = {"name": "sRGB1+CVD", "cvd_type": cvd_type, "severity": 100}
    return np.clip(cspace_convert(rgb(hex_colour), space, "sRGB1"), 0, 1)


def test_simulation_loses_red_green_for_a_dichromat():
    """The simulation works: pure red and green look alike to a deuteranope, not to others."""
    normal = deltaE(rgb("#ff0000"), rgb("#00ff00"), input_space="sRGB1")
    seen = deltaE(simulated("#cc0000", "deuteranomaly"), simulated("#7a7a00", "deuteranomaly"),
                  input_space="sRGB1")
    assert normal > 50 and seen < 10


@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize("cvd_type", CVD_TYPES)
def test_value_and_gradient_stay_apart_under_colour_blindness(name, cvd_type):
    theme = THEMES[name]
    value, gradient = simulated(theme.value, cvd_type), simulated(theme.gradient, cvd_type)
    apart = float(deltaE(value, gradient, input_space="sRGB1"))
    least = DISTINCT_COLOURBLIND if name == "colourblind" else DISTINCT
    assert apart >= least, f"{name} under {cvd_type}: ΔE' {apart:.1f}"


PAGE_PAIRS = [
    ("--ink", "--card", BODY_TEXT),
    ("--ink", "--bg", BODY_TEXT),
    ("--ink", "--sunk", BODY_TEXT),
    ("--muted", "--card", BODY_TEXT),
    ("--muted", "--sunk", BODY_TEXT),
    ("--value-ink", "--card", BODY_TEXT),
    ("--value-ink", "--value-soft", BODY_TEXT),
    ("--grad-ink", "--card", BODY_TEXT),
    ("--grad-ink", "--grad-soft", BODY_TEXT),
    ("--grad-ink", "--grad-wash", BODY_TEXT),
    ("--error-ink", "--grad-wash", BODY_TEXT),
    ("--warn-ink", "--warn-bg", BODY_TEXT),
    ("--accent-ink", "--accent", BODY_TEXT),
    ("--card", "--ink", BODY_TEXT),
    ("--value", "--card", GRAPHICS),
    ("--grad", "--card", GRAPHICS),
    ("--accent", "--card", GRAPHICS),
    ("--tangent", "--card", BODY_TEXT),
]
"""(text, background, least contrast) of the page's own colours, by custom property."""

SHARED = {
    "--value": "value", "--grad": "gradient", "--graph-bg": "background",
    "--node-input": "input_fill", "--node-const": "const_fill", "--node-stroke": "stroke",
    "--current": "current", "--tangent": "tangent",
}
"""The page's custom properties that are the frames' colours (the legend draws with them)."""


def page_palettes() -> dict[str, dict[str, str]]:
    """Per theme, the custom properties style.css gives it: `:root`'s, then the theme's own."""
    css = STYLE_CSS.read_text()
    blocks = {m.group(1) or "classic": m.group(2)
              for m in re.finditer(r"^:root(?:\[data-theme=(\w+)\])? \{(.*?)^\}", css, re.M | re.S)}
    props = {name: dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", body))
             for name, body in blocks.items()}
    return {name: props["classic"] | props.get(name, {}) for name in THEMES}


def test_the_page_style_sheet_has_every_theme_and_no_other():
    css = STYLE_CSS.read_text()
    assert set(re.findall(r"^:root\[data-theme=(\w+)\]", css, re.M)) == set(THEMES) - {"classic"}


@pytest.mark.parametrize("name", THEMES)
@pytest.mark.parametrize(("fore", "back", "least"), PAGE_PAIRS)
def test_page_colours_keep_their_contrast(name, fore, back, least):
    palette = page_palettes()[name]
    ratio = contrast(palette[fore], palette[back])
    assert ratio >= least, f"{name}: {fore} on {back} is {ratio:.2f}:1"


@pytest.mark.parametrize("name", THEMES)
def test_the_page_and_its_frames_share_one_palette(name):
    palette, theme = page_palettes()[name], THEMES[name]
    for prop, colour in SHARED.items():
        assert palette[prop].lower() == getattr(theme, colour), (name, prop)
