"""Fading by colour: the frame's style sheet with `.dead`'s group opacity turned into colours
blended toward the background, for rasterising.

cairosvg paints a group with `opacity` through a scratch surface the size of the whole
picture, once per faded group, so a final frame with hundreds of unused values cost minutes
of CPU. A faded group over the background looks the same as its shapes drawn in colours
blended toward that background, which costs nothing extra to paint.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .states import EDGE_RULES, NODE_RULES

FADED = "dead"
"""The state class drawn faded."""
FADE_RULE = re.compile(r"\.adgraph\s+\.dead\s*\{\s*opacity:\s*([0-9.]+);?\s*\}")
"""The style sheet's one rule that fades: its opacity is the blend's weight."""
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
COLOUR_PROPERTIES = ("fill", "stroke")
HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
GROUP_CLASSES = frozenset(
    ["node", "edge", "output", "arg0", "arg1"]
    + [name for name, _ in NODE_RULES]
    + [name for name, _ in EDGE_RULES]
)
"""Classes of a node's or an edge's group (`kind-…` too): where `.dead` stands."""


@lru_cache(maxsize=16)
def faded_css(css: str, background: str) -> str:
    """`css` without group opacity: each rule that colours something gets a `.dead` twin in
    colours blended toward `background` (marked important, so the twins keep among
    themselves the order of their originals' specificity and override all of them)."""
    found = FADE_RULE.search(css)
    if found is None:
        return css
    weight = float(found[1])
    twins = []
    for selectors, body in RULE.findall(css[: found.start()] + css[found.end() :]):
        colours = _blended(body, background, weight)
        if colours:
            faded = ", ".join(_faded_selector(s) for s in selectors.split(","))
            twins.append(f"{faded} {{ {colours} }}")
    return css[: found.start()] + css[found.end() :] + "\n" + "\n".join(twins) + "\n"


def _blended(body: str, background: str, weight: float) -> str:
    """The colour declarations of a rule's body, blended, each `!important`."""
    out = []
    for declaration in body.split(";"):
        name, _, value = (part.strip() for part in declaration.partition(":"))
        if name in COLOUR_PROPERTIES and HEX.fullmatch(value):
            out.append(f"{name}: {blend(value, background, weight)} !important;")
    return " ".join(out)


def _faded_selector(selector: str) -> str:
    """The selector for the same elements inside a faded group."""
    compounds = selector.split()
    for i, compound in enumerate(compounds[1:], start=1):
        classes = compound.split(".")[1:]
        if any(c in GROUP_CLASSES or c.startswith("kind-") for c in classes):
            compounds[i] = compound + "." + FADED
            return " ".join(compounds)
    compounds.insert(len(compounds) - 1, "." + FADED)
    return " ".join(compounds)


def blend(colour: str, background: str, weight: float) -> str:
    """`colour` at `weight` over `background`, as one opaque colour."""
    a, b = _rgb(colour), _rgb(background)
    mixed = (round(weight * x + (1 - weight) * y) for x, y in zip(a, b))
    return "#" + "".join(f"{v:02x}" for v in mixed)


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
