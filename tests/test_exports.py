"""Exports: PDF pages and their text, handout, PPTX slides and notes, GIF frames, ZIP manifest,
the offline page's data, frame options, bounds and errors (through the routes)."""

import html
import io
import json
import re
import subprocess
import zipfile
from urllib.parse import quote

import av
import pytest
from PIL import Image
from pptx import Presentation

import autodiff
from autodiff import draw
from autodiff.draw.decorate import caption_text
from autodiff.draw.export import COST, ExportOptions, export_seconds, frames
from autodiff.examples import by_slug
from autodiff.i18n import language
from web.exports import clear_cache

REUSE = by_slug("reuse").source
STEPS = len(autodiff.build(REUSE).steps)


@pytest.fixture(autouse=True)
def fresh_exports():
    clear_cache()


def url(route: str, src: str = REUSE, **params) -> str:
    query = "&".join(f"{k}={quote(str(v))}" for k, v in {"src": src, **params}.items())
    return f"{route}?{query}"


def pdf_pages(data: bytes, tmp_path) -> list[str]:
    """Each page's text, by poppler's pdftotext (an outside reader)."""
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    count = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))
    return [subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), "-layout", str(path), "-"],
                           capture_output=True, text=True, check=True).stdout
            for p in range(1, count + 1)]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_pdf_has_a_page_per_step_with_that_steps_text(client, tmp_path):
    """Page p is step p - 1, and its caption is text a reader finds on that page."""
    r = client.get(url("/pdf"))
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pages = pdf_pages(r.data, tmp_path)
    graph = autodiff.build(REUSE)
    assert len(pages) == STEPS + 1
    for p, text in enumerate(pages, start=1):
        assert squeeze(caption_text(graph, p - 1)) in squeeze(text), p


@pytest.mark.parametrize("lang,start", [("it", "Passo 0 · inizio"), ("es", "Paso 0 · inicio"),
                                        ("ru", "Шаг 0 · начало")])
def test_pdf_captions_are_in_the_language_asked_for(client, tmp_path, lang, start):
    """lang= makes every caption (text a reader finds) in that language, step by step."""
    pages = pdf_pages(client.get(url("/pdf", lang=lang)).data, tmp_path)
    assert start in squeeze(pages[0])
    with language(lang):
        graph = autodiff.build(REUSE)  # the step texts too are in the language
        for p, text in enumerate(pages, start=1):
            assert squeeze(caption_text(graph, p - 1)) in squeeze(text), p
    assert "Step 3" in squeeze(pdf_pages(client.get(url("/pdf")).data, tmp_path)[3])
    assert "Passo 3 · in avanti: z3 = cos(z2)" in squeeze(
        pdf_pages(client.get(url("/pdf", lang="it", **{"from": 3, "to": 3})).data, tmp_path)[0])


def test_slides_and_notes_speak_the_language_asked_for(client):
    deck = Presentation(io.BytesIO(client.get(url("/pptx", lang="es")).data))
    with language("es"):
        graph = autodiff.build(REUSE)
        for k, slide in enumerate(deck.slides):
            assert slide.notes_slide.notes_text_frame.text == caption_text(graph, k)
    assert deck.slides[4].notes_slide.notes_text_frame.text.startswith("Paso 4 · hacia adelante")


def test_an_unknown_language_is_a_400_on_exports(client):
    r = client.get(url("/pdf", lang="fr"))
    assert r.status_code == 400 and "lang" in r.get_json()["error"]["message"]


def test_a_refusal_speaks_the_language_asked_for(client, monkeypatch):
    monkeypatch.setattr("autodiff.draw.export.EXPORT_SECONDS", 1e-9)
    r = client.get(url("/gif", lang="it"))
    assert r.status_code == 413
    assert "accorcia il programma" in r.get_json()["error"]["message"]


def test_pdf_from_to_picks_a_range(client, tmp_path):
    graph = autodiff.build(REUSE)
    pages = pdf_pages(client.get(url("/pdf", **{"from": 3, "to": 5})).data, tmp_path)
    assert len(pages) == 3
    assert squeeze(caption_text(graph, 3)) in squeeze(pages[0])
    assert squeeze(caption_text(graph, 5)) in squeeze(pages[2])


def test_pdf_pages_share_one_size(client, tmp_path):
    """Pages do not jump in Beamer: the caption's room is the longest caption's."""
    path = tmp_path / "x.pdf"
    path.write_bytes(client.get(url("/pdf")).data)
    sizes = set(re.findall(r"size:\s+([\d. x]+pts)", subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(path)], capture_output=True, text=True).stdout))
    assert len(sizes) == 1


def test_handout_puts_three_steps_a_page_with_their_text(client, tmp_path):
    graph = autodiff.build(REUSE)
    pages = pdf_pages(client.get(url("/pdf", layout="handout", paper="letter")).data, tmp_path)
    assert len(pages) == -(-(STEPS + 1) // 3)
    for k in range(STEPS + 1):
        assert squeeze(caption_text(graph, k)) in squeeze(pages[k // 3]), k


def test_pptx_has_a_slide_per_step_with_notes(client):
    r = client.get(url("/pptx"))
    assert r.status_code == 200
    deck = Presentation(io.BytesIO(r.data))
    graph = autodiff.build(REUSE)
    assert len(deck.slides) == STEPS + 1
    for k, slide in enumerate(deck.slides):
        assert slide.has_notes_slide
        assert slide.notes_slide.notes_text_frame.text == caption_text(graph, k)
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 1
        assert any(caption_text(graph, k) == s.text_frame.text
                   for s in slide.shapes if s.has_text_frame)


@pytest.mark.slow
def test_gif_has_a_frame_per_step_with_the_delay(client):
    r = client.get(url("/gif", delay=700))
    image = Image.open(io.BytesIO(r.data))
    assert image.format == "GIF" and image.n_frames == STEPS + 1
    image.seek(1)
    assert image.info["duration"] == 700
    firsts = set()
    for k in range(image.n_frames):
        image.seek(k)
        firsts.add(image.convert("RGB").tobytes())
    assert len(firsts) == STEPS + 1, "every step looks different"


@pytest.mark.slow
def test_mp4_decodes_to_a_frame_per_step_each_shown_delay_ms(client):
    """Decoded by FFmpeg's libraries through PyAV: H.264, one picture a step in order, each
    `delay` ms long, the GIF's picture size (even, as 4:2:0 colour wants)."""
    r = client.get(url("/mp4", delay=700))
    assert r.status_code == 200 and r.mimetype == "video/mp4"
    with av.open(io.BytesIO(r.data)) as video:
        stream = video.streams.video[0]
        assert stream.codec_context.name == "h264"
        pictures = [(frame.time, frame.to_image()) for frame in video.decode(stream)]
    assert [round(t, 3) for t, _ in pictures] == [round(0.7 * k, 3) for k in range(STEPS + 1)]
    gif = Image.open(io.BytesIO(client.get(url("/gif")).data))
    width, height = pictures[0][1].size
    assert width % 2 == 0 and height % 2 == 0
    assert abs(width - gif.width * 1280 / 1000) <= 2 and abs(height - gif.height * 1280 / 1000) <= 3
    assert len({image.tobytes() for _, image in pictures}) == STEPS + 1, "every step differs"


@pytest.mark.slow
def test_zip_manifest_lists_every_frame_and_its_files(client):
    archive = zipfile.ZipFile(io.BytesIO(client.get(url("/zip")).data))
    manifest = json.loads(archive.read("manifest.json"))
    graph = autodiff.build(REUSE)
    assert [f["step"] for f in manifest["frames"]] == list(range(STEPS + 1))
    for frame in manifest["frames"]:
        assert frame["text"] == caption_text(graph, frame["step"])
        assert archive.read(frame["svg"]).startswith(b"<svg")
        assert archive.read(frame["png"]).startswith(b"\x89PNG")
    assert [f["phase"] for f in manifest["frames"][:2]] == ["start", "forward"]


def test_standalone_page_holds_every_step_and_fetches_nothing(client):
    r = client.get(url("/standalone"))
    page = r.get_data(as_text=True)
    assert "default-src 'none'" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    data = json.loads(re.search(r'id="data">(.*?)</script>', page, re.S).group(1))
    assert data["last"] == STEPS and len(data["texts"]) == STEPS + 1


def test_export_options_and_theme_are_used(client):
    graph = autodiff.build(REUSE)
    layout = draw.get_layout(graph)
    shown = frames(graph, layout, ExportOptions(theme="dark", caption=False, first=2, last=4))
    assert [f.step for f in shown] == [2, 3, 4]
    assert all("#0d1117" in f.svg and 'class="caption"' not in f.svg for f in shown)
    assert shown[1].svg == draw.render_frame(layout, graph, 3, "dark")


def test_svg_caption_width_and_transparency(client):
    plain = client.get(url("/svg", step=3)).get_data(as_text=True)
    dressed = client.get(url("/svg", step=3, caption=1, transparent=1, width=900))
    text = dressed.get_data(as_text=True)
    assert 'width="900px"' in text and 'class="background"' not in text
    assert "cos(7.5)" in text and 'class="caption"' in text
    assert 'class="background"' in plain and 'class="caption"' not in plain


def test_png_scale_and_transparency(client):
    small = Image.open(io.BytesIO(client.get(url("/png", step=3, scale=1)).data))
    large = Image.open(io.BytesIO(client.get(url("/png", step=3, scale=3)).data))
    assert abs(large.width - 3 * small.width) <= 3
    clear = Image.open(io.BytesIO(client.get(url("/png", step=3, transparent=1)).data))
    assert clear.mode == "RGBA" and clear.getpixel((1, 1))[3] == 0
    wide = Image.open(io.BytesIO(client.get(url("/png", width=500)).data))
    assert abs(wide.width - 500) <= 1


@pytest.mark.parametrize("params", [{"scale": "9"}, {"scale": "x"}, {"width": "5"},
                                    {"scale": "2", "width": "300"}])
def test_bad_frame_options_answer_400(client, params):
    r = client.get(url("/png", **params))
    assert r.status_code == 400 and r.get_json()["error"]["message"]


ROUTES = ["/pdf", "/pptx", "/gif", "/mp4", "/zip", "/standalone", "/svg", "/png"]


@pytest.mark.parametrize("route", ROUTES)
def test_a_bad_program_answers_400_with_its_position_everywhere(client, route):
    r = client.get(url(route, src="x = 1\ny = x +* 2"))
    assert r.status_code == 400
    assert r.get_json()["error"]["line"] == 2


@pytest.mark.parametrize("params", [{"from": "x"}, {"layout": "poster"}, {"paper": "a0"},
                                    {"theme": "neon"}])
def test_bad_export_options_answer_400(client, params):
    assert client.get(url("/pdf", **params)).status_code == 400


def test_an_export_beyond_the_bound_is_refused_up_front(client, monkeypatch):
    """413 with what to do, before anything is drawn (the renderer is never started)."""
    monkeypatch.setitem(COST, "pdf", (1.0, 1))
    monkeypatch.setattr("autodiff.draw.export.rsvg.rsvg_binary", renderer_runs)
    r = client.get(url("/pdf"))
    assert r.status_code == 413
    assert "from=" in r.get_json()["error"]["message"]


def renderer_runs():
    raise RuntimeError("the renderer ran")


def frame_made(*args):
    raise RuntimeError("a frame was made")


BOUNDED = [("/pdf", {}, "pdf"), ("/pdf", {"layout": "handout"}, "handout"), ("/pptx", {}, "pptx"),
           ("/gif", {}, "gif"), ("/mp4", {}, "mp4"), ("/zip", {}, "zip"), ("/tex", {}, "tex")]
"""Every export whose cost grows with its range of steps."""


@pytest.mark.parametrize("route,extra,kind", BOUNDED)
def test_every_export_beyond_its_bound_is_refused_before_any_frame(client, monkeypatch, route,
                                                                    extra, kind):
    """413 saying which range to ask for, decided before a frame is made or a renderer
    started; the range it names is then made."""
    graph = autodiff.build(REUSE)
    layout = draw.get_layout(graph)
    whole = export_seconds(graph, layout, range(STEPS + 1), kind)
    monkeypatch.setattr("autodiff.draw.export.EXPORT_SECONDS", whole / 2)
    with monkeypatch.context() as patched:
        patched.setattr("autodiff.draw.export.rsvg.rsvg_binary", renderer_runs)
        patched.setattr(draw.Layout, "fill", frame_made)
        r = client.get(url(route, **extra))
    assert r.status_code == 413
    message = r.get_json()["error"]["message"]
    assert f"{STEPS + 1} frames" in message and "from=" in message and "to=" in message
    most = int(re.search(r"at most about (\d+) frames", message).group(1))
    assert 1 <= most <= STEPS
    assert client.get(url(route, to=most - 1, **extra)).status_code == 200
    assert client.get(url(route, to=most, **extra)).status_code == 413


def test_a_graph_too_large_for_one_frame_is_told_to_shorten_the_program(client, monkeypatch):
    monkeypatch.setattr("autodiff.draw.export.EXPORT_SECONDS", 1e-9)
    r = client.get(url("/gif"))
    assert r.status_code == 413
    assert "shorten the program" in r.get_json()["error"]["message"]


@pytest.mark.slow
def test_exports_are_cached_by_program_and_options(client, monkeypatch):
    first = client.get(url("/gif")).data
    monkeypatch.setattr("autodiff.draw.export.rsvg.rsvg_binary", renderer_runs)
    assert client.get(url("/gif")).data == first
    assert client.get(url("/gif", delay=300)).status_code == 500


def test_a_long_pdf_drawn_in_pieces_keeps_page_p_as_step_p_minus_1(client, tmp_path):
    """More pages than one renderer draws: the pieces are joined in order."""
    src = "x = 0.5\n" + "\n".join(f"x = sin(x) + {k}" for k in range(8)) + "\ny = x * x"
    graph = autodiff.build(src)
    assert len(graph.steps) + 1 > 2 * 16
    pages = pdf_pages(client.get(url("/pdf", src=src)).data, tmp_path)
    assert len(pages) == len(graph.steps) + 1
    for p, text in enumerate(pages, start=1):
        assert squeeze(caption_text(graph, p - 1)) in squeeze(text), p


@pytest.mark.parametrize("kind", ["pdf", "gif"])
def test_progress_counts_every_frame_once(kind):
    """What the command line's progress bar is told adds up to the frames drawn."""
    from autodiff.draw.export.formats import make

    graph = autodiff.build(REUSE)
    told: list[int] = []
    make(kind, graph, draw.get_layout(graph), ExportOptions(), progress=told.append)
    assert sum(told) == STEPS + 1 and all(n > 0 for n in told)


def test_tex_is_one_beamer_frame_with_an_overlay_per_step(client):
    """Structure (compiled by pdflatex in test_beamer.py): every step has its caption overlay,
    a node drawn differently across steps is drawn under \\only, texts are TeX-escaped."""
    src = "θ = 2.0\nb_1 = 1.5\ny = θ * cos(3*θ + b_1)"
    text = client.get(url("/tex", src=src)).get_data(as_text=True)
    graph = autodiff.build(src)
    assert text.startswith("\\documentclass{beamer}") and text.count("\\begin{frame}") == 1
    for k in range(1, STEPS + 2):
        assert f"\\only<{k}>{{Step {k - 1}" in text
    assert "$\\theta$" in text and "b\\_1" in text and "θ" not in text
    assert re.search(r"\\only<[\d,-]+>\{\n\\begin\{scope\}", text)
    assert text.count("\\begin{scope}") == text.count("\\end{scope}")
    assert len(graph.steps) == STEPS


def test_tex_draws_the_copies_of_a_shared_weight(client):
    """A leaf used on every line has a dashed copy beside each use, in the slides too."""
    src = "w = 0.5\nh0 = 0.1\n" + "\n".join(f"h{i} = tanh(h{i - 1} * w)" for i in range(1, 7))
    text = client.get(url("/tex", src=src + "\nf = h6")).get_data(as_text=True)
    assert text.count("\\sffamily\\bfseries\\itshape}] at") == 6
    assert text.count("{w $\\nearrow$}") == 6


def test_a_branch_reads_the_same_in_every_export_and_the_notebook(client):
    """max's rule is `1 if x ≥ y, else 0` with the branch taken, never `[x ≥ y]`: in the
    slides' notes, the offline page, and the notebook's stepper alike."""
    source = by_slug("max").source
    wanted = "gx += (1 if x ≥ y, else 0) · gf = (1 since 4 ≥ 2) · 1 = 1"
    deck = Presentation(io.BytesIO(client.get(url("/pptx", src=source)).data))
    notes = "\n".join(s.notes_slide.notes_text_frame.text for s in deck.slides)
    page = client.get(url("/standalone", src=source)).get_data(as_text=True)
    data = json.loads(re.search(r'id="data">(.*?)</script>', page, re.S).group(1))
    stepper = autodiff.build(source).stepper()._repr_html_()
    for shown in (notes, "\n".join(data["texts"]), html.unescape(stepper)):
        assert wanted in shown
        assert "[x ≥ y]" not in shown and "[4 ≥ 2]" not in shown
