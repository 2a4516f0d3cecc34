"""LaTeX/TikZ: a standalone Beamer file that draws the graph with TikZ, one overlay a step.

The picture is our own frame SVG said again in TikZ: every node and edge group becomes a
scope, and a group that looks different across steps is drawn once per look, under
`\\only<...>` with the overlays that show that look. Its texts are set by TeX in the
document's own fonts; the colours are the theme's.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict

from ...model import Graph
from ..decorate import ROOT
from ..layouts import Layout
from ..theme import THEMES, Theme
from . import ExportOptions, check_export, checked_size, frames, steps_of
from .rsvg import Progress

GROUP = re.compile(r'<g id="([ne]\d+(?:-copy)?)" class="([^"]*)"(?: transform="translate\(([-\d.]+),'
                   r'([-\d.]+)\)")?>\n(.*?)</g>\n', re.S)
ELEMENT = re.compile(r'<(path|polygon|text)((?: [\w:-]+="[^"]*")*)(?:/>|>(.*?)</text>)', re.S)
ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
TEX_SPECIAL = {c: "\\" + c for c in "#$%&_{}"} | {"~": r"\textasciitilde{}",
                                                   "^": r"\textasciicircum{}",
                                                   "\\": r"\textbackslash{}"}
SYMBOLS = {"·": r"$\cdot$", "∇": r"$\nabla$", "×": r"$\times$", "−": "-", "⋮": r"$\vdots$",
           "∶": ":", "→": r"$\to$", "⟨": r"$\langle$", "⟩": r"$\rangle$", "…": r"\dots{}",
           "∂": r"$\partial$", "↗": r"$\nearrow$", "√": r"$\surd$", "∑": r"$\Sigma$", "Σ": r"$\Sigma$"}
FONT = {"label": (14, r"\sffamily\bfseries"), "op": (11, r"\sffamily"),
        "shape": (11, r"\sffamily"), "val": (14, r"\ttfamily"), "grad": (14, r"\ttfamily"),
        "cue-val": (14, r"\sffamily\bfseries"), "cue-grad": (14, r"\sffamily\bfseries"),
        "local": (12, r"\ttfamily")}
ANCHOR = {"end": "base east", "middle": "base", None: "base west"}
WIDE = 1.6
"""A graph wider than this for its height fills the slide's width; a taller one its height."""


def tikz_tex(graph: Graph, layout: Layout, options: ExportOptions,
             progress: Progress = None) -> bytes:
    """The .tex file: a Beamer frame with one overlay per step of the range, and a caption."""
    steps = steps_of(graph, options)
    check_export(graph, layout, options, "tex")
    shown = frames(graph, layout, ExportOptions(first=steps.start, last=steps.stop - 1,
                                                caption=False, theme=options.theme))
    looks: dict[str, dict[tuple, list[int]]] = defaultdict(dict)
    order: list[str] = []
    for overlay, frame in enumerate(shown, start=1):
        for gid, classes, x, y, body in GROUP.findall(frame.svg):
            if gid not in looks:
                order.append(gid)
            looks[gid].setdefault((classes, x, y, body), []).append(overlay)
    theme = THEMES[options.theme]
    lines = [_group(key, overlays, len(shown), theme)
             for gid in order for key, overlays in looks[gid].items()]
    box = tuple(float(v) for v in ROOT.search(shown[0].svg).group(4).split())
    captions = [rf"\only<{p}>{{{_tex(f.text)}}}%" for p, f in enumerate(shown, start=1)]
    if progress is not None:
        progress(len(shown))
    return checked_size(_document(layout, box, lines, captions, theme).encode("utf-8"))


def _document(layout: Layout, box: tuple[float, ...], lines: list[str], captions: list[str],
              theme: Theme) -> str:
    size = (r"{\linewidth}{!}" if layout.width / layout.height > WIDE
            else r"{!}{0.72\textheight}")
    colours = "\n".join(rf"\definecolor{{ad{name}}}{{HTML}}{{{value[1:].upper()}}}"
                        for name, value in vars(theme).items()
                        if isinstance(value, str) and value.startswith("#"))
    return "\n".join([
        r"\documentclass{beamer}",
        r"\usepackage{tikz}",
        colours,
        r"\setbeamertemplate{navigation symbols}{}",
        r"\begin{document}",
        r"\begin{frame}[plain]",
        r"\centering",
        rf"\resizebox{size}{{%",
        r"\begin{tikzpicture}[x=1pt, y=-1pt, every node/.style={inner sep=0pt, outer sep=0pt}]",
        rf"\fill[adbackground] ({box[0]:.2f},{box[1]:.2f}) rectangle "
        rf"({box[0] + box[2]:.2f},{box[1] + box[3]:.2f});",
        *lines,
        r"\end{tikzpicture}}",
        r"\par\medskip\raggedright\small",
        *captions,
        r"\end{frame}",
        r"\end{document}",
        "",
    ])


def _group(key: tuple, overlays: list[int], total: int, theme: Theme) -> str:
    """One look of one node or edge, under `\\only` unless every overlay shows it."""
    classes, x, y, body = key
    names = set(classes.split())
    shift = f"shift={{({float(x):.2f},{float(y):.2f})}}," if x else ""
    opacity = "opacity=0.4," if "dead" in names else ""
    drawn = [d for d in (_element(tag, dict(ATTRIBUTE.findall(attrs)), text, names, theme)
                         for tag, attrs, text in ELEMENT.findall(body)) if d]
    scope = rf"\begin{{scope}}[{shift}{opacity}]" + "\n" + "\n".join(drawn) + "\n\\end{scope}"
    if len(overlays) == total:
        return scope
    return rf"\only<{_spec(overlays)}>{{" + "\n" + scope + "}"


def _spec(overlays: list[int]) -> str:
    """`1-3,5`: the overlays as ranges."""
    runs: list[list[int]] = []
    for o in overlays:
        if runs and o == runs[-1][1] + 1:
            runs[-1][1] = o
        else:
            runs.append([o, o])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _element(tag: str, attrs: dict, text: str, names: set[str], theme: Theme) -> str | None:
    kind = attrs.get("class", "")
    if tag == "text":
        return _text(kind, attrs, text, names, theme)
    style = _style(kind, names, theme)
    if style is None:
        return None
    numbers = [float(v) for v in NUMBER.findall(attrs.get("points") or attrs.get("d", ""))]
    points = [f"({numbers[i]:.2f},{numbers[i + 1]:.2f})" for i in range(0, len(numbers) - 1, 2)]
    if tag == "path" and kind == "outline":  # an input's rounded box
        xs, ys = numbers[0::2], numbers[1::2]
        return (rf"\draw[{style}, rounded corners=10pt] ({min(xs):.2f},{min(ys):.2f}) "
                rf"rectangle ({max(xs):.2f},{max(ys):.2f});")
    if tag == "path":  # an edge: M, then cubic Béziers
        segments = [points[0]] + [f".. controls {points[i]} and {points[i + 1]} .. {points[i + 2]}"
                                  for i in range(1, len(points) - 2, 3)]
        return rf"\draw[{style}] " + " ".join(segments) + ";"
    if len(points) == 2:
        return rf"\draw[{style}] {points[0]} -- {points[1]};"
    return rf"\filldraw[{style}] " + " -- ".join(points) + " -- cycle;"


def _style(kind: str, names: set[str], theme: Theme) -> str | None:
    """TikZ options for a shape of class `kind` in a group with classes `names`."""
    active = "active" in names
    forward, backward = active and "forward" in names, active and "backward" in names
    if kind == "outline":
        fill = ("adinput_fill" if "kind-input" in names else
                "adconst_fill" if "kind-const" in names else "adnode")
        width = theme.current_width if "current" in names else theme.outline_width + (
            1 if "kind-input" in names else 0)
        dashed = "kind-const" in names or "copy" in names  # a shared leaf's copy: dashed
        dash = ", dash pattern=on 5pt off 2pt" if dashed else ""
        draw = "adcurrent" if "current" in names else "adstroke"
        return f"fill={fill}, draw={draw}, line width={width}pt{dash}"
    if kind == "slot-val":
        return f"fill={'adwarn_fill' if 'nonfinite' in names else 'advalue_fill'}, draw=none"
    if kind == "slot-grad":
        if "nonfinite-grad" in names:
            return "fill=adwarn_fill, draw=adwarn, line width=2pt"
        if "grad-partial" in names:
            return "fill=adpartial_fill, draw=adgradient, line width=1.2pt, dash pattern=on 2pt off 2pt"
        return f"fill={'adfinal_fill' if 'grad-final' in names else 'adgradient_fill'}, draw=none"
    if kind == "rule":
        return "draw=adstroke, line width=1pt"
    colour = "advalue" if forward else "adgradient" if backward else "adstroke"
    width = theme.active_width if active else theme.edge_width
    if kind == "":  # the edge's path
        dash = ", dash pattern=on 9pt off 5pt" if backward else ""
        return f"draw={colour}, line width={width}pt{dash}"
    if kind == "head":
        return None if backward else f"fill={colour}, draw={colour}, line width={theme.edge_width}pt"
    if kind == "back-head":
        return f"fill=adgradient, draw=adgradient, line width={theme.edge_width}pt" if backward else None
    return None  # local-bg: nothing


def _text(kind: str, attrs: dict, text: str, names: set[str], theme: Theme) -> str | None:
    content = _tex(html.unescape(text or ""))
    if not content.strip():
        return None
    size, family = FONT.get(kind, (14, r"\sffamily"))
    if kind == "label" and "kind-const" in names:
        family = r"\sffamily"
    if kind == "label" and "copy" in names:
        family += r"\itshape"
    colour = {"val": "advalue", "cue-val": "advalue", "grad": "adgradient",
              "cue-grad": "adgradient", "op": "admuted", "shape": "admuted",
              "local": "adtangent"}.get(kind, "adtext")
    if kind == "val" and "pending" in names or kind == "local" and "pending" in names:
        colour = "adpending"
    if kind == "grad":
        family += r"\itshape" if "grad-partial" in names else (
            r"\bfseries" if "grad-final" in names else "")
    anchor = ANCHOR[attrs.get("text-anchor")]
    return (rf"\node[anchor={anchor}, text={colour}, font={{\fontsize{{{size}}}{{{size + 2}}}"
            rf"\selectfont{family}}}] at ({float(attrs['x']):.2f},{float(attrs['y']):.2f}) "
            rf"{{{content}}};")


def _tex(text: str) -> str:
    """Plain text as TeX: its specials escaped, symbols and Greek letters as math."""
    out = []
    for c in text:
        if c in TEX_SPECIAL:
            out.append(TEX_SPECIAL[c])
        elif c in SYMBOLS:
            out.append(SYMBOLS[c])
        elif c == "\n":
            out.append(r"\\ ")
        elif ord(c) < 128:
            out.append(c)
        else:
            out.append(_greek(c))
    return "".join(out)


GREEK_SMALL = set("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi "
                  "rho sigma tau upsilon phi chi psi omega".split())
GREEK_CAPITAL = set("Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split())
"""The Greek letters TeX has a command for (the others look like Latin letters)."""


def _greek(c: str) -> str:
    """A Greek letter as TeX's math command; any other character as its closest ASCII or `?`."""
    name = unicodedata.name(c, "")
    letter = name.removeprefix("GREEK SMALL LETTER ").removeprefix("GREEK CAPITAL LETTER ")
    if name.startswith("GREEK SMALL") and letter.lower() in GREEK_SMALL:
        return rf"$\{letter.lower()}$"
    if name.startswith("GREEK CAPITAL") and letter.capitalize() in GREEK_CAPITAL:
        return rf"$\{letter.capitalize()}$"
    plain = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
    return plain or "?"
