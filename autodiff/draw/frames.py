"""A frame's SVG text: the layout's template filled with the texts of one step."""

from __future__ import annotations

from collections.abc import Callable

from ..model import Graph
from .layouts import Layout, structure_key
from .states import FrameState, class_attr, final_state, frame_state, slot_order, timeline
from .svg import CUES, Slot, escape
from .theme import DEFAULT_THEME, THEMES, frame_css


def _lines(lines: tuple[str, ...], count: int) -> list[str]:
    """The lines escaped, or `count` empty ones when there are none (no gradient yet)."""
    return [escape(line) for line in lines] if lines else [""] * count


SLOT_TEXTS: dict[str, Callable[[FrameState], list[list[str]]]] = {
    "node": lambda st: [[class_attr(n.classes)] for n in st.nodes],
    "val": lambda st: [_lines(n.value, len(n.value)) for n in st.nodes],
    "grad": lambda st: [_lines(n.grad, len(n.value)) for n in st.nodes],
    "edge": lambda st: [[class_attr(e.classes)] for e in st.edges],
    "local": lambda st: [_lines((e.local,), 1) for e in st.edges],
}
"""Per kind of slot, its texts by node or edge index and line."""


def state_texts(state: FrameState, slots: tuple[Slot, ...]) -> list[str]:
    """The slot texts of a frame state, one per slot."""
    tables = {kind: texts(state) for kind, texts in SLOT_TEXTS.items()}
    return [tables[kind][i][k] for kind, i, k in slots]


def render_state(layout: Layout, state: FrameState, theme: str = DEFAULT_THEME) -> str:
    """SVG text of a frame state (the reference `render_frame` is checked against)."""
    return layout.fill(state_texts(state, layout.slots), frame_css(theme))


def start_frame(
    graph: Graph, step: int | None = None, edge_labels: bool = False, theme: str = DEFAULT_THEME
) -> Callable[[Layout], str]:
    """Work a frame's texts out now (e.g. while dot runs), in the theme's number form; the
    call returned puts them into the graph's layout in that form (made for one frame:
    `render_frame` serves many)."""
    numbers = THEMES[theme].numbers
    state = final_state(graph, numbers) if step is None else frame_state(graph, step, numbers)
    texts = state_texts(state, slot_order(graph, bool(edge_labels), numbers))

    def fill(layout: Layout) -> str:
        if layout.numbers != numbers:
            raise ValueError(f"the layout writes numbers {layout.numbers}, the theme {numbers}")
        return _in_view(_checked_layout(layout, graph).fill(texts, frame_css(theme)), graph)

    return fill


def render_frame(
    layout: Layout,
    graph: Graph,
    step: int | None = None,
    theme: str = DEFAULT_THEME,
    css: str | None = None,
) -> str:
    """SVG text of the graph at `step` (None: the last frame) in `theme`'s colours (or with
    the style sheet `css`, e.g. `fade.faded_css` of the theme's for rasterising); its numbers
    are written in the layout's form."""
    _checked_layout(layout, graph)
    texts = timeline(graph, layout.edge_labels, layout.numbers).texts(step)
    return _in_view(layout.fill(texts, frame_css(theme) if css is None else css), graph)


TANGENT_CUE = "&#7787;"
"""ṫ: what a gradient row's cue (∇) reads as when the row holds forward-mode tangents."""


def _in_view(svg: str, graph: Graph) -> str:
    """A frame of a forward-mode view: its gradient rows are tangents (class `tangents` on the
    root, which the style sheet colours as such, and the cue ṫ instead of ∇)."""
    if graph.view != "forward":
        return svg
    svg = svg.replace('class="adgraph"', 'class="adgraph tangents"', 1)
    return svg.replace(f'">{CUES["grad"]}</text>', f'">{TANGENT_CUE}</text>')


def _checked_layout(layout: Layout, graph: Graph) -> Layout:
    """The layout, if it was made for this graph's structure."""
    if layout.key != structure_key(graph, layout.edge_labels, layout.direction, layout.numbers):
        raise ValueError("the layout was made for a graph of another structure")
    return layout

