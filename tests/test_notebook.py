"""Notebooks: a graph displays as its final frame through IPython's own display formatter."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.formatters import DisplayFormatter

import autodiff
from autodiff import draw
from autodiff.examples import by_slug

REUSE = by_slug("reuse").source
ROOT = Path(__file__).resolve().parent.parent


def test_a_graph_displays_as_the_svg_of_its_final_frame():
    graph = autodiff.build(REUSE)
    data, _ = DisplayFormatter().format(graph)
    assert "image/svg+xml" in data
    layout = draw.get_layout(graph)
    assert data["image/svg+xml"] == draw.render_frame(layout, graph, None)
    assert data["text/plain"].startswith("<autodiff.Graph:")


def test_frame_shows_any_step_in_a_theme_with_its_caption():
    graph = autodiff.build(REUSE)
    picture = graph.frame(3, theme="dark", caption=True)
    data, _ = DisplayFormatter().format(picture)
    svg = data["image/svg+xml"]
    assert "#0d1117" in svg and "cos(7.5)" in svg
    assert svg == picture._repr_svg_()
    with pytest.raises(ValueError):
        graph.frame(3, theme="neon")


def test_stepper_is_the_offline_page_in_an_iframe():
    graph = autodiff.build(REUSE)
    data, _ = DisplayFormatter().format(graph.stepper())
    frame = data["text/html"]
    assert frame.startswith("<iframe srcdoc=") and "<script" not in frame.replace("&lt;script", "")
    assert "default-src &#x27;none&#x27;" in frame


def test_without_graphviz_the_display_says_what_to_install(tmp_path):
    """With no `dot` the cell still shows something: what to install."""
    probe = (
        "import autodiff, autodiff.draw.graphviz as gv\n"
        "gv.dot_binary = lambda: '/nonexistent/dot'\n"
        "from IPython.core.formatters import DisplayFormatter\n"
        "data, _ = DisplayFormatter().format(autodiff.build('x = 2; f = x * x'))\n"
        "print(sorted(data)); print(data['text/plain'])\n"
    )
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=ROOT, env=env, check=True).stdout
    assert out.startswith("['text/plain']")
    assert re.search(r"apt install graphviz", out)
