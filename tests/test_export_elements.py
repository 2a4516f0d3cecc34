"""A PDF's frames cut into elements drawn once: the cut keeps every frame whole, each element
stands alone as SVG, the count made before the work bounds what is drawn, and the PDF reuses
each drawing on the pages that show it."""

import io
import xml.etree.ElementTree as ET

import pikepdf
import pytest

import autodiff
from autodiff import draw
from autodiff.draw.export import ExportOptions, each_frame, steps_of
from autodiff.draw.export.elements import CLOSING, cut, drawings_needed, stack
from autodiff.draw.export.formats import make
from autodiff.examples import GALLERY, by_slug

SVG = "{http://www.w3.org/2000/svg}"


def frames_of(source: str, **options) -> tuple[autodiff.Graph, list[str]]:
    graph = autodiff.build(source)
    layout = draw.get_layout(graph, options.pop("edge_labels", False))
    return graph, [f.svg for f in each_frame(graph, layout, ExportOptions(**options))]


SHARED_LEAF = "w = 0.5\nh = 0.1\n" + "\n".join("h = tanh(h * w + 0.1)" for _ in range(6))
"""`w` used six times: drawn once, with a copy beside each use (`svg.copy_group`)."""


@pytest.mark.parametrize("source", [e.source for e in GALLERY] + [SHARED_LEAF],
                         ids=[e.slug for e in GALLERY] + ["shared-leaf"])
def test_a_frame_is_its_opening_and_elements_and_each_element_stands_alone(source):
    _, svgs = frames_of(source, edge_labels=True)
    for svg in (svgs[0], svgs[len(svgs) // 2], svgs[-1]):
        opening, elements = cut(svg)
        assert opening + "".join(elements) + CLOSING + "\n" == svg
        assert ('-copy"' in svg) == (source == SHARED_LEAF)
        for element in elements:
            root = ET.fromstring(opening + element + CLOSING)  # well-formed on its own
            drawn = [child.tag for child in root if child.tag != SVG + "style"]
            assert len(drawn) == 1, element[:80]


def test_stacks_keep_each_distinct_element_once_in_painting_order():
    graph, svgs = frames_of(by_slug("mlp").source)
    stacks = stack(svgs)
    assert len(stacks.frames) == len(svgs)
    assert len(set(stacks.drawings)) == len(stacks.drawings)
    for svg, ids in zip(svgs, stacks.frames):
        opening, elements = cut(svg)
        drawn = [stacks.drawings[i] for i in ids]
        assert len(drawn) == len(elements)
        assert all(d.startswith(opening) and "<title>" not in d for d in drawn)
    # one step changes a few elements: far fewer drawings than elements on all pages
    assert len(stacks.drawings) < sum(len(ids) for ids in stacks.frames) / 3


@pytest.mark.parametrize("slug", ["reuse", "mlp", "softmax", "dense"])
@pytest.mark.parametrize("first,last", [(0, None), (3, 9)])
def test_the_count_made_before_the_work_bounds_the_drawings(slug, first, last):
    graph = autodiff.build(by_slug(slug).source)
    layout = draw.get_layout(graph)
    options = ExportOptions(first=first, last=last)
    stacks = stack(f.svg for f in each_frame(graph, layout, options))
    needed = drawings_needed(graph, layout, steps_of(graph, options))
    assert len(stacks.drawings) <= needed <= 1.3 * len(stacks.drawings) + 10


def test_a_pdf_draws_each_element_once_and_places_it_on_every_page():
    """Read back with pikepdf: every page paints one frame, the frames share drawings."""
    graph = autodiff.build(by_slug("mlp").source)
    layout = draw.get_layout(graph)
    pdf = pikepdf.open(io.BytesIO(make("pdf", graph, layout, ExportOptions())))
    assert len(pdf.pages) == len(graph.steps) + 1
    uses = []
    for page in pdf.pages:
        (frame,) = [obj for name, obj in page.Resources.XObject.items()
                    if name.startswith("/F") and f"{name} Do".encode() in page.Contents.read_bytes()]
        uses += _names(frame.read_bytes())
        assert set(uses) <= frame.Resources.XObject.keys()
    drawings = [name for name in pdf.pages[0].Resources.XObject.keys() if name.startswith("/D")]
    assert set(uses) == set(drawings)
    assert len(drawings) < len(uses) / 3


def _names(content: bytes) -> list[str]:
    return [line.split()[0].decode() for line in content.splitlines() if line.endswith(b" Do")]
