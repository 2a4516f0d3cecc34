"""The look of a frame: a table of themes, and the style sheet each embeds in every SVG.

A theme changes colours, stroke widths, weights and dashes, and never a size a box is made
from, but for its number form: every theme of one form shares one layout per structure, so
switching between them never runs dot again; the projector's compact numbers (three digits,
arrays cut to 4 × 4) make narrower boxes, a layout of their own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

from ..i18n import _


@dataclass(frozen=True)
class Theme:
    """Everything a theme decides: the colours `/api/themes` lists first, then the rest."""

    background: str
    text: str
    """Labels and body text."""
    value: str
    """Values: their numbers, their `=` cue, a forward step's edge."""
    gradient: str
    """Gradients: their numbers, their `∇` cue, a backward step's edge."""
    tangent: str
    """Local derivatives on the edges (what forward mode carries along an edge)."""
    stroke: str
    """Node outlines and edges."""
    muted: str
    """Op symbols and array shapes."""
    pending: str
    """Placeholders of values not computed yet."""
    node: str
    input_fill: str
    const_fill: str
    value_fill: str
    gradient_fill: str
    partial_fill: str
    final_fill: str
    warn: str
    """NaN and infinities: their text and their cell's border."""
    warn_fill: str
    current: str
    """The border of the node the step is about."""
    outline_width: float = 1.5
    edge_width: float = 1.6
    active_width: float = 4.0
    current_width: float = 5.0
    number_weight: str = "normal"
    """The weight of value and gradient numbers (bold on a projector)."""
    forward_dash: str = "none"
    """The dashes of a forward step's edge (print draws the two passes apart by dashes)."""
    backward_dash: str = "9 5"
    numbers: str = "standard"
    """How the nodes write numbers (a key of `format.FORMS`): the projector's compact form
    has boxes of its own, so a layout of its own."""


PUBLIC_COLOURS = ("background", "text", "value", "gradient", "tangent", "stroke")
"""The colours `GET /api/themes` lists for each theme."""

THEMES: dict[str, Theme] = {
    "classic": Theme(
        background="#ffffff", text="#1f2328", value="#2e7a47", gradient="#c52801",
        tangent="#6639ba", stroke="#57606a", muted="#57606a", pending="#6e7781",
        node="#ffffff", input_fill="#dbeafe", const_fill="#e8e8e8", value_fill="#fbfefb",
        gradient_fill="#fefbfb", partial_fill="#fff5f5", final_fill="#fdecec",
        warn="#9a6700", warn_fill="#fff1c2", current="#d97706",
    ),
    "dark": Theme(
        background="#0d1117", text="#e6edf3", value="#8ff0a0", gradient="#f4553a",
        tangent="#d2a8ff", stroke="#8b949e", muted="#9ea7b3", pending="#8b949e",
        node="#161b22", input_fill="#1b2b45", const_fill="#262c36", value_fill="#12201a",
        gradient_fill="#241618", partial_fill="#2d1a1c", final_fill="#3a1d20",
        warn="#e3b341", warn_fill="#2e2410", current="#f0883e",
    ),
    "projector": Theme(
        background="#ffffff", text="#000000", value="#166636", gradient="#a3000d",
        tangent="#4b1f9e", stroke="#000000", muted="#2f3338", pending="#5b6168",
        node="#ffffff", input_fill="#d6e6ff", const_fill="#e6e6e6", value_fill="#ffffff",
        gradient_fill="#ffffff", partial_fill="#fff2f2", final_fill="#ffe3e6",
        warn="#7a4f00", warn_fill="#ffefb3", current="#e07000",
        outline_width=2.5, edge_width=3.0, active_width=7.0, current_width=7.0,
        number_weight="bold", numbers="compact",
    ),
    "colourblind": Theme(
        background="#ffffff", text="#1f2328", value="#0072b2", gradient="#c14d00",
        tangent="#7a3a8f", stroke="#4a4f55", muted="#4a4f55", pending="#6e7781",
        node="#ffffff", input_fill="#e3ecf4", const_fill="#e8e8e8", value_fill="#fbfcfe",
        gradient_fill="#fffbf8", partial_fill="#fff4ec", final_fill="#ffe9da",
        warn="#6b5400", warn_fill="#f9f0c0", current="#000000",
    ),
    "print": Theme(
        background="#ffffff", text="#000000", value="#000000", gradient="#4d4d4d",
        tangent="#000000", stroke="#000000", muted="#333333", pending="#595959",
        node="#ffffff", input_fill="#ececec", const_fill="#ffffff", value_fill="#ffffff",
        gradient_fill="#ffffff", partial_fill="#ffffff", final_fill="#f2f2f2",
        warn="#000000", warn_fill="#dddddd", current="#000000",
        outline_width=1.2, edge_width=1.2, active_width=3.5, current_width=4.0,
        forward_dash="none", backward_dash="3 3",
    ),
}
"""Every theme, by the name the URL gives (`classic` first: the default)."""

DEFAULT_THEME = "classic"
ALIASES = {"colorblind": "colourblind"}
"""Other spellings accepted for a theme's name."""


def theme_name(given: str | None) -> str:
    """The theme a URL's `theme` names (absent or empty: the default); ValueError if none."""
    name = ALIASES.get(given or DEFAULT_THEME, given or DEFAULT_THEME)
    if name not in THEMES:
        raise ValueError(_("theme must be one of {themes}", themes=", ".join(THEMES)))
    return name


FRAME_CSS_TEMPLATE = """
.adgraph .background {{ fill: {background}; }}
.adgraph .outline {{ fill: {node}; stroke: {stroke}; stroke-width: {outline_width}; }}
.adgraph .kind-input .outline {{ fill: {input_fill}; stroke-width: {input_width}; }}
.adgraph .kind-const .outline {{ fill: {const_fill}; stroke-dasharray: 5 2; }}
.adgraph .slot-val {{ fill: {value_fill}; }}
.adgraph .slot-grad {{ fill: {gradient_fill}; }}
.adgraph .rule {{ fill: none; stroke: {stroke}; stroke-width: 1; }}
.adgraph .edge path {{ fill: none; stroke: {stroke}; stroke-width: {edge_width}; }}
.adgraph .edge .head {{ fill: {stroke}; stroke: {stroke}; stroke-width: {edge_width}; }}
.adgraph .back-head {{ fill: {gradient}; stroke: {gradient}; stroke-width: {edge_width}; }}
.adgraph text {{ font-family: "DejaVu Sans", sans-serif; font-size: 14px; fill: {text}; }}
.adgraph .label {{ font-weight: bold; }}
.adgraph .kind-const .label {{ font-weight: normal; }}
.adgraph .shape, .adgraph .op {{ font-size: 11px; }}
.adgraph .val, .adgraph .grad, .adgraph .local {{
  font-family: "DejaVu Sans Mono", monospace; white-space: pre; }}
.adgraph .val, .adgraph .grad {{ font-weight: {number_weight}; }}
.adgraph .local {{ font-size: 12px; }}
.adgraph .val, .adgraph .cue-val {{ fill: {value}; }}
.adgraph .grad, .adgraph .cue-grad {{ fill: {gradient}; }}
.adgraph .cue-val, .adgraph .cue-grad {{ font-weight: bold; }}
.adgraph .op, .adgraph .shape {{ fill: {muted}; }}
.adgraph .local {{ fill: {tangent}; }}
.adgraph .local-bg {{ fill: none; }}
.adgraph .pending .val, .adgraph .edge.pending .local {{ fill: {pending}; }}
.adgraph .grad-partial .grad {{ font-style: italic; fill-opacity: 0.85; }}
.adgraph .grad-partial .slot-grad {{
  fill: {partial_fill}; stroke: {gradient}; stroke-width: 1.2; stroke-dasharray: 2 2; }}
.adgraph .grad-final .grad {{ font-weight: bold; }}
.adgraph .grad-final .slot-grad {{ fill: {final_fill}; }}
.adgraph .nonfinite .slot-val, .adgraph .nonfinite-grad .slot-grad {{
  fill: {warn_fill}; stroke: {warn}; stroke-width: 2; }}
.adgraph .nonfinite .val, .adgraph .nonfinite-grad .grad {{ fill: {warn}; font-weight: bold; }}
.adgraph .current .outline {{ stroke: {current}; stroke-width: {current_width}; }}
.adgraph .dead {{ opacity: 0.4; }}
.adgraph .back-head {{ visibility: hidden; }}
.adgraph .edge.active path {{ stroke-width: {active_width}; }}
.adgraph .edge.active.forward path {{ stroke: {value}; stroke-dasharray: {forward_dash}; }}
.adgraph .edge.active.forward .head {{ fill: {value}; stroke: {value}; }}
.adgraph .edge.active.backward path {{ stroke: {gradient}; stroke-dasharray: {backward_dash}; }}
.adgraph .edge.active.backward .head {{ visibility: hidden; }}
.adgraph .edge.active.backward .back-head {{
  visibility: visible; fill: {gradient}; stroke: {gradient}; }}
.adgraph.tangents .grad, .adgraph.tangents .cue-grad {{ fill: {tangent}; font-style: italic; }}
.adgraph.tangents .grad-final .slot-grad {{ fill: {value_fill}; }}
.adgraph .copy .outline {{ stroke-dasharray: 4 2; stroke-width: {outline_width}; }}
.adgraph .copy .label {{ font-style: italic; }}
"""
"""The look of a frame, embedded in every SVG so a frame stands alone (also in an <img>):
first every element's own look by its class, then the state classes' changes to it."""


@lru_cache(maxsize=len(THEMES))
def frame_css(name: str = DEFAULT_THEME) -> str:
    """The style sheet of theme `name` (a name `theme_name` returned)."""
    theme = THEMES[name]
    return FRAME_CSS_TEMPLATE.format(**asdict(theme), input_width=theme.outline_width + 1)


FRAME_CSS = frame_css(DEFAULT_THEME)
"""The default theme's style sheet."""

PRINT_THEME = "print"
"""The theme a page's graph is printed in, whatever theme the screen shows."""


@lru_cache(maxsize=1)
def print_media_css() -> str:
    """The print theme's style sheet for a page's printout (`<style media="print">`): its
    selectors made more specific (`:root .adgraph …`) so that on paper they win over the
    frame's own sheet, and no background of its own (the paper is the background)."""
    css = frame_css(PRINT_THEME).replace(".adgraph", ":root .adgraph")
    return css + ":root .adgraph .background { fill: none; }\n"


def palettes() -> dict[str, dict[str, str]]:
    """Per theme, the colours `GET /api/themes` lists (exactly those its frames use)."""
    return {
        name: {colour: getattr(theme, colour) for colour in PUBLIC_COLOURS}
        for name, theme in THEMES.items()
    }

