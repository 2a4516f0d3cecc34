"""One self-contained HTML file that steps through every frame with the network off.

The file holds the layout's template once and the timeline (the texts at step 0 and what
each step changes), not a picture per step; a small inline script joins a step's SVG, as the
server does, and shows it as an image from a `blob:` URL. Nothing is fetched: its content
security policy forbids any request, and every explanation reaches the page as text.
"""

from __future__ import annotations

import html
import json
from importlib import resources

from ...i18n import N_, _, current
from ...model import Graph
from ..decorate import PHASES, caption_text
from ..layouts import STYLE, Layout
from ..states import timeline
from ..theme import THEMES, frame_css
from . import ExportOptions, check_work, checked_size, phase_of, steps_of
from .rsvg import Progress

CSP = ("default-src 'none'; img-src blob:; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
"""Inline script and style, pictures from blob: URLs, and nothing from anywhere else."""

WORDS = {
    "title": N_("Backprop, step by step"),
    "picture": N_("the computation graph at this step"),
    "first": N_("first step (Home)"),
    "prev": N_("previous step (←)"),
    "play_pause": N_("play or pause (Space)"),
    "next": N_("next step (→)"),
    "last": N_("last step (End)"),
    "step": N_("step"),
    "tape": N_("Tape"),
    "play": N_("Play"),
    "pause": N_("Pause"),
    "counter": N_("step {k} / {n}"),
}
"""The page's words, in the export's language (`{{WORD:key}}` in its template)."""


def standalone_html(graph: Graph, layout: Layout, options: ExportOptions,
                    progress: Progress = None) -> bytes:
    """The page: graph, stepper, explanation and tape, for the chosen range of steps."""
    steps = steps_of(graph, options)
    check_work(layout, 1, "html")
    return checked_size(page(graph, layout, options, steps).encode("utf-8"))


def page(graph: Graph, layout: Layout, options: ExportOptions, steps: range) -> str:
    """The HTML text (also what a notebook's stepper puts in its iframe)."""
    line = timeline(graph, layout.edge_labels, layout.numbers)
    parts = list(layout.parts)
    parts[0] = parts[0].replace(STYLE, frame_css(options.theme), 1)
    data = {
        "parts": parts,
        "stride": line.stride,
        "snapshots": line.snapshots,
        "changes": line.changes,
        "first": steps.start,
        "last": steps.stop - 1,
        "texts": [caption_text(graph, k) for k in range(len(graph.steps) + 1)],
        "tape": [caption_text(graph, 0)] + [s.text for s in graph.steps],
        "phases": [phase_of(graph, k) for k in range(len(graph.steps) + 1)],
        "phase_words": [_(PHASES.get(phase_of(graph, k), "start")) if k else _("start")
                        for k in range(len(graph.steps) + 1)],
        "words": {key: _(text) for key, text in WORDS.items()},
        "background": THEMES[options.theme].background,
    }
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    blob = blob.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    template = resources.files(__package__).joinpath("standalone.html").read_text("utf-8")
    for key, text in WORDS.items():
        template = template.replace(f"{{{{WORD:{key}}}}}", html.escape(_(text)))
    return (template.replace("{{CSP}}", CSP).replace("{{LANG}}", current())
            .replace("{{DATA}}", blob))
