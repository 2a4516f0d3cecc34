"""A PDF put together from drawings made once (pikepdf): every drawing is a form XObject,
every frame a form XObject that paints its drawings in order, every page places frames.

A viewer, a printer and Beamer's `\\includegraphics[page=p]` see ordinary pages: the text
of each drawing stays text, so `pdftotext` and a reader's search find it on every page
that shows it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from .elements import Stacks

Box = tuple[float, float, float, float]
"""x, y from the page's top, width, height, in points."""


@dataclass(frozen=True)
class Page:
    """One page: its size, a drawing under everything (or None), frames in their boxes."""

    width: float
    height: float
    sheet: int | None
    frames: tuple[tuple[int, Box], ...]


def assemble(drawn: Iterable[bytes], stacks: Stacks, pages: list[Page]) -> bytes:
    """The PDF of `pages`, from PDFs that hold `stacks.drawings` a page each, in order."""
    out = pikepdf.new()
    drawings = [out.copy_foreign(page.as_form_xobject())
                for piece in drawn for page in pikepdf.open(io.BytesIO(piece)).pages]
    named = {f"/D{i}": drawing for i, drawing in enumerate(drawings)}
    uses_drawings = out.make_indirect(Dictionary(XObject=Dictionary(named)))
    frames = [_form(out, _paint(ids), drawings[ids[0]].BBox, uses_drawings)
              for ids in stacks.frames]
    named.update((f"/F{k}", frame) for k, frame in enumerate(frames))
    uses_all = out.make_indirect(Dictionary(XObject=Dictionary(named)))
    for page in pages:
        out.pages.append(pikepdf.Page(Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, page.width, page.height]),
            Resources=uses_all,
            Contents=out.make_stream(_content(page, frames)),
        )))
    found = io.BytesIO()
    out.save(found)
    return found.getvalue()


def _form(pdf: pikepdf.Pdf, content: bytes, bbox: Array, resources: Dictionary) -> pikepdf.Stream:
    """A form XObject painting `content` inside `bbox`."""
    form = pdf.make_stream(content)
    form.Type, form.Subtype, form.BBox, form.Resources = Name.XObject, Name.Form, bbox, resources
    return form


def _paint(drawings: Iterable[int]) -> bytes:
    return "".join(f"/D{i} Do\n" for i in drawings).encode()


def _content(page: Page, frames: list[pikepdf.Stream]) -> bytes:
    """The page's sheet, then each frame scaled into its box (PDF's y grows upward)."""
    parts = [] if page.sheet is None else [f"/D{page.sheet} Do\n"]
    for k, (x, y, width, height) in page.frames:
        _, _, frame_width, frame_height = (float(v) for v in frames[k].BBox)
        scale_x, scale_y = width / frame_width, height / frame_height
        parts.append(f"q {scale_x:.6f} 0 0 {scale_y:.6f} {x:.3f} {page.height - y - height:.3f} "
                     f"cm /F{k} Do Q\n")
    return "".join(parts).encode()
