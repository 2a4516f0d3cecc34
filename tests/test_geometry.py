"""autodiff.draw.geometry: boxes sized from kinds, labels and shapes alone."""

from drawing_support import PROGRAMS, build, frame, text

import autodiff
from autodiff.draw import dot, geometry


def test_boxes_fit_their_labels():
    narrow, wide = (build(f"{name} = 1\nf = {name} * 2") for name in ("a", "W" * 25))
    assert dot.structure(wide).nodes[0].box.width > dot.structure(narrow).nodes[0].box.width
    assert text(frame(wide, None), "n0-label") == "W" * 19 + "…"


def test_unicode_and_long_labels():
    name = "a" * 30
    graph = build(f"λ = 2\n{name} = λ * λ")
    root = frame(graph, None)
    assert text(root, "n0-label") == "λ"
    assert text(root, "n1-label") == "a" * 19 + "…"


def test_boxes_hold_their_header_and_numbers():
    for source in PROGRAMS:
        for spec in dot.structure(autodiff.build(source)).nodes:
            box = spec.box
            cell_width, cell_height = geometry.cell_size(spec.shape)
            assert box.width - 2 * box.inset >= geometry.CUE_WIDTH + cell_width
            label = geometry.label_width(spec.kind, spec.label)
            assert box.width - 2 * box.inset >= label + box.header - 1e-9
            assert [row.height for row in box.rows] == [cell_height] * len(spec.slots)


def test_text_width_follows_the_font():
    assert geometry.text_width("iii", 14) < geometry.text_width("WWW", 14)
    assert geometry.text_width("w1", 14, bold=True) > geometry.text_width("w1", 14)
    assert geometry.text_width("θ", 14) > 0 and geometry.text_width("漢", 14) == 14
