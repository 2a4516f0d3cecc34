"""Drawing a graph: laid out once per structure by a sandboxed Graphviz, frames by string joins.

    layout = get_layout(graph)                 # cached by structure: values never re-run dot
    svg = render_frame(layout, graph, step)    # standalone SVG text of one step
    png = render_png(layout, graph, step)      # the same frame as PNG, at 2× scale

The SVG contract, shared with the browser (which applies the rules of `autodiff.frames`
to this same SVG in JS; the class names there are the state classes below):

    <svg class="adgraph" viewBox="…">     first child <style>: FRAME_CSS
    <g id="nK" class="node kind-input|kind-const|kind-op [output] STATE…">
        <title>             the node's label
        <path|polygon class="outline">       the node's border
        <text id="nK-label" class="label">   header: the label (cut to 20 characters)
        <text id="nK-shape" class="shape">   arrays only: `⟨2×3⟩`, `⟨3⟩`
        <text id="nK-op" class="op">         ops only: `×`, `cos`, `@`
        <polygon class="slot-val">           value-row cell backgrounds (cue and numbers)
        <text class="cue-val">=</text>
        <text id="nK-v0" class="val">        one per display row: nK-v0, nK-v1, …
        <polygon class="slot-grad">          gradient row (not for constants)
        <text class="cue-grad">∇</text>
        <text id="nK-g0" class="grad">       one per display row: nK-g0, nK-g1, …
        <polygon class="rule">               row separators
    <g id="eK" class="edge arg0|arg1 STATE…">
        <title>             `src → dst`
        <path>                               the edge, from src to dst
        <polygon class="head">               arrowhead at dst
        <polygon class="back-head">          arrowhead at src pointing back to it (hidden)
        <polygon class="local-bg">           with edge labels: the label's background
        <text id="eK-local" class="local">   with edge labels: ∂dst/∂src

Number texts (`val`, `grad`, `local`) keep their spaces (xml:space="preserve"); `val` and
`grad` are anchored at their cell's right edge (text-anchor="end"), `local` at its centre.
Node STATE classes: pending, current, dead, nonfinite, grad-partial, grad-final,
nonfinite-grad. Edge STATE classes: active, forward, backward, dead, pending.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import weakref
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .dot import PAD, SLOT_FILLS, NodeSpec, Structure, layout_size, structure, structure_dot
from .errors import AutodiffError
from .format import display_height
from .frames import FrameState, frame_state
from .model import Graph

LAYOUT_TIMEOUT = 10.0
"""Seconds Graphviz may take for one layout."""

MAX_LAYOUT_SIZE = 40_000
"""Nodes plus virtual nodes (`dot.layout_size`) beyond which dot is not even tried: such
graphs (an input used by hundreds of ops far apart) take dot minutes and gigabytes."""

CACHE_SIZE = 256
"""Layouts (or layout failures) kept, least recently used dropped first."""

PNG_SCALE = 2.0
PX_PER_PT = 96 / 72
"""cairosvg draws the SVG's points at 96 pixels per inch before scaling."""
MAX_PNG_PIXELS = 40_000_000
"""A PNG larger than this is drawn at a smaller scale, so memory stays bounded."""
MAX_PNG_SIDE = 30_000
"""Cairo's surfaces stop at 32767 pixels a side."""
PNG_GLYPHS = str.maketrans({"⋮": "∶"})
"""Stand-ins for glyphs DejaVu Sans Mono lacks: cairo, unlike browsers, has no fallback font."""

VALUE_GREEN = "#1a7f37"
"""5.1:1 on white."""
GRAD_RED = "#c62828"
"""5.6:1 on white."""

FRAME_CSS = f"""
.adgraph text {{ font-family: "DejaVu Sans", sans-serif; fill: #1f2328; }}
.adgraph .val, .adgraph .grad, .adgraph .local {{
  font-family: "DejaVu Sans Mono", monospace; white-space: pre; }}
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
"""The frame styles, embedded in every SVG so a frame stands alone (also in an <img>)."""


class LayoutError(AutodiffError):
    """Graphviz could not lay the graph out (too large, failed or crashed)."""


# --- running dot --------------------------------------------------------------------------


def dot_binary() -> str:
    """Path of Graphviz's `dot`."""
    return shutil.which("dot") or "/usr/bin/dot"


def layout(dot_source: str, timeout: float = LAYOUT_TIMEOUT) -> str:
    """SVG text from DOT text, by `dot -Tsvg` in its own session, killed after `timeout` s."""
    with tempfile.TemporaryDirectory(prefix="autodiff-dot-") as empty:
        # SERVER_NAME makes Graphviz refuse files and images from disk; GV_FILE_PATH is empty.
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": empty,
            "SERVER_NAME": "autodiff",
            "GV_FILE_PATH": empty + os.sep,
        }
        try:
            proc = subprocess.Popen(
                [dot_binary(), "-Tsvg"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=empty,
                env=env,
                start_new_session=True,
            )
        except OSError as err:
            raise LayoutError(f"Graphviz could not be started: {err.strerror}") from None
        try:
            out, err = proc.communicate(dot_source.encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LayoutError(_too_large(timeout)) from None
        finally:
            if proc.returncode is None:
                _kill_group(proc)
    return _checked(proc.returncode, out, err)


def _too_large(timeout: float) -> str:
    return f"the graph is too large for Graphviz to lay out in {timeout:g} s"


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill dot's whole process group and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


def _checked(returncode: int, out: bytes, err: bytes) -> str:
    """dot's SVG, or a LayoutError that says what went wrong."""
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else ""
        raise LayoutError(f"Graphviz crashed ({name or -returncode}) laying out this graph")
    if returncode > 0:
        first = next(
            (line.strip() for line in err.decode(errors="replace").splitlines() if line.strip()),
            f"exit status {returncode}",
        )
        raise LayoutError(f"Graphviz failed: {first}")
    if not out.strip():
        raise LayoutError("Graphviz produced no drawing")
    return out.decode("utf-8", errors="replace")


# --- the layout: SVG post-processed once into a template -----------------------------------

Slot = tuple[str, int, int]
"""What fills one gap of the template: (kind, node or edge index, line)."""


@dataclass(frozen=True)
class Layout:
    """A laid-out structure: the SVG as static parts with per-frame slots between them."""

    key: str
    parts: tuple[str, ...]
    slots: tuple[Slot, ...]
    nodes: int
    edges: int
    width: float
    """Points, from the viewBox."""
    height: float

    def fill(self, texts: list[str]) -> str:
        """The SVG with `texts[i]` in slot i."""
        out = [""] * (2 * len(self.parts) - 1)
        out[0::2] = self.parts
        out[1::2] = texts
        return "".join(out)


SVG_NS = "http://www.w3.org/2000/svg"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
ELEMENTS = frozenset({"svg", "g", "title", "path", "polygon", "polyline", "ellipse", "text"})
"""Elements kept from Graphviz's SVG; anything else (links, images, scripts) is dropped."""
ATTRIBUTES = frozenset(
    {
        "id",
        "class",
        "width",
        "height",
        "viewBox",
        "transform",
        "points",
        "d",
        "x",
        "y",
        "cx",
        "cy",
        "rx",
        "ry",
        "fill",
        "stroke",
        "stroke-width",
        "stroke-dasharray",
        "fill-opacity",
        "stroke-opacity",
        "opacity",
        "text-anchor",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "visibility",
        XML_SPACE,
    }
)
"""Attributes kept; event handlers, links and inline styles are dropped."""
FILL_CLASSES = {
    fill: f"slot-{slot}" if slot != "local" else "local-bg" for slot, fill in SLOT_FILLS.items()
}
MARK = re.compile("\ue000(\\d+)\ue001")
NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")
ARROW_LENGTH, ARROW_HALF_WIDTH = 9.0, 3.2
"""Graphviz's normal arrowhead (10 × 3.5) at the edges' arrowsize 0.9."""


def build_layout(s: Structure, timeout: float = LAYOUT_TIMEOUT) -> Layout:
    """Run dot on a structure and turn the SVG into a frame template."""
    if layout_size(s) > MAX_LAYOUT_SIZE:
        raise LayoutError(_too_large(timeout))
    try:
        root = ET.fromstring(layout(structure_dot(s), timeout))
    except ET.ParseError as err:
        raise LayoutError(f"Graphviz produced an unreadable drawing ({err})") from None
    slots: list[Slot] = []
    _sanitize(root)
    for group in root.iter("g"):
        kind, index = _group_of(group)
        if kind == "node":
            _node(group, index, s.nodes[index], slots)
        elif kind == "edge":
            _edge(group, index, s, slots)
    _finish_root(root)
    return _template(root, s, slots)


def _sanitize(root: ET.Element) -> None:
    """Drop namespaces, non-drawing elements and non-drawing attributes."""
    for el in list(root.iter()):
        el.tag = el.tag.rsplit("}", 1)[-1]
        for name in [n for n in el.attrib if n not in ATTRIBUTES]:
            del el.attrib[name]
        for child in [c for c in el if c.tag.rsplit("}", 1)[-1] not in ELEMENTS]:
            el.remove(child)


def _group_of(group: ET.Element) -> tuple[str, int]:
    """('node', K) for `nK`, ('edge', K) for `eK`, else ('', -1)."""
    match = re.fullmatch(r"([ne])(\d+)", group.get("id", ""))
    if not match:
        return "", -1
    return {"n": "node", "e": "edge"}[match[1]], int(match[2])


def _mark(slots: list[Slot], slot: Slot) -> str:
    slots.append(slot)
    return f"\ue000{len(slots) - 1}\ue001"


def _text_roles(spec: NodeSpec) -> list[tuple[str | None, str, Slot | None]]:
    """(id suffix, class, slot) of each text of a node, in Graphviz's drawing order."""
    roles: list[tuple[str | None, str, Slot | None]] = [("label", "label", None)]
    roles += [("shape", "shape", None)] if spec.shape else []
    roles += [("op", "op", None)] if spec.symbol else []
    for slot in spec.slots:
        roles.append((None, f"cue-{slot}", None))
        lines = range(display_height(spec.shape))
        roles += [(f"{slot[0]}{i}", slot, (slot, -1, i)) for i in lines]
    return roles


def _node(group: ET.Element, index: int, spec: NodeSpec, slots: list[Slot]) -> None:
    """Ids, classes and slots for one node's group."""
    group.set("class", group.get("class", "node") + _mark(slots, ("node", index, 0)))
    _set_title(group, spec.label)
    shapes = [c for c in group if c.tag in ("path", "polygon", "ellipse")]
    if shapes:
        shapes[0].set("class", "outline")
    for poly in shapes[1:]:
        poly.set("class", FILL_CLASSES.get(poly.get("fill", ""), "rule"))
    texts = [c for c in group if c.tag == "text"]
    roles = _text_roles(spec)
    if len(texts) != len(roles):
        raise LayoutError(f"Graphviz drew node {spec.label!r} unexpectedly")
    right = _right_edges(group)
    for text, (suffix, cls, slot) in zip(texts, roles):
        text.set("class", cls)
        if suffix:
            text.set("id", f"n{index}-{suffix}")
        if slot:
            text.attrib.update(
                {"text-anchor": "end", "x": _num(right[id(text)] - PAD), XML_SPACE: "preserve"}
            )
            text.text = _mark(slots, (slot[0], index, slot[2]))


def _right_edges(group: ET.Element) -> dict[int, float]:
    """For each text, the right edge of the last cell background drawn before it."""
    right, edges = math.nan, {}
    for child in group:
        if child.tag == "polygon":
            right = max(_points(child)[0::2], default=right)
        elif child.tag == "text":
            edges[id(child)] = right
    return edges


def _edge(group: ET.Element, index: int, s: Structure, slots: list[Slot]) -> None:
    """Classes, the back arrowhead and the label slot for one edge's group."""
    src, dst, _ = s.edges[index]
    group.set("class", group.get("class", "edge") + _mark(slots, ("edge", index, 0)))
    _set_title(group, f"{s.nodes[src].label} → {s.nodes[dst].label}")
    path = group.find("path")
    heads = [c for c in group if c.tag == "polygon" and c.get("fill") not in FILL_CLASSES]
    for poly in group.iter("polygon"):
        if poly.get("fill") in FILL_CLASSES:
            poly.set("class", FILL_CLASSES[poly.get("fill")])
    if heads:
        heads[0].set("class", "head")
    points = _path_points(path)
    if len(points) > 1:
        hidden = {
            "class": "back-head",
            "visibility": "hidden",
            "fill": GRAD_RED,
            "stroke": GRAD_RED,
        }
        back = ET.Element("polygon", hidden | {"points": _back_head(points)})
        group.insert(list(group).index(heads[0] if heads else path) + 1, back)
    bg = next((p for p in group.iter("polygon") if p.get("class") == "local-bg"), None)
    for text in group.iter("text"):
        text.attrib.update({"id": f"e{index}-local", "class": "local", XML_SPACE: "preserve"})
        if bg is not None:
            xs = _points(bg)[0::2]
            text.attrib.update({"text-anchor": "middle", "x": _num((min(xs) + max(xs)) / 2)})
        text.text = _mark(slots, ("local", index, 0))


def _path_points(path: ET.Element | None) -> list[tuple[float, float]]:
    """The points of an edge's path: its start, then the control and end points."""
    coords = [float(v) for v in NUMBER.findall("" if path is None else path.get("d", ""))]
    return list(zip(coords[0::2], coords[1::2]))


def _back_head(pts: list[tuple[float, float]]) -> str:
    """An arrowhead with its tip at the path's start, pointing back along the path."""
    x0, y0 = pts[0]
    x1, y1 = next(((x, y) for x, y in pts[1:] if (x, y) != (x0, y0)), (x0 + 1, y0))
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    bx, by = x0 + ux * ARROW_LENGTH, y0 + uy * ARROW_LENGTH
    px, py = -uy * ARROW_HALF_WIDTH, ux * ARROW_HALF_WIDTH
    corners = [(bx + px, by + py), (x0, y0), (bx - px, by - py), (bx + px, by + py)]
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in corners)


def _points(poly: ET.Element) -> list[float]:
    return [float(v) for v in NUMBER.findall(poly.get("points", ""))]


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _set_title(group: ET.Element, text: str) -> None:
    title = group.find("title")
    if title is not None:
        title.text = text


def _finish_root(root: ET.Element) -> None:
    """Namespace, class and the embedded style sheet on the <svg> element."""
    root.set("xmlns", SVG_NS)
    root.set("class", "adgraph")
    root.set("role", "img")
    style = ET.Element("style")
    style.text = FRAME_CSS
    root.insert(0, style)


def _template(root: ET.Element, s: Structure, slots: list[Slot]) -> Layout:
    """Split the serialized SVG at the slot marks."""
    pieces = MARK.split(ET.tostring(root, encoding="unicode"))
    order = tuple(slots[int(i)] for i in pieces[1::2])
    box = [float(v) for v in root.get("viewBox", "0 0 0 0").split()]
    return Layout(s.key, tuple(pieces[0::2]), order, len(s.nodes), len(s.edges), box[2], box[3])


# --- the cache ------------------------------------------------------------------------------

_CACHE: OrderedDict[str, Layout | LayoutError] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def get_layout(graph: Graph, edge_labels: bool = False, timeout: float = LAYOUT_TIMEOUT) -> Layout:
    """The graph's layout, from the cache when a graph of the same structure was drawn."""
    s = _structure(graph, edge_labels)
    key = s.key
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
    if found is None:
        try:
            found = build_layout(s, timeout)
        except LayoutError as err:
            found = err  # a graph that failed once fails again: do not run dot on every request
        with _CACHE_LOCK:
            _CACHE[key] = found
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    if isinstance(found, LayoutError):
        raise LayoutError(found.message)
    return found


_STRUCTURES: weakref.WeakKeyDictionary[Graph, dict[bool, Structure]] = weakref.WeakKeyDictionary()


def _structure(graph: Graph, edge_labels: bool) -> Structure:
    """`dot.structure`, remembered per graph: the app asks again for every frame."""
    with _CACHE_LOCK:
        known = _STRUCTURES.setdefault(graph, {})
        found = known.get(edge_labels)
    if found is None:
        found = structure(graph, edge_labels)
        with _CACHE_LOCK:
            known[edge_labels] = found
    return found


def clear_cache() -> None:
    """Forget every layout."""
    with _CACHE_LOCK:
        _CACHE.clear()


# --- frames ---------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=65_536)
def _lines(lines: tuple[str, ...], count: int) -> tuple[str, ...]:
    """The lines escaped, or `count` empty ones when there are none (no gradient yet)."""
    return tuple(_escape(line) for line in lines) if lines else ("",) * count


@lru_cache(maxsize=4_096)
def _class_attr(names: tuple[str, ...]) -> tuple[str]:
    return ("".join(" " + name for name in names),)


SLOT_TEXTS: dict[str, Callable[[FrameState], list[tuple[str, ...]]]] = {
    "node": lambda st: [_class_attr(n.classes) for n in st.nodes],
    "val": lambda st: [_lines(n.value, len(n.value)) for n in st.nodes],
    "grad": lambda st: [_lines(n.grad, len(n.value)) for n in st.nodes],
    "edge": lambda st: [_class_attr(e.classes) for e in st.edges],
    "local": lambda st: [_lines((e.local,), 1) for e in st.edges],
}
"""Per kind of slot, its texts by node or edge index and line."""


def render_state(layout: Layout, state: FrameState) -> str:
    """SVG text of a frame state."""
    tables = {kind: texts(state) for kind, texts in SLOT_TEXTS.items()}
    return layout.fill([tables[kind][i][k] for kind, i, k in layout.slots])


def render_frame(layout: Layout, graph: Graph, step: int | None = None) -> str:
    """SVG text of the graph at `step` (None: the last frame)."""
    if (layout.nodes, layout.edges) != (len(graph.nodes), len(graph.edges)):
        raise ValueError("the layout was made for a graph of another structure")
    return render_state(layout, frame_state(graph, step))


def render_png(
    layout: Layout, graph: Graph, step: int | None = None, scale: float = PNG_SCALE
) -> bytes:
    """PNG bytes of the graph at `step`, drawn at `scale` (less for very large graphs)."""
    import cairosvg  # imported here: only PNG needs cairo

    width, height = layout.width * PX_PER_PT, layout.height * PX_PER_PT
    fit = math.sqrt(MAX_PNG_PIXELS / max(width * height, 1.0))
    side = MAX_PNG_SIDE / max(width, height, 1.0)
    svg = render_frame(layout, graph, step).translate(PNG_GLYPHS)
    return cairosvg.svg2png(
        bytestring=svg.encode(), scale=min(scale, fit, side), background_color="white"
    )


def structure_key(graph: Graph, edge_labels: bool = False) -> str:
    """The cache key of a graph's layout: equal for graphs that differ only in values."""
    return _structure(graph, bool(edge_labels)).key


__all__ = [
    "FRAME_CSS",
    "LAYOUT_TIMEOUT",
    "Layout",
    "LayoutError",
    "build_layout",
    "clear_cache",
    "frame_state",
    "get_layout",
    "layout",
    "render_frame",
    "render_png",
    "render_state",
    "structure_key",
]
