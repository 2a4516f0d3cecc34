"""autodiff.format: how numbers read, short in explanations and fixed width in the boxes."""

import math

import numpy as np
import pytest

from autodiff import format as fmt


@pytest.mark.parametrize(
    "x, text",
    [
        (0.34663531783502584, "0.3466"),
        (-1.8759999535494778, "-1.876"),
        (6.0, "6"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.8446744073709552e19, "1.845e19"),
        (1e-5, "1e-5"),
        (123456.0, "1.235e5"),
        (math.inf, "∞"),
        (-math.inf, "-∞"),
        (math.nan, "NaN"),
        (9999.5, "1e4"),  # rounding takes it to an exponent
        (-0.00012345, "-0.0001234"),
    ],
)
def test_numbers_have_four_significant_digits(x, text):
    assert fmt.number(x) == text


@pytest.mark.parametrize(
    "x",
    [
        0.0,
        1.0,
        -1.0,
        3.14159265,
        -2.5e-7,
        9.99999e5,
        1e6,
        -1e300,
        -1.5e-300,
        -1.23e-100,
        -5e-324,
        123456.789,
        -0.001234,
        5e-324,
        math.inf,
        math.nan,
    ],
)
def test_fixed_width_numbers_fit(x):
    text = fmt.fixed(x)
    assert len(text) <= fmt.FIXED_WIDTH
    if math.isfinite(x) and x != 0:
        assert abs(float(text) - x) <= 0.05 * abs(x)


@pytest.mark.parametrize(
    "x, text",
    [
        (3.14159265, "3.14159"),
        (-3.14159265, "-3.1416"),
        (123456.789, "123457"),
        (-0.001234, "-0.001234"),
        (999999.5, "1.00e6"),  # six digits round it up to an exponent
        (-99999.95, "-1.00e5"),
        (0.00099995, "1.00e-3"),
        (-0.0, "0"),
        (-1.23e-100, "-1.2e-100"),
    ],
)
def test_fixed_width_numbers_keep_as_many_digits_as_fit(x, text):
    assert fmt.fixed(x) == text


def test_fixed_width_holds_at_every_magnitude():
    """Tiny negative numbers have three-digit exponents: -1.23e-100 would be 10 characters."""
    for exponent in range(-323, 308):
        for mantissa in (1.0, -1.0, 1.2345, -1.2345, 9.9999, -9.9999):
            x = mantissa * 10.0**exponent
            if x == 0 or not math.isfinite(x):
                continue
            text = fmt.fixed(x)
            assert len(text) <= fmt.FIXED_WIDTH, (x, text)
            assert abs(float(text) - x) <= 0.1 * abs(x), (x, text)


def test_fill_brackets_negative_values_where_needed():
    assert fmt.fill("{a}**{b}", {"a": "-8", "b": "2"}) == "(-8)**2"
    assert fmt.fill("cos({a})", {"a": "-1"}) == "cos(-1)"
    assert fmt.fill("{a} · {b}", {"a": "-1", "b": "-2"}) == "-1 · (-2)"
    assert fmt.fill("max({a}, {b})", {"a": "-1", "b": "-2"}) == "max(-1, -2)"


@pytest.mark.parametrize("a, text", [
    (np.float64(2.5), "2.5"),
    (np.array([1.0, -0.5]), "[1, -0.5]"),
    (np.array([[1.0, 2.0], [3.0, 4.0]]), "[[1, 2], [3, 4]]"),
    (np.zeros(5), "⟨5⟩"),
    (np.zeros((3, 2)), "⟨3×2⟩"),
])
def test_values_in_explanations_are_numbers_short_lists_or_shapes(a, text):
    assert fmt.value(a) == text


def test_shape_texts():
    assert [fmt.shape_text(s) for s in [(), (3,), (3, 2)]] == ["scalar", "3", "3×2"]


def test_only_negative_numbers_are_bracketed():
    assert [fmt.bracket(t) for t in ["-2", "2", "0", "-∞", "NaN"]] == ["(-2)", "2", "0", "(-∞)",
                                                                        "NaN"]


def test_a_scalar_is_one_line_of_fixed_width():
    assert fmt.display_rows(np.float64(-1.876)) == ["-1.876"]
    assert fmt.display_rows(np.float64(0.34663531783502584)) == ["0.346635"]


def test_a_small_matrix_shows_every_element_right_aligned():
    rows = fmt.display_rows(np.array([[1.0, -2.5], [3.25, 4.0]]))
    width = fmt.FIXED_WIDTH
    assert rows == ["1".rjust(width) + " " + "-2.5".rjust(width),
                    "3.25".rjust(width) + " " + "4".rjust(width)]


def test_a_vector_is_one_row():
    assert fmt.display_rows(np.array([1.0, 2.0, 3.0])) == [
        " ".join(str(k).rjust(fmt.FIXED_WIDTH) for k in (1, 2, 3))]


def test_a_large_matrix_shows_its_corners_and_ellipses():
    a = np.arange(64.0).reshape(8, 8)
    rows = fmt.display_rows(a)
    cells = [row.split() for row in rows]
    assert len(rows) == fmt.DISPLAY_MAX
    assert cells[0] == ["0", "1", "2", "…", "7"]
    assert cells[2] == ["16", "17", "18", "…", "23"]
    assert cells[3] == ["⋮"] * fmt.DISPLAY_MAX
    assert cells[4] == ["56", "57", "58", "…", "63"]


@pytest.mark.parametrize("shape", [(), (1,), (4,), (5,), (6,), (1, 1), (2, 7), (5, 5), (9, 3),
                                   (64, 64)])
def test_display_width_and_height_are_those_of_the_rows(shape):
    rows = fmt.display_rows(np.full(shape, -1.23456789e-100))
    assert len(rows) == fmt.display_height(shape)
    assert max(len(r) for r in rows) == fmt.display_width(shape)
    assert all(len(r) == len(rows[0]) for r in rows)
