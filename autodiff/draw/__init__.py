"""Drawing a graph: placed once per structure by a sandboxed Graphviz, frames by string joins.

    layout = get_layout(graph)                 # cached by structure: values never re-run dot
    svg = render_frame(layout, graph, step)    # standalone SVG text of one step
    png = render_png(layout, graph, step)      # the same frame as PNG, at 2× scale

    pending = start_layout(graph)              # dot starts now and runs on its own ...
    frame = start_frame(graph, None)           # ... while the caller does other work
    svg = frame(pending.result())

The data flow, one file a stage: `dot` (graph → DOT text and its `Structure`), `graphviz`
(running dot), `placement` (reading dot's SVG for coordinates), `svg` (our own SVG drawn from
them, as a template with slots), `layouts` (the template cached by structure), `states` (what
each step shows), `frames` (a step's SVG text), `png` (rasterising), `theme` (the look).

The SVG contract, shared with the browser (which applies the rules of `states` to this same
SVG in JS; the class names there are the state classes below):

    <svg class="adgraph" viewBox="…">     first child <style>: the theme's `frame_css`, then a background
    <g id="nK" class="node kind-input|kind-const|kind-op [output] STATE…">
        <title>             the node's label
        <path|polygon class="outline">       the node's border
        <text id="nK-label" class="label">   header: the label (cut to 20 characters)
        <text id="nK-shape" class="shape">   arrays only: `⟨2×3⟩`, `⟨3⟩`
        <text id="nK-op" class="op">         ops only: `×`, `cos`, `@`
        <polygon class="slot-val">           value-row background (cue and numbers)
        <polygon class="slot-grad">          gradient-row background (not for constants)
        <polygon class="rule">               row separators
        <text class="cue-val">=</text>
        <text id="nK-v0" class="val">        one per display row: nK-v0, nK-v1, …
        <text class="cue-grad">∇</text>
        <text id="nK-g0" class="grad">       one per display row: nK-g0, nK-g1, …
    <g id="eK" class="edge arg0|arg1 STATE…">
        <title>             `src → dst`
        <path>                               the edge, from src to dst
        <polygon class="head">               arrowhead at dst
        <polygon class="back-head">          arrowhead at src pointing back to it (hidden)
        <polygon class="local-bg">           with edge labels: the label's background
        <text id="eK-local" class="local">   with edge labels: ∂dst/∂src

Node groups are moved into place by `transform="translate(x,y)"` (what is inside them is
relative to the box's top-left corner); the viewBox need not start at 0 0.
Number texts (`val`, `grad`, `local`) keep their spaces (xml:space="preserve"); `val` and
`grad` are anchored at their cell's right edge (text-anchor="end"), `local` at its centre.
Node STATE classes: pending, current, dead, nonfinite, grad-partial, grad-final,
nonfinite-grad. Edge STATE classes: active, forward, backward, dead, pending.
"""

from __future__ import annotations

from . import layouts, png
from .dot import DIRECTIONS, dot_source, trace_structure
from .frames import render_frame, render_state, start_frame
from .graphviz import (
    LAYOUT_TIMEOUT,
    GraphvizUnavailable,
    LayoutError,
    LayoutTimeout,
    dot_works,
    layout,
    refill_spare,
)
from .layouts import (
    Layout,
    PendingLayout,
    adopt_structure,
    get_layout,
    lay_out,
    start_layout,
    start_structure_layout,
    structure_key,
)
from .png import render_png
from .states import frame_state
from .theme import DEFAULT_THEME, FRAME_CSS, THEMES, frame_css, palettes, theme_name


def clear_caches() -> None:
    """Forget every layout and PNG (tests and benchmarks)."""
    layouts.clear_cache()
    png.clear_cache()


__all__ = [
    "DEFAULT_THEME", "DIRECTIONS", "FRAME_CSS", "GraphvizUnavailable", "LAYOUT_TIMEOUT",
    "THEMES", "frame_css", "palettes", "theme_name", "Layout", "LayoutError", "LayoutTimeout",
    "PendingLayout", "adopt_structure", "lay_out", "clear_caches", "dot_source", "dot_works",
    "frame_state",
    "get_layout", "layout", "refill_spare", "render_frame", "render_png", "render_state",
    "start_frame", "start_layout", "start_structure_layout", "structure_key",
    "trace_structure",
]
