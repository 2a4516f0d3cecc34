"""The look of a frame: colours and the style sheet embedded in every SVG."""

from __future__ import annotations

VALUE_GREEN = "#1a7f37"
"""5.1:1 on white."""
GRAD_RED = "#c62828"
"""5.6:1 on white."""
INK = "#24292f"
EDGE_INK = "#57606a"

FRAME_CSS = f"""
.adgraph .outline {{ fill: #ffffff; stroke: {INK}; stroke-width: 1.5; }}
.adgraph .kind-input .outline {{ fill: #dbeafe; stroke-width: 2.5; }}
.adgraph .kind-const .outline {{ fill: #e8e8e8; stroke-dasharray: 5 2; }}
.adgraph .slot-val {{ fill: #fbfefb; }}
.adgraph .slot-grad {{ fill: #fefbfb; }}
.adgraph .rule {{ fill: none; stroke: {INK}; stroke-width: 1; }}
.adgraph .edge path {{ fill: none; stroke: {EDGE_INK}; stroke-width: 1.6; }}
.adgraph .edge .head {{ fill: {EDGE_INK}; stroke: {EDGE_INK}; stroke-width: 1.6; }}
.adgraph .back-head {{ fill: {GRAD_RED}; stroke: {GRAD_RED}; stroke-width: 1.6; }}
.adgraph text {{ font-family: "DejaVu Sans", sans-serif; font-size: 14px; fill: #1f2328; }}
.adgraph .label {{ font-weight: bold; }}
.adgraph .kind-const .label {{ font-weight: normal; }}
.adgraph .shape, .adgraph .op {{ font-size: 11px; }}
.adgraph .val, .adgraph .grad, .adgraph .local {{
  font-family: "DejaVu Sans Mono", monospace; white-space: pre; }}
.adgraph .local {{ font-size: 12px; }}
.adgraph .val, .adgraph .cue-val {{ fill: {VALUE_GREEN}; }}
.adgraph .grad, .adgraph .cue-grad {{ fill: {GRAD_RED}; }}
.adgraph .cue-val, .adgraph .cue-grad {{ font-weight: bold; }}
.adgraph .op, .adgraph .shape {{ fill: #57606a; }}
.adgraph .local {{ fill: #1f2328; }}
.adgraph .local-bg {{ fill: none; }}
.adgraph .pending .val, .adgraph .edge.pending .local {{ fill: #8c959f; }}
.adgraph .grad-partial .grad {{ font-style: italic; fill-opacity: 0.85; }}
.adgraph .grad-partial .slot-grad {{
  fill: #fff5f5; stroke: {GRAD_RED}; stroke-width: 1.2; stroke-dasharray: 2 2; }}
.adgraph .grad-final .grad {{ font-weight: bold; }}
.adgraph .grad-final .slot-grad {{ fill: #fdecec; }}
.adgraph .nonfinite .slot-val, .adgraph .nonfinite-grad .slot-grad {{
  fill: #fff1c2; stroke: #9a6700; stroke-width: 2; }}
.adgraph .nonfinite .val, .adgraph .nonfinite-grad .grad {{ fill: #9a6700; font-weight: bold; }}
.adgraph .current .outline {{ stroke: #d97706; stroke-width: 5; }}
.adgraph .dead {{ opacity: 0.4; }}
.adgraph .back-head {{ visibility: hidden; }}
.adgraph .edge.active path {{ stroke-width: 4; }}
.adgraph .edge.active.forward path {{ stroke: {VALUE_GREEN}; }}
.adgraph .edge.active.forward .head {{ fill: {VALUE_GREEN}; stroke: {VALUE_GREEN}; }}
.adgraph .edge.active.backward path {{ stroke: {GRAD_RED}; stroke-dasharray: 9 5; }}
.adgraph .edge.active.backward .head {{ visibility: hidden; }}
.adgraph .edge.active.backward .back-head {{
  visibility: visible; fill: {GRAD_RED}; stroke: {GRAD_RED}; }}
"""
"""The look of a frame, embedded in every SVG so a frame stands alone (also in an <img>):
first every element's own look by its class, then the state classes' changes to it."""
