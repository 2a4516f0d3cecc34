"""PowerPoint: a 16:9 slide per step, the frame as a picture, the explanation on the slide
and in the speaker notes (python-pptx). Google Slides and Keynote import it as it is."""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.util import Emu, Pt

from ...model import Graph
from ..decorate import Look
from ..layouts import Layout
from . import ExportOptions, check_export, checked_size, frames
from .raster import pngs
from .rsvg import Progress

SLIDE = (Emu(12192000), Emu(6858000))
"""13.33 × 7.5 inches: PowerPoint's 16:9."""
MARGIN = Emu(457200)
TEXT_HEIGHT = Emu(1100000)
SLIDE_PX = 1920
"""The picture's width in pixels: sharp on a 1080p projector."""


def slides_pptx(graph: Graph, layout: Layout, options: ExportOptions,
                progress: Progress = None) -> bytes:
    """A deck with one slide per step of the chosen range."""
    deadline = check_export(graph, layout, options, "pptx")
    shown = frames(graph, layout, options, Look(transparent=options.transparent))
    pictures = pngs(shown, layout.width, SLIDE_PX, deadline, options.transparent, progress)
    deck = Presentation()
    deck.slide_width, deck.slide_height = SLIDE
    blank = deck.slide_layouts[6]
    for frame, png in zip(shown, pictures):
        slide = deck.slides.add_slide(blank)
        _picture(slide, png, layout)
        box = slide.shapes.add_textbox(MARGIN, SLIDE[1] - MARGIN - TEXT_HEIGHT,
                                       SLIDE[0] - 2 * MARGIN, TEXT_HEIGHT)
        box.text_frame.word_wrap = True
        box.text_frame.text = frame.text
        for paragraph in box.text_frame.paragraphs:
            paragraph.font.size = Pt(20)
        slide.notes_slide.notes_text_frame.text = frame.text
    out = io.BytesIO()
    deck.save(out)
    return checked_size(out.getvalue())


def _picture(slide, png: bytes, layout: Layout) -> None:
    """The frame, as large as fits above the text, centred."""
    room_w = SLIDE[0] - 2 * MARGIN
    room_h = SLIDE[1] - 3 * MARGIN - TEXT_HEIGHT
    fit = min(room_w / layout.width, room_h / layout.height)
    w, h = int(layout.width * fit), int(layout.height * fit)
    slide.shapes.add_picture(io.BytesIO(png), (SLIDE[0] - w) // 2, MARGIN + (room_h - h) // 2,
                             w, h)
