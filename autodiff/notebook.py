"""How a graph shows itself in Jupyter, JupyterLab, VS Code and Colab: as its final frame.

The engine never imports the drawing at module level (`import autodiff` loads NumPy only, a
test says so); showing a picture is the one place that imports it, inside the call, and
says what to install when Graphviz is missing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Graph

INSTALL_GRAPHVIZ = ("drawing the graph needs Graphviz's `dot`: apt install graphviz, "
                    "brew install graphviz, or conda install -c conda-forge graphviz")
STEPPER_HEIGHT = 640
"""Pixels of the stepper's iframe in a notebook."""


@dataclass(frozen=True)
class Picture:
    """One frame, shown as SVG by a notebook (`.svg` holds the text)."""

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"image/svg+xml": self.svg, "text/plain": "<autodiff frame>"}


@dataclass(frozen=True)
class Stepper:
    """The self-contained stepper page, shown in an iframe (no server, no network)."""

    page: str

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
                f'style="width: 100%; height: {STEPPER_HEIGHT}px; border: 0" '
                'title="autodiff stepper"></iframe>')


def frame(graph: Graph, step: int | None = None, theme: str = "classic",
          direction: str = "lr", edge_labels: bool = False, caption: bool = False) -> Picture:
    """Step `step` of the graph (None: the last) as a picture."""
    from .draw import GraphvizUnavailable, get_layout, render_frame, theme_name
    from .draw.decorate import Look, caption_text, decorate

    try:
        layout = get_layout(graph, edge_labels, direction=direction)
    except GraphvizUnavailable:
        raise RuntimeError(INSTALL_GRAPHVIZ) from None
    svg = render_frame(layout, graph, step, theme_name(theme))
    return Picture(decorate(svg, Look(caption=caption), caption_text(graph, step)))


def stepper(graph: Graph, theme: str = "classic", direction: str = "lr",
            edge_labels: bool = False) -> Stepper:
    """Every step, with the buttons, the explanation and the tape, inside the notebook."""
    from .draw import GraphvizUnavailable, get_layout, theme_name
    from .draw.export import ExportOptions, steps_of
    from .draw.export.html import page

    try:
        layout = get_layout(graph, edge_labels, direction=direction)
    except GraphvizUnavailable:
        raise RuntimeError(INSTALL_GRAPHVIZ) from None
    options = ExportOptions(theme=theme_name(theme))
    return Stepper(page(graph, layout, options, steps_of(graph, options)))


def mimebundle(graph: Graph) -> dict:
    """The final frame as SVG, or a plain sentence saying what to install."""
    summary = f"<autodiff.Graph: {len(graph.nodes)} nodes, {len(graph.steps)} steps>"
    try:
        svg = frame(graph).svg
    except RuntimeError as err:
        return {"text/plain": f"{summary}\n{err}"}
    return {"image/svg+xml": svg, "text/plain": summary}
