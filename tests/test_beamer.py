"""The Beamer recipe of the README, compiled by pdflatex: overlay p shows page p of the
exported PDF, which is step p - 1 with its explanation (TeX Live from Debian's packages)."""

import re
import subprocess

import pytest

import autodiff
from autodiff.draw.decorate import caption_text
from autodiff.examples import by_slug

pytestmark = pytest.mark.slow

REUSE = by_slug("reuse").source


def deck(pages: int) -> str:
    overlays = "\n".join(
        rf"  \only<{p}>{{\includegraphics[page={p},width=\linewidth]{{steps.pdf}}}}%"
        for p in range(1, pages + 1))
    return ("\\documentclass{beamer}\n\\begin{document}\n\\begin{frame}{Step by step}\n"
            f"{overlays}\n\\end{{frame}}\n\\end{{document}}\n")


def test_beamer_overlay_p_shows_step_p_minus_1(client, tmp_path):
    graph = autodiff.build(REUSE)
    pages = len(graph.steps) + 1
    (tmp_path / "steps.pdf").write_bytes(client.get("/pdf", query_string={"src": REUSE}).data)
    (tmp_path / "deck.tex").write_text(deck(pages))
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "deck.tex"],
                   cwd=tmp_path, capture_output=True, check=True, timeout=120)
    info = subprocess.run(["pdfinfo", str(tmp_path / "deck.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == pages
    for p in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(tmp_path / "deck.pdf"),
                               "-"], capture_output=True, text=True, check=True).stdout
        assert " ".join(caption_text(graph, p - 1).split()) in " ".join(text.split()), p


def test_the_tikz_export_compiles_to_a_page_per_step_with_its_text(client, tmp_path):
    graph = autodiff.build(REUSE)
    (tmp_path / "steps.tex").write_bytes(client.get("/tex", query_string={"src": REUSE}).data)
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "steps.tex"],
                   cwd=tmp_path, capture_output=True, check=True, timeout=120)
    info = subprocess.run(["pdfinfo", str(tmp_path / "steps.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == len(graph.steps) + 1
    last = subprocess.run(["pdftotext", "-f", "10", "-l", "10", str(tmp_path / "steps.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "-5.281" in last and "0.346635" in last
