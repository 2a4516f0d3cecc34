"""Themes and direction: one layout serves every theme, the frames use the table's colours."""

import io
import re
from urllib.parse import quote

import pytest
from PIL import Image

import autodiff
from autodiff import draw
from autodiff.draw import layouts
from autodiff.draw.theme import PUBLIC_COLOURS, THEMES, frame_css, theme_name
from autodiff.examples import by_slug

REUSE = by_slug("reuse").source


def url(route: str, src: str = REUSE, **params) -> str:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in {"src": src, **params}.items())
    return f"{route}?{query}"


def style_of(svg: str) -> str:
    return re.search(r"<style>(.*?)</style>", svg, re.S).group(1)


@pytest.mark.parametrize("name", THEMES)
def test_every_public_colour_is_in_the_theme_frames(client, name):
    """What /api/themes lists is what the frame's style sheet paints with."""
    listed = client.get("/api/themes").get_json()[name]
    assert set(listed) == set(PUBLIC_COLOURS)
    css = style_of(client.get(url("/svg", theme=name)).get_data(as_text=True))
    assert css == frame_css(name)
    for colour in PUBLIC_COLOURS:
        assert re.fullmatch(r"#[0-9a-f]{6}", listed[colour])
        assert listed[colour] in css, colour


def test_themes_of_one_number_form_differ_only_in_their_style_sheet(client):
    frames = {name: client.get(url("/svg", step=9, theme=name)).get_data(as_text=True)
              for name in THEMES}
    bare = {name: re.sub(r"<style>.*?</style>", "", svg, flags=re.S) for name, svg in frames.items()}
    assert len({bare[name] for name in THEMES if name != "projector"}) == 1
    assert bare["projector"] != bare["classic"]  # compact numbers: boxes of their own
    assert len({style_of(svg) for svg in frames.values()}) == len(THEMES)


def test_a_new_theme_runs_dot_again_only_for_another_number_form(client, monkeypatch):
    draw.clear_caches()
    builds = []
    real = layouts.start_job
    monkeypatch.setattr(layouts, "start_job", lambda s, *a: builds.append(s.key) or real(s, *a))
    for name in THEMES:
        assert client.get(url("/svg", theme=name)).status_code == 200
        assert client.get(url("/png", theme=name)).status_code == 200
    assert len(builds) == len({theme.numbers for theme in THEMES.values()}) == 2


def test_colorblind_is_accepted_as_colourblind(client):
    us = client.get(url("/svg", theme="colorblind")).get_data()
    assert us == client.get(url("/svg", theme="colourblind")).get_data()
    assert theme_name("colorblind") == "colourblind"
    assert theme_name(None) == theme_name("") == "classic"


@pytest.mark.parametrize("route", ["/svg", "/png", "/api/graph"])
def test_an_unknown_theme_or_direction_is_a_400_naming_the_choices(client, route):
    res = client.get(url(route, theme="neon"))
    assert res.status_code == 400
    assert "classic, dark, projector, colourblind, print" in res.get_json()["error"]["message"]
    res = client.get(url(route, direction="rl"))
    assert res.status_code == 400
    assert "lr, tb" in res.get_json()["error"]["message"]


@pytest.mark.parametrize("name", THEMES)
def test_a_png_is_painted_on_its_theme_background(client, name):
    png = Image.open(io.BytesIO(client.get(url("/png", theme=name)).data)).convert("RGB")
    expected = THEMES[name].background
    assert "#{:02x}{:02x}{:02x}".format(*png.getpixel((1, 1))) == expected


def test_the_page_graph_comes_in_the_theme_asked_for(client):
    body = client.get(url("/api/graph", theme="dark")).get_json()
    assert style_of(body["layout"]["svg"]) == frame_css("dark")


def test_top_bottom_is_a_layout_of_its_own(client):
    chain = "x = 1.0\na = sin(x)\nb = cos(a)\nc = exp(b)\nd = tanh(c)"
    lr = client.get(url("/api/graph", chain)).get_json()["layout"]
    tb = client.get(url("/api/graph", chain, direction="tb")).get_json()["layout"]
    assert lr["key"] != tb["key"]

    def size(svg):
        width, height = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
        return float(width), float(height)

    (lw, lh), (tw, th) = size(lr["svg"]), size(tb["svg"])
    assert lw > 2 * lh and th > 2 * tw
    again = client.get(url("/api/graph", chain, direction="tb", layout_key=tb["key"]))
    assert again.get_json()["layout"]["svg"] is None
    frame = client.get(url("/svg", chain, direction="tb", theme="dark", step=3))
    assert size(frame.get_data(as_text=True)) == (tw, th)


def test_the_dot_text_says_the_direction():
    graph = autodiff.build("x = 1.0\ny = sin(x)")
    assert "rankdir=LR" in draw.dot_source(graph)
    assert "rankdir=TB" in draw.dot_source(graph, direction="tb")
