"""The projector's compact numbers: three significant digits in cells of 7 characters, arrays
cut to 4 × 4, and a layout of their own (narrower boxes) that only that number form uses."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import orjson
import pytest
from drawing_support import PROGRAMS

import autodiff
from autodiff import format as fmt
from autodiff.draw import get_layout, render_frame, render_state, states, structure_key
from autodiff.draw.dot import structure
from autodiff.draw.theme import THEMES
from autodiff.examples import by_slug
from web.service import Options, graph_answer

DENSE = by_slug("dense").source


def significant_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa) or 1


@pytest.mark.parametrize("exponent", range(-320, 309, 23))
@pytest.mark.parametrize("mantissa", [1.0, -1.0, 1.23456, -9.99951, 5.55555, -0.500049])
def test_compact_numbers_fit_and_read_back_to_their_digits(mantissa, exponent):
    x = mantissa * 10.0**exponent
    if not math.isfinite(x) or x == 0:
        return
    text = fmt.compact(x)
    digits = significant_digits(text)
    assert len(text) <= fmt.COMPACT_WIDTH or re.fullmatch(r"-\de-\d{3}", text), text
    assert 1 <= digits <= fmt.COMPACT_DIGITS
    # Within half a unit of its last digit of the number itself.
    assert abs(float(text) - x) <= 0.5 * 10.0 ** (math.floor(math.log10(abs(x))) - digits + 2)


@pytest.mark.parametrize(("x", "text"), [
    (-0.56464, "-0.565"), (0.00341, "0.00341"), (-0.00123, "-0.0012"), (123456, "1.23e5"),
    (2.03499, "2.03"), (19.299, "19.3"), (0.5, "0.5"), (-2, "-2"), (0, "0"),
    (math.inf, "∞"), (math.nan, "NaN"),
])
def test_compact_numbers_as_read(x, text):
    assert fmt.compact(x) == text


def test_compact_rows_cut_arrays_to_four_by_four_of_one_width():
    a = np.arange(36.0).reshape(6, 6) / 7
    rows = fmt.display_rows(a, fmt.COMPACT)
    assert len(rows) == fmt.display_height(a.shape, fmt.COMPACT) == 4
    assert {len(r) for r in rows} == {fmt.display_width(a.shape, fmt.COMPACT)}
    cells = [r.split() for r in rows]
    assert cells[0] == [fmt.compact(a[0, 0]), fmt.compact(a[0, 1]), "…", fmt.compact(a[0, 5])]
    assert cells[2] == ["⋮"] * 4
    assert cells[3][-1] == fmt.compact(a[5, 5]) == "5"
    assert fmt.display_rows(a) == fmt.display_rows(a, fmt.STANDARD)  # the default is unchanged


def test_only_the_projector_has_a_layout_of_its_own():
    graph = autodiff.build(DENSE)
    forms = {name: theme.numbers for name, theme in THEMES.items()}
    assert forms == {**dict.fromkeys(THEMES, "standard"), "projector": "compact"}
    keys = {name: structure_key(graph, numbers=numbers) for name, numbers in forms.items()}
    assert len(set(keys.values())) == 2 and keys["projector"] != keys["classic"]
    assert structure_key(graph) == structure(graph).key == keys["classic"]
    standard, compact = get_layout(graph), get_layout(graph, numbers="compact")
    assert (standard.numbers, compact.numbers) == ("standard", "compact")
    assert compact.width < 0.9 * standard.width  # 7 characters a number, not 9
    assert compact.height == standard.height


@pytest.mark.parametrize("source", [*PROGRAMS, by_slug("softmax").source])
def test_every_compact_frame_equals_the_reference(source):
    graph = autodiff.build(source)
    layout = get_layout(graph, numbers="compact")
    assert layout.slots == states.slot_order(graph, False, "compact")
    for k in [*range(len(graph.steps) + 1), None]:
        expected = render_state(layout, states.frame_state(graph, k, "compact"), "projector")
        assert render_frame(layout, graph, k, "projector") == expected


def test_the_projector_answer_writes_compact_numbers_in_its_json_and_its_picture():
    body = orjson.loads(graph_answer(DENSE, Options(theme="projector")))
    classic = orjson.loads(graph_answer(DENSE, Options(theme="dark")))
    assert body["layout"]["key"] != classic["layout"]["key"]
    assert body["gradients"] == classic["gradients"]  # the same numbers, written shorter
    root = ET.fromstring(body["layout"]["svg"])
    texts = {el.get("id"): el.text or "" for el in root.iter() if el.get("id")}
    graph = autodiff.build(DENSE)
    for node, shown in zip(graph.nodes, body["nodes"]):
        lines = shown["display"]["value"]
        assert [texts[f"{node.id}-v{j}"] for j in range(len(lines))] == lines
        cells = [float(c) for line in lines for c in line.split()]
        expected = np.asarray(node.value, dtype=float).ravel()[: len(cells)]
        np.testing.assert_allclose(cells, expected, rtol=5e-3, atol=5e-4)
        assert all(len(c) <= fmt.COMPACT_WIDTH for line in lines for c in line.split())
    assert classic["nodes"][0]["display"]["value"][0].split()[0] == "-1"
    # Switching back from the projector writes the numbers again, in the standard form.
    again = orjson.loads(graph_answer(DENSE, Options(theme="classic"), classic["layout"]["key"]))
    assert again["layout"]["svg"] is None and again["nodes"] == classic["nodes"]
