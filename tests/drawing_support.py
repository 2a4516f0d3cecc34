"""Helpers shared by the drawing's test files: building graphs and reading their frames."""

import dataclasses
import xml.etree.ElementTree as ET

import autodiff
from autodiff.draw import get_layout, graphviz, layouts, render_frame
from autodiff.examples import GALLERY, by_slug
from autodiff.format import display_height

REUSE = "w1 = 2.0; w2 = 1.5; y = w1 * cos(3*w1 + w2)"


PRODUCT_600 = "x = 1.001\nf = " + "*".join(["x"] * 600)


SLOW = "x = 1\ny = 2\n" + "\n".join(f"x = x * y + sin(x) + {k}" for k in range(60))
"""A graph dot takes tens of milliseconds for: never done within a 0.1 ms deadline."""


def build(source: str, **kw) -> autodiff.Graph:
    return autodiff.build(source, **kw)


def svg_root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_id(root: ET.Element, ident: str) -> ET.Element:
    found = [el for el in root.iter() if el.get("id") == ident]
    assert len(found) == 1, f"{ident}: {len(found)} elements"
    return found[0]


def classes(root: ET.Element, ident: str) -> set[str]:
    return set(by_id(root, ident).get("class", "").split())


def text(root: ET.Element, ident: str) -> str:
    return by_id(root, ident).text or ""


def value_lines(root: ET.Element, node) -> list[str]:
    return [text(root, f"{node.id}-v{i}") for i in range(display_height(node.shape))]


def frame(graph, step, **kw) -> ET.Element:
    return svg_root(render_frame(get_layout(graph, **kw), graph, step))


def relabel(graph, labels: dict[int, str]):
    nodes = tuple(dataclasses.replace(n, label=labels.get(n.index, n.label)) for n in graph.nodes)
    return dataclasses.replace(graph, nodes=nodes)


def counted_builds(monkeypatch) -> list[str]:
    """The keys of every dot run started from now on."""
    runs: list[str] = []
    real = layouts.start_job

    def start_job(s, timeout=graphviz.LAYOUT_TIMEOUT):
        runs.append(s.key)
        return real(s, timeout)

    monkeypatch.setattr(layouts, "start_job", start_job)
    return runs


REUSE_LINES = by_slug("reuse").source


LAYERED = (
    "x = 0.5\ny = 1.5\n"
    + "\n".join(f"z{i} = tanh(z{i - 1}) * y + 0.1" if i else "z0 = x * y" for i in range(30))
    + "\nf = z29 * x"
)


PROGRAMS = [e.source for e in GALLERY] + [
    LAYERED, "a = 3\nf = a*a", "x = 0\nf = x/x",
    "x = 2\nunused = 3\nw = unused * 2\nv = [1, 2]\nu = sum(v)\ny = x * x",
]
